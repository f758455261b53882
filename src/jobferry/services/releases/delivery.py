"""How imports reach an enterprise workspace's two sides (the import pipeline's delivery port).

- Into the *production side*, an import is a release (or an import as released): the apply
  is the change, as for any workspace, and the same transaction marks the package it deploys
  released, its items deployed, and starts the new batch jobs when the deploy asked for it
  (``startup_mode`` 1), once the package's signed approvals are counted again (a key revoked,
  an approver no longer holding admin or deployer, or the rule raised since the deploy call
  refuses it); a restore, or a signed release taken in (refused when a key of its approvals
  was distrusted since, or the rule raised above the approvals that verified), writes its
  ledger entry instead; an import as released tells the pending items (and the items of
  packages still waiting) for the objects it wrote or deleted which version production holds
  now. A process killed meanwhile leaves production and the package as they were (the task is
  failed by the heartbeat, and the package reads as failed).
- Into the *development workspace*, an import that submits versions (``targetStatus``
  SUBMITTED) keeps a pending item per job and script it submitted, in its own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jobferry.domain.enums import JobStatus, ObjectKind, ProcessType
from jobferry.domain.releases import DeployStatus, StartJobStatus, StartupMode, UpdateType
from jobferry.errors import PlanStaleError
from jobferry.services.context import Scope, now_ms
from jobferry.services.importing.changes import Committed, TaskEnd
from jobferry.services.importing.delivery import Attempt, LocalDelivery, PreparedImport
from jobferry.services.importing.local import LocalChanges
from jobferry.services.releases import ledger
from jobferry.services.releases.carried import refuse_distrusted_since, require_carried_counted
from jobferry.services.releases.deployed import tell_waiting
from jobferry.services.releases.freezing import production_moved
from jobferry.services.releases.moved import moved_since, restore_moved
from jobferry.services.releases.pending import note_submits
from jobferry.services.releases.restore import restored
from jobferry.services.releases.signatures import counted_approvals, require_counted
from jobferry.storage import Database, Tx
from jobferry.storage import jobs as job_repo
from jobferry.storage import ledger as ledger_repo
from jobferry.storage import pending as undone
from jobferry.storage import production as sides
from jobferry.storage import releases as repo
from jobferry.storage.importing import ledger as promotion_repo
from jobferry.storage.importing import plans as plan_repo
from jobferry.storage.jobs import StartState
from jobferry.storage.releases import ItemRecord


@dataclass
class _Released:
    """Makes the change port of a release: the local executor, whose commit adds what the
    release (or the pending items) keep, in the import's transaction."""

    task_id: str
    plan_id: str | None
    package_id: int | None = None
    """The release package whose kept plan the import applies (once called; ``None``: the
    import is no release)."""

    def __call__(self, tx: Tx, scope: Scope) -> _ReleaseChanges:
        if scope.workspace.production_of is not None and self.plan_id is not None:
            package = repo.package_of_plan(tx, self.plan_id)
            self.package_id = package.id if package is not None else None
        return _ReleaseChanges(tx, scope, self.task_id, self.plan_id)


class _ReleaseChanges(LocalChanges):
    def __init__(self, tx: Tx, scope: Scope, task_id: str, plan_id: str | None) -> None:
        super().__init__(tx, scope)
        self.task_id, self.plan_id = task_id, plan_id

    def commit(self, end: TaskEnd) -> Committed:
        """The release's bookkeeping, in the import's transaction."""
        said, result = self._kept(self.tx)
        return Committed(said, result)

    def _kept(self, tx: Tx) -> tuple[str, dict[str, Any]]:
        if self.scope.workspace.production_of is not None:
            restore = ledger_repo.restore_of_plan(tx, self.plan_id) if self.plan_id else None
            if restore is not None:
                said = restored(tx, self.task_id, restore, self.scope)
                return said, {"restoredEntry": restore.target_entry}
            carried = ledger_repo.carried_of_plan(tx, self.plan_id) if self.plan_id else None
            if carried is not None:
                refuse_distrusted_since(tx, carried)
                require_carried_counted(tx, carried)
                return ledger.record_carried(tx, self.task_id, carried)
            return _released(tx, self.task_id, self.plan_id, self.scope.workspace.production_of)
        submitted = repo.submitted_by_task(tx, self.task_id)
        jobs = [(o, n, v) for k, n, o, v in submitted if k == ObjectKind.JOB]
        uids = repo.job_uids(tx, [int(o) for o, _, _ in jobs])
        note_submits(tx, self.scope, ObjectKind.JOB, [(uids[int(o)], o, n, v) for o, n, v in jobs])
        scripts = [(o, o, n, v) for k, n, o, v in submitted if k == ObjectKind.SCRIPT]
        note_submits(tx, self.scope, ObjectKind.SCRIPT, scripts)
        return "", {}


