"""Rollbacks that expire (``JOBFERRY_ROLLBACK_DAYS``): the ended imports past their keeping,
what they replaced dropped from their change records, and which imports had it dropped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import exists, select, true, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from jobferry.domain.enums import TaskKind, TaskStatus
from jobferry.storage.importing.tables import expired_rollbacks
from jobferry.storage.tables import import_changes, system_tasks
from jobferry.storage.tx import Tx, chunks

# Built once (SQLite's, PostgreSQL's): two processes sweeping at once mark an import once.
_MARK = tuple(
    insert(expired_rollbacks).on_conflict_do_nothing(index_elements=[expired_rollbacks.c.task_id])
    for insert in (sqlite_insert, pg_insert)
)


Due = tuple[str, str, int]
"""An ended import whose rollback expires: its task id, workspace id and end (epoch ms)."""


@dataclass(frozen=True)
class Expiry:
    """Why an import can no longer be rolled back: it ended at ``ended_at`` and what it
    replaced was dropped at ``dropped_at``, having been kept ``kept_days``."""

    ended_at: int
    dropped_at: int
    kept_days: int


def due(tx: Tx, ended_before: int, limit: int, undone: Sequence[str]) -> list[Due]:
    """Up to ``limit`` imports, oldest first, that ended before ``ended_before`` and whose
    rollback has not expired yet, but those of ``undone``: those a rollback task still running
    undoes (queued included: it was accepted before their days ran out, :func:`being_undone`)."""
    t = system_tasks.c
    rows = tx.conn.execute(
        select(t.id, t.workspace_id, t.end_time)
        .where(
            t.kind == TaskKind.IMPORT.value,
            t.end_time < ended_before,
            ~exists().where(expired_rollbacks.c.task_id == t.id),
            t.id.not_in(undone) if undone else true(),
        )
        .order_by(t.end_time, t.id)
        .limit(limit)
    )
    return [(str(r.id), str(r.workspace_id), int(r.end_time)) for r in rows]


def being_undone(tx: Tx) -> list[str]:
    """The imports the rollback tasks still running (queued ones included) undo: the ids
    their requests name (``taskId``)."""
    t = system_tasks.c
    rows = tx.conn.execute(
        select(t.request).where(
            t.kind == TaskKind.ROLLBACK.value,
            t.status == TaskStatus.RUNNING,
            t.request.is_not(None),
        )
    )
    named = (orjson.loads(r.request).get("taskId") for r in rows)
    return sorted({task_id for task_id in named if isinstance(task_id, str)})


def expire(tx: Tx, imports: Sequence[Due], now: int, kept_days: int) -> None:
    """Drop what ``imports`` replaced (the states before them, and the promotion ledger rows
    they overwrote) from their change records, and mark their rollback expired."""
    ids = [task_id for task_id, _, _ in imports]
    for part in chunks(ids):
        tx.conn.execute(
            update(import_changes)
            .where(import_changes.c.task_id.in_(part))
            .values(before_document=None, undo=None)
        )
    rows = [
        {
            "task_id": task_id,
            "workspace_id": workspace_id,
            "ended_at": ended_at,
            "dropped_at": now,
            "kept_days": kept_days,
        }
        for task_id, workspace_id, ended_at in imports
    ]
    if rows:
        tx.conn.execute(_MARK[tx.dialect == "postgresql"], rows)


def expiries_of(tx: Tx, task_ids: Sequence[str]) -> dict[str, Expiry]:
    """task id → its expiry, for those of ``task_ids`` whose rollback expired (one query a
    page of tasks)."""
    found: dict[str, Expiry] = {}
    e = expired_rollbacks.c
    for part in chunks(task_ids):
        rows = tx.conn.execute(
            select(e.task_id, e.ended_at, e.dropped_at, e.kept_days).where(e.task_id.in_(part))
        )
        found.update(
            (str(r.task_id), Expiry(int(r.ended_at), int(r.dropped_at), int(r.kept_days)))
            for r in rows
        )
    return found
