"""System tasks: long work with persisted status, progress and subtasks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update

from jobferry.storage.database import Tx
from jobferry.storage.records import record
from jobferry.storage.tables import system_tasks


@dataclass(frozen=True)
class TaskRecord:
    """A system task as stored."""

    id: str
    project_id: str
    workspace_id: str
    kind: str
    name: str
    status: str
    message: str | None
    progress: int
    request: str | None
    result: str | None
    subtasks: str | None
    created_by: str
    start_time: int
    end_time: int | None
    last_update: int


def insert_task(tx: Tx, task: TaskRecord) -> None:
    """Create a task."""
    tx.conn.execute(insert(system_tasks).values(**task.__dict__))


def get_task(tx: Tx, workspace_id: str, task_id: str) -> TaskRecord | None:
    """A task of the workspace."""
    row = tx.conn.execute(
        select(system_tasks).where(
            system_tasks.c.workspace_id == workspace_id, system_tasks.c.id == task_id
        )
    ).first()
    return record(TaskRecord, row) if row else None


def update_task(tx: Tx, task_id: str, **values: Any) -> None:
    """Change a task's status, progress, message, result or subtasks."""
    tx.conn.execute(update(system_tasks).where(system_tasks.c.id == task_id).values(**values))


def fail_unfinished(tx: Tx, message: str, now: int) -> int:
    """Mark every task still RUNNING as FAILED (after a restart nothing runs them any more)."""
    result = tx.conn.execute(
        update(system_tasks)
        .where(system_tasks.c.status == "RUNNING")
        .values(status="FAILED", message=message, end_time=now, last_update=now)
    )
    return int(result.rowcount)
