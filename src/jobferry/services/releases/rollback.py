"""Rolling back the last release of a production side: the rollback of the import that
released it (one transaction, refused naming every object changed since), with the jobs the
release started stopped again first, the package marked rolled back, its items' deployed
versions reset and a ledger entry, all in that transaction.

*Decision:* only the newest entry of the ledger can be rolled back, and only a release (not a
rollback or a restore): production is then back to exactly what it held before, which the
import rollback proves object by object. An earlier state is reached with a restore instead.
DataArts' ``deploy_status`` has no value for it (the SDK's models know 1, 2, 3 and 5), so a
rolled back package stays released (2) there and says so in jobferry's own ``rolled_back``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import JobStatus, Role, RollbackRule
from jobferry.domain.releases import DEPLOY_ROLES, UpdateType
from jobferry.domain.remedies import Remedy
from jobferry.errors import ReleasePackageNotFoundError, RollbackRefusedError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.importing.delivery import RolledBack
from jobferry.services.importing.expiry import kept_then_dropped, utc_minute
from jobferry.services.importing.rollback import Beside, RollbackService
from jobferry.services.releases import ledger
from jobferry.services.releases.deployed import tell_waiting
from jobferry.services.releases.listing import package_of
from jobferry.services.releases.production import production_scope
from jobferry.services.releases.restore import named
from jobferry.services.releases.scheduling import refuse_hand_scheduled
from jobferry.services.tasks import ClaimedTask, QueuedTask
from jobferry.storage import Database, Tx
from jobferry.storage import accounts as account_repo
from jobferry.storage import jobs as job_repo
from jobferry.storage import ledger as ledger_repo
from jobferry.storage import releases as repo
from jobferry.storage.importing import expiry as expiry_repo
from jobferry.storage.ledger import EntryRecord
from jobferry.storage.releases import ItemRecord, PackageRecord


@dataclass(frozen=True)
class RolledBackRelease:
    """A release rolled back: its package, the ledger entry saying so, what was undone."""

    package_id: int | None
    """``None``: a signed release taken in from another server (it has no package here)."""
    package_name: str
    entry_id: int
    undone: RolledBack
    """The import that released it, rolled back."""

    def as_result(self) -> dict[str, Any]:
        """What a release rollback task keeps as its result: the import rollback's (the import,
        what was undone) with the package and the ledger entry written."""
        undone = self.undone.as_result()
        package = str(self.package_id) if self.package_id is not None else None
        return {
            **undone,
            "packageId": package,
            "packageName": self.package_name,
            "entryId": self.entry_id,
        }


def _refused(message: str, package_id: int | None, rule: RollbackRule) -> RollbackRefusedError:
    return RollbackRefusedError(
        message,
        rule=rule,
        fix="Read the release ledger (GET /v2/{project_id}/factory/release-ledger): roll back "
        "its last release, or restore an earlier one (POST /v2/{project_id}/factory/"
        "release-packages/{package_id}/restore).",
        remedy=Remedy.READ_RELEASE_LEDGER,
        package_id=str(package_id) if package_id is not None else None,
    )


def last_release(tx: Tx, scope: Scope, package_id: int | None) -> EntryRecord:
    """The ledger entry a rollback undoes: the newest, a release of ``package_id`` when one is
    named; refused saying why otherwise."""
    ws = scope.workspace
    last = ledger_repo.last_entry(tx, ws.id)
    if package_id is not None:
        package_of(tx, scope, package_id)  # refused when there is none
    if last is None:
        raise _refused(
            f"Workspace '{ws.name}' has released nothing to roll back.",
            package_id,
            RollbackRule.NOTHING,
        )
    if last.action == ledger.ROLLBACK and package_id is not None and last.package_id == package_id:
        raise _refused(
            f"The release of package '{package_id}' ({last.package_name}) was rolled back "
            f"already, by {last.deployer} on {utc_minute(last.at)} (ledger entry {last.id}, "
            f"undoing entry {last.target_entry}): production holds what it held before that "
            "release, and nothing was rolled back now. To bring the release back, restore "
            "production to it.",
            package_id,
            RollbackRule.ROLLED_BACK,
        )
    if not ledger.a_release(last):
        raise _refused(
            f"The last change of the production side of workspace '{ws.name}' is "
            f"{_change(last)}, not a release; only the last release can be rolled back. "
            "Restore the release you want production to hold instead.",
            package_id,
            RollbackRule.NOT_LAST,
        )
    if package_id is not None and last.package_id != package_id:
        after = (
            f"package '{last.package_id}' ({last.package_name})"
            if last.package_id is not None
            else f"the signed release '{last.package_name}' taken in"
        )
        raise _refused(
            f"Release package '{package_id}' is not the last release of workspace "
            f"'{ws.name}': {after} was released after it; roll that back first, or restore "
            "the release you want production to hold.",
            package_id,
            RollbackRule.NOT_LAST,
        )
    return last


def _change(entry: EntryRecord) -> str:
    """A ledger entry that is no release, as a refusal names it: what it did, to which
    release, by whom, when."""
    what = {ledger.ROLLBACK: "the rollback of", ledger.RESTORE: "a restore to"}.get(
        entry.action, f"a {entry.action} of"
    )
    return (
        f"{what} {named(entry)} by {entry.deployer} on {utc_minute(entry.at)} (ledger entry "
        f"{entry.id})"
    )


@dataclass
class ReleaseRollbackService:
    """Roll back the last release of an enterprise workspace's production side."""

    db: Database
    rollbacks: RollbackService

    def rollback(self, scope: Scope, package_id: int | None) -> RolledBackRelease:
        """Roll back the release of ``package_id`` (``None``: the last release, a signed
        release taken in included), which must be the newest entry of the ledger; refused
        naming every object changed since."""
        production, along = self._along(scope, package_id)
        # A release whose import wrote nothing (production held what it carried) is the
        # ledger's newest entry all the same: its rollback undoes nothing and writes the rest.
        undone = self.rollbacks.rollback(production, along.import_task, along, empty=True)
        return along.done(undone)

    def start(self, scope: Scope, package_id: int | None) -> QueuedTask:
        """Queue :meth:`rollback` as a rollback task of the production side (run by
        :meth:`run`): refused at once for what it refuses before reading a change, and while
        a job the release wrote runs otherwise than the release left it (the task checks it
        again as it runs)."""
        production, along = self._along(scope, package_id)
        with self.db.transaction(readonly=True) as tx:
            refuse_hand_scheduled(tx, along.production, along.entry, package_id)
        what = along.entry.package_name or along.import_task
        noted = {"release": {"packageId": package_id, "role": scope.role.value}}
        queued = self.rollbacks.start(
            production,
            along.import_task,
            title=f"Roll back release {what} (import {along.import_task}).",
            noted=noted,
        )
        return QueuedTask(queued, production.workspace.id)

    def run(self, task: ClaimedTask) -> None:
        """Run a release rollback queued by :meth:`start`, as the import rollback task runs,
        with the release's bookkeeping beside it: refused (the task failed) when the ledger
        moved on meanwhile; its result, the rollback's answer with the package and the ledger
        entry written (``RolledBackRelease.as_result``)."""
        asked = task.request["release"]

        def beside() -> Beside:
            scope = _development_scope(self.db, task.scope, Role(asked["role"]))
            _, along = self._along(scope, asked["packageId"])
            return Beside(along, lambda undone: along.done(undone).as_result(), empty=True)

        self.rollbacks.run(task, beside)

    def _along(self, scope: Scope, package_id: int | None) -> tuple[Scope, _Released]:
        """The production side's scope and what the rollback writes beside the undo, refused
        for what can be told before reading a change."""
        scope.require(DEPLOY_ROLES, "roll back releases")
        with self.db.transaction(readonly=True) as tx:
            production = production_scope(tx, scope, releasing=True)
            entry = last_release(tx, scope, package_id)
            _refuse_expired(tx, entry, package_id)
            package, items = _package_of(tx, scope, entry)
        along = _Released(scope, package_id, production.workspace.id, entry, package, items)
        return production, along


