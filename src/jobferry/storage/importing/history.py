"""The imports that changed one object: its rows of ``import_changes``, each with its task's
time and user (``ix_import_changes_object`` finds them without reading every import's)."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select

from jobferry.storage.tables import import_changes, import_rollbacks, system_tasks
from jobferry.storage.tx import Tx


class ObjectChange(NamedTuple):
    """An import's change of one object: the task, what it did, the name it wrote, and when
    and by whom the task was started."""

    task_id: str
    action: str
    name: str
    at: int
    by: str
    title: str = ""
    """The import task's name (``Promote along route …``, a release's, a package's file)."""


def changes_of(
    tx: Tx,
    workspace_id: str,
    kind: str,
    object_id: str,
    limit: int,
    window: tuple[int | None, int | None] = (None, None),
) -> list[ObjectChange]:
    """The newest ``limit`` imports that changed object ``object_id`` of ``kind`` (a job's
    number, a script's or resource's id), newest first; ``window``: only those started from
    its first moment and before its second (epoch ms, either open)."""
    c, t = import_changes.c, system_tasks.c
    query = (
        select(c.task_id, c.action, c.name, t.start_time, t.created_by, t.name.label("title"))
        .join(system_tasks, t.id == c.task_id)
        .where(c.workspace_id == workspace_id, c.object_id == object_id, c.kind == kind)
    )
    since, until = window
    if since is not None:
        query = query.where(t.start_time >= since)
    if until is not None:
        query = query.where(t.start_time < until)
    rows = tx.conn.execute(query.order_by(t.start_time.desc(), c.task_id).limit(limit))
    return [
        ObjectChange(r.task_id, r.action, r.name, int(r.start_time), r.created_by, r.title)
        for r in rows
    ]


def later_import(tx: Tx, change_of: str, kind: str, object_id: str) -> ObjectChange | None:
    """The newest import after ``change_of`` that changed object ``object_id`` of ``kind`` in
    its workspace and was not rolled back (``None``: none did)."""
    c, t = import_changes.c, system_tasks.c
    started = select(t.start_time).where(t.id == change_of).scalar_subquery()
    row = tx.conn.execute(
        select(c.task_id, c.action, c.name, t.start_time, t.created_by)
        .join(system_tasks, t.id == c.task_id)
        .where(
            c.object_id == object_id,
            c.kind == kind,
            c.task_id != change_of,
            t.start_time > started,
            c.task_id.not_in(select(import_rollbacks.c.task_id)),
        )
        .order_by(t.start_time.desc(), c.task_id)
        .limit(1)
    ).first()
    if row is None:
        return None
    return ObjectChange(row.task_id, row.action, row.name, int(row.start_time), row.created_by)
