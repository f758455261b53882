"""Push: an import into a remote's shadow workspace writes the remote, all or nothing.

1. **Rehearse** — the import runs unchanged into the shadow through the noting executor of
   the change port (:mod:`.program`), in a transaction then rolled back: every rule of the plan
   holds, and what the shadow would hold is what the remote must.
2. **Re-read** the objects the push touches from the remote in bulk (:mod:`.reading`) and
   refuse, naming them, those changed since the refresh the plan was made on (their hashes
   differ from ``remote_objects``).
3. **Write** the calls in dependency order (:mod:`.steps`), a level at a time with at most
   ``remote_push_calls_in_flight`` calls in flight, each journalled before and after
   (:mod:`.journal`). A call that fails for good (after the retries of :mod:`.writes`) stops
   the push and :mod:`.undo` undoes every change made, newest first; the task fails with what
   was undone and what could not be.
4. **Commit** — the import runs again into the shadow, for real this time, and in its one
   transaction the shadow takes the changes (its ledger records the promotion), the hashes of
   what the remote now holds are recorded (read again after the writes) and the journal says
   the push is over. Should that fail, the remote is undone too.

One push per remote at a time: the shadow's import lock, taken when the task is queued
(across processes); a push whose process died is finished (undone) by :meth:`PushService.recover`
before another may start. What a remote cannot promise: another writer changing an object
between the re-read and the writes is not prevented — the journal's before-images are what
the push read, and the next refresh shows the difference.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from jobferry.domain.enums import ImportMode, ObjectKind, TaskStatus
from jobferry.errors import (
    ConflictError,
    InvalidRequestError,
    JobferryError,
    PlanStaleError,
    RemoteError,
    RemoteNotFoundError,
)
from jobferry.services.context import Scope, now_ms
from jobferry.services.definitions.documents import dump
from jobferry.services.importing.changes import Committed
from jobferry.services.importing.delivery import Attempt, PreparedImport
from jobferry.services.remotes.journal import Journal
from jobferry.services.remotes.program import NotingChanges, Program
from jobferry.services.remotes.reading import RemoteState, changed_since, read_state
from jobferry.services.remotes.records import LISTED, SUBMITTED
from jobferry.services.remotes.service import RemoteService
from jobferry.services.remotes.steps import build
from jobferry.services.remotes.undo import UndoReport, undo_push
from jobferry.services.remotes.writes import RemoteWrites, Step, transient
from jobferry.services.tasks import TaskService
from jobferry.storage import Database, Tx
from jobferry.storage import remotes as remote_repo
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage.remotes import RemoteRecord

log = logging.getLogger("jobferry.push")


class Rehearsed(Exception):  # noqa: N818 - a signal, not an error: it rolls the rehearsal back
    """Raised at the rehearsal's end, carrying what the remote must be told."""

    def __init__(self, program: Program) -> None:
        super().__init__("rehearsal over")
        self.program = program


class Rehearsal(NotingChanges):
    """The shadow's change port in the rehearsal: noting, and never committing."""

    def commit(self) -> Committed:
        """Never commits: raise the program (the transaction rolls back)."""
        raise Rehearsed(self.program())


@dataclass
class Commit:
    """What the shadow's commit after the remote's writes needs: what was pushed, what the
    remote holds now, the calls made."""

    task_id: str
    remote: str
    pushed: Program
    after: RemoteState
    touched: dict[str, set[str]]
    calls: int
    changes: list[str] = field(default_factory=list)

    def __call__(self, tx: Tx, scope: Scope) -> Committing:
        """The shadow's change port for the commit (noting: the shadow must take what the
        remote took)."""
        return Committing(tx, scope, self)


class Committing(NotingChanges):
    """The shadow's change port in the commit: records what the remote now holds, ends the
    journal."""

    def __init__(self, tx: Tx, scope: Scope, push: Commit) -> None:
        super().__init__(tx, scope)
        self.push = push

    def commit(self) -> Committed:
        """Check the shadow took what the remote did, record the hashes read after the push
        and end the journal, in the import's transaction."""
        push, tx = self.push, self.tx
        if self.program() != push.pushed:
            raise ConflictError(
                f"The shadow of remote '{push.remote}' changed while the push ran (a refresh?): "
                "it would not take what the remote took; the push is undone. Import again."
            )
        now, ws = now_ms(), self.ws
        for kind, names in push.touched.items():
            remote_repo.forget_read(tx, ws, kind, names)
            hashes = push.after.hashes.get(kind, {})
            remote_repo.record_read(tx, ws, kind, sorted(hashes.items()), now)
        # the shadow's versions of the jobs written were not read from the remote, nor their
        # list entries: the next refresh exports them and compares
        jobs = push.touched.get(ObjectKind.JOB.value, set())
        remote_repo.forget_read(tx, ws, SUBMITTED, jobs)
        remote_repo.forget_read(tx, ws, LISTED, jobs)
        if push.changes:
            journal_repo.set_push_state(tx, push.task_id, "done", now)
        said = f" Pushed to remote '{push.remote}' with {push.calls} call(s)."
        return Committed(
            said, {"push": {"remote": push.remote, "calls": push.calls, "changes": push.changes}}
        )


class PushFailed(Exception):  # noqa: N818 - carried to the undo, never out of this module
    """A call failed for good."""

    def __init__(self, step: Step, message: str) -> None:
        super().__init__(message)
        self.step, self.message = step, message


