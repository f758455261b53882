"""What promotions along a route answer: a promotion with where its import stands, and a
route's package of changes."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from jobferry.domain.enums import TaskStatus
from jobferry.domain.importsettings import ImportSettings, SettingChange
from jobferry.domain.routes import Carried, Route
from jobferry.package.routeblock import RouteBlock
from jobferry.services.context import Scope
from jobferry.services.downloads import Download
from jobferry.services.importing.plan import Plan
from jobferry.services.routes.meanwhile import ImportedMeanwhile, ImportUnderWay
from jobferry.services.routes.overrides import Overrides
from jobferry.storage.routes import PromotionFacts, PromotionRecord

DONE = (TaskStatus.SUCCESSFUL, TaskStatus.WARNING)


@dataclass(frozen=True)
class Promotion(PromotionFacts):
    """One promotion along a route, with where its import stands."""

    task_status: str | None
    rolled_back_at: int | None
    rolled_back_by: str | None
    carried: Carried | None = None
    """``None``: between two workspaces of this server."""
    overrides: Overrides | None = None
    """What its import changed of the route's settings, and who (``None``: nothing)."""

    @property
    def applied(self) -> bool:
        """Whether its import succeeded and was not rolled back."""
        return self.task_status in DONE and self.rolled_back_at is None


@dataclass(frozen=True)
class RoutePackage:
    """What ``package`` (and ``carry_in``) answers: the promotion (``None`` when nothing
    changed), where its package is, and the import settings the route gives the target's plan.

    ``source`` is ``None`` for a package taken in from another server (``carried_from`` says
    where it was cut); ``target`` is ``None`` for a package cut for another server
    (``download`` is where to fetch it)."""

    route: Route
    route_version: int
    source: Scope | None
    target: Scope | None
    since: int | None
    promotion: Promotion | None
    import_options: dict[str, Any]
    download: Download | None = None
    carried_from: RouteBlock | None = None


@dataclass(frozen=True)
class RoutePlan:
    """What planning a route's promotion answers: the package (``package.promotion`` is
    ``None`` when nothing changed), this run's import settings, and the plan (its view) or the
    task planning it (a large package, or a target brought up to date first)."""

    package: RoutePackage
    settings: ImportSettings
    plan: Plan | None
    planning_task: str | None
    kept_until: int | None = None
    """When (ms) the plan and its package expire with the uploads, if never imported: until
    then its approvers may sign it and ``apply`` imports it by its id."""
    meanwhile: ImportedMeanwhile | None = None
    """Another run's import of the same changes, queued, running or done since this run cut
    them (``apply`` would be refused): who started it, when, and its task."""
    under_way: ImportUnderWay | None = None
    """Else another run's import along the route still queued or running, of other changes
    (the source changed since): this plan carries them too; who started it, when, its task."""

    @property
    def changes(self) -> tuple[SettingChange, ...]:
        """What this run changes of the route's settings."""
        return self.settings.changes_from(self.package.route.settings)


def promotion_of(
    item: PromotionRecord, status: str | None, undone: tuple[int, str] | None
) -> Promotion:
    """A stored promotion, with its import's status and rollback."""
    facts = {f.name: getattr(item, f.name) for f in fields(PromotionFacts)}
    return Promotion(
        **facts,
        task_status=status,
        rolled_back_at=undone[0] if undone else None,
        rolled_back_by=undone[1] if undone else None,
        carried=Carried(item.carried) if item.carried else None,
        overrides=Overrides.load(item.overrides),
    )
