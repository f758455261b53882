"""Promotion along a route: the package of what changed in the source since the route's last
promotion, kept in the target, and the import that took it.

``package`` reads the route's selection from the source workspace — the jobs changed since the
snapshot of the last promotion whose import succeeded and was not rolled back (every selected
job on the first run; earlier when a promotion rolled back left a gap, :func:`carried_until`),
with the scripts and resources they use and, when asked, their upstream
jobs — and the deletions the source made since then. It writes them as a package (signed with
the source's key when it has one), keeps it as an upload of the target workspace and remembers
the promotion. The client then plans that upload with the route's import settings (its own
overrides on top) through the ordinary plan call, and imports exactly that plan; ``record``
ties the import's task to the promotion, checked against the task itself, with what the
import changed of the route's settings (:mod:`.overrides`). So every guarantee of
a plain import (plan id, atomic import, rollback) holds for a promotion, with no second path.

A source that is a remote's shadow (a DataArts workspace) is refreshed from its remote before
its package is cut (:meth:`RoutePromotions._catch_up`): a route from one remote to another
carries what changed there, a job renamed there as a rename, one deleted as a deletion.

A route whose target is on another server is promoted through carried packages
(:mod:`.carried`): ``package`` then cuts what changed since the route's last package carried
out, names the route in its manifest and keeps it in the source's download center (the history
shows it "carried out"); on the target server ``carry_in`` checks the uploaded package and
remembers it as a promotion, which is planned, imported and recorded as any other.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from jobferry.domain.enums import TaskKind
from jobferry.domain.remedies import Remedy
from jobferry.domain.routes import Carried, Route, RouteEnd, package_file_name
from jobferry.errors import InvalidRequestError, WorkspaceNotFoundError
from jobferry.package.routeblock import RouteBlock
from jobferry.services.accounts.service import AccountService
from jobferry.services.context import WRITERS, Scope, now_ms
from jobferry.services.definitions.documents import load
from jobferry.services.downloads import DownloadService
from jobferry.services.importing.delivery import Deliveries, Told
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.uploads import PackageSource
from jobferry.services.remotes.basis import ShadowBasis, snapshot_refresh
from jobferry.services.routes.carried import (
    check_chain,
    check_repeated,
    last_carried_out,
    read_carried,
)
from jobferry.services.routes.cutting import Cut, CutSize, RouteCutter
from jobferry.services.routes.meanwhile import refuse_recorded
from jobferry.services.routes.overrides import overrides_of
from jobferry.services.routes.records import Promotion, RoutePackage, promotion_of
from jobferry.services.routes.resend import carries_all_again
from jobferry.services.routes.service import RouteService, RouteVersion
from jobferry.services.support.scratch import new_zip
from jobferry.services.workspaces.keys import KeyService, signing_trust
from jobferry.settings import Settings
from jobferry.storage import Database, Tx
from jobferry.storage import accounts as account_repo
from jobferry.storage import routes as repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.importing import rollbacks as rollback_repo
from jobferry.storage.routes import PromotionRecord

HISTORY = 1000
"""Promotions read back to find where a route stands (its last package, its chain)."""


def _local(end: RouteEnd, route: Route, what: str) -> str:
    if end.carried or end.workspace is None:
        name = route.name
        raise InvalidRequestError(
            f"Route '{name}': its {what} is on another server.",
            fix=f"Its packages come in with POST /v1/{{project_id}}/routes/{name}/promotions "
            '{"path": "<the uploaded package>"}.',
            remedy=Remedy.CARRY_IN,
            route=name,
        )
    return end.workspace


@dataclass
class RoutePromotions:
    """Packages of routes, and the promotions they went through."""

    db: Database
    settings: Settings
    routes: RouteService
    accounts: AccountService
    packages: PackageSource
    keys: KeyService
    downloads: DownloadService
    deliveries: Deliveries
    cutter: RouteCutter = field(init=False)

    def __post_init__(self) -> None:
        self.cutter = RouteCutter(self.db, self.keys, self.settings.export_workspace_max_jobs)

    def package(
        self,
        scope: Scope,
        name: str,
        full: bool = False,
        out: bool = False,
        said: Told | None = None,
    ) -> RoutePackage:
        """The route's package of changes (see the module docstring), kept in the target; for
        a target on another server, kept in the source's download center (``full``: every
        selected job, whatever was carried out before); ``out`` for a target that is a
        remote's shadow: the package is carried to the remote's side, with its basis
        (:meth:`_carry_to_remote`); ``said``: told how far the source's refresh got."""
        saved = self.routes.get(scope, name)
        route = saved.route
        if route.target.carried:
            return self._carry_out(scope, saved, full)
        source = self._scope(scope, _local(route.source, route, "source"), route)
        target = self._scope(scope, _local(route.target, route, "target"), route)
        if out:
            return self._carry_to_remote(scope, saved, (source, target), full)
        if full:
            raise InvalidRequestError(
                f"Route '{name}' promotes between two workspaces of this server: each package "
                "holds what changed since its last applied promotion; full is only for a route "
                "whose target is carried or a remote's shadow (with out).",
                route=name,
                parameter="full",
            )
        source.require(WRITERS, "export jobs")
        target.require(WRITERS, "import packages")
        self._catch_up(source, said)
        cut = self._cut(scope, route, target)
        since, options = cut.deletions_since, route.import_options()
        snapshot = now_ms()
        path = new_zip(self.packages.scratch)
        try:
            size = self.cutter.write(source, route, cut, path)
            if size.empty:
                return RoutePackage(route, saved.version, source, target, since, None, options)
            file_name = package_file_name(route.name, snapshot)
            with path.open("rb") as stream:
                kept = self.packages.upload(target, stream, file_name)
        finally:
            path.unlink(missing_ok=True)
        made, package = (snapshot, since), (kept.path, kept.sha256, size)
        item = _new_promotion(scope, saved, None, made, package, created_at=snapshot)
        with self.db.transaction() as tx:
            repo.insert_promotion(tx, item)
        promotion = promotion_of(item, None, None)
        return RoutePackage(route, saved.version, source, target, since, promotion, options)

    def record(self, scope: Scope, name: str, promotion_id: str, task_id: str) -> Promotion:
        """Tie the import of a promotion's package to it: the task must be an import of that
        very package into the route's target."""
        with self.db.transaction() as tx:
            item = repo.promotion(tx, scope.actor.project_id, name, promotion_id)
            if item is None:
                raise InvalidRequestError(
                    f"Route '{name}' has no promotion {promotion_id}.",
                    fix=f"Make one with POST /v1/{{project_id}}/routes/{name}/package.",
                    remedy=Remedy.CUT_PACKAGE,
                    route=name,
                )
            task = self._import_task(tx, scope, name, item, task_id)
            refuse_recorded(tx, item, task_id)
            request = load(task.request or "{}")
            plan_id = str(request.get("planId") or "")
            route = self.routes.version_in(tx, scope, name, item.route_version)
            plan = (task.workspace_id, plan_id) if plan_id else None
            asked = ImportRequest.from_stored(request)
            found = overrides_of(tx, route, asked, task.created_by, plan)
            overrides = found.dump() if found is not None else None
            repo.set_import(tx, promotion_id, plan_id, task_id, overrides)
        done = replace(item, plan_id=plan_id, task_id=task_id, overrides=overrides)
        return promotion_of(done, task.status, None)

    def carry_in(self, scope: Scope, name: str, path: str) -> RoutePackage:
        """Take in a package cut for this route on another server (an upload of the route's
        target, ``path``): checked (:mod:`.carried`), remembered as a promotion whose import
        the client then plans and records as for any promotion."""
        saved = self.routes.get(scope, name)
        route = saved.route
        if not route.source.carried:
            raise InvalidRequestError(
                f"Route '{name}' takes its packages from workspace '{route.source.workspace}' "
                "of this server.",
                fix=f"Make them with POST /v1/{{project_id}}/routes/{name}/package.",
                remedy=Remedy.CUT_PACKAGE,
                route=name,
            )
        target = self._scope(scope, _local(route.target, route, "target"), route)
        target.require(WRITERS, "import packages")
        with self.db.transaction(readonly=True) as tx:
            trust = signing_trust(tx, target)
        taken = read_carried(self.packages, target, path, trust, route)
        with self.db.transaction() as tx:
            history = self._history(tx, scope, name, HISTORY)
            check_repeated(route, taken.sha256, history, target.workspace.name)
            check_chain(route, taken.block, history)
            item = _new_promotion(
                scope,
                saved,
                Carried.IN,
                (taken.block.snapshot_at, taken.block.since),
                (path, taken.sha256, taken.size),
            )
            repo.insert_promotion(tx, item)
        return RoutePackage(
            route,
            saved.version,
            None,
            target,
            taken.block.since,
            promotion_of(item, None, None),
            route.import_options(),
            carried_from=taken.block,
        )

    def history(
        self, scope: Scope, name: str, limit: int = 100, offset: int = 0
    ) -> list[Promotion]:
        """The route's promotions, newest first (a page of them), with where their imports
        stand. A package that was only planned (``promote`` without ``--apply``, a plan with
        problems) is no promotion: it is kept to tie its import to, but not listed."""
        self.routes.get(scope, name)  # refuses an unknown route
        with self.db.transaction(readonly=True) as tx:
            return self._history(tx, scope, name, limit, offset)

    def listed(self, scope: Scope, name: str) -> int:
        """How many promotions the route's history lists in all."""
        with self.db.transaction(readonly=True) as tx:
            return repo.count_listed(tx, scope.actor.project_id, name)

    # -- steps --------------------------------------------------------------------------------

    def _carry_out(self, scope: Scope, saved: RouteVersion, full: bool) -> RoutePackage:
        """Cut the route's package for its target on another server into the source's
        download center: what changed since the last package carried out, the deletions
        since (everything the source ever deleted for a full one: the target's ledger
        decides), the route's identity in the manifest."""
        route = saved.route
        source = self._scope(scope, _local(route.source, route, "source"), route)
        source.require(WRITERS, "export jobs")
        self._catch_up(source)
        with self.db.transaction(readonly=True) as tx:
            history = self._history(tx, scope, route.name, HISTORY)
        previous = None if full else last_carried_out(history)
        since = previous.snapshot_at if previous is not None else None
        sha = previous.package_sha256 if previous is not None else None
        ws = source.workspace
        block = RouteBlock(route.name, ws.id, ws.name, now_ms(), since, sha)
        return self._cut_out(scope, saved, source, Cut(since, since or 0, block))

    def _cut_out(self, scope: Scope, saved: RouteVersion, source: Scope, cut: Cut) -> RoutePackage:
        """Write the package ``cut`` names (its route block says when it was cut) into the
        source's download center and remember it as carried out."""
        route, since = saved.route, cut.since
        assert cut.block is not None
        snapshot = cut.block.snapshot_at
        options = route.import_options()
        path = new_zip(self.packages.scratch)
        try:
            size = self.cutter.write(source, route, cut, path)
            if size.empty:
                return RoutePackage(route, saved.version, source, None, since, None, options)
            jobs, deletions = size.jobs, size.deletions
            chosen = {
                "mode": "workspace",
                "route": route.name,
                "since": since,
                "jobs": jobs,
                "deletions": deletions,
                "exportDepend": True,
                "withUpstream": route.selection.with_upstream,
            }
            file_name = package_file_name(route.name, snapshot)
            kept = self.downloads.keep(source, None, file_name, chosen, path)
        finally:
            path.unlink(missing_ok=True)
        item = _new_promotion(
            scope, saved, Carried.OUT, (snapshot, since), (kept.id, kept.sha256, size)
        )
        with self.db.transaction() as tx:
            repo.insert_promotion(tx, item)
        promotion = promotion_of(item, None, None)
        return RoutePackage(
            route, saved.version, source, None, since, promotion, options, download=kept
        )

    def _carry_to_remote(
        self, scope: Scope, saved: RouteVersion, ends: tuple[Scope, Scope], full: bool
    ) -> RoutePackage:
        """Cut the package of a route whose target is a remote's shadow for the remote's side
        (the remote is not reachable from here): what a promotion here would carry (``full``:
        every selected job), with the route's identity and the basis it was planned against
        (the snapshot the shadow was refreshed from, and each object's hash in it), kept in
        the source's download center and remembered as carried out."""
        route, (source, target) = saved.route, ends
        if target.workspace.shadow_of is None:
            raise InvalidRequestError(
                f"Route '{route.name}' ends in workspace '{target.workspace.name}' of this "
                "server: its packages are imported here (jobferry promote "
                f"{route.name} --apply); out is for a route whose target is carried or a "
                "remote's shadow.",
                route=route.name,
                parameter="out",
            )
        source.require(WRITERS, "export jobs")
        target.require(WRITERS, "plan packages against it")
        self._catch_up(source)
        with self.db.transaction(readonly=True) as tx:
            snapshot_refresh(tx, target, route.name)  # refused before anything is cut
        since = None if full else self._cut(scope, route, target).deletions_since
        # No chain on the remote's side: the basis stands in for it (``since`` null).
        block = RouteBlock(route.name, source.workspace.id, source.workspace.name, now_ms(), None)
        basis = ShadowBasis(self.db, target, route.name)
        return self._cut_out(scope, saved, source, Cut(since, since or 0, block, basis))

    def end_of(self, scope: Scope, route: Route, side: str = "target") -> Scope:
        """The route's ``side`` (target or source) workspace here (refused when carried)."""
        return self._scope(scope, _local(getattr(route, side), route, side), route)

    def _catch_up(self, source: Scope, said: Told | None = None) -> None:
        """A source that is a remote's shadow is refreshed from its remote before a package is
        cut from it (as a plan into a shadow is: unless its last refresh is younger than
        ``JOBFERRY_REMOTE_REFRESH_SECONDS`` or came from a carried snapshot), so the package
        holds what changed there, renamed and deleted included."""
        delivery = self.deliveries.of(source.workspace)
        if delivery.stale(source):
            delivery.catch_up(source, said)

    def _scope(self, scope: Scope, workspace: str, route: Route) -> Scope:
        with self.db.transaction(readonly=True) as tx:
            project = scope.actor.project_id
            found = account_repo.find_workspace_by_name(tx, project, workspace)
            if found is None:
                found = account_repo.get_workspace(tx, project, workspace)
        if found is None:
            raise WorkspaceNotFoundError(
                f"Route '{route.name}' names workspace '{workspace}', which no longer exists; "
                f"edit the route (jobferry routes edit {route.name}).",
                workspace=workspace,
                route=route.name,
            )
        return self.accounts.scope(scope.actor, scope.actor.project_id, found.id)

    def _cut(self, scope: Scope, route: Route, target: Scope) -> Cut:
        """The next package between two workspaces here: the jobs changed since the route's
        last applied promotion (every selected job when its profile or selection changed
        since: :mod:`.resend`), with the deletions since."""
        with self.db.transaction(readonly=True) as tx:
            history = self._history(tx, scope, route.name, HISTORY)
            local = [item for item in history if item.carried is None]
            since = carried_until(local)
            last = next((item for item in local if item.applied), None)
            moved = carries_all_again(tx, scope.actor.project_id, target.workspace.id, route, last)
        return Cut(None if moved else since, since, landed_in=target.workspace.id)

    def promotion(self, scope: Scope, name: str, promotion_id: str) -> Promotion | None:
        """One promotion of the route, listed or not (a package only planned included)."""
        self.routes.get(scope, name)  # refuses an unknown route
        with self.db.transaction(readonly=True) as tx:
            item = repo.promotion(tx, scope.actor.project_id, name, promotion_id)
            return None if item is None else self._standing(tx, scope, item)

    def waiting(self, scope: Scope, name: str) -> Promotion | None:
        """The route's newest package when it was made here and is not imported yet (a plan
        not followed by an import, or one whose import is still to be started)."""
        self.routes.get(scope, name)  # refuses an unknown route
        with self.db.transaction(readonly=True) as tx:
            item = repo.newest_promotion(tx, scope.actor.project_id, name)
            if item is None or item.task_id is not None or item.carried is not None:
                return None
            return self._standing(tx, scope, item)

    def _history(
        self, tx: Tx, scope: Scope, name: str, limit: int, offset: int = 0
    ) -> list[Promotion]:
        # two queries, not two a promotion: each plan of a route reads its whole history
        items = repo.listed_promotions(tx, scope.actor.project_id, name, limit, offset)
        tasks = [item.task_id for item in items if item.task_id]
        statuses = task_repo.statuses_of(tx, scope.actor.project_id, tasks)
        undone = rollback_repo.rollbacks_of(tx, tasks)
        return [
            promotion_of(item, statuses.get(item.task_id or ""), undone.get(item.task_id or ""))
            for item in items
        ]

    def _standing(self, tx: Tx, scope: Scope, item: PromotionRecord) -> Promotion:
        """The promotion with where its import stands."""
        status = undone = None
        if item.task_id:
            task = task_repo.task_of_project(tx, scope.actor.project_id, item.task_id)
            status = task.status if task is not None else None
            undone = rollback_repo.rolled_back(tx, item.task_id)
        return promotion_of(item, status, undone)

    def _import_task(
        self, tx: Tx, scope: Scope, name: str, item: PromotionRecord, task_id: str
    ) -> task_repo.TaskRecord:
        task = task_repo.task_of_project(tx, scope.actor.project_id, task_id)
        request = load(task.request or "{}") if task is not None else {}
        if (
            task is None
            or task.project_id != scope.actor.project_id
            or task.kind != TaskKind.IMPORT
            or request.get("dryRun")
            or request.get("path") != item.package_path
        ):
            raise InvalidRequestError(
                f"Task {task_id} is not an import of package {item.package_path} of route "
                f"'{name}'.",
                fix="Import that package (POST /v1/{project_id}/jobs/import with its path and "
                "the plan's planId) and record that task.",
                remedy=Remedy.RECORD_PROMOTION_IMPORT,
                route=name,
                task_id=task_id,
            )
        return task


