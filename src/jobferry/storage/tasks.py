"""System tasks: long work with persisted status, progress and subtasks, and the queue of
tasks waiting for a server process to claim them (RUNNING without an owner)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, bindparam, delete, func, or_, select, update

from jobferry.domain.enums import TaskStatus
from jobferry.storage.bulk import insert_tuples
from jobferry.storage.importing.tables import task_subtasks
from jobferry.storage.records import first_record, insert_record, record
from jobferry.storage.routes import route_promotions
from jobferry.storage.tables import import_locks, system_tasks, workers, workspaces
from jobferry.storage.tx import Tx, chunks


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
    """The ``workers`` row of the process running it; ``None`` while it is queued."""
    actor: str | None = None
    """Who asked for it, as JSON (user id, name, project admin, role in the workspace)."""
    lines_dropped_at: int | None = None
    """When the sweep dropped its subtask rows (``JOBFERRY_TASK_LINES_DAYS``); ``None``: kept."""
    lines_kept_days: int | None = None
    """After how many days they were dropped."""
    lines_dropped: int | None = None
    """How many subtasks it had then (0: it had none; the sweep passes every ended task)."""


def insert_task(tx: Tx, task: TaskRecord) -> None:
    """Create a task."""
    insert_record(tx, system_tasks, task)


def get_task(tx: Tx, workspace_id: str, task_id: str) -> TaskRecord | None:
    """A task of the workspace."""
    return first_record(tx, TaskRecord, system_tasks, workspace_id=workspace_id, id=task_id)


def task_of_project(tx: Tx, project_id: str, task_id: str) -> TaskRecord | None:
    """A task of any workspace of the project."""
    return first_record(tx, TaskRecord, system_tasks, project_id=project_id, id=task_id)


def statuses_of(tx: Tx, project_id: str, task_ids: Sequence[str]) -> dict[str, str]:
    """task id → status of those of ``task_ids`` in the project (one query a chunk, reading
    neither their requests nor their results)."""
    found: dict[str, str] = {}
    c = system_tasks.c
    for part in chunks(task_ids):
        rows = tx.conn.execute(
            select(c.id, c.status).where(c.project_id == project_id, c.id.in_(part))
        )
        found.update((str(row[0]), str(row[1])) for row in rows)
    return found


def list_tasks(
    tx: Tx,
    workspace_id: str,
    *,
    kind: str | None,
    status: str | None,
    limit: int,
    offset: int,
    window: tuple[int | None, int | None] = (None, None),
) -> tuple[int, list[TaskRecord]]:
    """A page of the workspace's tasks, newest first, without their results and subtasks
    (a plan's result can be megabytes: listings never read it); ``window``: only those
    started from its first moment and before its second (epoch ms, either open)."""
    where = [system_tasks.c.workspace_id == workspace_id]
    if kind is not None:
        where.append(system_tasks.c.kind == kind)
    if status is not None:
        where.append(system_tasks.c.status == status)
    since, until = window
    if since is not None:
        where.append(system_tasks.c.start_time >= since)
    if until is not None:
        where.append(system_tasks.c.start_time < until)
    light = [c for c in system_tasks.c if c.name not in ("result", "subtasks")]
    newest = [system_tasks.c.start_time.desc(), system_tasks.c.id.desc()]  # pages may seek
    seek = [system_tasks.c.start_time, system_tasks.c.id]
    total, rows = tx.page(system_tasks, and_(*where), newest, limit, offset, light, seek)
    return total, [TaskRecord(**{**row._mapping, "result": None, "subtasks": None}) for row in rows]


@dataclass(frozen=True)
class RunningTask:
    """A task queued or running: its id, and the progress and message it last wrote on its
    row (what a step said inside a write transaction is ``storage/live.py``'s)."""

    id: str
    progress: int
    message: str


def running_in(tx: Tx, workspace_ids: Sequence[str], kind: str) -> dict[str, RunningTask]:
    """The task of ``kind`` queued or running in each of these workspaces that has one (the
    newest, should there be two)."""
    rows = _newest_in(tx, workspace_ids, kind, TaskStatus.RUNNING, system_tasks.c.start_time)
    return {
        ws: RunningTask(str(r.id), int(r.progress or 0), str(r.message or ""))
        for ws, r in rows.items()
    }


@dataclass(frozen=True)
class FailedTask:
    """A task that ended FAILED: its id, what it said, when it ended."""

    id: str
    message: str
    end_time: int


def last_failed_in(tx: Tx, workspace_ids: Sequence[str], kind: str) -> dict[str, FailedTask]:
    """The newest task of ``kind`` that failed in each of these workspaces that has one."""
    rows = _newest_in(tx, workspace_ids, kind, TaskStatus.FAILED, system_tasks.c.end_time)
    return {
        ws: FailedTask(str(r.id), str(r.message or ""), int(r.end_time or 0))
        for ws, r in rows.items()
    }


def _newest_in(
    tx: Tx, workspace_ids: Sequence[str], kind: str, status: str, newest: ColumnElement[Any]
) -> dict[str, Any]:
    """Each workspace's newest task of ``kind`` with ``status`` (by ``newest``): its id,
    progress, message and end (its row's short columns only)."""
    c = system_tasks.c
    found: dict[str, Any] = {}
    for part in chunks(workspace_ids):
        rows = tx.conn.execute(
            select(c.workspace_id, c.id, c.progress, c.message, c.end_time)
            .where(c.status == status, c.kind == kind, c.workspace_id.in_(part))
            .order_by(newest, c.id)
        )
        found.update({str(row.workspace_id): row for row in rows})  # the newest last
    return found


def update_running(tx: Tx, task_id: str, **values: Any) -> bool:
    """Change a task that is still RUNNING (its progress, or its end); ``False`` when it is not
    (another process failed it as orphaned, and that end must not be written over)."""
    ended = tx.conn.execute(
        update(system_tasks)
        .where(system_tasks.c.id == task_id, system_tasks.c.status == TaskStatus.RUNNING)
        .values(**values)
    )
    return bool(ended.rowcount)


def _queued(kinds: Sequence[str]) -> ColumnElement[bool]:
    return and_(
        system_tasks.c.status == TaskStatus.RUNNING,
        system_tasks.c.owner.is_(None),
        system_tasks.c.kind.in_(kinds),
    )


def has_queued(tx: Tx, kinds: Sequence[str]) -> bool:
    """Whether a task of one of ``kinds`` waits to be claimed (a read: it never waits behind
    a writer, so an idle process can look often)."""
    found = tx.conn.execute(select(system_tasks.c.id).where(_queued(kinds)).limit(1)).first()
    return found is not None


def claim_next(
    tx: Tx, kinds: Sequence[str], owner: str, now: int, message: str
) -> TaskRecord | None:
    """Make ``owner`` the owner of the oldest queued task of one of ``kinds``; ``None`` when
    there is none left.

    One statement: ``UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED) RETURNING …``. On
    PostgreSQL processes claiming at once each lock a different candidate without waiting for
    each other; SQLite (one process, one writer at a time) has no row locks and leaves the
    clause out. Either way the update only takes a task that is still unowned, so a task is
    never claimed twice.
    """
    candidate = (
        select(system_tasks.c.id)
        .where(_queued(kinds))
        .order_by(system_tasks.c.start_time, system_tasks.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    row = tx.conn.execute(
        update(system_tasks)
        .where(system_tasks.c.id == candidate, _queued(kinds))
        .values(owner=owner, message=message, last_update=now)
        .returning(*system_tasks.c)
    ).first()
    return record(TaskRecord, row) if row else None


def _release_import_locks(tx: Tx, task_ids: Sequence[str]) -> None:
    """A failed task holds no workspace's import lock (the next import need not take it over)."""
    tx.conn.execute(delete(import_locks).where(tx.among(import_locks.c.task_id, task_ids)))


def fail_task(tx: Tx, task_id: str, message: str, now: int) -> bool:
    """Mark a RUNNING task FAILED and release any import lock it holds; whether it was running."""
    failed = tx.conn.execute(
        update(system_tasks)
        .where(system_tasks.c.id == task_id, system_tasks.c.status == TaskStatus.RUNNING)
        .values(status=TaskStatus.FAILED, message=message, end_time=now, last_update=now)
    )
    _release_import_locks(tx, [task_id])
    return bool(failed.rowcount)


def fail_tasks(tx: Tx, ends: Mapping[str, str], now: int) -> None:
    """:func:`fail_task` each task of ``ends`` (messages by task id)."""
    for task_id, message in ends.items():
        fail_task(tx, task_id, message, now)


@dataclass(frozen=True)
class Orphan:
    """A claimed task whose process stopped beating, as its end is said: what it does, its
    request as stored, and the route whose promotion it imports (``None``: no promotion's)."""

    id: str
    kind: str
    request: str | None
    route: str | None


def fail_orphaned(tx: Tx, alive_since: int, said: Callable[[Orphan], str], now: int) -> list[str]:
    """Mark FAILED every claimed RUNNING task whose owner has not beaten since ``alive_since``,
    each with the message ``said`` of it, and release the import locks they hold. Queued tasks
    (no owner yet) wait for a process.

    Returns their ids. Their work can never finish: the process that ran it is gone (its
    transaction, if any, was rolled back by the database).
    """
    alive = select(workers.c.id).where(workers.c.heartbeat_at >= alive_since)
    c, promoted = system_tasks.c, route_promotions.c
    found = tx.conn.execute(
        select(c.id, c.kind, c.request, promoted.route)
        .select_from(system_tasks.outerjoin(route_promotions, promoted.task_id == c.id))
        .where(c.status == TaskStatus.RUNNING, c.owner.is_not(None), c.owner.not_in(alive))
    )
    ends: dict[str, str] = {}
    for row in found:
        ends.setdefault(str(row[0]), said(Orphan(str(row[0]), str(row[1]), row[2], row[3])))
    for message in set(ends.values()):
        ids = [task_id for task_id, end in ends.items() if end == message]
        tx.conn.execute(
            update(system_tasks)
            .where(tx.among(c.id, ids), c.status == TaskStatus.RUNNING)
            .values(status=TaskStatus.FAILED, message=message, end_time=now, last_update=now)
        )
    _release_import_locks(tx, [*ends])
    return [*ends]


def kind_of(tx: Tx, task_id: str) -> str | None:
    """What a task does (its ``kind``); ``None`` when there is no such task."""
    return tx.conn.execute(
        select(system_tasks.c.kind).where(system_tasks.c.id == task_id)
    ).scalar_one_or_none()


def kind_and_workspace(tx: Tx, task_id: str) -> tuple[str, str] | None:
    """What a task does and the name of its workspace (its id when the workspace is gone);
    ``None`` when there is no such task."""
    found = tx.conn.execute(
        select(system_tasks.c.kind, func.coalesce(workspaces.c.name, system_tasks.c.workspace_id))
        .select_from(
            system_tasks.outerjoin(workspaces, workspaces.c.id == system_tasks.c.workspace_id)
        )
        .where(system_tasks.c.id == task_id)
    ).first()
    return None if found is None else (str(found[0]), str(found[1]))


def is_running(tx: Tx, task_id: str) -> bool:
    """Whether a task is still RUNNING (queued or claimed)."""
    status = tx.conn.execute(
        select(system_tasks.c.status).where(system_tasks.c.id == task_id)
    ).scalar_one_or_none()
    return status == TaskStatus.RUNNING


def runs_elsewhere(tx: Tx, task_id: str, owner: str) -> bool:
    """Whether a task is still RUNNING but not on ``owner``'s threads: queued (no process
    claimed it yet) or claimed by another process."""
    c = system_tasks.c
    found = tx.conn.execute(
        select(c.id).where(
            c.id == task_id,
            c.status == TaskStatus.RUNNING,
            or_(c.owner.is_(None), c.owner != owner),
        )
    ).first()
    return found is not None


def delete_ended(tx: Tx, task_id: str) -> bool:
    """Drop a task that has ended (a promotion its call answered, whose id nobody was told);
    whether there was one. A task still RUNNING stays."""
    done = tx.conn.execute(
        delete(system_tasks).where(
            system_tasks.c.id == task_id, system_tasks.c.status != TaskStatus.RUNNING
        )
    )
    return bool(done.rowcount)


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


def subtask_rows(tx: Tx, task_id: str, after: int, limit: int) -> list[tuple[int, str]]:
    """A page of a task's subtasks as (position, JSON) rows, in order, past ``after``."""
    stmt = (
        select(task_subtasks.c.seq, task_subtasks.c.line)
        .where(task_subtasks.c.task_id == task_id, task_subtasks.c.seq > after)
        .order_by(task_subtasks.c.seq)
        .limit(limit)
    )
    return [(r.seq, r.line) for r in tx.conn.execute(stmt)]


def replace_subtasks(tx: Tx, task_id: str, rows: Sequence[tuple[int, str, str]]) -> None:
    """Store ``rows`` (position, status, JSON) in place of the subtasks at those positions."""
    if not rows:
        return
    first, last = rows[0][0], rows[-1][0]
    tx.conn.execute(
        delete(task_subtasks).where(
            task_subtasks.c.task_id == task_id, task_subtasks.c.seq.between(first, last)
        )
    )
    insert_subtasks(tx, task_id, rows)


def rewrite_subtasks(tx: Tx, task_id: str, rows: Sequence[tuple[int, str]]) -> None:
    """Store each subtask of ``rows`` (position, the subtask as JSON) in place of the one at its
    position, its status kept; one statement."""
    if not rows:
        return
    stmt = (
        update(task_subtasks)
        .where(task_subtasks.c.task_id == task_id, task_subtasks.c.seq == bindparam("at"))
        .values(line=bindparam("text"))
    )
    tx.conn.execute(stmt, [{"at": seq, "text": line} for seq, line in rows])


# -- subtasks past JOBFERRY_TASK_LINES_DAYS ------------------------------------------------------


def lines_due(tx: Tx, ended_before: int, limit: int) -> list[tuple[str, int]]:
    """Up to ``limit`` tasks, oldest end first, that ended before ``ended_before`` and that the
    sweep has not passed yet, each with how many subtask rows it has (one query; a task still
    RUNNING has no end and is never due)."""
    t = system_tasks.c
    due = (
        select(t.id, t.end_time)
        .where(
            t.lines_dropped_at.is_(None),
            t.end_time < ended_before,
            t.status != TaskStatus.RUNNING,
        )
        .order_by(t.end_time, t.id)
        .limit(limit)
        .subquery()
    )
    rows = tx.conn.execute(
        select(due.c.id, func.count(task_subtasks.c.seq))
        .select_from(due.outerjoin(task_subtasks, task_subtasks.c.task_id == due.c.id))
        .group_by(due.c.id, due.c.end_time)
        .order_by(due.c.end_time, due.c.id)
    )
    return [(str(r[0]), int(r[1])) for r in rows]


def drop_lines(tx: Tx, due: Sequence[tuple[str, int]], now: int, kept_days: int) -> None:
    """Delete the subtask rows of ``due`` tasks (and the subtasks some keep on the task's own
    row: a connection migration's, a task stored before 0010), and stamp each task: when,
    after how many days, how many lines it had."""
    t = system_tasks.c
    ids = [task_id for task_id, _ in due]
    inline: dict[str, int] = {}
    for part in chunks(ids):
        tx.conn.execute(delete(task_subtasks).where(task_subtasks.c.task_id.in_(part)))
        kept = select(t.id, t.subtasks).where(t.id.in_(part), t.subtasks.is_not(None))
        for row in tx.conn.execute(kept):
            inline[str(row.id)] = len(orjson.loads(row.subtasks).get("items") or [])
    for task_id, lines in due:
        tx.conn.execute(
            update(system_tasks)
            .where(t.id == task_id, t.lines_dropped_at.is_(None))
            .values(
                lines_dropped_at=now,
                lines_kept_days=kept_days,
                lines_dropped=lines + inline.get(task_id, 0),
                subtasks=None,
            )
        )
