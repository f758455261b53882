"""Two promotions of a route at the same moment (two operators, or a run retried while the
first still runs): the second is told who promoted the same changes, when, and which task.

Both runs cut the same package (the changes since the route's last applied promotion: the
first one's import is not applied while it runs), and whichever applies second would import
what the first one imports, or find its plan taken by it, and the route's history would list
the same changes twice. ``promoted_meanwhile`` finds the import recorded of the same package
cut from the same point (``since``), whose task did not fail and which was not rolled back;
the apply refuses with it (``PromotedMeanwhileError``) before it queues anything, and again in
the transaction that queues the import, so the second promotion is never recorded; an
apply that meets the import lock the other one took before its record was read
(``plan_promoted``: an import of the same package) is told the same. The plan of the second
run says it already (``RoutePlan.meanwhile``), before anyone asks to import it again.

A run that cut other changes (the source changed since) while another run's import along the
route is queued or running carries that import's changes again, as they are not applied yet:
its plan says so too (``RoutePlan.under_way``, :func:`import_under_way`), so that nobody imports
it before that import ended (it would meet that import's lock, and once it ended the plan is
stale).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from jobferry.domain.enums import TaskStatus
from jobferry.domain.remedies import Remedy
from jobferry.errors import InvalidRequestError, PromotedMeanwhileError
from jobferry.storage import Tx
from jobferry.storage import routes as repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.importing import rollbacks as rollback_repo
from jobferry.storage.routes import PromotionFacts, PromotionRecord


@dataclass(frozen=True)
class ImportedMeanwhile:
    """Another promotion's import of the same changes, standing or still running: who
    started it, when, and its task."""

    route: str
    promotion_id: str
    plan_id: str | None
    package_sha256: str
    task_id: str
    task_status: str
    promoted_by: str
    promoted_at: int
    """When its task started (ms)."""

    @property
    def problem(self) -> str:
        """What happened, in a sentence: which changes, who, when, the task and its state."""
        status = "still running" if self.task_status == TaskStatus.RUNNING else self.task_status
        at = datetime.fromtimestamp(self.promoted_at / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (
            f"Route '{self.route}': these changes (package {self.package_sha256[:12]}) were "
            f"promoted meanwhile by {self.promoted_by} at {at} (task {self.task_id}, {status})"
        )

    def refusal(self) -> PromotedMeanwhileError:
        """The refusal of an import of the same changes again."""
        return PromotedMeanwhileError(
            f"{self.problem}; nothing was imported, and no second promotion is recorded.",
            route=self.route,
            rule="route.promoted_meanwhile",
            promotion_id=self.promotion_id,
            plan_id=self.plan_id,
            task_id=self.task_id,
            task_status=self.task_status,
            promoted_by=self.promoted_by,
            promoted_at=self.promoted_at,
        )


@dataclass(frozen=True)
class ImportUnderWay:
    """Another run's import along the route, queued or running while this run planned other
    changes (the source changed since it cut its own): its promotion, plan and task, whether
    it is still queued, who started it and when."""

    route: str
    promotion_id: str
    plan_id: str | None
    task_id: str
    queued: bool
    promoted_by: str
    promoted_at: int
    """When its task started (ms)."""

    @property
    def problem(self) -> str:
        """What is under way, in a sentence."""
        state = "queued" if self.queued else "running"
        at = datetime.fromtimestamp(self.promoted_at / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (
            f"Route '{self.route}': another run's import along it is still {state} (task "
            f"{self.task_id}, started by {self.promoted_by} at {at}); its changes are not "
            "applied yet, so this plan carries them too. Wait for that task to end, then "
            "promote again"
        )


def told_meanwhile(
    tx: Tx, project_id: str, item: PromotionFacts
) -> tuple[ImportedMeanwhile | None, ImportUnderWay | None]:
    """What a plan of ``item`` says of the route's other imports: one of the same changes
    (:func:`promoted_meanwhile`), or else one of others still under way
    (:func:`import_under_way`)."""
    meanwhile = promoted_meanwhile(tx, project_id, item)
    if meanwhile is not None:
        return meanwhile, None
    return None, import_under_way(tx, project_id, item)


def import_under_way(tx: Tx, project_id: str, item: PromotionFacts) -> ImportUnderWay | None:
    """The newest import along ``item``'s route, other than ``item``'s own, that is queued or
    running; ``None`` when there is none."""
    for other in repo.importing_promotions(tx, project_id, item.route):
        task = task_repo.task_of_project(tx, project_id, other.task_id or "")
        if other.id == item.id or task is None or task.status != TaskStatus.RUNNING:
            continue
        return ImportUnderWay(
            other.route,
            other.id,
            other.plan_id,
            task.id,
            task.owner is None,
            task.created_by,
            task.start_time,
        )
    return None


def promoted_meanwhile(tx: Tx, project_id: str, item: PromotionFacts) -> ImportedMeanwhile | None:
    """Another recorded import of ``item``'s changes (the same package, cut from the same
    point) that stands or still runs; ``None`` when there is none."""
    found = repo.imported_packages(tx, project_id, item.route, item.package_sha256)
    others = [o for o in found if o.id != item.id and o.since == item.since]
    return _first_standing(tx, others)


def refuse_recorded(tx: Tx, item: PromotionRecord, task_id: str) -> None:
    """Refuse to record import ``task_id`` on ``item`` when another import is recorded on it
    already (a promotion records one import: the one that took its changes), or another
    promotion's import of the same changes stands or still runs (as ``apply`` refuses)."""
    if item.task_id is None or item.task_id == task_id:
        meanwhile = promoted_meanwhile(tx, item.project_id, item)
        if meanwhile is not None:
            raise meanwhile.refusal()
        return
    standing = _first_standing(tx, [item])
    if standing is not None:
        raise standing.refusal()
    raise InvalidRequestError(
        f"Promotion {item.id} of route '{item.route}' has its import recorded already (task "
        f"{item.task_id}, which failed or was rolled back); a promotion records one import.",
        fix=f"Promote again (POST /v1/{{project_id}}/routes/{item.route}/package) to import "
        "what changed since.",
        remedy=Remedy.CUT_PACKAGE,
        route=item.route,
        promotion_id=item.id,
        task_id=item.task_id,
    )


def plan_promoted(
    tx: Tx, project_id: str, route: str, package_sha256: str
) -> PromotedMeanwhileError | None:
    """The refusal naming the newest recorded import of the route's package
    ``package_sha256`` that stands or still runs (a plan applied twice, or taken by a run that
    cut the same package); ``None`` when there is none."""
    found = _first_standing(tx, repo.imported_packages(tx, project_id, route, package_sha256))
    return found.refusal() if found is not None else None


def _first_standing(tx: Tx, found: list[PromotionRecord]) -> ImportedMeanwhile | None:
    for other in found:
        task = task_repo.task_of_project(tx, other.project_id, other.task_id or "")
        if task is None or task.status == TaskStatus.FAILED:
            continue
        if rollback_repo.rolled_back(tx, task.id) is None:
            return ImportedMeanwhile(
                other.route,
                other.id,
                other.plan_id,
                other.package_sha256,
                task.id,
                task.status,
                task.created_by,
                task.start_time,
            )
    return None
