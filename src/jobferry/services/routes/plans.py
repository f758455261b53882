"""Promotion as one use case: plan a route's promotion, then apply exactly that plan.

``plan(route, overrides)`` makes the route's package of what changed in its source (or takes
in the package carried from another server, ``path``), plans it against the route's target
with the route's import settings and the run's overrides on top (``domain.importsettings``),
and keeps the import request it planned with the promotion. ``apply(route, plan_id)`` imports
that package with that request and plan id, and records the import on the promotion (its
task, its plan, what it overrode of the route's settings) in the transaction that queues the
import's task, so an import of a promotion is never without its record.

Where the target's truth lives is the import's business, not the caller's: the target may be
a workspace of this server or a remote's shadow (its delivery plans after a refresh, as a
task, and pushes on apply), the source local or carried; ``jobferry promote``, the API and
the console call these two functions the same way for all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from jobferry.domain.importsettings import ImportSettings, SettingsError
from jobferry.domain.remedies import Remedy
from jobferry.domain.routes import Carried, Route, carried_words
from jobferry.errors import (
    ImportRunningError,
    InvalidRequestError,
    PlanStaleError,
    PromotedMeanwhileError,
)
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import dump, load
from jobferry.services.importing.delivery import PreparedImport, Told
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.service import ImportService
from jobferry.services.routes.approvals import require_route_approvals
from jobferry.services.routes.meanwhile import (
    ImportedMeanwhile,
    ImportUnderWay,
    plan_promoted,
    promoted_meanwhile,
    told_meanwhile,
)
from jobferry.services.routes.overrides import overrides_of
from jobferry.services.routes.promote import RoutePromotions
from jobferry.services.routes.records import Promotion, RoutePackage, RoutePlan
from jobferry.storage import Database, Tx
from jobferry.storage import routes as repo
from jobferry.storage.importing import plans as plan_repo
from jobferry.storage.routes import PromotionRecord


@dataclass(frozen=True)
class Applied:
    """What ``apply`` answers: the import's task (queued) and the promotion it is recorded on."""

    task_id: str
    promotion: Promotion
    prepared: PreparedImport


