"""Rollbacks expire (``JOBFERRY_ROLLBACK_DAYS``): the housekeeping sweep drops what the imports
that ended that many days ago replaced, and what their pushes into remotes sent; from then on
their rollback is refused saying so (:func:`expired`). A rollback accepted as a task before
then (queued or running) keeps what it undoes until it ends: the import's states and its
push's calls.

An import's change records hold the state before it of every object it overwrote, renamed or
deleted, and the promotion ledger rows it replaced: what a rollback puts back, the bulk of what
the database keeps per import. A push's journal holds every call it sent, with what undoes it.
The sweep keeps the rest: the task and its counts, which objects the import changed and how
(``import_changes`` without the states), the pushes' own rows. 0 days (the default) keeps
everything for ever: dropping is for the operator to choose, since it cannot be taken back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from jobferry.domain.enums import RollbackRule
from jobferry.errors import RollbackRefusedError
from jobferry.services.context import now_ms
from jobferry.storage import Database
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage.importing import expiry as repo
from jobferry.storage.importing.expiry import Expiry

DAY_MS = 24 * 3600 * 1000
BATCH = 20
"""Imports (or pushes) expired in one transaction: each may have thousands of change records,
and the sweep's writes wait for, and hold up, the imports and saves of the server (SQLite's one
write lock), so it takes a few at a time."""
BUDGET_SECONDS = 5.0
"""The most one sweep works: it runs on the keeper's thread between two heartbeats (another
process fails this one's tasks after four missed beats), so a first sweep over years of imports
goes on at the next sweeps."""


@dataclass
class RollbackExpiry:
    """Drops what imports older than ``days`` replaced (``0``: never)."""

    db: Database
    days: int
    clock: Callable[[], float] = time.monotonic

    def sweep(self, now: int | None = None) -> int:
        """Expire the rollback of the imports that ended more than ``days`` ago, and forget the
        calls of the pushes that ended as long ago, a batch a transaction, for at most
        ``BUDGET_SECONDS``; how many imports expired."""
        if not self.days:
            return 0
        moment = now_ms() if now is None else now
        before, until = moment - self.days * DAY_MS, self.clock() + BUDGET_SECONDS
        expired_now, more = 0, True
        while more and self.clock() < until:
            with self.db.transaction() as tx:
                undone = repo.being_undone(tx)
                due = repo.due(tx, before, BATCH, undone)
                repo.expire(tx, due, moment, self.days)
                pushes = journal_repo.drop_calls_ended_before(tx, before, BATCH, undone)
            expired_now += len(due)
            more = len(due) == BATCH or pushes == BATCH
        return expired_now


def utc_minute(at: int) -> str:
    """``at`` (epoch ms) as ``2026-11-27 05:40 UTC``, as a refusal names when."""
    return datetime.fromtimestamp(at / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def kept_then_dropped(expiry: Expiry) -> str:
    """How long what an import replaced was kept, and when it was dropped, as a refusal of
    its rollback says it."""
    return (
        f"kept {expiry.kept_days} day(s) (JOBFERRY_ROLLBACK_DAYS) and dropped "
        f"{utc_minute(expiry.dropped_at)}"
    )


def expired(task_id: str, expiry: Expiry) -> RollbackRefusedError:
    """The refusal of a rollback whose import is past its keeping."""
    return RollbackRefusedError(
        f"Import {task_id} ended {utc_minute(expiry.ended_at)} and can no longer be rolled back: "
        f"what it replaced was {kept_then_dropped(expiry)}.",
        rule=RollbackRule.EXPIRED,
        fix="Bring the earlier definitions back by importing a package that holds them (an "
        "export made before this import, or an earlier promotion's package).",
        task_id=task_id,
    )