def _new_promotion(
    scope: Scope,
    saved: RouteVersion,
    carried: Carried | None,
    cut: tuple[int, int | None],
    package: tuple[str, str, CutSize],
    created_at: int | None = None,
) -> PromotionRecord:
    """The row of a new promotion (``carried``: how its package crossed servers, ``None``
    between two workspaces of this one): ``cut`` its (snapshot, since), ``package`` its (path
    or download id, sha256, what it holds), made at ``created_at`` (by default now)."""
    (snapshot, since), (path, sha256, size) = cut, package
    return PromotionRecord(
        id=uuid.uuid4().hex,
        project_id=scope.actor.project_id,
        route=saved.route.name,
        route_version=saved.version,
        snapshot_at=snapshot,
        since=since,
        package_path=path,
        package_sha256=sha256,
        jobs=size.jobs,
        deletions=size.deletions,
        scripts=size.scripts,
        resources=size.resources,
        plan_id=None,
        task_id=None,
        created_at=now_ms() if created_at is None else created_at,
        created_by=scope.actor.name,
        carried=None if carried is None else carried.value,
    )


def carried_until(promotions: Sequence[Promotion]) -> int | None:
    """Since when the next package carries the source's changes: the newest applied
    promotion's snapshot, unless a promotion not applied (rolled back, or its import failed)
    carried changes no later applied one carried again; then from that one's ``since``, so its
    changes travel again. ``None`` (everything, as on the first run): nothing applied yet, or
    the first promotion rolled back.

    With the newest promotion rolled back, that is the snapshot of the one before it. With an
    older one rolled back after later promotions were made (their packages start after its
    snapshot), the newest snapshot would leave its changes out for good: the target would lack
    them while ``promote`` said nothing changed."""
    applied = [p for p in promotions if p.applied]
    if not applied:
        return None
    reached = max(p.snapshot_at for p in applied)
    for missed in promotions:
        if missed.applied or any(_carried_again(p, missed) for p in applied):
            continue
        if missed.since is None:
            return None
        reached = min(reached, missed.since)
    return reached


def _carried_again(later: Promotion, missed: Promotion) -> bool:
    """Whether ``later``'s package carried every change ``missed``'s did."""
    starts_before = later.since is None or (
        missed.since is not None and later.since <= missed.since
    )
    return starts_before and later.snapshot_at >= missed.snapshot_at