@dataclass
class RoutePlans:
    """Plan and apply the promotions of routes."""

    db: Database
    promotions: RoutePromotions
    imports: ImportService

    def plan(
        self,
        scope: Scope,
        name: str,
        overrides: Mapping[str, object],
        path: str | None = None,
        said: Told | None = None,
    ) -> RoutePlan:
        """Package what changed in the route's source (``path``: take in the package carried
        to this server for it) and plan it with the route's settings, ``overrides`` (wire keys)
        on top. A large package, or a target to bring up to date first, is planned by a task
        (``RoutePlan.planning_task``). Bad overrides are refused before anything is made.
        ``said``: told how far it got (a source's refresh, then the plan: at 100)."""
        route = self.promotions.routes.get(scope, name).route
        _overridden(route.settings, overrides, name)
        if path is not None:
            made = self.promotions.carry_in(scope, name, path)
        else:
            made = self.promotions.package(scope, name, said=said)
        settings = _overridden(made.route.settings, overrides, name)
        if made.promotion is None or made.target is None:
            return RoutePlan(made, settings, None, None)
        if said is not None:
            into = made.target.workspace.name
            said(100, f"Planning the package into workspace '{into}'.", False)
        request = ImportRequest(made.promotion.package_path).with_settings(settings)
        return self._planned(made, request)

    def check(self, scope: Scope, name: str, overrides: Mapping[str, object]) -> Scope:
        """What ``plan`` refuses before it makes anything (an unknown route, bad
        ``overrides``, an end that no longer exists); the workspace the promotion is planned
        in: the route's target, or its source when the target is on another server."""
        route = self.promotions.routes.get(scope, name).route
        _overridden(route.settings, overrides, name)
        side = "source" if route.target.carried else "target"
        return self.promotions.end_of(scope, route, side)

    def replan(
        self, scope: Scope, name: str, promotion_id: str, request: ImportRequest
    ) -> RoutePlan:
        """Plan a promotion's package again with the whole import ``request`` (the console's
        wizard: options changed, names mapped); its apply then imports with that request."""
        found = self.promotions.promotion(scope, name, promotion_id)
        if found is None or found.task_id is not None or found.carried is Carried.OUT:
            raise _not_waiting(name)
        if request.path != found.package_path:
            raise InvalidRequestError(
                f"Promotion {promotion_id} of route '{name}' imports {found.package_path}, not "
                f"{request.path}; plan that package.",
                route=name,
            )
        route = self.promotions.routes.get(scope, name, found.route_version).route
        target = self.promotions.end_of(scope, route)
        made = RoutePackage(
            route, found.route_version, None, target, found.since, found, route.import_options()
        )
        return self._planned(made, request)

    def _planned(self, made: RoutePackage, request: ImportRequest) -> RoutePlan:
        """Plan ``made``'s package into its target with ``request``, kept with the promotion."""
        assert made.promotion is not None
        assert made.target is not None
        with self.db.transaction() as tx:
            repo.set_request(tx, made.promotion.id, dump(request.to_wire()))
        outcome = self.imports.plan(made.target, request)
        kept_until = now_ms() + self.imports.settings.download_ttl_seconds * 1000
        with self.db.transaction(readonly=True) as tx:
            told = told_meanwhile(tx, made.target.actor.project_id, made.promotion)
        if isinstance(outcome, PreparedImport):
            return RoutePlan(made, request.settings, None, outcome.task_id, kept_until, *told)
        return RoutePlan(made, request.settings, outcome, None, kept_until, *told)

    def apply(self, scope: Scope, name: str, plan_id: str) -> Applied:
        """Import the route's planned promotion with plan ``plan_id`` (refused unless it is the
        plan of that promotion's package and request), recorded on the promotion in the
        transaction that queues the import."""
        item, route, target, request, _ = self._planned_as(scope, name, plan_id)
        with self.db.transaction(readonly=True) as tx:
            meanwhile = promoted_meanwhile(tx, item.project_id, item)
        if meanwhile is not None:
            raise meanwhile.refusal()

        def note(tx: Tx, task_id: str) -> None:
            # In the transaction that queues the import: an approval revoked before it
            # commits refuses the import, one revoked after it is too late for this one;
            # the same changes promoted meanwhile by another run refuse it too.
            require_route_approvals(tx, target, route, plan_id)
            now = repo.promotion(tx, scope.actor.project_id, name, item.id)
            if now is None or now.task_id is not None:
                taken = plan_promoted(tx, item.project_id, name, item.package_sha256)
                raise taken or InvalidRequestError(
                    f"Promotion {item.id} of route '{name}' was imported meanwhile (task "
                    f"{now.task_id if now else '?'}); promote it again to import what changed "
                    "since.",
                    route=name,
                )
            meanwhile = promoted_meanwhile(tx, now.project_id, now)
            if meanwhile is not None:
                raise meanwhile.refusal()
            found = overrides_of(
                tx, route, request, scope.actor.name, (target.workspace.id, plan_id)
            )
            overrides = found.dump() if found is not None else None
            repo.set_import(tx, item.id, plan_id, task_id, overrides)

        title = (
            f"Promote along route {name}: "
            f"{carried_words(item.jobs, item.deletions, item.scripts, item.resources)} "
            f"(package {item.package_sha256[:12]})."
        )
        try:
            prepared = self.imports.prepare(target, request, note, title=title)
        except ImportRunningError:
            # Two applies at the same moment: the other one's import took the lock before this
            # one read it recorded; it is the same changes when it imports the same package.
            with self.db.transaction(readonly=True) as tx:
                taken = plan_promoted(tx, item.project_id, name, item.package_sha256)
            if taken is None:
                raise
            raise taken from None
        standing = self.promotions.promotion(scope, name, item.id)
        assert standing is not None
        return Applied(prepared.task_id, standing, prepared)

    def _taken(self, scope: Scope, name: str, plan_id: str) -> PromotedMeanwhileError | None:
        """With no promotion waiting: the import that took plan ``plan_id``'s package (this
        plan applied twice, or another run's apply took the promotion it planned)."""
        with self.db.transaction(readonly=True) as tx:
            item = repo.newest_promotion(tx, scope.actor.project_id, name)
        if item is None or item.carried == Carried.OUT.value:
            return None
        route = self.promotions.routes.get(scope, name, item.route_version).route
        target = self.promotions.end_of(scope, route)
        with self.db.transaction(readonly=True) as tx:
            stored = plan_repo.get_plan(tx, target.workspace.id, plan_id)
            if stored is None:
                return None
            return plan_promoted(tx, item.project_id, name, stored.package_sha256)

    def meanwhile(
        self, scope: Scope, name: str, promotion_id: str
    ) -> tuple[ImportedMeanwhile | None, ImportUnderWay | None]:
        """Another run's import of the same changes as the route's promotion ``promotion_id``
        (queued, running or done since it was cut): what its plan's page says instead of
        offering an import that would be refused; else another run's import along the route
        still under way, which its page says before its Import (``None``: none)."""
        with self.db.transaction(readonly=True) as tx:
            item = repo.promotion(tx, scope.actor.project_id, name, promotion_id)
            if item is None or item.task_id is not None:
                return None, None
            return told_meanwhile(tx, item.project_id, item)

    def kept(self, scope: Scope, name: str, plan_id: str) -> RoutePlan:
        """The route's promotion waiting for its import, planned as plan ``plan_id`` (what
        its approvers signed, and what ``apply`` imports as it is), answered as ``plan``
        answered it; refused as ``apply`` refuses a plan that is not that promotion's."""
        item, route, target, request, created = self._planned_as(scope, name, plan_id)
        promotion = self.promotions.promotion(scope, name, item.id)
        source = None if route.source.carried else self.promotions.end_of(scope, route, "source")
        made = RoutePackage(
            route, item.route_version, source, target, item.since, promotion, route.import_options()
        )
        plan = self.imports.plans.plan(target, plan_id)
        kept_until = created + self.imports.settings.download_ttl_seconds * 1000
        with self.db.transaction(readonly=True) as tx:
            told = told_meanwhile(tx, item.project_id, item)
        return RoutePlan(made, request.settings, plan, None, kept_until, *told)

    def waiting_plan(
        self,
        scope: Scope,
        name: str,
        *,
        importable: bool = False,
        promotion: str | None = None,
    ) -> str | None:
        """The newest plan of the route's promotion waiting for its import (what its approvers
        sign and ``apply`` imports); ``None`` when none waits or it was not planned yet (or,
        ``importable``, when that plan lists problems to fix first; or, ``promotion`` named,
        when the one waiting is another)."""
        waiting = self._waiting(scope, name)
        if waiting is None:
            return None
        item, _, target, request = waiting
        if promotion is not None and item.id != promotion:
            return None
        fingerprint = request.settled(target).fingerprint()
        with self.db.transaction(readonly=True) as tx:
            plan_id = plan_repo.newest_plan_id(
                tx, target.workspace.id, item.package_sha256, fingerprint
            )
        if plan_id is None or not importable:
            return plan_id
        return None if self.imports.plans.plan(target, plan_id).summary.problems else plan_id

    def _waiting(
        self, scope: Scope, name: str
    ) -> tuple[PromotionRecord, Route, Scope, ImportRequest] | None:
        """The route's promotion waiting for its import once planned: the promotion, the
        route's version it was cut by, its target and the import request it was planned with
        (``None`` when none waits)."""
        with self.db.transaction(readonly=True) as tx:
            item = repo.newest_promotion(tx, scope.actor.project_id, name)
        if item is None or item.task_id is not None or item.request is None:
            return None
        route = self.promotions.routes.get(scope, name, item.route_version).route
        target = self.promotions.end_of(scope, route)
        return item, route, target, ImportRequest.from_stored(load(item.request))

    def _planned_as(
        self, scope: Scope, name: str, plan_id: str
    ) -> tuple[PromotionRecord, Route, Scope, ImportRequest, int]:
        """:meth:`_waiting`, its request planned as plan ``plan_id``, and when that plan was
        made (ms); refused when the route is unknown, no promotion waits (another import took
        it meanwhile, or none was planned) or ``plan_id`` is not that promotion's plan."""
        self.promotions.routes.get(scope, name)  # refuses an unknown route
        waiting = self._waiting(scope, name)
        if waiting is None:
            raise self._taken(scope, name, plan_id) or _not_waiting(name)
        item, route, target, planned = waiting
        request = replace(planned, plan_id=plan_id)
        return item, route, target, request, self._check_plan(target, item, request)

    def _check_plan(self, target: Scope, item: PromotionRecord, request: ImportRequest) -> int:
        """Refuse a plan id that is not a plan of this promotion's package and request, or one
        past its keptUntil; when it was made (ms)."""
        assert request.plan_id is not None
        with self.db.transaction(readonly=True) as tx:
            stored = plan_repo.get_plan(tx, target.workspace.id, request.plan_id)
        settled = request.settled(target)
        if (
            stored is None
            or stored.package_sha256 != item.package_sha256
            or stored.request_sha256 != settled.fingerprint()
        ):
            raise _plan_again(
                item,
                request.plan_id,
                f"Plan {request.plan_id} is not the plan of promotion {item.id} of route "
                f"'{item.route}' (its package and settings) in workspace "
                f"'{target.workspace.name}'.",
            )
        kept_until = stored.created_at + self.imports.settings.download_ttl_seconds * 1000
        if kept_until <= now_ms():
            raise _plan_again(
                item,
                request.plan_id,
                f"Plan {request.plan_id} of route '{item.route}' expired: it was kept until "
                f"{kept_until} (keptUntil, epoch ms; the package TTL after it was made).",
                kept_until=kept_until,
            )
        return stored.created_at


def _plan_again(
    item: PromotionRecord, plan_id: str, problem: str, **context: object
) -> PlanStaleError:
    """The refusal of plan ``plan_id`` for the waiting promotion ``item``: plan the route
    again and apply the plan id that answers."""
    return PlanStaleError(
        problem,
        fix=f"Plan it again (POST /v1/{{project_id}}/routes/{item.route}/plans) and apply the "
        "plan id it answers.",
        remedy=Remedy.PLAN_AGAIN,
        plan_id=plan_id,
        route=item.route,
        **context,
    )


def _overridden(
    settings: ImportSettings, overrides: Mapping[str, object], name: str
) -> ImportSettings:
    try:
        return settings.overridden(overrides)
    except SettingsError as exc:
        raise InvalidRequestError(
            f"Route '{name}': this run's settings are invalid: {'; '.join(exc.problems)}; "
            "nothing was packaged.",
            route=name,
            problems=exc.problems,
        ) from exc


def _not_waiting(name: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Route '{name}' has no planned promotion waiting for its import.",
        fix=f"Plan one with POST /v1/{{project_id}}/routes/{name}/plans and apply the plan id "
        "it answers.",
        remedy=Remedy.CUT_PACKAGE,
        route=name,
    )
