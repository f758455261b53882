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
ties the import's task to the promotion, checked against the task itself. So every guarantee of
a plain import (plan id, atomic import, rollback) holds for a promotion, with no second path.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jobferry.domain.enums import ObjectKind, TaskKind, TaskStatus
from jobferry.domain.routes import Route, RouteEnd, SelectionKind
from jobferry.errors import InvalidRequestError, NotSupportedError, WorkspaceNotFoundError
from jobferry.package.layout import Layout
from jobferry.services.accounts.service import AccountService
from jobferry.services.context import WRITERS, Scope, now_ms
from jobferry.services.definitions.documents import load
from jobferry.services.exporting.options import ExportOptions
from jobferry.services.exporting.package import write_package
from jobferry.services.exporting.selection import add_upstream, ordered, workspace_jobs
from jobferry.services.importing.uploads import PackageSource
from jobferry.services.routes.service import RouteService
from jobferry.services.support.scratch import new_zip
from jobferry.services.workspaces.keys import KeyService
from jobferry.settings import Settings
from jobferry.storage import Database, Tx
from jobferry.storage import accounts as account_repo
from jobferry.storage import folders as folder_repo
from jobferry.storage import routes as repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.exports import JobHead
from jobferry.storage.importing import ledger as ledger_repo
from jobferry.storage.importing import rollbacks as rollback_repo
from jobferry.storage.routes import PromotionRecord

DONE = (TaskStatus.SUCCESSFUL, TaskStatus.WARNING)


@dataclass(frozen=True)
class Promotion:
    """One promotion along a route, with where its import stands."""

    id: str
    route: str
    route_version: int
    snapshot_at: int
    since: int | None
    package_path: str
    package_sha256: str
    jobs: int
    deletions: int
    plan_id: str | None
    task_id: str | None
    task_status: str | None
    rolled_back_at: int | None
    rolled_back_by: str | None
    created_at: int
    created_by: str

    @property
    def applied(self) -> bool:
        """Whether its import succeeded and was not rolled back."""
        return self.task_status in DONE and self.rolled_back_at is None


@dataclass(frozen=True)
class RoutePackage:
    """What ``package`` answers: the promotion (``None`` when nothing changed), where its
    package is, and the import settings the route gives the target's plan."""

    route: Route
    route_version: int
    source: Scope
    target: Scope
    since: int | None
    promotion: Promotion | None
    import_options: dict[str, Any]


