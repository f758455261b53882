"""Push: an import into a remote's shadow workspace writes the remote, all or nothing.

1. **Import once** — the import pipeline runs unchanged into the shadow through the remote
   executor of the change port (:class:`Pushing`: the local executor noting each line,
   :mod:`.program`). Its commit refuses what the remote cannot be given (nothing commits),
   else the shadow's transaction commits the import with the push journalled and the task
   still running, the shadow's import lock held: nothing else plans or imports there. The
   shadow shows the pushed state while the push runs.
2. **Re-read** the objects the push touches from the remote in bulk (:mod:`.reading`) and
   refuse, naming them, those changed since the refresh the plan was made on (their hashes
   differ from ``remote_objects``).
3. **Write** the calls in dependency order (:mod:`.steps`), a level at a time with at most
   ``remote_push_calls_in_flight`` calls in flight (:mod:`.sending`), each journalled before it
   is sent and after (:mod:`.journal`, a window of calls a short transaction: none is open
   while the remote is called); once a level ended, what its calls left is read back in bulk
   and journalled with their undo (:mod:`.meanwhile`: an undo does not write over what someone
   changed since).
4. **End** — one transaction records the hashes of what the remote now holds (read again after
   the writes), brings the shadow's jobs to what the calls could not carry (:mod:`.unsent`),
   says the push is over, ends the task and releases the lock.

A refusal or a call that fails for good (after the retries of :mod:`.writes`) undoes the
remote from the journal, newest first (:mod:`.undo`), then rolls the shadow's import back
(the local rollback, ``importing/rollback.py``, in one transaction with the journal's end);
the task fails saying what was undone and what could not be. A push whose process died
(kill -9 at any point) is finished the same way by :meth:`PushService.recover`: remote and
shadow are both as before it, or both as after. The recovery waits first until the calls in
flight when the process died can no longer land (``settle_ms`` after the newest was sent): the
undo decides from what the remote holds, and a create landing after it would stay.

One push per remote at a time: the shadow's import lock, taken when the task is queued
(across processes), and the journal (a push or a refresh waits while one is open). What a
remote cannot promise: another writer changing an object between the re-read and the writes
is not prevented — the journal's before-images are what the push read, and the next refresh
shows the difference."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from jobferry.domain.enums import ImportMode, ObjectKind
from jobferry.errors import (
    ConflictError,
    InvalidRequestError,
    JobferryError,
    PlanStaleError,
    RemoteError,
    RemoteNotFoundError,
    RollbackRefusedError,
)
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import dump
from jobferry.services.importing.changes import Committed, TaskEnd
from jobferry.services.importing.delivery import Attempt, PreparedImport
from jobferry.services.importing.rollback import undo_import
from jobferry.services.remotes.journal import Journal
from jobferry.services.remotes.meanwhile import left_by, read_back
from jobferry.services.remotes.orphans import HANDED_OVER
from jobferry.services.remotes.program import NotingChanges, Program
from jobferry.services.remotes.reading import RemoteState, changed_since, read_state, record_after
from jobferry.services.remotes.recovery import Recovery, next_wait
from jobferry.services.remotes.sending import PushFailed, send_level
from jobferry.services.remotes.service import RemoteService
from jobferry.services.remotes.steps import build
from jobferry.services.remotes.undo import UndoReport, fail_subtasks, sentence, undo_push
from jobferry.services.remotes.unsent import SUBMITTING, hold_as_remote, tell_submitted
from jobferry.services.remotes.writes import RemoteWrites, Step
from jobferry.services.tasks import TaskService
from jobferry.storage import Database, Tx
from jobferry.storage import remotes as remote_repo
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.importing import target as import_repo
from jobferry.storage.remotes import RemoteRecord
from jobferry.storage.remotes_journal import PushRecord
from jobferry.storage.tasks import TaskRecord

log = logging.getLogger("jobferry.push")


class Pushing(NotingChanges):
    """The remote executor of the change port: the shadow's local executor noting each line
    (:class:`~.program.NotingChanges`); at the commit, what the remote must be told is checked
    and kept, and the push journalled in the shadow's own transaction, the task left running
    with the shadow's import lock held (the calls come after: :meth:`PushService.push`)."""

    def __init__(self, tx: Tx, scope: Scope, push: Push) -> None:
        super().__init__(tx, scope)
        self.push = push

    def commit(self, end: TaskEnd) -> Committed:
        """Refuse what the remote cannot be given (nothing commits then); else journal the push
        beside the shadow's change and leave the task's end to the push."""
        push, program = self.push, self.program()
        item = push.item
        _refuse_unsupported(program, item.name)
        record = PushRecord(
            end.task_id, item.project_id, self.ws, item.name, "pushing", push.owner, now_ms(), None
        )
        journal_repo.start_push(self.tx, record)
        push.program, push.end = program, end
        return Committed(f"Pushing to remote '{item.name}'.", pending=True)


