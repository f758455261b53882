"""Roll back a push: push its inverse, refused (naming the objects) before any call when the
shadow or the remote changed; the shadow takes the rollback once the remote did.

1. **Check** — read-only: a push or rollback into the remote not over, or an import that
   pushed nothing, refuses first; then every refusal the shadow's own rollback would make
   (:meth:`~jobferry.services.importing.rollback.LocalRollback.check`: not a finished import,
   rolled back already, an object changed in the shadow since the import — so in the remote,
   as a refresh brought it —, a name taken since); then the objects the push's journal names
   are re-read from the remote, in bulk, and those changed since the last refresh refuse it
   (as a push does); a rollback that takes a name away (:func:`freed`) is refused too by a
   job the remote lists new or saved since the last refresh that uses it (the shadow cannot
   know those jobs: :func:`~.reading.jobs_listed_since`, their definitions read in bulk,
   :func:`~.reading.jobs_using`). Nothing has been called or written yet. Its preview
   (``RollbackService.preview``, :meth:`PushRollback.preview`) makes the refusals of this
   step that this server's rows tell, in the same order, and calls nothing in the remote.
2. **Write** the inverse of each call the push made, newest first (:func:`~.writes.inverse`),
   journalled as a push of its own (``rollback-<id>``): the before-image put back, what it
   created deleted, renames reversed, what it deleted created again, scheduling set back. Each
   inverse carries its own undo (what the remote held), so a call that fails for good undoes
   the rollback's own calls — the remote holds the pushed state again, the shadow untouched.
3. **Commit** — one transaction: the shadow's rollback, the same code a local rollback runs
   (through the local executor of the change port), the hashes of what the remote now holds,
   the journal's end. Refused there (the shadow changed between the check and now), the
   rollback's calls are undone as in 2.

The shadow cannot go first: nothing undoes a local rollback, so a call failing after it could
not bring the shadow back to the pushed state. A process killed between 2 and 3 leaves the
rollback's journal open; :meth:`PushService.recover` undoes its calls and ends it, so remote and
shadow are both as before the rollback (the push stands), and a rollback task says so: what had
been rolled back, what could not be put back, and the command that finishes the rollback
(:func:`~.orphans.tell_rollback`).

A push that changed nothing in the remote (``unchanged``: every object already as the package
has it but for what no call carries, a job's description, which a shadow last refreshed from a
carried snapshot plans as a change) is rolled back in the shadow alone: its import still wrote
there (the promotion ledger's rows), which holds back the rollback of an earlier push until it
is rolled back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from jobferry.domain.enums import JobStatus, ObjectKind, RollbackRule, TaskKind
from jobferry.errors import PlanStaleError, RemoteError, RollbackRefusedError
from jobferry.services.audit import audit_in_scope
from jobferry.services.context import Scope, now_ms
from jobferry.services.importing.delivery import Rollback, RolledBack
from jobferry.services.remotes.client import DataArtsClient
from jobferry.services.remotes.journal import Journal
from jobferry.services.remotes.meanwhile import left_by
from jobferry.services.remotes.orphans import HANDED_OVER, journal_key
from jobferry.services.remotes.push import PushService
from jobferry.services.remotes.reading import (
    RemoteState,
    changed_since,
    jobs_listed_since,
    jobs_using,
    read_state,
    record_after,
)
from jobferry.services.remotes.undo import sentence, undo_push, undo_step
from jobferry.services.remotes.unsent import hold_as_remote
from jobferry.services.remotes.writes import RemoteWrites, Step, Undo, inverse, outcome
from jobferry.storage import Database, Tx
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage.remotes import RemoteRecord
from jobferry.storage.remotes_journal import CallRecord


def journal_id(task: str | None) -> str:
    """A journal key for a rollback: its task's (:func:`~.orphans.journal_key`, which the
    task's reads and the recovery find it by), or, answered in its request, its own."""
    return journal_key(task or uuid.uuid4().hex, TaskKind.ROLLBACK)


def _renamed_to(call: CallRecord) -> str | None:
    """The name a push's rename call gave its job (``None``: not a rename)."""
    if call.call != "update_factory_job_name":
        return None
    undo = Undo.of(orjson.loads(call.undo))
    return undo.to if undo is not None else None


def _touched(calls: list[CallRecord]) -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for call in calls:
        names.setdefault(call.kind, set()).add(call.name)
        if (to := _renamed_to(call)) is not None:
            names[call.kind].add(to)
    return names