@dataclass
class PushService:
    """Pushes into remotes, and the finishing of pushes whose process died."""

    db: Database
    remotes: RemoteService
    tasks: TaskService
    in_flight: int = 8
    sleep: Callable[[float], None] = time.sleep

    def push(self, job: PreparedImport, attempt: Attempt) -> int:
        """Push the import ``job`` (into a shadow) to its remote; objects written."""
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
        program = self._rehearse(attempt)
        _refuse_unsupported(program, item.name)
        self.tasks.advance(job.task_id, 50, f"Reading remote '{item.name}' again.")
        touched = program.touched()
        with self.remotes.client(item) as client:
            state = read_state(client, touched)
            self._refuse_changed(scope, item, state, touched)
            plan = build(program, state)
            journal = Journal(self.db, job.task_id)
            writes = RemoteWrites(client, self.sleep)
            if plan:
                journal.start(item.project_id, item.workspace_id, item.name, self.tasks.worker_id)
            try:
                changes = self._write(job.task_id, plan, journal, writes)
                after = read_state(client, touched)
                commit = Commit(
                    job.task_id, item.name, program, after, touched, client.calls, changes
                )
                return attempt(commit)
            except PushFailed as failed:
                raise self._undone(journal, writes, item, failed.step, failed.message) from None
            except Exception as exc:
                if not plan:
                    raise
                message = exc.message if isinstance(exc, JobferryError) else repr(exc)
                raise self._undone(journal, writes, item, None, message) from exc

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

    @staticmethod
    def _rehearse(attempt: Attempt) -> Program:
        try:
            attempt(Rehearsal)
        except Rehearsed as done:
            return done.program
        raise AssertionError("the rehearsal committed")  # pragma: no cover

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
            for level in plan:
                made.extend(self._level(pool, level, journal, writes))
                self.tasks.advance(
                    task_id, 50 + 40 * len(made) // max(total, 1), f"{len(made)}/{total} call(s)."
                )
        return made

    @staticmethod
    def _level(
        pool: ThreadPoolExecutor, level: list[Step], journal: Journal, writes: RemoteWrites
    ) -> list[str]:
        """Make one level's calls, in flight together; each call's outcome is journalled as
        soon as it is known, with those of the calls that ended meanwhile (one transaction)."""
        seqs = journal.pending(level)
        running: dict[Future[str | None], tuple[int, Step]] = {
            pool.submit(writes.make, step): (seq, step)
            for seq, step in zip(seqs, level, strict=True)
        }
        failures: dict[int, PushFailed] = {}
        while running:
            ended, _ = wait(running, return_when=FIRST_COMPLETED)
            outcomes = []
            for future in ended:
                seq, step = running.pop(future)
                state, note = _outcome(future)
                outcomes.append((seq, state, note))
                if note is not None:
                    failures[seq] = PushFailed(step, note)
            journal.marks(sorted(outcomes))
        if failures:
            raise failures[min(failures)]
        return [step.title() for step in level]

    def _undone(
        self,
        journal: Journal,
        writes: RemoteWrites,
        item: RemoteRecord,
        step: Step | None,
        reason: str,
    ) -> RemoteError:
        report = undo_push(journal, writes, item.name)
        where = f" at {step.title()}" if step is not None else ""
        return RemoteError(
            f"The push to remote '{item.name}' failed{where}: {reason} It was {report.describe()}",
            remote=item.name,
            push=report.as_json(),
        )

    # -- a push whose process died ------------------------------------------------------

    def recover(self) -> list[str]:
        """Finish the undo of every push whose process died (its task failed by the
        heartbeat); the task ids undone."""
        alive_since = now_ms() - 4 * self.tasks.heartbeat_ms
        with self.db.transaction(readonly=True) as tx:
            orphans = journal_repo.orphaned(tx, alive_since)
        done = []
        for push in orphans:
            with self.db.transaction() as tx:
                if not journal_repo.claim_push(tx, push, self.tasks.worker_id):
                    continue
                item = remote_repo.get_remote(tx, push.project_id, push.remote)
            if item is None:
                log.error(
                    "push %s: remote %s is gone; its journal stays", push.task_id, push.remote
                )
                continue
            journal = Journal(self.db, push.task_id)
            with self.remotes.client(item) as client:
                report = undo_push(journal, RemoteWrites(client, self.sleep), item.name)
            self._tell(push.task_id, item.name, report)
            done.append(push.task_id)
        return done

    def _tell(self, task_id: str, remote: str, report: UndoReport) -> None:
        message = (
            f"The push to remote '{remote}' stopped when its server process did; after a "
            f"restart it was {report.describe()}"
        )
        result = dump({"push": report.as_json()})
        with self.db.transaction() as tx:
            journal_repo.tell_task(tx, task_id, TaskStatus.FAILED, message, result, now_ms())


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


def _outcome(future: Future[str | None]) -> tuple[str, str | None]:
    """How an ended call went: ``done`` (no note), or ``refused``/``failed`` and why."""
    try:
        future.result()
    except RemoteError as exc:
        return ("failed" if transient(exc) else "refused"), exc.message
    except Exception as exc:  # a failure of ours: the call may have been made
        return "failed", repr(exc)
    return "done", None