def _local(end: RouteEnd, route: Route, what: str) -> str:
    if end.carried or end.workspace is None:
        raise NotSupportedError(
            f"Route '{route.name}': its {what} is carried (on another server); promoting "
            "through carried packages (promote --out / --in) is not served yet: export on the "
            "source side and import the package on the target side."
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

    def package(self, scope: Scope, name: str) -> RoutePackage:
        """The route's package of changes (see the module docstring), kept in the target."""
        saved = self.routes.get(scope, name)
        route = saved.route
        source = self._scope(scope, _local(route.source, route, "source"), route)
        target = self._scope(scope, _local(route.target, route, "target"), route)
        source.require(WRITERS, "export jobs")
        target.require(WRITERS, "import packages")
        since = self._since(scope, name)
        options = route.import_options()
        snapshot = now_ms()
        path = new_zip(self.packages.scratch)
        try:
            jobs, deletions = self._write(source, route, since, path)
            if jobs == 0 and deletions == 0:
                return RoutePackage(route, saved.version, source, target, since, None, options)
            file_name = f"{route.name}_{snapshot}.zip"
            with path.open("rb") as stream:
                kept = self.packages.upload(target, stream, file_name)
        finally:
            path.unlink(missing_ok=True)
        item = PromotionRecord(
            uuid.uuid4().hex,
            scope.actor.project_id,
            name,
            saved.version,
            snapshot,
            since,
            kept.path,
            kept.sha256,
            jobs,
            deletions,
            None,
            None,
            snapshot,
            scope.actor.name,
        )
        with self.db.transaction() as tx:
            repo.insert_promotion(tx, item)
        promotion = _promotion(item, None, None)
        return RoutePackage(route, saved.version, source, target, since, promotion, options)

    def record(self, scope: Scope, name: str, promotion_id: str, task_id: str) -> Promotion:
        """Tie the import of a promotion's package to it: the task must be an import of that
        very package into the route's target."""
        with self.db.transaction() as tx:
            item = repo.promotion(tx, scope.actor.project_id, name, promotion_id)
            if item is None:
                raise InvalidRequestError(
                    f"Route '{name}' has no promotion {promotion_id}; make one with "
                    f"POST /v1/{{project_id}}/routes/{name}/package.",
                    route=name,
                )
            task = self._import_task(tx, scope, name, item, task_id)
            plan_id = load(task.request or "{}").get("planId") or ""
            repo.set_import(tx, promotion_id, str(plan_id), task_id)
            status = task.status
        return _promotion(replace(item, plan_id=str(plan_id), task_id=task_id), status, None)

    def history(self, scope: Scope, name: str, limit: int = 100) -> list[Promotion]:
        """The route's promotions, newest first, with where their imports stand. A package
        that was only planned (``promote`` without ``--apply``, a plan with problems) is no
        promotion: it is kept to tie its import to, but not listed."""
        self.routes.get(scope, name)  # refuses an unknown route
        with self.db.transaction(readonly=True) as tx:
            return self._history(tx, scope, name, limit)

    # -- steps --------------------------------------------------------------------------------

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
            )
        return self.accounts.scope(scope.actor, scope.actor.project_id, found.id)

    def _since(self, scope: Scope, name: str) -> int | None:
        """Since when the next package carries the source's changes (None: the first run)."""
        with self.db.transaction(readonly=True) as tx:
            return carried_until(self._history(tx, scope, name, 1000))

    def _history(self, tx: Tx, scope: Scope, name: str, limit: int) -> list[Promotion]:
        items = repo.imported_promotions(tx, scope.actor.project_id, name, limit)
        out = []
        for item in items:
            status = undone = None
            if item.task_id:
                task = task_repo.task_of_project(tx, scope.actor.project_id, item.task_id)
                status = task.status if task is not None else None
                undone = rollback_repo.rolled_back(tx, item.task_id)
            out.append(_promotion(item, status, undone))
        return out

    def _write(self, source: Scope, route: Route, since: int | None, path: Path) -> tuple[int, int]:
        """Write the package; (jobs, deletions) it holds."""
        with self.db.transaction(readonly=True) as tx:
            heads = self._heads(tx, source, route, since)
            deletions = (
                len(ledger_repo.deletions_since(tx, source.workspace.id, since))
                if since is not None
                else 0
            )
            if not heads and not deletions:
                return 0, 0
            extra: list[dict[str, str]] = []
            if route.selection.with_upstream and heads:
                heads, extra = add_upstream(tx, source, heads)
            selection = ordered(heads, Layout.SINGLE, extra)
            options = ExportOptions(
                export_depend=True,
                with_upstream=route.selection.with_upstream,
                with_manifest=True,
                deletions_since=since,
            )
            whole = since is None and route.selection.kind is SelectionKind.ALL
            signer = self.keys.signer_in(tx, source.workspace.id)
            write_package(tx, source, selection, options, path, signer, inventory=whole)
        return len(selection), deletions

    def _heads(self, tx: Tx, source: Scope, route: Route, since: int | None) -> list[JobHead]:
        heads = workspace_jobs(tx, source, since, self.settings.export_workspace_max_jobs)
        kind, values = route.selection.kind, set(route.selection.values)
        if kind is SelectionKind.NAMES:
            return [h for h in heads if h.name in values]
        if kind is SelectionKind.ALL:
            return heads
        listing = folder_repo.Listing(
            ObjectKind.JOB,
            source.workspace.id,
            tags=tuple(sorted(values)) if kind is SelectionKind.TAGS else (),
        )
        chosen = {
            job
            for job, directory in folder_repo.names_and_directories(tx, listing)
            if kind is SelectionKind.TAGS or _in_folders(directory, values)
        }
        return [h for h in heads if h.name in chosen]

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
                f"Task {task_id} is not an import of route '{name}''s package "
                f"{item.package_path}; import that package (POST /v1/{{project_id}}/jobs/import "
                "with its path and the plan's planId) and record that task.",
                route=name,
                task_id=task_id,
            )
        return task


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


def _in_folders(directory: str, folders: set[str]) -> bool:
    folder = "/" + directory.strip("/")
    return any(
        folder == f or folder.startswith(f.rstrip("/") + "/")
        for f in ("/" + v.strip("/") for v in folders)
    )


def _promotion(
    item: PromotionRecord, status: str | None, undone: tuple[int, str] | None
) -> Promotion:
    return Promotion(
        id=item.id,
        route=item.route,
        route_version=item.route_version,
        snapshot_at=item.snapshot_at,
        since=item.since,
        package_path=item.package_path,
        package_sha256=item.package_sha256,
        jobs=item.jobs,
        deletions=item.deletions,
        plan_id=item.plan_id,
        task_id=item.task_id,
        task_status=status,
        rolled_back_at=undone[0] if undone else None,
        rolled_back_by=undone[1] if undone else None,
        created_at=item.created_at,
        created_by=item.created_by,
    )
