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
(``plan_promoted``: an import of the same package) is told the same.
"""

from __future__ import annotations

from datetime import UTC, datetime

from jobferry.domain.enums import TaskStatus
from jobferry.errors import PromotedMeanwhileError
from jobferry.storage import Tx
from jobferry.storage import routes as repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.importing import rollbacks as rollback_repo
from jobferry.storage.routes import PromotionRecord


def promoted_meanwhile(tx: Tx, item: PromotionRecord) -> PromotedMeanwhileError | None:
    """The refusal naming another recorded import of ``item``'s changes (the same package,
    cut from the same point) that stands or still runs; ``None`` when there is none."""
    found = repo.imported_packages(tx, item.project_id, item.route, item.package_sha256)
    others = [o for o in found if o.id != item.id and o.since == item.since]
    return _first_standing(tx, others)


def plan_promoted(
    tx: Tx, project_id: str, route: str, package_sha256: str
) -> PromotedMeanwhileError | None:
    """The refusal naming the newest recorded import of the route's package
    ``package_sha256`` that stands or still runs (a plan applied twice, or taken by a run that
    cut the same package); ``None`` when there is none."""
    return _first_standing(tx, repo.imported_packages(tx, project_id, route, package_sha256))


def _first_standing(tx: Tx, found: list[PromotionRecord]) -> PromotedMeanwhileError | None:
    for other in found:
        task = task_repo.task_of_project(tx, other.project_id, other.task_id or "")
        if task is None or task.status == TaskStatus.FAILED:
            continue
        if rollback_repo.rolled_back(tx, task.id) is None:
            return _refusal(other, task)
    return None


def _refusal(other: PromotionRecord, task: task_repo.TaskRecord) -> PromotedMeanwhileError:
    """The refusal saying that ``task`` imported ``other``'s changes meanwhile."""
    status = "still running" if task.status == TaskStatus.RUNNING else task.status
    at = datetime.fromtimestamp(task.start_time / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return PromotedMeanwhileError(
        f"Route '{other.route}': these changes (package {other.package_sha256[:12]}) were "
        f"promoted meanwhile by {task.created_by} at {at} (task {task.id}, {status}); "
        "nothing was imported, and no second promotion is recorded.",
        route=other.route,
        rule="route.promoted_meanwhile",
        promotion_id=other.id,
        plan_id=other.plan_id,
        task_id=task.id,
        task_status=task.status,
        promoted_by=task.created_by,
        promoted_at=task.start_time,
    )
