"""Rolling an import back: undo exactly what one import task did, in one transaction.

Every object the import created is removed; every object it overwrote gets its previous
development state and version back (versions the import submitted are deleted); renamed objects
take their old names, deleted ones come back whole, and jobs the import paused around a write
keep their scheduling state. The import recorded, per object, the state before it and a hash of
what it wrote (``import_changes``), so the rollback can prove nothing changed since: an object
edited, re-submitted, started or deleted after the import, a job outside the import changed since
to use a name the import made, a name the rollback must give back that something else took, or a
ledger row the import wrote that a later import wrote again refuses the whole rollback with the
list of those objects. An object the import only linked (``LINK``: its ledger row) gets its
rows back. It holds the workspace's import lock while it runs, so no import can interleave.

The changes are read and undone a batch at a time inside the one transaction
(:mod:`.undoing` holds the checks and writes); once one object is found changed, the rest are
only checked, so the refusal lists every conflict, and the transaction is rolled back whole.
The same checks run without a write (:meth:`LocalRollback.check`, :func:`check_import`) for a
rollback whose workspace must change elsewhere first: a remote's shadow refuses before its
first call to the remote, and takes the rollback only once the remote did. They also answer a
client asking before it rolls back (:meth:`RollbackService.preview`): the refusal the rollback
would make, or what it would undo.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from jobferry.domain.enums import RollbackRule, TaskKind, TaskStatus
from jobferry.domain.remedies import Remedy
from jobferry.errors import ConflictError, ImportRunningError, JobferryError, RollbackRefusedError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import dump
from jobferry.services.importing.delivery import Along, Deliveries, RolledBack
from jobferry.services.importing.expiry import expired
from jobferry.services.importing.local import LocalChanges
from jobferry.services.importing.rollback_refusals import busy, changed_since, nothing, running
from jobferry.services.importing.undoing import (
    SECOND_PASS,
    Undo,
    Undone,
    conflicts_of,
    current_objects,
    freed_by_first,
    names_taken,
    undo_line,
)
from jobferry.services.tasks import (
    ClaimedTask,
    TaskService,
    refusal_result,
    task_missing,
)
from jobferry.services.taskviews import FINISHED
from jobferry.storage import Database, Tx
from jobferry.storage import tasks as task_repo
from jobferry.storage.importing import expiry as expiry_repo
from jobferry.storage.importing import rollbacks as repo
from jobferry.storage.importing import target as import_repo
from jobferry.storage.rows import ChangeRow

KEPT_CONFLICTS = 1000
"""Conflicts a refusal lists in ``conflicts``."""
BATCH = 500
KEPT_CONTEXT = ("rule", "conflicts", "push", "changed", "remote", "remedy", "problem")
"""What a failed rollback task keeps of its refusal in its result."""


@dataclass
class RollbackService:
    """Undo an import task."""

    db: Database
    deliveries: Deliveries
    """How a rollback reaches the workspace's truth (a remote's shadow: its inverse pushed)."""
    tasks: TaskService

    def rollback(
        self, scope: Scope, task_id: str, along: Along | None = None, *, empty: bool = False
    ) -> RolledBack:
        """Roll back import ``task_id`` of the scope's workspace, or refuse saying why;
        ``along``: what the caller writes in the same transaction, before the undo is checked
        and after it is written (a release rollback: jobs it started stopped, its ledger);
        ``empty``: an import that wrote nothing is rolled back all the same
        (:attr:`LocalRollback.empty`)."""
        delivery = self.deliveries.of(scope.workspace)
        delivery.allow(scope, "roll back imports")
        rollback = LocalRollback(self.db, scope, task_id, along, empty=empty)
        return delivery.run_rollback(scope, rollback)

    def preview(self, scope: Scope, task_id: str) -> RolledBack:
        """What rolling back import ``task_id`` would undo as things stand, or the refusal
        the rollback would make (the same rule, the same conflicts): its own checks
        (:meth:`LocalRollback.check`), in a read-only transaction, through the workspace's
        delivery (a remote's shadow: first what its rollback refuses from this server's rows,
        such as a push into the remote not over); nothing is written. A remote's shadow reads
        its remote only as it rolls back."""
        delivery = self.deliveries.of(scope.workspace)
        delivery.allow(scope, "roll back imports")
        return delivery.preview_rollback(scope, LocalRollback(self.db, scope, task_id))

    def start(
        self, scope: Scope, task_id: str, *, title: str = "", noted: dict[str, Any] | None = None
    ) -> str:
        """Queue the rollback of import ``task_id`` as a task of its own, run by a task thread
        (:meth:`run`); its id. Refused at once, changing nothing, for what the rollback refuses
        before reading a change (not a finished import, rolled back already, past its days, an
        import or rollback running). The task takes the workspace's import lock as it is
        queued, so nothing imports in between; objects changed since fail the task, naming
        them, as the rollback refuses them. ``title`` and ``noted`` (kept in the task's request):
        a caller's own (a release rollback's)."""
        self.deliveries.of(scope.workspace).allow(scope, "roll back imports")
        title = title or f"Roll back import {task_id}."
        request = {"taskId": task_id, **(noted or {})}
        task = self.tasks.record(scope, TaskKind.ROLLBACK, title, request, queued=True)
        try:
            with self.db.transaction() as tx:
                _check_task(tx, scope, task_id)
                _take_lock(tx, scope, task.id)
                task_repo.insert_task(tx, task)
        except ConflictError as exc:
            if isinstance(exc, RollbackRefusedError | ImportRunningError):
                raise
            raise busy(task_id) from exc
        return task.id

    def run(self, task: ClaimedTask, beside: Callable[[], Beside] = lambda: Beside()) -> None:
        """Run a queued rollback (:meth:`start`) to its end: the task ends with the rollback,
        in its transaction (its result: what the rollback call answers), or fails with the
        refusal (its result: the error code and the objects in conflict). ``beside``: what a
        caller writes beside the undo and reports of it (a release rollback's), made as the
        task runs (a refusal then fails the task too)."""
        import_id = str(task.request["taskId"])
        with self.db.transaction(readonly=True) as tx:
            counted = repo.count_changes(tx, task.scope.workspace.id, import_id)
        self.tasks.advance(
            task.id, 5, f"Checking and undoing {counted:,} change(s) of import {import_id}."
        )
        delivery = self.deliveries.of(task.scope.workspace)
        try:
            made = beside()
            rollback = LocalRollback(
                self.db,
                task.scope,
                import_id,
                made.along,
                task=task.id,
                report=made.report,
                progress=partial(self.tasks.advance, task.id),
                span=delivery.pacing.undo,
                changes=counted,
                empty=made.empty,
            )
            delivery.run_rollback(task.scope, rollback)
        except JobferryError as exc:
            result = refusal_result(exc, KEPT_CONTEXT)
            self.tasks.finish(task.id, TaskStatus.FAILED, exc.message, result=result)
            with self.db.transaction() as tx:
                import_repo.drop_lock(tx, task.scope.workspace.id, task.id)
            return
        self.tasks.ends.ended()

    def rolled_back_among(self, task_ids: list[str]) -> set[str]:
        """Which of these tasks (of the caller's workspace, as listed) were rolled back."""
        with self.db.transaction(readonly=True) as tx:
            return repo.rolled_back_among(tx, task_ids)


@dataclass(frozen=True)
class Beside:
    """What a rollback task writes beside the undo (``along``: a release rollback's ledger
    entry) and how its result reports what was undone (``report``)."""

    along: Along | None = None
    report: Callable[[RolledBack], dict[str, Any]] = RolledBack.as_result
    empty: bool = False
    """An import that wrote nothing is rolled back all the same (:attr:`LocalRollback.empty`)."""


@dataclass(frozen=True)
class LocalRollback:
    """The rollback of import ``task_id`` in this server's rows (the delivery's
    :class:`~.delivery.Rollback`): checked without a write (:meth:`check`), or run in one
    transaction through the local executor of the change port (:meth:`run`)."""

    db: Database
    scope: Scope
    task_id: str
    along: Along | None = None
    task: str | None = None
    """The rollback task running it (:meth:`RollbackService.start`): it holds the workspace's
    import lock since it was queued, and ends in the rollback's transaction."""
    report: Callable[[RolledBack], dict[str, Any]] = RolledBack.as_result
    """The rollback task's result, of what was undone (once every ``along`` wrote)."""
    progress: Callable[[int, str], None] | None = None
    """Where :meth:`advance` reports (the rollback task's progress)."""
    span: tuple[int, int] = (10, 95)
    """The progress the undo moves through as it checks the changes (the delivery's
    :attr:`~.delivery.Pacing.undo`: a push's rollback undoes the shadow last)."""
    changes: int | None = None
    """How many changes the import made, when the caller counted them (a finished import's
    change records never change: the expiry sweep drops only what they replaced)."""
    empty: bool = False
    """An import that wrote nothing is rolled back all the same, undoing nothing and writing
    what each ``along`` writes (a release's rollback: the release is the ledger's newest entry
    though production already held what it carried); else it is refused as nothing to roll
    back."""

    def advance(self, progress: int, message: str) -> None:
        """Report ``progress`` (0–100) and ``message`` as the rollback task's, if it has one."""
        if self.progress is not None:
            self.progress(progress, message)

    def check(self) -> RolledBack:
        """Refuse, naming the objects, what :meth:`run` would refuse as things stand: an
        import running, a task that is not a finished import or was rolled back already, an
        object changed since, a name taken, nothing to undo; else what it would undo (as
        :meth:`run` answers it). Reads only, in one read-only transaction."""
        ws = self.scope.workspace
        with self.db.transaction(readonly=True) as tx:
            holder = import_repo.lock_holder(tx, ws.id)
            if holder not in (None, self.task) and task_repo.is_running(tx, holder):
                raise running(tx, ws.name, holder)
            _check_task(tx, self.scope, self.task_id)
            foreseen = check_import(tx, self.scope, self.task_id)
        return _rolled_back(self.task_id, foreseen)

    def run(self, *along: Along) -> RolledBack:
        """Take the workspace's import lock, check and undo every change, write what each
        ``along`` writes, mark the import rolled back: one transaction."""
        scope, task_id = self.scope, self.task_id
        alongs = [item for item in (self.along, *along) if item is not None]
        lock = self.task or f"rollback-{task_id}"[:32]
        try:
            with self.db.transaction(bulk=True) as tx:
                if self.task is None:
                    _take_lock(tx, scope, lock)
                _check_task(tx, scope, task_id)
                for item in alongs:
                    item.before(tx)
                undone = undo_import(tx, scope, task_id, self._undoing(tx))
                _refuse_expired(tx, task_id)  # dropped meanwhile: what it read may be empty
                if not undone.count and not self.empty:
                    raise nothing(task_id)
                for item in alongs:
                    item.after(tx)
                repo.mark_rolled_back(tx, scope.workspace.id, task_id, now_ms(), scope.actor.name)
                audit_in_scope(
                    tx, scope, "import.rollback", "task", task_id, {"objects": undone.count}
                )
                done = _rolled_back(task_id, undone)
                if self.task is not None:
                    _end_task(tx, self.task, done, self.report(done))
                import_repo.drop_lock(tx, scope.workspace.id, lock)
        except ConflictError as exc:
            if isinstance(exc, RollbackRefusedError | ImportRunningError):
                raise
            raise busy(task_id) from exc
        return done

    def _undoing(self, tx: Tx) -> Callable[[int], None] | None:
        """How the undo says how many changes it checked (nothing without a task): beside
        its transaction (:meth:`TaskService.advance`)."""
        if self.progress is None:
            return None
        counted = self.changes
        if counted is None:
            counted = repo.count_changes(tx, self.scope.workspace.id, self.task_id)
        total = max(1, counted)
        low, high = self.span

        def said(checked: int) -> None:
            message = f"Undoing: {checked:,} of {total:,} change(s) checked."
            self.advance(low + (high - low) * checked // total, message)

        return said


def _rolled_back(task_id: str, undone: Undone) -> RolledBack:
    return RolledBack(task_id, undone.count, tuple(undone.objects), dict(undone.actions))


def _end_task(tx: Tx, task: str, done: RolledBack, result: dict[str, Any]) -> None:
    """End rollback task ``task`` with ``done``, in the rollback's transaction; refused (the
    rollback with it) when the task ended meanwhile (failed as orphaned)."""
    now = now_ms()
    ended = task_repo.update_running(
        tx,
        task,
        status=TaskStatus.SUCCESSFUL,
        message=f"Rolled back {done.count} object(s) of import {done.task_id}.",
        progress=100,
        result=dump(result),
        end_time=now,
        last_update=now,
    )
    if not ended:
        raise RollbackRefusedError(
            f"Rollback task {task} ended before its rollback of import {done.task_id} did "
            "(another server process failed it as orphaned); nothing was changed. Roll the "
            "import back again.",
            rule=RollbackRule.INTERRUPTED,
            task_id=done.task_id,
        )


def _take_lock(tx: Tx, scope: Scope, lock: str) -> None:
    holder = import_repo.lock_holder(tx, scope.workspace.id)
    if holder is not None and task_repo.is_running(tx, holder):
        raise running(tx, scope.workspace.name, holder)
    if holder is not None:
        import_repo.drop_lock(tx, scope.workspace.id, holder)
    import_repo.take_lock(tx, scope.workspace.id, lock, now_ms())


def _check_task(tx: Tx, scope: Scope, task_id: str) -> None:
    ws = scope.workspace
    task = task_repo.get_task(tx, ws.id, task_id)
    if task is not None and task.kind == TaskKind.PLAN:
        raise RollbackRefusedError(
            f"Task {task_id} is a plan (an import's dry run): it changed nothing, so there "
            "is nothing to roll back.",
            rule=RollbackRule.NOT_IMPORT,
            task_id=task_id,
        )
    if task is None:
        raise task_missing(task_id, ws.name)
    if task.kind != TaskKind.IMPORT:
        raise RollbackRefusedError(
            f"Task {task_id} of workspace '{ws.name}' is no import (its kind is "
            f"{task.kind}): only an import can be rolled back.",
            rule=RollbackRule.NOT_IMPORT,
            fix="Name the taskId an import answered (GET /v1/{project_id}/system-tasks "
            "lists them).",
            remedy=Remedy.LIST_TASKS,
            task_id=task_id,
        )
    if task.status not in FINISHED:
        raise RollbackRefusedError(
            f"Import {task_id} is {task.status}; only a finished import (SUCCESSFUL or "
            "WARNING) changed anything that can be rolled back.",
            rule=RollbackRule.NOT_FINISHED,
            task_id=task_id,
        )
    done = repo.rolled_back(tx, task_id)
    if done is not None:
        raise RollbackRefusedError(
            f"Import {task_id} was already rolled back by '{done[1]}'.",
            rule=RollbackRule.ROLLED_BACK,
            task_id=task_id,
        )
    _refuse_expired(tx, task_id)


def _refuse_expired(tx: Tx, task_id: str) -> None:
    """Refuse the rollback of an import whose states were dropped (``JOBFERRY_ROLLBACK_DAYS``).
    :meth:`LocalRollback.run` asks again once it has read every change: on PostgreSQL a sweep
    may commit between its reads, and what it read after that would be empty states."""
    expiry = expiry_repo.expiries_of(tx, [task_id]).get(task_id)
    if expiry is not None:
        raise expired(task_id, expiry)


def check_import(tx: Tx, scope: Scope, task_id: str) -> Undone:
    """Refuse, listing every conflict, what :func:`undo_import` would refuse (or that there is
    nothing to undo), without a write: the first pass's checks as they are, the second's
    against the names the first pass would free. What it would undo otherwise, its lines in
    the order :func:`undo_import` gives them."""
    ws = scope.workspace.id
    conflicts: list[str] = []
    counted = 0
    freed: set[tuple[str, str]] = set()
    foreseen = Undone()
    for changes in _batches(tx, ws, task_id, False):
        found = conflicts_of(tx, scope, task_id, changes, current_objects(tx, ws, changes, False))
        counted += len(found)
        conflicts += found[: max(0, KEPT_CONFLICTS - len(conflicts))]
        freed |= freed_by_first(changes)
        _foresee(foreseen, (c for c in changes if c.action not in SECOND_PASS))
    if not counted:
        for changes in _batches(tx, ws, task_id, True):
            found = names_taken(tx, ws, changes, frozenset(freed))
            counted += len(found)
            conflicts += found[: max(0, KEPT_CONFLICTS - len(conflicts))]
            _foresee(foreseen, changes)
    if counted:
        raise changed_since(task_id, conflicts, counted)
    if not foreseen.count:
        raise nothing(task_id)
    return foreseen


def _foresee(undone: Undone, changes: Iterable[ChangeRow]) -> None:
    """Count in ``undone`` what undoing ``changes`` would undo (a ``LINK``: no object)."""
    for change in changes:
        line = undo_line(change)
        if line is not None:
            undone.add(line)


def undo_import(
    tx: Tx, scope: Scope, task_id: str, said: Callable[[int], None] | None = None
) -> Undone:
    """Check and undo every change import ``task_id`` made, a batch at a time, in ``tx``;
    refuse, listing every conflict. The caller holds the workspace's import lock (a push
    undoing its own import in the shadow, ``services/remotes/push.py``, calls it directly).
    ``said``: told after each batch of the first pass how many changes were checked so far."""
    undone = Undone()
    port = LocalChanges(tx, scope)  # the local executor of the change port
    conflicts: list[str] = []
    counted = checked = 0
    for second in (False, True):
        for changes in _batches(tx, scope.workspace.id, task_id, second):
            current = {} if second else current_objects(tx, scope.workspace.id, changes)
            if second:
                found = names_taken(tx, scope.workspace.id, changes)
            else:
                found = conflicts_of(tx, scope, task_id, changes, current)
            counted += len(found)
            conflicts += found[: max(0, KEPT_CONFLICTS - len(conflicts))]
            if not counted:
                undo = Undo(tx, scope, current, undone, port)
                if second:
                    undo.second(changes)
                else:
                    undo.first(changes)
                undo.write()
            if said is not None and not second:
                checked += len(changes)
                said(checked)
        if counted:
            break  # the second pass's checks need the first pass's writes
    if counted:
        raise changed_since(task_id, conflicts, counted)
    return undone


def _batches(tx: Tx, workspace_id: str, task_id: str, second: bool) -> Iterator[list[ChangeRow]]:
    """The import's changes a batch at a time: all of them (first pass), or only the renames
    and deletes (second pass)."""
    actions = SECOND_PASS if second else None
    after: tuple[str, str, str] | None = None
    while changes := repo.changes_of(tx, workspace_id, task_id, after, BATCH, actions):
        after = (changes[-1].kind, changes[-1].name, changes[-1].action)
        yield changes
