"""System tasks: long work with persisted status, progress and subtasks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, insert, null, or_, select, update

from jobferry.storage.database import Tx
from jobferry.storage.records import record
from jobferry.storage.tables import system_tasks, workers


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
    owner: str | None


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


def list_tasks(
    tx: Tx, workspace_id: str, *, status: str | None, limit: int, offset: int
) -> tuple[int, list[TaskRecord]]:
    """One page of the workspace's tasks, newest first, and how many match in all.

    The rows come without their request, result and subtasks (a dry run's result holds its
    whole plan), so a page reads no large column.
    """
    conditions = [system_tasks.c.workspace_id == workspace_id]
    if status is not None:
        conditions.append(system_tasks.c.status == status)
    where = and_(*conditions)
    total = int(
        tx.conn.execute(select(func.count()).select_from(system_tasks).where(where)).scalar_one()
    )
    heavy = {"request", "result", "subtasks"}
    columns = [c for c in system_tasks.c if c.name not in heavy]
    rows = tx.conn.execute(
        select(*columns, *(null().label(name) for name in sorted(heavy)))
        .where(where)
        .order_by(system_tasks.c.start_time.desc(), system_tasks.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return total, [record(TaskRecord, r) for r in rows]


def update_task(tx: Tx, task_id: str, **values: Any) -> None:
    """Change a task's status, progress, message, result or subtasks."""
    tx.conn.execute(update(system_tasks).where(system_tasks.c.id == task_id).values(**values))


def fail_orphaned(tx: Tx, alive_since: int, message: str, now: int) -> list[str]:
    """Mark FAILED every RUNNING task whose owner has not beaten since ``alive_since``.

    Returns their ids. Their work can never finish: the process that ran it is gone (its
    transaction, if any, was rolled back by the database).
    """
    alive = select(workers.c.id).where(workers.c.heartbeat_at >= alive_since)
    orphaned = and_(
        system_tasks.c.status == "RUNNING",
        or_(system_tasks.c.owner.is_(None), system_tasks.c.owner.not_in(alive)),
    )
    ids = [r.id for r in tx.conn.execute(select(system_tasks.c.id).where(orphaned))]
    if ids:
        tx.conn.execute(
            update(system_tasks)
            .where(system_tasks.c.id.in_(ids))
            .values(status="FAILED", message=message, end_time=now, last_update=now)
        )
    return ids


def is_running(tx: Tx, task_id: str) -> bool:
    """Whether a task is still RUNNING."""
    status = tx.conn.execute(
        select(system_tasks.c.status).where(system_tasks.c.id == task_id)
    ).scalar_one_or_none()
    return status == "RUNNING"
