"""What the database drops after a while, when the operator asks: the per-object lines of ended
tasks (``JOBFERRY_TASK_LINES_DAYS``) and old audit entries (``JOBFERRY_AUDIT_DAYS``).

Both are kept for ever by default (0 days), as before these settings: dropping cannot be taken
back. The housekeeping sweep of every server process drops them a batch a transaction, for at
most ``BUDGET_SECONDS`` a round, so a first sweep over years of history goes on over several
rounds. A task keeps everything but its lines (status, message, counts, result, times) and says
when they were dropped, after how many days and how many there were (:class:`LinesDropped`);
the audit log keeps the moment before which its entries are gone, so a search of an older
window says so (:class:`~jobferry.storage.audit.DroppedAudit`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jobferry.services.context import now_ms
from jobferry.services.importing.expiry import DAY_MS, utc_minute
from jobferry.storage import Database
from jobferry.storage import audit as audit_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.audit import DroppedAudit

TASKS_BATCH = 20
"""Tasks whose lines are dropped in one transaction (fewer when they hold more than
``LINES_BATCH`` lines; one at least): the sweep's writes wait for, and hold up, the server's
imports and saves (SQLite's one write lock)."""
LINES_BATCH = 20_000
"""The lines one transaction deletes, about: a task with more is dropped alone."""
AUDIT_BATCH = 2_000
"""Audit entries deleted in one transaction (5,000 held SQLite's write lock for up to 1 s)."""
BUDGET_SECONDS = 5.0
"""The most one sweep works (both settings together): it runs on the keeper's thread between
two heartbeats, like the rollbacks' expiry (``services/importing/expiry.py``)."""


@dataclass(frozen=True)
class LinesDropped:
    """A task's per-object lines were dropped at ``at``, ``kept_days`` after it ended: it had
    ``count`` of them."""

    at: int
    kept_days: int
    count: int

    @property
    def said(self) -> str:
        """The sentence every view of the task shows in place of its lines."""
        return (
            f"Its {self.count} per-object line(s) were dropped {utc_minute(self.at)}, "
            f"{self.kept_days} day(s) after it ended (JOBFERRY_TASK_LINES_DAYS); its status, "
            "message, counts and result are kept."
        )


def audit_dropped_said(mark: DroppedAudit) -> str:
    """The sentence an audit search reaching before ``mark.before`` shows."""
    return (
        f"Entries before {utc_minute(mark.before)} were dropped (kept {mark.kept_days} day(s), "
        f"JOBFERRY_AUDIT_DAYS; last dropped {utc_minute(mark.dropped_at)})."
    )


@dataclass(frozen=True)
class Swept:
    """What one sweep dropped: the tasks whose lines it dropped, how many lines, how many
    audit entries."""

    tasks: int = 0
    lines: int = 0
    entries: int = 0


@dataclass
class Retention:
    """Drops task lines older than ``task_lines_days`` and audit entries older than
    ``audit_days`` (``0``: never)."""

    db: Database
    task_lines_days: int
    audit_days: int
    clock: Callable[[], float] = time.monotonic

    def sweep(self, now: int | None = None) -> Swept:
        """Drop what is past its days, a batch a transaction, for at most ``BUDGET_SECONDS``
        (task lines first, then the audit log with what time is left)."""
        moment = now_ms() if now is None else now
        until = self.clock() + BUDGET_SECONDS
        tasks, lines = self._lines(moment, until) if self.task_lines_days else (0, 0)
        entries = self._audit(moment, until) if self.audit_days else 0
        return Swept(tasks, lines, entries)

    def _lines(self, moment: int, until: float) -> tuple[int, int]:
        before = moment - self.task_lines_days * DAY_MS
        tasks = lines = 0
        more = True
        while more and self.clock() < until:
            with self.db.transaction() as tx:
                due = task_repo.lines_due(tx, before, TASKS_BATCH)
                taken = _within(due)
                task_repo.drop_lines(tx, taken, moment, self.task_lines_days)
            tasks += len(taken)
            lines += sum(n for _, n in taken)
            more = len(due) > len(taken) or len(due) == TASKS_BATCH
        return tasks, lines

    def _audit(self, moment: int, until: float) -> int:
        before = moment - self.audit_days * DAY_MS
        entries = 0
        more = True
        while more and self.clock() < until:
            with self.db.transaction() as tx:
                dropped, gone_before = audit_repo.drop_before(tx, before, AUDIT_BATCH)
                if dropped or entries:  # a sweep that dropped nothing leaves the mark be
                    mark = DroppedAudit(gone_before, moment, self.audit_days)
                    audit_repo.mark_dropped(tx, mark)
            entries += dropped
            more = dropped > 0  # the next batch finds none once all are gone
        return entries


def _within(due: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """The first of ``due`` whose lines add up to ``LINES_BATCH`` at most (one at least)."""
    taken: list[tuple[str, int]] = []
    total = 0
    for task in due:
        if taken and total + task[1] > LINES_BATCH:
            break
        taken.append(task)
        total += task[1]
    return taken