def _released(
    tx: Tx, task_id: str, plan_id: str | None, development: str
) -> tuple[str, dict[str, Any]]:
    """The package whose kept plan the import applied is released (nothing for an import as
    released); the package was marked releasing before the import was queued."""
    package = repo.package_of_plan(tx, plan_id) if plan_id else None
    if package is None or package.status != DeployStatus.RELEASING or package.delete_flag:
        _imported_as_released(tx, task_id, development)
        return "", {}
    production = production_of_package(tx, package.workspace_id)
    if production is None:
        return "", {}
    items = repo.package_items(tx, package.id)
    # Counted at the deploy call, and again here: a key revoked, or the rule raised, while
    # the import waited refuses it (nothing applied) rather than release it unapproved.
    require_counted(tx, package.workspace_id, production, package)
    created = repo.created_by_task(tx, task_id, ObjectKind.JOB)
    startup = package.startup_mode
    started, switched = _deployed_items(tx, items, (production, development), created, startup)
    repo.update_package(tx, package.id, {"status": int(DeployStatus.SUCCESS), "task_id": task_id})
    ledger.record(
        tx,
        ledger.NewEntry(
            development,
            production,
            ledger.DEPLOY,
            package.deploy_user_name or "",
            now_ms(),
            task_id,
            package_id=package.id,
            package_name=package.name,
            plan_id=plan_id,
            approvers=package.approver_list(),
            approvals=counted_approvals(tx, package.workspace_id, production, package),
            startup_mode=package.startup_mode,
            started=switched,
        ),
        [(i.kind, i.uid, i.name) for i in items],
    )
    # Packages still waiting that carry the same objects say what production holds now.
    tell_waiting(tx, development, [(i.kind, i.uid) for i in items])
    said = f" Release package {package.id} released ({len(items)} item(s)"
    if switched:
        said += f", {len(switched)} job(s) started"
    if started > len(switched):  # scheduled before the release, paused around its write
        said += f", {started - len(switched)} scheduled job(s) left running"
    said += ")."
    return said, {"releasePackage": {"id": str(package.id), "items": len(items)}}


def _imported_as_released(tx: Tx, task_id: str, development: str) -> None:
    """An import as released (no release): the items waiting for the objects it wrote or
    deleted in production (known there by their development identity) say which version
    production holds now, as after a release."""
    production = production_of_package(tx, development)
    if production is None:
        return
    kinds = list(ledger.RECORDED)
    wrote = promotion_repo.written_by(tx, production, development, task_id, kinds)
    deleted = promotion_repo.deleted_by(tx, production, development, task_id, kinds)
    moved = [(kind, uid) for kind, uid, _ in wrote] + deleted
    # Only the objects items wait for are read again (an import as released of a whole
    # workspace, the way into production after the switch, has none waiting).
    waiting: list[tuple[str, str]] = []
    for kind in kinds:
        uids = [uid for k, uid in moved if k == kind]
        held = set(repo.open_items(tx, development, kind, uids))
        held.update(i.uid for i in undone.waiting_package_items(tx, development, kind, uids))
        waiting.extend((kind, uid) for uid in uids if uid in held)
    tell_waiting(tx, development, waiting)


