"""Recovery: the undo of a push (or of a push's rollback) whose server process died, finished
by whichever server process takes it (:meth:`~.push.PushService.recover`, from the task
runner's keeper).

A push is taken once the calls it had in flight can no longer land (the settle time after the
newest was sent): the undo decides from what the remote holds, and a create landing after it
would stay. Its journal is then ``recovering``, claimed by this process until ``retry_at``
(:data:`CLAIM_MS`, renewed as each call is undone): a claim whose process died (it stopped
beating) or stopped undoing (the claim lapsed) is taken over by the next recovery.

A remote the recovery cannot reach (no answer, a 5xx or 429, its key refused; or gone from
this server) does not make the push's changes "could not be undone": the journal goes to
``waiting`` with the remote's error in words and the time it is tried again, each wait twice
the last (:data:`FIRST_WAIT_MS` to :data:`LONGEST_WAIT_MS`, never before a call that got no
answer can land); the calls undone so far stay undone. The task says so meanwhile
(:mod:`.orphans`), and how it ended once the undo is over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jobferry.domain.enums import Role, TaskStatus
from jobferry.errors import RemoteError
from jobferry.services.context import Actor, Scope, now_ms
from jobferry.services.definitions.documents import dump, load
from jobferry.services.remotes.journal import Journal
from jobferry.services.remotes.meanwhile import read_back_settled
from jobferry.services.remotes.orphans import failed_live, tell_rollback, undoing_now
from jobferry.services.remotes.service import RemoteService
from jobferry.services.remotes.undo import ROLLBACK, UndoReport, sentence, undo_push
from jobferry.services.remotes.writes import RemoteWrites
from jobferry.services.tasks import TaskService
from jobferry.storage import Database, Tx
from jobferry.storage import accounts as account_repo
from jobferry.storage import remotes as remote_repo
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.remotes import RemoteRecord
from jobferry.storage.remotes_journal import PushRecord
from jobferry.storage.tasks import TaskRecord

log = logging.getLogger("jobferry.push")

CLAIM_MS = 10 * 60_000
"""How long a recovery's claim holds without a call undone: past it, another takes over."""
FIRST_WAIT_MS = 30_000
"""The wait after a recovery first found its remote out of reach; each next one doubles."""
LONGEST_WAIT_MS = 30 * 60_000
"""The longest wait between two tries of a recovery whose remote stays out of reach."""


class RemoteOutOfReach(Exception):  # noqa: N818 - carried to the wait, never out of the recovery
    """The recovery could not reach the remote (``message``: why, in words; ``on_its_way``:
    a call it sent got no answer and may land yet)."""

    def __init__(self, message: str, on_its_way: bool = False) -> None:
        super().__init__(message)
        self.message, self.on_its_way = message, on_its_way


def next_wait(tries: int, settle_ms: int, on_its_way: bool) -> int:
    """How long the recovery waits after ``tries`` tries in a row found the remote out of
    reach (at least the settle time after a call that got no answer)."""
    wait: int = min(FIRST_WAIT_MS << max(tries - 1, 0), LONGEST_WAIT_MS)
    return max(wait, settle_ms) if on_its_way else wait