@dataclass
class Push:
    """One push: it makes the executor the import runs with (chosen once, by the delivery),
    and keeps what the executor's commit left."""

    item: RemoteRecord
    owner: str
    program: Program | None = None
    end: TaskEnd | None = None

    def __call__(self, tx: Tx, scope: Scope) -> Pushing:
        return Pushing(tx, scope, self)


@dataclass
class PushService:
    """Pushes into remotes, and the finishing of pushes whose process died."""

    db: Database
    remotes: RemoteService
    tasks: TaskService
    in_flight: int = 16
    sleep: Callable[[float], None] = time.sleep
    settle_ms: int = 60_000
    """How long a call sent when its process died may still take to reach the remote: the
    recovery reads the remote only once the newest such call is this old
    (``JOBFERRY_REMOTE_SETTLE_SECONDS``)."""
    clock: Callable[[], int] = now_ms
    _waiting: set[str] = field(default_factory=set, init=False, repr=False)
    """The orphaned pushes whose recovery waits on a call in flight, said once each."""

    def push(self, job: PreparedImport, attempt: Attempt) -> int:
        """Push the import ``job`` (into a shadow) to its remote; objects written. The import
        runs once, into the shadow through the remote executor (:class:`Pushing`), and commits
        there with the push journalled; then the remote is written (:meth:`_deliver`)."""
        scope = job.scope
        item = self.remote_of(scope)
        if job.request.mode is not ImportMode.ATOMIC:
            raise InvalidRequestError(
                f"Workspace '{scope.workspace.name}' is the shadow of remote '{item.name}': an "
                "import into it is pushed to the remote all or nothing; import with mode "
                "ATOMIC.",
                workspace=scope.workspace.name,
                remote=item.name,
            )
        self.refuse_open(scope, item)
        push = Push(item, self.tasks.worker_id)
        written = attempt(push)
        if push.program is not None and push.end is not None:
            self._deliver(scope, item, push.program, push.end)
        return written

    def _deliver(self, scope: Scope, item: RemoteRecord, program: Program, end: TaskEnd) -> None:
        """Re-read what the push touches (refusing what changed since the refresh), make the
        calls, then end the push and its task in one transaction; on a failure, undo the remote
        and the shadow's import."""
        touched, task_id = program.touched(), end.task_id
        self.tasks.advance(task_id, 50, f"Reading remote '{item.name}' again.")
        journal = Journal(self.db, task_id)
        with self.remotes.client(item) as client:
            writes = RemoteWrites(client, self.sleep)
            try:
                state = read_state(client, touched)
                self._refuse_changed(scope, item, state, touched)
                changes = self._write(task_id, build(program, state), journal, writes)
                after = read_state(client, touched)
                calls = journal.calls()
                journal.undos(left_by(calls, after))
                sent = [c.name for c in calls if c.call in SUBMITTING and c.state == "done"]
                self._done(scope, item, end, after, (touched, sent), client.calls, changes)
            except PlanStaleError:
                self._undo(scope, journal, writes, item)  # no call was made
                raise
            except PushFailed as failed:
                if failed.on_its_way:
                    self.settle(item, task_id)
                undone = self._undone(scope, journal, writes, item, failed.step, failed.message)
                raise undone from None
            except Exception as exc:
                message = exc.message if isinstance(exc, JobferryError) else repr(exc)
                raise self._undone(scope, journal, writes, item, None, message) from exc

    def _done(
        self,
        scope: Scope,
        item: RemoteRecord,
        end: TaskEnd,
        after: RemoteState,
        wrote: tuple[dict[str, set[str]], list[str]],
        calls: int,
        changes: list[str],
    ) -> None:
        """One transaction: the hashes of what the remote now holds (read after the calls), the
        shadow's jobs as the remote holds them (``wrote``: what the push touched, and the jobs
        it created or updated), the journal's end, the task's end and the shadow's import lock
        released."""
        now, ws = now_ms(), scope.workspace.id
        touched, sent = wrote
        with self.db.transaction() as tx:
            record_after(tx, ws, after, touched)
            submitted = hold_as_remote(tx, ws, scope.actor.name, after, end.task_id, sent)
            end = tell_submitted(tx, end, item.name, submitted)
            # a push that changed nothing in the remote has nothing a rollback could push back
            journal_repo.set_push_state(tx, end.task_id, "done" if changes else "unchanged", now)
            said = f" Pushed to remote '{item.name}' with {calls} call(s)."
            pushed = {"remote": item.name, "calls": calls, "changes": changes}
            ended = task_repo.update_running(
                tx,
                end.task_id,
                status=end.status,
                message=end.message + said,
                progress=100,
                result=dump({**end.result, "push": pushed}),
                end_time=now,
                last_update=now,
            )
            if not ended:
                raise ConflictError(
                    f"Push {end.task_id} was failed by another server process while it ran "
                    "(this process missed its heartbeats); it is undone."
                )
            # the push as the remote took it (the import's own entry is the shadow's)
            detail = {
                "taskId": end.task_id,
                "calls": calls,
                "changes": len(changes),
                "versionsCreated": end.result.get("versionsCreated", 0),
            }
            audit_in_scope(tx, scope, "remote.push", "remote", item.name, detail)
            import_repo.drop_lock(tx, ws, end.task_id)

    def remote_of(self, scope: Scope) -> RemoteRecord:
        """The remote whose shadow ``scope``'s workspace is."""
        with self.db.transaction(readonly=True) as tx:
            item = remote_repo.get_remote(
                tx, scope.actor.project_id, scope.workspace.shadow_of or ""
            )
        if item is None:
            raise RemoteNotFoundError(
                f"Workspace '{scope.workspace.name}' names remote '{scope.workspace.shadow_of}', "
                "which is gone.",
                remote=scope.workspace.shadow_of,
            )
        return item

    def refuse_open(self, scope: Scope, item: RemoteRecord) -> None:
        """Refuse while a push (or a rollback) into the remote is not over."""
        with self.db.transaction(readonly=True) as tx:
            unfinished = journal_repo.open_in_workspace(tx, scope.workspace.id)
        if unfinished:
            task = unfinished[0].task_id
            raise ConflictError(
                f"Push {task} into remote '{item.name}' is not over (or its undo is being "
                "finished after its process stopped); push or roll back once it is.",
                remote=item.name,
                task_id=task,
            )

    def _refuse_changed(
        self, scope: Scope, item: RemoteRecord, state: RemoteState, touched: dict[str, set[str]]
    ) -> None:
        changed = changed_since(self.db, scope.workspace.id, state, touched)
        if changed:
            raise PlanStaleError(
                f"Remote '{item.name}' changed since it was last refreshed: "
                f"{', '.join(changed[:20])}; nothing was pushed. Refresh it (jobferry remotes "
                f"refresh {item.name}), review a new plan and import again.",
                remote=item.name,
                changed=changed,
            )

    def _write(
        self, task_id: str, plan: list[list[Step]], journal: Journal, writes: RemoteWrites
    ) -> list[str]:
        """Make every call, level by level; the changes made (raises :class:`PushFailed`)."""
        made: list[str] = []
        total = sum(len(level) for level in plan)
        with ThreadPoolExecutor(max_workers=max(1, self.in_flight)) as pool:
            for n, level in enumerate(plan, 1):
                steps = [replace(step, level=n) for step in level]
                made.extend(send_level(pool, steps, journal, writes, self.in_flight))
                if n < len(plan):  # the last level's is read with the push's end
                    journal.undos(read_back(writes.client, journal.calls()))
                self.tasks.advance(
                    task_id, 50 + 40 * len(made) // max(total, 1), f"{len(made)}/{total} call(s)."
                )
        return made

    def settle(self, item: RemoteRecord, task_id: str | None = None) -> None:
        """Wait until a call sent without an answer can no longer land, before an undo reads
        the remote to decide what to undo (``task_id``: the push's task, which says so)."""
        if not self.settle_ms:
            return
        if task_id is not None:
            self.tasks.advance(
                task_id,
                90,
                f"A call to remote '{item.name}' got no answer; waiting {self.settle_ms / 1000:.0f}"
                " s for it to land before undoing the push.",
            )
        self.sleep(self.settle_ms / 1000)

    def _undone(
        self,
        scope: Scope,
        journal: Journal,
        writes: RemoteWrites,
        item: RemoteRecord,
        step: Step | None,
        reason: str,
    ) -> RemoteError:
        where = f" at {step.title()}" if step is not None else ""
        failed = f"The push to remote '{item.name}' failed{where}: {sentence(reason)}"
        try:
            report, shadow = self._undo(scope, journal, writes, item)
        except RemoteError as exc:  # out of reach: the recovery finishes the undo
            self.hand_over(journal.task_id, exc)
            return RemoteError(f"{failed} {HANDED_OVER}", remote=item.name)
        return RemoteError(
            f"{failed} {report.describe()}{shadow}", remote=item.name, push=report.as_json()
        )

    def _undo(
        self, scope: Scope, journal: Journal, writes: RemoteWrites, item: RemoteRecord
    ) -> tuple[UndoReport, str]:
        """Undo the remote from the journal, newest first, then the shadow's import (raises
        the remote's error when it is out of reach: :meth:`hand_over`)."""
        report = undo_push(journal, writes, item.name, over=False, waits=True, width=self.in_flight)
        return report, self._undo_shadow(scope, journal.task_id, report.final())

    def hand_over(self, task_id: str, exc: RemoteError) -> None:
        """A push's (or a push's rollback's) own undo could not reach the remote: rather than
        call every change left one that could not be undone, its journal ``task_id`` waits for
        the recovery (the calls undone so far stay undone; a push's shadow keeps the pushed
        state until the recovery's end), tried as a recovery that found the remote out of
        reach is."""
        wait = next_wait(1, self.settle_ms, exc.on_its_way)
        with self.db.transaction() as tx:
            journal_repo.wait_push(tx, task_id, sentence(exc.message), self.clock() + wait)
        log.warning("push %s: its undo waits for remote, out of reach (%s)", task_id, exc.message)

    def _undo_shadow(self, scope: Scope, task_id: str, final: str) -> str:
        """Roll the shadow's import back (the local rollback, in one transaction with the
        journal's end, its subtasks failed); what the task's message adds."""
        held = " and was undone"
        if final != "undone":
            held = "; the task's message says what the remote kept"
        why = f"Not kept: the push to remote '{scope.workspace.shadow_of}' failed{held}."
        try:
            with self.db.transaction(bulk=True) as tx:
                undone = undo_import(tx, scope, task_id)
                fail_subtasks(tx, task_id, why)
                journal_repo.set_push_state(tx, task_id, final, now_ms())
        except RollbackRefusedError as exc:
            with self.db.transaction() as tx:
                journal_repo.set_push_state(tx, task_id, final, now_ms())
            return f" The shadow's import could NOT be rolled back: {exc.message}"
        if not undone.count:
            return ""
        return f" The shadow's import was rolled back ({undone.count} object(s))."

    # -- a push whose process died ------------------------------------------------------

    def recover(self) -> list[str]:
        """Finish the undo of every push whose process died (its task failed by the
        heartbeat), and of those whose recovery waits on the remote and is due; the task ids
        undone (:mod:`.recovery`)."""
        return self._recovery().run()

    def telling(self, tx: Tx, tasks: Sequence[TaskRecord]) -> dict[str, str]:
        """What the tasks among ``tasks`` of pushes (or rollbacks) whose process died say
        while their undo waits or runs, as of now (``TaskService.telling``)."""
        return self._recovery().telling(tx, tasks)

    def _recovery(self) -> Recovery:
        return Recovery(
            self.db,
            self.remotes,
            self.tasks,
            self._undo_shadow,
            self.settle_ms,
            self.sleep,
            self.clock,
            self._waiting,
            self.in_flight,
        )


def _refuse_unsupported(program: Program, remote: str) -> None:
    problems = list(program.unsupported)
    problems += [
        f"the rename of {kind} '{old}' to '{new}' (DataArts' public API renames only jobs)"
        for kind, old, new in program.renames
        if kind != ObjectKind.JOB
    ]
    if problems:
        raise InvalidRequestError(
            f"Remote '{remote}' cannot be given {'; '.join(problems)}; nothing was pushed.",
            remote=remote,
            problems=problems,
        )
