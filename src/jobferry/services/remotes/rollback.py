"""Roll back a push: push its inverse, refused (naming the objects) when the remote changed.

1. **Rehearse** the shadow's own rollback (``RollbackService``, every check it makes: an object
   changed in the shadow since the import — so in the remote, as a refresh brought it — refuses
   it), in a transaction then rolled back.
2. **Re-read** the objects the push's journal names, in bulk, and refuse those changed in the
   remote since the last refresh (as a push does).
3. **Write** the inverse of each call the push made, newest first, journalled as a push of its
   own (``rollback-<id>``): the before-image put back, what it created deleted, renames
   reversed, what it deleted created again, scheduling set back. Each inverse carries its own
   undo (what the remote held), so a failure undoes the rollback — the push stands whole again.
4. **Commit** the shadow's rollback for real, with the hashes read after the writes and the
   journal's end, in one transaction.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.errors import PlanStaleError, RemoteError, RollbackRefusedError
from jobferry.services.context import Scope, now_ms
from jobferry.services.importing.delivery import RollbackHook, RolledBack
from jobferry.services.remotes.journal import Journal
from jobferry.services.remotes.push import PushService
from jobferry.services.remotes.reading import RemoteState, changed_since, read_state, record_after
from jobferry.services.remotes.undo import undo_push, undo_step
from jobferry.services.remotes.writes import RemoteWrites, Step, inverse, transient
from jobferry.storage import Tx
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage.remotes import RemoteRecord
from jobferry.storage.remotes_journal import CallRecord


class _Rehearsed(Exception):  # noqa: N818 - a signal: rolls the rehearsal back
    pass


def _rehearse(tx: Tx) -> None:
    raise _Rehearsed


def journal_id() -> str:
    """A journal key for a rollback (each attempt its own)."""
    return f"rollback-{uuid.uuid4().hex}"


def _touched(calls: list[CallRecord]) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for call in calls:
        names.setdefault(call.kind, set()).add(call.name)
        if call.call == "update_factory_job_name":
            names[call.kind].add(str(orjson.loads(call.undo)["to"]))
    return names


def inverse_of(call: CallRecord, state: RemoteState) -> Step | None:
    """The call that undoes a call the push made, with what undoes it in turn (what the
    remote holds now, as read in bulk)."""
    return inverse(undo_step(call), StateHeld(state))


class StateHeld:
    """What the remote holds, as the rollback's bulk re-read found it (before its first
    inverse: every call it undoes took effect, so every inverse is made)."""

    current = False

    def __init__(self, state: RemoteState) -> None:
        self.state = state

    def has(self, kind: ObjectKind, name: str) -> bool:
        return self.state.has(kind, name)

    def doc(self, kind: ObjectKind, name: str) -> dict[str, Any]:
        return self.state.doc(kind, name) if self.state.has(kind, name) else {}

    def key(self, kind: ObjectKind, name: str) -> str | None:
        return self.state.resource_ids.get(name)

    def status(self, name: str) -> JobStatus | None:
        return self.state.status.get(name, JobStatus.STOPPED)


@dataclass
class PushRollback:
    """Roll back pushes (``RollbackService.remote``)."""

    pushes: PushService

    def rollback(
        self, scope: Scope, task_id: str, local: Callable[[RollbackHook | None], RolledBack]
    ) -> RolledBack:
        """Roll back push ``task_id`` of the shadow of ``scope``: the remote, then the shadow."""
        db, item = self.pushes.db, self.pushes.remote_of(scope)
        self.pushes.refuse_open(scope, item)
        with db.transaction(readonly=True) as tx:
            push = journal_repo.get_push(tx, task_id)
            calls = journal_repo.calls(tx, task_id)
        if push is None or push.workspace_id != scope.workspace.id or push.state != "done":
            raise RollbackRefusedError(
                f"Import {task_id} did not push anything to remote '{item.name}' (it is not a "
                f"push into its shadow '{scope.workspace.name}' that landed, or it changed "
                "nothing there); the shadow changes only with the remote, so there is nothing "
                "to roll back.",
                task_id=task_id,
                remote=item.name,
            )
        with contextlib.suppress(_Rehearsed):
            local(_rehearse)  # the shadow's own checks (changed since, rolled back already)
        made = [call for call in calls if call.state == "done"]
        touched = _touched(made)
        with self.pushes.remotes.client(item) as client:
            state = read_state(client, touched)
            ws = scope.workspace.id
            changed = changed_since(db, ws, state, touched)
            if changed:
                raise PlanStaleError(
                    f"Push {task_id} cannot be rolled back: remote '{item.name}' changed since "
                    f"it was last refreshed: {', '.join(changed[:20])}; nothing was changed. "
                    f"Refresh it (jobferry remotes refresh {item.name}) and roll back again: "
                    "the shadow's rollback then says what changed since the push.",
                    remote=item.name,
                    changed=changed,
                )
            journal = Journal(db, journal_id())
            writes = RemoteWrites(client, self.pushes.sleep)
            journal.start(item.project_id, ws, item.name, self.pushes.tasks.worker_id)
            steps = [inverse_of(c, state) for c in reversed(made)]
            self._write(journal, writes, item, [step for step in steps if step is not None])
            after = read_state(client, touched)
            try:
                return local(lambda tx: self._commit(tx, ws, after, touched, journal.task_id))
            except Exception as exc:
                report = undo_push(journal, writes, item.name)
                raise RollbackRefusedError(
                    f"Push {task_id} was rolled back in remote '{item.name}' but the shadow "
                    f"refused its own rollback ({exc}); the remote was {report.describe()}",
                    task_id=task_id,
                    push=report.as_json(),
                ) from exc

    @staticmethod
    def _write(
        journal: Journal, writes: RemoteWrites, item: RemoteRecord, steps: list[Step]
    ) -> None:
        for step in steps:
            (seq,) = journal.pending([step])
            try:
                writes.make(step)
            except RemoteError as exc:
                journal.mark(seq, "failed" if transient(exc) else "refused", exc.message)
                report = undo_push(journal, writes, item.name)
                raise RemoteError(
                    f"The rollback in remote '{item.name}' failed at {step.title()}: "
                    f"{exc.message} It was {report.describe()}",
                    remote=item.name,
                    push=report.as_json(),
                ) from exc
            journal.mark(seq, "done")

    @staticmethod
    def _commit(
        tx: Tx, ws: str, after: RemoteState, touched: dict[str, set[str]], journal: str
    ) -> None:
        record_after(tx, ws, after, touched)
        journal_repo.set_push_state(tx, journal, "done", now_ms())
