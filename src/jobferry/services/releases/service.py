"""Release packages: made from pending items (their content frozen in a package file and a
kept plan of production), listed, shown, deployed through the import of that kept plan into
the production side, or cancelled.

*Decision:* a package is a package file, written when the package is made from the items'
submitted versions (and the deletions they carry), kept as an upload of the production side,
planned there at once and the plan kept: its content cannot move after, whatever the
developers submit next. A deploy is the import of that file naming that plan (an ATOMIC
import, a system task, refused when production's fingerprint moved); what production held of
each object the package touches is recorded too, so a deploy refused for a change names the
objects, and ``replan`` plans the same file again against production as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import (
    DriftPolicy,
    ImportMode,
    ObjectKind,
    Role,
    SameNamePolicy,
    SchedulingPolicy,
)
from jobferry.domain.releases import (
    CANCEL_ROLES,
    DeployStatus,
)
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    InvalidRequestError,
    ObsReadError,
    PackageReleasedError,
)
from jobferry.services.accounts.service import AccountService
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import WRITERS, Scope, now_ms
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.service import ImportService
from jobferry.services.policies.gate import breaches
from jobferry.services.releases import freezing
from jobferry.services.releases.checks import (
    CANCEL_ACTION,
    may_deploy,
    not_waiting,
    package_problems,
    plan_refused,
    policy_refused,
    refused,
    request_refused,
)
from jobferry.services.releases.deployed import tell_waiting
from jobferry.services.releases.freezing import refuse_changed, write_items
from jobferry.services.releases.listing import package_filter, package_of, view_of
from jobferry.services.releases.pending import released_since
from jobferry.services.releases.production import (
    enable_enterprise,
    parse_workspace_update,
    production_scope,
)
from jobferry.services.releases.records import (
    CreatedPackage,
    Deployed,
    DeployRequest,
    PackageQuery,
    PackageRequest,
    PackageView,
)
from jobferry.services.releases.scheduling import refuse_never_running, refuse_rescheduled
from jobferry.services.releases.signatures import require_approvals
from jobferry.services.support.scratch import new_zip
from jobferry.storage import Database, Tx
from jobferry.storage import production as sides
from jobferry.storage import profiles as profile_repo
from jobferry.storage import release_pages as pages_repo
from jobferry.storage import releases as repo
from jobferry.storage.importing import target as target_repo
from jobferry.storage.records import WorkspaceRecord
from jobferry.storage.releases import ItemFilter, ItemRecord, PackageRecord

RELEASE_PROFILE = "release"
"""The production side's profile a release plans with, when the side has one."""
_BY_NAME = {
    ObjectKind.JOB.value: target_repo.target_jobs,
    ObjectKind.SCRIPT.value: target_repo.target_scripts,
}


def _kind_name(item: ItemRecord) -> str:
    return f"{item.kind}/{item.name}"