def freed(made: list[CallRecord]) -> set[tuple[str, str]]:
    """The objects (kind, name) whose names the rollback of the calls ``made`` takes away: what
    the push created (deleted again) and a job's name it gave (renamed back). The shadow's own
    check of the jobs using them knows only the jobs the last refresh read, so the remote's
    jobs new or saved since then are read too (:func:`~.reading.jobs_listed_since`,
    :func:`~.reading.jobs_using`)."""
    names: set[tuple[str, str]] = set()
    for call in made:
        if (to := _renamed_to(call)) is not None:
            names.add((call.kind, to))
        elif call.call in ("create_job", "create_script", "create_resource"):
            names.add((call.kind, call.name))
    return names


def _refuse_users(
    client: DataArtsClient,
    db: Database,
    ws: str,
    touched: dict[str, set[str]],
    made: list[CallRecord],
    remote: str,
    task_id: str,
) -> None:
    """Refuse the rollback when a job made or saved in the remote since the last refresh (the
    shadow's own check cannot know it) uses a name the rollback takes away (:func:`freed`): it
    would be left running a script the rollback deletes, or depending on a job gone."""
    taken = freed(made)
    if not taken:
        return
    since = jobs_listed_since(db, ws, client, touched.get(ObjectKind.JOB.value, set()))
    users = jobs_using(client, since, taken)
    if users:
        raise RollbackRefusedError(
            f"Push {task_id} cannot be rolled back: remote '{remote}' holds jobs made or saved "
            "in DataArts since the last refresh that use what the rollback would delete or "
            f"rename back: {'; '.join(users[:20])}. Nothing was changed; change those jobs in "
            "DataArts so that they no longer use it (or delete them), then roll back again.",
            rule=RollbackRule.CHANGED,
            task_id=task_id,
            conflicts=users,
        )


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

    def rollback(self, scope: Scope, rollback: Rollback) -> RolledBack:
        """Roll back the push ``rollback`` names, of the shadow of ``scope``: checked, then the
        remote, then the shadow."""
        db, item, task_id = self.pushes.db, self.pushes.remote_of(scope), rollback.task_id
        made = self._refuse_here(scope, item, task_id)
        rollback.check()  # the shadow's own refusals, before any call
        if not made:  # no call changed the remote: the shadow's import alone goes back
            return rollback.run()
        touched = _touched(made)
        objects = sum(len(names) for names in touched.values())
        rollback.advance(
            10, f"Reading {objects} object(s) in remote '{item.name}' (push {task_id})."
        )
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
            _refuse_users(client, db, ws, touched, made, item.name, task_id)
            journal = Journal(db, journal_id(rollback.task))
            writes = RemoteWrites(client, self.pushes.sleep)
            journal.start(item.project_id, ws, item.name, self.pushes.tasks.worker_id)
            steps = [inverse_of(c, state) for c in reversed(made)]
            self._write(
                journal, writes, item, [step for step in steps if step is not None], rollback
            )
            rollback.advance(85, f"Reading {objects} object(s) in remote '{item.name}' again.")
            after = read_state(client, touched)
            journal.undos(left_by(journal.calls(), after))
            rollback.advance(90, f"Rolling back the shadow workspace '{scope.workspace.name}'.")
            try:
                pulled = Pulled(scope, after, touched, journal.task_id, (item.name, task_id))
                return rollback.run(pulled)
            except Exception as exc:
                report = undo_push(journal, writes, item.name, width=self.pushes.in_flight)
                raise RollbackRefusedError(
                    f"Push {task_id} was rolled back in remote '{item.name}' but the shadow "
                    f"refused its own rollback ({exc}). {report.describe('rollback')}",
                    rule=RollbackRule.INTERRUPTED,
                    task_id=task_id,
                    push=report.as_json(),
                ) from exc

    def preview(self, scope: Scope, rollback: Rollback) -> RolledBack:
        """What :meth:`rollback` would undo, or the refusal it would make before its first
        call, in its order: a push or rollback into the remote not over, an import that pushed
        nothing, the shadow's own refusals. This server's rows only: what changed in the
        remote since the last refresh is read by the rollback alone."""
        self._refuse_here(scope, self.pushes.remote_of(scope), rollback.task_id)
        return rollback.check()

    def _refuse_here(self, scope: Scope, item: RemoteRecord, task_id: str) -> list[CallRecord]:
        """The calls push ``task_id`` made that landed (:meth:`_landed`), after refusing while
        a push or rollback into the remote is not over; reads this server's rows only."""
        self.pushes.refuse_open(scope, item)
        return self._landed(scope, item, task_id)

    def _landed(self, scope: Scope, item: RemoteRecord, task_id: str) -> list[CallRecord]:
        """The calls push ``task_id`` made that landed (none: it changed nothing in the
        remote, its import into the shadow alone to roll back); refused when it is no push
        into the shadow of ``scope`` that landed."""
        with self.pushes.db.transaction(readonly=True) as tx:
            push = journal_repo.get_push(tx, task_id)
            calls = journal_repo.calls(tx, task_id)
        if push is not None and push.workspace_id == scope.workspace.id:
            if push.state == "unchanged":
                return []
            if push.state == "done":
                return [call for call in calls if call.state == "done"]
        raise RollbackRefusedError(
            f"Import {task_id} did not push anything to remote '{item.name}' (it is not a "
            f"push into its shadow '{scope.workspace.name}' that landed); the shadow changes "
            "only with the remote, so there is nothing to roll back.",
            rule=RollbackRule.NOTHING,
            task_id=task_id,
            remote=item.name,
        )

    def _write(
        self,
        journal: Journal,
        writes: RemoteWrites,
        item: RemoteRecord,
        steps: list[Step],
        rollback: Rollback,
    ) -> None:
        """Make every inverse call, in order, journalled, saying how many went (20–80 %); one
        that fails for good undoes those made before it, from the journal, and raises."""
        every = max(1, len(steps) // 50)
        for made, step in enumerate(steps, start=1):
            (seq,) = journal.pending([step])
            try:
                writes.make(step)
            except RemoteError as exc:
                journal.mark(seq, outcome(exc), exc.message)
                if exc.on_its_way:
                    self.pushes.settle(item)  # the undo reads the remote once it cannot land
                failed = f"The rollback in remote '{item.name}' failed at {step.title()}: "
                try:
                    report = undo_push(
                        journal, writes, item.name, waits=True, width=self.pushes.in_flight
                    )
                except RemoteError as out:  # out of reach: the recovery finishes the undo
                    self.pushes.hand_over(journal.task_id, out)
                    said = f"{failed}{sentence(exc.message)} {HANDED_OVER}"
                    raise RemoteError(said, remote=item.name) from exc
                raise RemoteError(
                    f"{failed}{sentence(exc.message)} {report.describe('rollback')}",
                    remote=item.name,
                    push=report.as_json(),
                ) from exc
            journal.mark(seq, "done")
            if made % every == 0 or made == len(steps):
                rollback.advance(
                    20 + 60 * made // len(steps),
                    f"{made}/{len(steps)} call(s) to remote '{item.name}'.",
                )


@dataclass(frozen=True)
class Pulled:
    """What a push's rollback writes in the shadow's rollback transaction (an
    :class:`~jobferry.services.importing.delivery.Along`): the hashes of what the remote holds
    after the inverse calls, and the rollback journal's end."""

    scope: Scope
    """Who rolls back (what the shadow's jobs brought to the remote are stamped with), where."""
    held: RemoteState
    """The touched objects, read again after the inverse calls."""
    touched: dict[str, set[str]]
    journal: str
    push: tuple[str, str]
    """The remote's name and the push's task."""

    def before(self, tx: Tx) -> None:
        """Nothing before the undo."""

    def after(self, tx: Tx) -> None:
        """The hashes read after the calls, the jobs' unsent fields as the remote holds them
        (:mod:`.unsent`); the journal ended, and its audit line: the remote, the push rolled
        back and the calls the rollback made (the shadow's rollback is ``import.rollback``)."""
        ws, (remote, push) = self.scope.workspace.id, self.push
        record_after(tx, ws, self.held, self.touched)
        hold_as_remote(tx, ws, self.scope.actor.name, self.held)
        journal_repo.set_push_state(tx, self.journal, "done", now_ms())
        calls = sum(1 for call in journal_repo.calls(tx, self.journal) if call.state == "done")
        detail = {"taskId": push, "calls": calls}
        audit_in_scope(tx, self.scope, "remote.rollback", "remote", remote, detail)
