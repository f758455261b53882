"""System tasks: long work with persisted status, progress and subtasks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update

from jobferry.storage.bulk import insert_tuples
from jobferry.storage.database import Tx
from jobferry.storage.import_tables import task_subtasks
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
    tx: Tx,
    workspace_id: str,
    *,
    kind: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[int, list[TaskRecord]]:
    """A page of the workspace's tasks, newest first, without their results and subtasks
    (a plan's result can be megabytes: listings never read it)."""
    where = [system_tasks.c.workspace_id == workspace_id]
    if kind is not None:
        where.append(system_tasks.c.kind == kind)
    if status is not None:
        where.append(system_tasks.c.status == status)
    total = tx.conn.execute(select(func.count()).select_from(system_tasks).where(*where))
    light = [c for c in system_tasks.c if c.name not in ("result", "subtasks")]
    rows = tx.conn.execute(
        select(*light)
        .where(*where)
        .order_by(system_tasks.c.start_time.desc(), system_tasks.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    tasks = [TaskRecord(**{**row._mapping, "result": None, "subtasks": None}) for row in rows]
    return int(total.scalar_one()), tasks


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


# -- subtasks: one row per object of an import, in order ----------------------------------------


def insert_subtasks(tx: Tx, task_id: str, rows: Sequence[tuple[int, str, str]]) -> None:
    """Store subtasks: (position, status, the subtask as JSON) rows."""
    insert_tuples(
        tx, task_subtasks, ("task_id", "seq", "status", "line"), [(task_id, *r) for r in rows]
    )


def count_subtasks(tx: Tx, task_id: str) -> int:
    """How many subtasks a task has."""
    stmt = select(func.count()).select_from(task_subtasks).where(task_subtasks.c.task_id == task_id)
    return int(tx.conn.execute(stmt).scalar_one())


def subtask_lines(tx: Tx, task_id: str, offset: int, limit: int) -> list[str]:
    """A page of a task's subtasks as JSON, in order."""
    stmt = (
        select(task_subtasks.c.line)
        .where(task_subtasks.c.task_id == task_id, task_subtasks.c.seq > offset)
        .order_by(task_subtasks.c.seq)
        .limit(limit)
    )
    return [r.line for r in tx.conn.execute(stmt)]
