"""How far running tasks got: what they say as they go (``TaskService.advance``), where it is
kept, and how a read of a running task shows it.

Long work is one transaction (an import's plan and writes, a rollback's undo: minutes at
100,000 objects) and says how far it got after each batch. The database knows which thread
holds a write transaction open (``Database.writing_here``). From inside one, progress is
written beside it: on PostgreSQL into the task's row, in a transaction of its own on another
connection (waiting at most a second for the row, else left out: progress is never worth a
wait; the work never writes its task's row before its end); on SQLite, whose one write lock
that transaction holds (a write would wait for it: for ever), into the task's progress file
beside the database (``storage/live.py``), which every read of the running task shows. What
is said often (beside a transaction, or after each batch) is written at most every
:data:`PROGRESS_EVERY` seconds.
"""

from __future__ import annotations

import time
from dataclasses import replace

from jobferry.domain.enums import TaskStatus
from jobferry.errors import StorageError
from jobferry.services.context import now_ms
from jobferry.storage import Database
from jobferry.storage import tasks as repo
from jobferry.storage.live import LiveProgress, Said
from jobferry.storage.tasks import TaskRecord

PROGRESS_EVERY = 0.5
"""Seconds between two progress writes of a task said often: beside its open write
transaction, or after each batch of a long loop."""
PROGRESS_KEPT = 64
"""Tasks whose last such write is remembered (memory stays flat as tasks go by)."""


class Progress:
    """The progress of the tasks of one database, as this process says and reads it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.live = LiveProgress.of(db.url)
        """Where progress said beside a transaction goes on SQLite (``None`` elsewhere)."""
        self._said_at: dict[str, float] = {}
        """When progress said often was last written, per task (:data:`PROGRESS_EVERY`)."""
        self._rest_from: dict[str, int] = {}
        """Tasks whose first part took them to a mark (:meth:`rest_from`), by task id."""

    def rest_from(self, task_id: str, mark: int) -> None:
        """Task ``task_id`` got to ``mark`` % by a first part of its own (an import's
        workspace brought up to date first): what it says from now on, 0–100 of the rest,
        is said between ``mark`` and 100."""
        self._rest_from[task_id] = mark

    def say(self, task_id: str, progress: int, message: str, *, often: bool = False) -> None:
        """Report ``progress`` (0–100) and ``message`` of running task ``task_id``: into its
        row, or from inside a write transaction of this thread beside it (see the module);
        ``often``: said after each batch of a long loop."""
        beside = self.db.writing_here
        if (beside or often) and not self._due(task_id):
            return
        progress = max(0, min(progress, 100))
        mark = self._rest_from.get(task_id, 0)
        progress = mark + (100 - mark) * progress // 100
        if beside and not self.db.writes_side_by_side:
            if self.live is not None:
                self.live.write(task_id, Said(progress, message, now_ms()))
            return
        try:
            with self.db.transaction() as tx:
                if beside:
                    tx.conn.exec_driver_sql("SET LOCAL lock_timeout = '1s'")
                repo.update_running(
                    tx, task_id, progress=progress, message=message, last_update=now_ms()
                )
        except StorageError:
            if not beside:
                raise

    def since(self, task: TaskRecord) -> TaskRecord:
        """``task`` with the progress it said since its row was written, from inside its
        transaction on SQLite."""
        if self.live is None or task.status != TaskStatus.RUNNING:
            return task
        said = self.live.read(task.id)
        if said is None or said.at < task.last_update:
            return task
        return replace(task, progress=said.progress, message=said.message, last_update=said.at)

    def forget(self, task_id: str) -> None:
        """Task ``task_id`` ended (or was failed as orphaned): what it said is dropped."""
        self._said_at.pop(task_id, None)
        self._rest_from.pop(task_id, None)
        if self.live is not None:
            self.live.drop(task_id)

    def _due(self, task_id: str) -> bool:
        """Whether progress said often is written now."""
        now = time.monotonic()
        if now - self._said_at.get(task_id, -PROGRESS_EVERY) < PROGRESS_EVERY:
            return False
        self._said_at.pop(task_id, None)
        self._said_at[task_id] = now  # the newest last; a few task threads' at the most:
        while len(self._said_at) > PROGRESS_KEPT:
            self._said_at.pop(next(iter(self._said_at)))
        return True