def _deployed_items(
    tx: Tx,
    items: list[ItemRecord],
    sides: tuple[str, str],
    created: set[str],
    startup: int | None,
) -> tuple[int, list[str]]:
    """Each item deployed (and its job started, when asked: a batch job the release
    ``created`` in production): how many jobs are started, and the names of those the release
    switched on. ``sides``: the production side and its development workspace."""
    production, development = sides
    started = 0
    switched: dict[int, str] = {}
    jobs = [i.uid for i in items if i.kind == ObjectKind.JOB]
    names = {
        uid: row.name
        for uid, row in promotion_repo.ledger_rows(
            tx, production, development, ObjectKind.JOB, jobs
        ).items()
    }
    states = job_repo.start_states(tx, production, list(names.values()))
    for item in items:
        values: dict[str, object] = {"deploy_status": int(DeployStatus.SUCCESS)}
        if item.update_type != UpdateType.DELETE:
            values["deployed_version"] = item.pending_version
        if item.kind == ObjectKind.JOB and item.update_type != UpdateType.DELETE:
            name = names.get(item.uid)
            job = states.get(name) if name else None
            status = _start(job, job is not None and job.name in created, startup, switched)
            if status is not None:
                values["start_job_status"] = int(status)
                started += status is StartJobStatus.STARTED
        repo.update_item(tx, item.id, values)
        repo.released(tx, item)
    job_repo.set_statuses(tx, list(switched), JobStatus.SCHEDULING)
    return started, list(switched.values())


def _start(
    job: StartState | None, new: bool, startup: int | None, switched: dict[int, str]
) -> StartJobStatus | None:
    """How the production job of a released item stands once deployed (``job``: its state
    there): started when the deploy asked for it and it is a batch job ``new`` to production
    (the release created it: one production held already, an import as released put there
    say, keeps its scheduling whatever its item says) (its id and name added to
    ``switched``, which the caller switches on in one statement a chunk; a rollback stops
    them again), or already scheduled; ``None``: left stopped."""
    if job is None:
        return StartJobStatus.FAILED if startup == StartupMode.START else None
    if job.status != JobStatus.STOPPED.value:
        return StartJobStatus.STARTED
    if startup != StartupMode.START or not new:
        return None
    if job.process_type != ProcessType.BATCH or job.latest_version is None:
        return StartJobStatus.FAILED
    switched[job.id] = job.name
    return StartJobStatus.STARTED


@dataclass(frozen=True)
class ReleaseDelivery(LocalDelivery):
    """An enterprise workspace's sides: delivered as any local workspace (the production side
    refuses changes other than a release in ``Scope.require_change``), with the release's (or
    the pending items') bookkeeping in the import's transaction."""

    db: Database
    """Where a refusal reads what moved production (the import's transaction is over)."""

    def run_import(self, job: PreparedImport, attempt: Attempt) -> int:
        """The import, once, through the local executor with the release's bookkeeping. A
        release whose kept plan no longer fits production (a job there started or stopped
        since, or another object the plan read changed) is refused as a deploy refuses a
        changed object: plan the package again; a restore's, naming what moved: plan the
        restore again."""
        released = _Released(job.task_id, job.request.plan_id)
        try:
            return attempt(released)
        except PlanStaleError as exc:
            if released.package_id is not None:
                with self.db.transaction(readonly=True) as tx:
                    moved = _moved_since_plan(tx, job, exc)
                said = ", ".join(f"{kind} '{name}'" for kind, name in moved[:20])
                what = said or "an object its plan read changed"
                changed = [f"{kind}/{name}" for kind, name in moved]
                raise production_moved(released.package_id, what, changed) from exc
            with self.db.transaction(readonly=True) as tx:
                plan_id = job.request.plan_id
                restore = ledger_repo.restore_of_plan(tx, plan_id) if plan_id else None
                if restore is None:
                    raise
                raise restore_moved(tx, restore, job.scope.workspace.id, exc) from exc


def _moved_since_plan(tx: Tx, job: PreparedImport, stale: PlanStaleError) -> list[tuple[str, str]]:
    """(kind, name) of each job and script that moved production since the deploy's kept plan
    was made (``stale``: the import's refusal, naming the production side's audit entries
    since: a job started or stopped by hand), as a restore's refusal names them."""
    plan_id = job.request.plan_id
    production = job.scope.workspace
    plan = plan_repo.get_plan(tx, production.id, plan_id) if plan_id else None
    if plan is None or production.production_of is None:
        return []
    changed = stale.context.get("changed") or []
    return moved_since(tx, production.production_of, plan.created_at, changed)


def production_of_package(tx: Tx, development: str) -> str | None:
    """The production side of the workspace a package belongs to."""
    found = sides.get_workspace_by_id(tx, development)
    return found.production_id if found is not None else None