def _development_scope(db: Database, production: Scope, role: Role) -> Scope:
    """The caller's scope in the development workspace of ``production`` (a production side's
    scope: a rollback task's), with ``role``, the caller's role there."""
    development = production.workspace.production_of
    assert development is not None, "a release rollback task runs in a production side"
    with db.transaction(readonly=True) as tx:
        found = account_repo.get_workspace(tx, production.actor.project_id, development)
    if found is None:
        raise ReleasePackageNotFoundError(
            f"The development workspace of '{production.workspace.name}' no longer exists.",
        )
    return Scope(production.actor, found, role)


def _refuse_expired(tx: Tx, entry: EntryRecord, package_id: int | None) -> None:
    """Refuse, in a release's words, the rollback of a release whose import is past
    ``JOBFERRY_ROLLBACK_DAYS`` (the import rollback would refuse it naming only the import)."""
    expiry = expiry_repo.expiries_of(tx, [str(entry.task_id)]).get(str(entry.task_id))
    if expiry is None:
        return
    released = (
        f"Release package '{entry.package_id}' ({entry.package_name})"
        if entry.package_id is not None
        else f"The signed release '{entry.package_name}' taken in"
    )
    raise _refused(
        f"{released}, ledger entry {entry.id}, was released on {utc_minute(expiry.ended_at)} "
        f"and can no longer be rolled back: what its import {entry.task_id} replaced in "
        f"production was {kept_then_dropped(expiry)}. Restore the release you want production "
        "to hold instead.",
        package_id,
        RollbackRule.EXPIRED,
    )


