"""A push's journal: every remote call written down durably before it is made and after.

Each entry is its own short transaction (the push holds no transaction while it calls the
remote; the outcomes of calls that ended while the last were being written down share one),
so what a process killed mid-push leaves in the journal is exactly what stands:
``done`` calls took effect, ``pending`` ones may have, ``refused`` ones did not (the remote
said no, or the call was never sent: :mod:`.sending`), ``failed`` ones may have (they failed
in a way that may follow their effect).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jobferry.services.context import now_ms
from jobferry.services.remotes.writes import Step
from jobferry.storage import Database, Tx
from jobferry.storage import remotes_journal as repo
from jobferry.storage.remotes_journal import CallRecord, PushRecord

UNDONE_STATES = frozenset({"done", "pending", "failed"})
"""Calls that took effect or may have: what an undo undoes."""


@dataclass
class Journal:
    """The journal of one push (task ``task_id``)."""

    db: Database
    task_id: str
    claim_ms: int = 0
    """A recovery's journal: each call's outcome renews the claim for this long (its process
    is at work), so that only a claim nobody renews lapses (0: a push's own journal)."""

    def start(self, project_id: str, workspace_id: str, remote: str, owner: str) -> None:
        """Journal the push before its first call."""
        item = PushRecord(
            self.task_id, project_id, workspace_id, remote, "pushing", owner, now_ms(), None
        )
        with self.db.transaction() as tx:
            repo.start_push(tx, item)

    def pending(self, steps: Sequence[Step]) -> list[int]:
        """Journal calls about to be made; their numbers."""
        now = now_ms()
        with self.db.transaction() as tx:
            first = repo.next_seq(tx, self.task_id)
            rows = []
            for seq, step in enumerate(steps, first):
                body, undo = step.dump()
                rows.append(
                    CallRecord(
                        self.task_id,
                        seq,
                        step.kind,
                        step.name,
                        step.call,
                        "pending",
                        body,
                        undo,
                        None,
                        now,
                    )
                )
            repo.add_calls(tx, rows)
        return [row.seq for row in rows]

    def mark(self, seq: int, state: str, note: str | None = None) -> None:
        """A call's outcome (``done``, ``refused``, ``failed``, ``undone``, ``stuck``)."""
        with self.db.transaction() as tx:
            repo.set_call(tx, self.task_id, seq, state, note)
            self._renew(tx)

    def marks(self, outcomes: Sequence[tuple[int, str, str | None]]) -> None:
        """The outcomes of calls that ended together, in one transaction: (seq, state, note)
        each."""
        with self.db.transaction() as tx:
            repo.set_calls(tx, self.task_id, outcomes)
            self._renew(tx)

    def undos(self, undos: Sequence[tuple[int, str]]) -> None:
        """Calls' undo made more precise once they ended (what the push left, read back), or
        as their undo is sent (``tried``): (seq, undo as JSON) each, in one transaction (none:
        no transaction)."""
        if not undos:
            return
        with self.db.transaction() as tx:
            repo.set_undos(tx, self.task_id, undos)

    def _renew(self, tx: Tx) -> None:
        if self.claim_ms:
            repo.renew_claim(tx, self.task_id, now_ms() + self.claim_ms)

    def state(self, state: str, over: bool = False) -> None:
        """The push's state (``over``: it ended)."""
        with self.db.transaction() as tx:
            repo.set_push_state(tx, self.task_id, state, now_ms() if over else None)

    def calls(self) -> list[CallRecord]:
        """Every call journalled, in order."""
        with self.db.transaction(readonly=True) as tx:
            return repo.calls(tx, self.task_id)