@dataclass
class ReleaseService:
    """The release calls of an enterprise workspace."""

    db: Database
    imports: ImportService
    accounts: AccountService
    """Its cached scopes are forgotten when a workspace changes mode."""

    # -- mode --------------------------------------------------------------------------------

    def update_workspace(self, scope: Scope, body: dict[str, Any]) -> None:
        """``update_work_space_old``: switch the workspace to enterprise mode (``mode`` "1",
        workspace admins), creating its production side; nothing else is changed here."""
        enterprise = parse_workspace_update(body, scope.workspace)
        if enterprise:
            self.switch_to_enterprise(scope)
        else:
            scope.require((Role.ADMIN,), "change the workspace")

    def switch_to_enterprise(self, scope: Scope) -> WorkspaceRecord:
        """Switch the workspace to enterprise mode (workspace admins), creating its production
        side; there is no way back. A workspace in enterprise mode already is left as it is."""
        with self.db.transaction() as tx:
            switched = enable_enterprise(tx, scope)
        self.accounts.forget_scopes()
        return switched

    # -- pending items ---------------------------------------------------------------------

    def pending(
        self, scope: Scope, where: ItemFilter, limit: int, page: int
    ) -> tuple[int, list[ItemRecord]]:
        """The workspace's pending items not in a package, newest first: (total, a page;
        ``page`` counts pages of ``limit``, as DataArts' ``offset`` does)."""
        with self.db.transaction(readonly=True) as tx:
            production_scope(tx, scope, releasing=False)
            return repo.list_items(tx, scope.workspace.id, where, limit, page * limit)

    # -- packages: create --------------------------------------------------------------------

    def create(self, scope: Scope, request: PackageRequest, shape: list[str]) -> CreatedPackage:
        """A package of pending items, its content frozen and planned into production;
        refused (``DLF.3051``) naming every problem at once: the body's ``shape`` problems,
        the rules' and the plan's."""
        scope.require(WRITERS, "package pending items")
        with self.db.transaction(readonly=True) as tx:
            production = production_scope(tx, scope, releasing=True)
            problems = list(shape)
            items, approvers = package_problems(tx, scope, request, problems)
        if problems:
            raise request_refused(scope, problems)
        path = new_zip(self.imports.scratch)
        try:
            with self.db.transaction() as tx:
                sides.mirror_production_environment(tx, scope.workspace.id, production.workspace.id)
            with self.db.transaction(readonly=True) as tx:
                write_items(tx, scope, items, path)
            with path.open("rb") as stream:
                kept = self.imports.upload(production, stream, f"{request.package_name}.zip")
        finally:
            path.unlink(missing_ok=True)
        plan = self._planned(scope, production, kept.path, request.package_name)
        with self.db.transaction() as tx:
            basis = freezing.basis(tx, production.workspace.id, items)
            package_id = repo.insert_package(
                tx,
                {
                    "workspace_id": scope.workspace.id,
                    "name": request.package_name,
                    "status": int(DeployStatus.PENDING),
                    "apply_user_id": request.apply_user_id,
                    "apply_user_name": scope.actor.name,
                    "apply_timestamp": now_ms(),
                    "approvers": json.dumps(approvers),
                    "delete_flag": 0,
                    "path": kept.path,
                    "sha256": kept.sha256,
                    "plan_id": plan.plan_id,
                    "basis": json.dumps(basis),
                },
            )
            for item in items:
                if repo.open_item(tx, scope.workspace.id, item.kind, item.uid) is None:
                    raise refused(scope, [f"pending item {item.id} was packaged meanwhile"])
            repo.set_items_package(tx, [i.id for i in items], package_id, int(DeployStatus.PENDING))
            audit_in_scope(
                tx, scope, "release.package", "package", request.package_name, {"id": package_id}
            )
        return CreatedPackage(package_id, request.package_name, plan.plan_id)

    def _planned(
        self, scope: Scope, production: Scope, path: str, name: str, *, again: bool = False
    ) -> Plan:
        """The plan of release package ``name`` (its file: ``path``) on ``production``;
        refused with its problems, each said of the package (``again``: planned again)."""
        plan = self.imports.plan(production, self.import_request(production, path))
        assert isinstance(plan, Plan)  # at most 100 items: planned at once
        if plan.problems:
            raise plan_refused(scope, plan.problems, name, again=again)
        return plan

    def import_request(
        self, production: Scope, path: str, plan_id: str | None = None
    ) -> ImportRequest:
        """The import a release is: the package's objects overwrite production's, deletions
        propagate, scheduled jobs are paused and restored around their write."""
        with self.db.transaction(readonly=True) as tx:
            return self._import_request(tx, production, path, plan_id)

    @staticmethod
    def _import_request(
        tx: Tx, production: Scope, path: str, plan_id: str | None = None
    ) -> ImportRequest:
        """:meth:`import_request`, read in ``tx``."""
        profile = profile_repo.PROFILES.get(tx, production.workspace.id, RELEASE_PROFILE)
        return ImportRequest(
            path=path,
            same_name_policy=SameNamePolicy.OVERWRITE,
            mode=ImportMode.ATOMIC,
            profile=RELEASE_PROFILE if profile is not None else None,
            propagate_deletes=True,
            on_drift=DriftPolicy.TAKE_PACKAGE,
            scheduling=SchedulingPolicy.PAUSE_AND_RESTORE,
            plan_id=plan_id,
            dry_run=plan_id is None,
        )

    # -- packages: read ----------------------------------------------------------------------

    def packages(self, scope: Scope, query: PackageQuery) -> tuple[int, list[PackageView]]:
        """The enterprise workspace's packages ``query`` selects, with their state now:
        (total, the page asked)."""
        now, production = now_ms(), scope.workspace.production_id or ""
        page = (query.limit, query.page * query.limit)
        with self.db.transaction(readonly=True) as tx:
            production_scope(tx, scope, releasing=False)
            total, found = pages_repo.package_page(
                tx, scope.workspace.id, production, package_filter(query), page, now
            )
            return total, [view_of(tx, scope, p, now=now) for p in found]

    def show(self, scope: Scope, package_id: int) -> PackageView:
        """A package with its items."""
        with self.db.transaction(readonly=True) as tx:
            production_scope(tx, scope, releasing=False)
            found = package_of(tx, scope, package_id)
            return view_of(tx, scope, found, items=True)

    # -- packages: deploy, cancel, re-plan ---------------------------------------------------

    def deploy(self, scope: Scope, request: DeployRequest) -> list[Deployed]:
        """Start releasing the packages: each becomes the import of its kept plan into
        production, a system task; refused for a package not waiting, or whose production
        objects changed since it was planned (named)."""
        if len(request.package_ids) > 1:
            raise InvalidRequestError(
                f"{len(request.package_ids)} release packages are named; releases into one "
                "production side run one at a time here, so deploy one package a call and the "
                "next once its task ended.",
                parameter="package_ids",
            )
        with self.db.transaction() as tx:
            production = production_scope(tx, scope, releasing=True)
            # Locked as a cancel locks it: of a deploy and a cancel at once, the second reads
            # what the first did, and its refusal says so.
            found = package_of(tx, scope, request.package_ids[0], lock=True)
            package = view_of(tx, scope, found)
            may_deploy(tx, scope, package)
            self._require_content(production, package.record)
            refuse_changed(tx, package.record, production)
            refuse_rescheduled(tx, package.record, production.workspace.id)
            items = repo.package_items(tx, package.record.id)
            refuse_never_running(tx, package.record, items, request.startup_mode)
            asked = self._import_request(
                tx, production, package.record.path or "", package.record.plan_id
            )
            broken = breaches(tx, production, asked)
            if broken:
                raise policy_refused(package.record, broken)
            require_approvals(tx, scope, package.record)
            # Marked releasing (by whom, how) before the import is queued: its end, in
            # another thread or process, finds the package by its plan and reads how to start.
            self._claim(
                tx,
                scope,
                package,
                {
                    "status": int(DeployStatus.RELEASING),
                    "task_id": None,
                    "deploy_user_id": str(scope.actor.user_id),
                    "deploy_user_name": scope.actor.name,
                    "deploy_timestamp": now_ms(),
                    "startup_mode": int(request.startup_mode),
                },
            )
            repo.set_items_package(
                tx, [i.id for i in items], package.record.id, int(DeployStatus.RELEASING)
            )
        record = package.record
        assert record.path is not None
        try:
            job = self.imports.prepare(
                production, self.import_request(production, record.path, record.plan_id)
            )
        except BaseException:
            with self.db.transaction() as tx:
                back: dict[str, object] = {
                    "status": record.status,
                    "task_id": record.task_id,
                    "deploy_user_id": record.deploy_user_id,
                    "deploy_user_name": record.deploy_user_name,
                    "deploy_timestamp": record.deploy_timestamp,
                    "startup_mode": record.startup_mode,
                }
                repo.claim_package(tx, record.id, (DeployStatus.RELEASING,), back, None)
                repo.set_items_package(tx, [i.id for i in items], record.id, record.status)
            raise
        with self.db.transaction() as tx:
            repo.claim_package(
                tx, record.id, (DeployStatus.RELEASING,), {"task_id": job.task_id}, None
            )
            audit_in_scope(
                tx,
                scope,
                "release.deploy",
                "package",
                record.name,
                {"id": record.id, "taskId": job.task_id},
            )
        return [Deployed(package.record.id, job.task_id, len(items))]

    def _require_content(self, production: Scope, record: PackageRecord) -> None:
        """Refuse a package whose frozen content (its file, kept as an upload of the
        production side) expired."""
        try:
            self.imports.packages.check_path(production, record.path or "")
        except ObsReadError as exc:
            raise InvalidRequestError(
                f"Release package '{record.id}' can no longer be deployed: its frozen content "
                "expired (packages are kept JOBFERRY_DOWNLOAD_TTL_SECONDS, 3 days by default).",
                fix="Cancel it (cancel_factory_packages) and package its items again.",
                remedy=Remedy.PACKAGE_AGAIN,
                package_id=str(record.id),
            ) from exc

    @staticmethod
    def _claim(tx: Tx, scope: Scope, package: PackageView, values: dict[str, object]) -> None:
        """Take the package for a deploy, unless another deploy took it meanwhile."""
        record = package.record
        # A failed package may still read releasing in its row (its task failed): the state
        # and task as they were read are what must not have moved.
        states = (DeployStatus.PENDING, DeployStatus.FAILED, DeployStatus.RELEASING)
        if not repo.claim_package(tx, record.id, states, values, record.task_id):
            now = view_of(tx, scope, package_of(tx, scope, record.id))
            said = not_waiting(tx, scope, now, "deployed")  # cancelled, or deployed, meanwhile
            if said is not None:
                raise said
            raise PackageReleasedError(
                f"Release package '{record.id}' was deployed by someone else meanwhile.",
                fix="Follow it with show_factory_package_detail.",
                remedy=Remedy.SHOW_RELEASE_PACKAGE,
                package_id=str(record.id),
            )

    def replan(self, scope: Scope, package_id: int) -> PackageView:
        """Plan a package's frozen content again against production as it is now (a package
        waiting, or whose release failed); its new plan is what a deploy applies. A failed
        deploy's deployer, time and task stay named: its last attempt (``failed_deploy``)."""
        with self.db.transaction(readonly=True) as tx:
            production = production_scope(tx, scope, releasing=True)
            package = view_of(tx, scope, package_of(tx, scope, package_id))
            items = repo.package_items(tx, package_id)
            may_deploy(tx, scope, package)
        self._require_content(production, package.record)
        assert package.record.path is not None
        with self.db.transaction() as tx:
            sides.mirror_production_environment(tx, scope.workspace.id, production.workspace.id)
        plan = self._planned(
            scope, production, package.record.path, package.record.name, again=True
        )
        with self.db.transaction() as tx:
            # Planned outside any transaction: a deploy (or a cancel) taken meanwhile keeps
            # the plan its import applies, and this one is refused saying so.
            now = view_of(tx, scope, package_of(tx, scope, package_id, lock=True))
            refusal = not_waiting(tx, scope, now, "planned again")
            if refusal is not None:
                raise refusal
            basis = freezing.basis(tx, production.workspace.id, items)
            repo.update_package(
                tx,
                package_id,
                {
                    "plan_id": plan.plan_id,
                    "basis": json.dumps(basis),
                    "status": int(DeployStatus.PENDING),
                },
            )
            repo.set_items_package(tx, [i.id for i in items], package_id, int(DeployStatus.PENDING))
            audit_in_scope(tx, scope, "release.replan", "package", package.record.name)
        return self.show(scope, package_id)

    def cancel(self, scope: Scope, package_ids: tuple[int, ...]) -> None:
        """Cancel (revoke) packages not released: each item is pending again, unless the
        object has a newer pending item; refused whole when one is released or unknown."""
        scope.require(CANCEL_ROLES, "cancel release packages")
        with self.db.transaction() as tx:
            production_scope(tx, scope, releasing=False)
            views = [
                view_of(tx, scope, package_of(tx, scope, pid, lock=True)) for pid in package_ids
            ]
            for view in views:
                refusal = not_waiting(tx, scope, view, "cancelled")
                if refusal is not None:
                    raise refusal
            for view in views:
                repo.update_package(tx, view.record.id, {"delete_flag": 1})
                again: list[tuple[str, str]] = []
                for item in repo.package_items(tx, view.record.id):
                    if released_since(tx, scope, item):
                        continue
                    if repo.open_item(tx, scope.workspace.id, item.kind, item.uid) is None:
                        values = {
                            k: v
                            for k, v in item.__dict__.items()
                            if k not in ("id", "package_id", "deploy_status", "start_job_status")
                        }
                        repo.insert_item(tx, values)
                        again.append((item.kind, item.uid))
                # A rollback or restore while it waited may have moved production's version
                # of its objects, which the items inside it did not follow.
                tell_waiting(tx, scope.workspace.id, again)
                audit_in_scope(
                    tx, scope, CANCEL_ACTION, "package", view.record.name, {"id": view.record.id}
                )