def _package_of(
    tx: Tx, scope: Scope, entry: EntryRecord
) -> tuple[PackageRecord | None, list[ItemRecord]]:
    """The package a release entry deployed and its items (``None`` and none: a signed
    release taken in, which has no package here)."""
    if entry.package_id is None:
        return None, []
    package = repo.get_package(tx, scope.workspace.id, entry.package_id)
    assert package is not None
    return package, repo.package_items(tx, package.id)


@dataclass
class _Released:
    """What a release rollback writes in the import rollback's transaction (an
    :class:`~jobferry.services.importing.delivery.Along`)."""

    scope: Scope
    asked: int | None
    """The package the caller named (``None``: the last release)."""
    production: str
    entry: EntryRecord
    package: PackageRecord | None
    items: list[ItemRecord]
    entry_id: int | None = None
    """The ledger entry written (once :meth:`after` ran)."""

    def before(self, tx: Tx) -> None:
        """Refuse if the workspace released again meanwhile; stop the jobs the release
        started (before the undo is checked, which refuses a scheduled job)."""
        again = last_release(tx, self.scope, self.entry.package_id)
        if again.id != self.entry.id:
            raise _refused(
                f"Workspace '{self.scope.workspace.name}' released again.",
                self.asked,
                RollbackRule.NOT_LAST,
            )
        refuse_hand_scheduled(tx, self.production, self.entry, self.asked)
        _stop_started(tx, self.production, self.entry)

    def after(self, tx: Tx) -> None:
        """The package marked rolled back, its items reset, the ledger entry."""
        self.entry_id = _mark(tx, self.scope, self.entry, self.package, self.items)

    @property
    def import_task(self) -> str:
        """The import that released it, which the rollback undoes."""
        assert self.entry.task_id is not None, "a release's ledger entry names its import"
        return self.entry.task_id

    def done(self, undone: RolledBack) -> RolledBackRelease:
        """The release rolled back, once :meth:`after` wrote its ledger entry."""
        assert self.entry_id is not None
        return RolledBackRelease(
            self.entry.package_id,
            self.entry.package_name or "",
            self.entry_id,
            undone,
        )


def _stop_started(tx: Tx, production: str, entry: EntryRecord) -> None:
    """The jobs the release started are stopped again (those still running as it left
    them); any other scheduling change is the rollback's to refuse, naming the job."""
    for name in entry.started_jobs():
        job = job_repo.get_job(tx, production, name)
        if job is not None and job.status == JobStatus.SCHEDULING.value:
            job_repo.set_status(tx, job.id, JobStatus.STOPPED)


def _mark(
    tx: Tx,
    scope: Scope,
    entry: EntryRecord,
    package: PackageRecord | None,
    items: list[ItemRecord],
) -> int:
    """The package rolled back, the ledger entry, and its items' deployed versions reset (and
    the items waiting for the same objects told so); the entry's id. A signed release taken
    in has no package: its entry's objects are those the rollback entry records."""
    now = now_ms()
    if package is not None:
        by = {"rolled_back_at": now, "rolled_back_by": scope.actor.name}
        repo.update_package(tx, package.id, by)
        keys = [(i.kind, i.uid, i.name) for i in items if i.kind in ledger.RECORDED]
    else:
        keys = [(o.kind, o.uid, o.name) for o in ledger_repo.objects_of(tx, [entry.id])]
    rollback = ledger.NewEntry.about(
        entry,
        ledger.ROLLBACK,
        scope.actor.name,
        now,
        production_id=entry.production_id,
        task_id=entry.task_id,
        plan_id=entry.plan_id,
        source_id=entry.source_id,
    )
    entry_id = ledger.record(tx, rollback, keys)
    # Every object it touched: one it deleted is back, which a waiting package's item of it
    # says too.
    versions = tell_waiting(tx, scope.workspace.id, [(i.kind, i.uid) for i in items])
    for item in (i for i in items if i.update_type != UpdateType.DELETE):
        repo.update_item(tx, item.id, {"deployed_version": versions[(item.kind, item.uid)]})
    audit_in_scope(
        tx,
        scope,
        "release.rollback",
        "package",
        entry.package_name or "",
        {"id": entry.package_id, "entry": entry_id},
    )
    return entry_id
