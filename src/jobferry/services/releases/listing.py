"""Release packages as ``list_factory_release_packages`` asks for them (filtered, ordered
and paged by storage: ``storage/release_pages.py``), one package as it stands now, and the
plan it keeps."""

from __future__ import annotations

from dataclasses import replace

from jobferry.domain.enums import Role, TaskStatus
from jobferry.domain.releases import DeployStatus
from jobferry.domain.remedies import Remedy
from jobferry.errors import ReleasePackageNotFoundError
from jobferry.services.context import Scope, now_ms
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.plans import PlanStore
from jobferry.services.releases.production import production_scope
from jobferry.services.releases.records import PackageQuery, PackageView, Restored
from jobferry.storage import Database, Tx
from jobferry.storage import ledger as ledger_repo
from jobferry.storage import releases as repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.release_pages import UNQUEUED_MS, PackageFilter
from jobferry.storage.releases import PackageRecord


def package_filter(query: PackageQuery) -> PackageFilter:
    """What storage filters and orders the packages by for ``query``. *Decision:* DataArts
    leaves a cancelled package's ``deploy_status`` as it was (1, waiting for approval) and marks
    it ``delete_flag`` 1; an approver asking for the packages waiting (``deploy_status_filter``
    ``[1]``) means the ones still to decide, so a cancelled package matches no status."""
    return PackageFilter(
        key_word=query.key_word,
        apply_user_names=query.apply_user_names,
        deploy_user_names=query.deploy_user_names,
        statuses=query.statuses,
        cancelled=query.cancelled,
        apply_between=query.apply_between,
        deploy_between=query.deploy_between,
        order_column=query.order_column,
        ascending=query.ascending,
    )


def package_of(tx: Tx, scope: Scope, package_id: int, lock: bool = False) -> PackageRecord:
    """Package ``package_id`` of the scope's workspace (``lock``: its row locked for the
    transaction); refused when there is none."""
    found = repo.get_package(tx, scope.workspace.id, package_id, lock=lock)
    if found is None:
        raise ReleasePackageNotFoundError(
            f"Release package '{package_id}' does not exist in workspace '{scope.workspace.name}'.",
            fix="list_factory_release_packages lists its packages.",
            remedy=Remedy.LIST_RELEASE_PACKAGES,
            package_id=str(package_id),
        )
    return found


def view_of(
    tx: Tx, scope: Scope, package: PackageRecord, items: bool = False, now: int | None = None
) -> PackageView:
    """A package as it stands ``now`` (ms; ``None``: now) (a deploy whose task failed, or was
    never queued, is a failed package, whatever its row says), with its items when asked, and
    the restore that brought its release back after a rollback."""
    status = _status(tx, scope, package, now_ms() if now is None else now)
    found = tuple(repo.package_items(tx, package.id)) if items else ()
    if items and status is not DeployStatus(package.status):
        found = tuple(replace(i, deploy_status=int(status)) for i in found)
    return PackageView(package, status, found, _restored(tx, package))


def _status(tx: Tx, scope: Scope, package: PackageRecord, now: int) -> DeployStatus:
    """The package's state at ``now``: a release whose task failed, or whose import was never
    queued, failed (``storage.release_pages.state_now`` says the same in SQL)."""
    status = DeployStatus(package.status)
    if status is not DeployStatus.RELEASING:
        return status
    if package.task_id is not None:
        production = scope.workspace.production_id or ""
        task = task_repo.get_task(tx, production, package.task_id)
        if task is None or task.status in (TaskStatus.FAILED, TaskStatus.WARNING):
            return DeployStatus.FAILED
        return status
    if (package.deploy_timestamp or 0) < now - UNQUEUED_MS:
        return DeployStatus.FAILED  # its process died before it queued the import
    return status


def _restored(tx: Tx, package: PackageRecord) -> Restored | None:
    """The restore that brought the package's rolled back release back, if one did."""
    if package.rolled_back_at is None:
        return None
    entry = ledger_repo.restore_since_rollback(tx, package.workspace_id, package.id)
    return None if entry is None else Restored(entry.id, entry.deployer, entry.at)


def kept_plan(db: Database, plans: PlanStore, scope: Scope, package_id: int) -> Plan:
    """The plan ``package_id`` keeps (what its deploy applies into production), with its
    first lines; refused (``PlanStaleError``) once it expired with the package's content.

    *Decision:* whoever may read the package (every role of the workspace lists packages and
    their items) may read its plan, a deployer and an operator too, though the kept plans of
    an import are a writer's: a package's plan is its content, what the approver decides on."""
    with db.transaction(readonly=True) as tx:
        production = production_scope(tx, scope, releasing=False)
        found = repo.get_package(tx, scope.workspace.id, package_id)
    if found is None or found.plan_id is None:
        raise ReleasePackageNotFoundError(
            f"Release package '{package_id}' does not exist in workspace "
            f"'{scope.workspace.name}' (or keeps no plan).",
            package_id=str(package_id),
        )
    return plans.plan(replace(production, role=Role.ADMIN), found.plan_id)