@dataclass
class Recovery:
    """The recovery of the pushes whose process died, as one pass over them (:meth:`run`)."""

    db: Database
    remotes: RemoteService
    tasks: TaskService
    undo_shadow: Callable[[Scope, str, str], str]
    """The shadow's import rolled back with the journal's end (``PushService._undo_shadow``)."""
    settle_ms: int
    sleep: Callable[[float], None]
    clock: Callable[[], int]
    waiting: set[str]
    """The pushes whose recovery waits on a call in flight, said once each (kept across
    passes by the push service)."""
    in_flight: int = 1
    """Calls of one level of the push undone together (``remote_push_calls_in_flight``)."""

    def run(self) -> list[str]:
        """Finish the undo of every push whose process died (its task failed by the
        heartbeat) and of those whose recovery is due again; the task ids undone."""
        now = self.clock()
        with self.db.transaction(readonly=True) as tx:
            orphans = journal_repo.orphaned(tx, now - 4 * self.tasks.heartbeat_ms, now)
            sent = {push.task_id: journal_repo.newest_pending(tx, push.task_id) for push in orphans}
        done = []
        for push in orphans:
            if self._unsettled(push, sent[push.task_id], now):
                continue
            with self.db.transaction() as tx:
                if not journal_repo.claim_push(tx, push, self.tasks.worker_id, now + CLAIM_MS):
                    continue
                item = remote_repo.get_remote(tx, push.project_id, push.remote)
            try:
                report = self._undo(push, item)
            except RemoteOutOfReach as out:
                self._wait(push, out)
                continue
            if self._end(push, item, report):
                done.append(push.task_id)
        return done

    def _undo(self, push: PushRecord, item: RemoteRecord | None) -> UndoReport:
        """Undo the remote's side of ``push`` (raises :class:`RemoteOutOfReach`)."""
        if item is None:
            raise RemoteOutOfReach(
                f"Remote '{push.remote}' is no longer configured on this server (its record "
                "is gone from the database), so its endpoint and key are unknown."
            )
        journal = Journal(self.db, push.task_id, claim_ms=CLAIM_MS)
        try:
            with self.remotes.client(item) as client:
                writes = RemoteWrites(client, self.sleep)
                journal.undos(read_back_settled(client, journal.calls()))
                return undo_push(
                    journal, writes, item.name, over=False, recovering=True, width=self.in_flight
                )
        except RemoteError as exc:
            raise RemoteOutOfReach(sentence(exc.message), exc.on_its_way) from exc

    def _wait(self, push: PushRecord, out: RemoteOutOfReach) -> None:
        """Put the push's recovery back to wait for its remote, to be tried again later."""
        wait = next_wait(push.tries + 1, self.settle_ms, out.on_its_way)
        with self.db.transaction() as tx:
            journal_repo.wait_push(tx, push.task_id, out.message, self.clock() + wait)
        log.warning(
            "push %s: its undo waits for remote %s, out of reach (%s); tried again in %.0f s",
            push.task_id,
            push.remote,
            out.message,
            wait / 1000,
        )

    def _end(self, push: PushRecord, item: RemoteRecord | None, report: UndoReport) -> bool:
        """The shadow's side rolled back with the journal's end, and the task told; whether
        it was a push's (a rollback's journal ends alone)."""
        shadow = self._recover_shadow(push, report.final())
        if push.task_id.startswith(ROLLBACK):  # its task's, if it ran as one
            with self.db.transaction() as tx:
                tell_rollback(tx, push, report, now_ms())
            return False
        self._tell(push, item.name if item else push.remote, report, shadow)
        return True

    def _unsettled(self, push: PushRecord, sent: int | None, now: int) -> bool:
        """Whether a call ``push`` had in flight when its process died (sent at ``sent`` at
        the latest) may still land on the remote: its recovery waits, since the undo decides
        from what the remote holds."""
        if sent is None or now >= sent + self.settle_ms:
            self.waiting.discard(push.task_id)
            return False
        if push.task_id not in self.waiting:
            self.waiting.add(push.task_id)
            wait = (sent + self.settle_ms - now) / 1000
            log.warning(
                "push %s to remote %s: its undo waits %.0f s for the calls in flight when its "
                "process stopped to reach the remote",
                push.task_id,
                push.remote,
                wait,
            )
        return True

    def telling(self, tx: Tx, tasks: Sequence[TaskRecord]) -> dict[str, str]:
        """What the tasks among ``tasks`` of pushes (or rollbacks) whose process died say
        while their undo waits or runs, as of now (``TaskService.telling``)."""
        now = self.clock()
        alive_since = now - 4 * self.tasks.heartbeat_ms
        return undoing_now(tx, tasks, settle_ms=self.settle_ms, alive_since=alive_since, now=now)

    def _recover_shadow(self, push: PushRecord, final: str) -> str:
        """The shadow's import of a push whose process died, rolled back with the journal's
        end (a rollback's journal: the shadow never took it, the journal ends alone)."""
        with self.db.transaction(readonly=True) as tx:
            scope = _task_scope(tx, push)
        if scope is None:
            with self.db.transaction() as tx:
                journal_repo.set_push_state(tx, push.task_id, final, now_ms())
            return ""
        return self.undo_shadow(scope, push.task_id, final)

    def _tell(self, push: PushRecord, remote: str, report: UndoReport, shadow: str) -> None:
        result = dump({"push": report.as_json()})
        with self.db.transaction() as tx:
            task = task_repo.get_task(tx, push.workspace_id, push.task_id)
            failed = failed_live(task.message if task is not None else None)
            said = (
                f"The push to remote '{remote}' stopped when its server process did, and was "
                "undone after a restart."
                if failed is None
                else f"{failed} Its undo was finished once the remote answered again."
            )
            message = f"{said} {report.describe()}{shadow}"
            journal_repo.tell_task(tx, push.task_id, TaskStatus.FAILED, message, result, now_ms())


def _task_scope(tx: Tx, push: PushRecord) -> Scope | None:
    """The scope the push's import task ran in (``None``: a rollback's journal, no task)."""
    task = task_repo.get_task(tx, push.workspace_id, push.task_id)
    workspace = account_repo.get_workspace(tx, push.project_id, push.workspace_id)
    if task is None or task.actor is None or workspace is None:
        return None
    who = load(task.actor)
    actor = Actor(int(who["userId"]), str(who["name"]), push.project_id, who["projectAdmin"])
    return Scope(actor, workspace, Role(who["role"]))
