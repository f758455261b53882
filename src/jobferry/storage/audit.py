"""The audit log: who did what to which object, when."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from jobferry.domain.audit import AuditQuery
from jobferry.storage.bulk import insert_tuples
from jobferry.storage.tables import audit_log, dropped_audit
from jobferry.storage.tx import Tx


class AuditRow(NamedTuple):
    """One entry, as :func:`append` and :func:`append_many` write it and :func:`list_entries`
    reads it (with its id)."""

    project_id: str
    workspace_id: str | None
    actor: str
    action: str
    object_kind: str | None
    object_name: str | None
    detail: str | None
    at: int


_INSERT = insert(audit_log)  # built once: every API write appends with it


def append(tx: Tx, row: AuditRow) -> None:
    """Add one entry (in the caller's transaction, so it commits with the change)."""
    tx.conn.execute(_INSERT, row._asdict())


def append_many(tx: Tx, rows: Sequence[AuditRow]) -> None:
    """Add entries in one bulk insert, in their order (in the caller's transaction)."""
    insert_tuples(tx, audit_log, AuditRow._fields, rows)


def list_entries(
    tx: Tx,
    project_id: str,
    workspace_id: str | None,
    query: AuditQuery = AuditQuery(),
    *,
    limit: int,
    offset: int,
    outside_workspaces: bool = False,
) -> tuple[int, list[tuple[int, AuditRow]]]:
    """Newest entries first for a project (optionally one workspace, or with
    ``outside_workspaces`` those of no workspace: users, keys, sign-ins) that match ``query``,
    each with its id, and how many match in all."""
    conditions = [audit_log.c.project_id == project_id, *_matching(query)]
    if workspace_id:
        conditions.append(audit_log.c.workspace_id == workspace_id)
    elif outside_workspaces:
        conditions.append(audit_log.c.workspace_id.is_(None))
    order = [audit_log.c.at.desc(), audit_log.c.id.desc()]  # unique with the id: pages may seek
    seek = [audit_log.c.at, audit_log.c.id]
    total, rows = tx.page(audit_log, and_(*conditions), order, limit, offset, seek=seek)
    return total, [(r.id, AuditRow(*(r._mapping[f] for f in AuditRow._fields))) for r in rows]


def _matching(query: AuditQuery) -> list[ColumnElement[bool]]:
    """The conditions of a search (``ix_audit_log_object`` serves one object's entries)."""
    a = audit_log.c
    found: list[ColumnElement[bool]] = []
    for column, value in (
        (a.object_name, query.object_name),
        (a.object_kind, query.object_kind),
        (a.actor, query.actor),
    ):
        if value is not None:
            found.append(column == value)
    if query.family is not None:  # the word itself is an action too ("bootstrap")
        family = a.action.startswith(f"{query.family}.", autoescape=True)
        found.append(or_(a.action == query.family, family))
    elif query.action is not None:
        found.append(a.action == query.action)
    if query.since is not None:
        found.append(a.at >= query.since)
    if query.until is not None:
        found.append(a.at < query.until)
    return found


def entries_of(tx: Tx, workspace_id: str, action: str) -> list[tuple[str, str | None, int]]:
    """(object name, detail, at) of a workspace's entries of one action, oldest first."""
    a = audit_log.c
    rows = tx.conn.execute(
        select(a.object_name, a.detail, a.at)
        .where(a.workspace_id == workspace_id, a.action == action)
        .order_by(a.at, a.id)
    )
    return [(str(r.object_name), r.detail, int(r.at)) for r in rows]


# -- entries past JOBFERRY_AUDIT_DAYS -------------------------------------------------------------


class DroppedAudit(NamedTuple):
    """Entries before ``before`` were dropped, last at ``dropped_at``, kept ``kept_days``."""

    before: int
    dropped_at: int
    kept_days: int


PROBE = 100
"""The oldest entries :func:`drop_before` looks at before it reads a batch."""

# Built once (SQLite's, PostgreSQL's): two processes sweeping at once write the one row once.
_MARK = tuple(
    insert(dropped_audit).on_conflict_do_nothing(index_elements=[dropped_audit.c.id])
    for insert in (sqlite_insert, pg_insert)
)


def drop_before(tx: Tx, before: int, limit: int) -> tuple[int, int]:
    """Delete those of the ``limit`` oldest entries (by id: the primary key finds them without
    reading the rest) made before ``before``; how many, and the moment before which none is
    left (``before`` once none is). An entry is numbered as it is written, so ids follow
    times but for entries written at once by several processes: newer ones among the oldest
    ids are skipped, not waited behind."""
    a = audit_log.c
    oldest = select(a.id, a.at).order_by(a.id)
    if not any(row.at < before for row in tx.conn.execute(oldest.limit(PROBE))):
        return 0, before  # the sweep that finds nothing due reads a few rows, not a batch
    rows = tx.conn.execute(oldest.limit(limit)).all()
    old = [row for row in rows if row.at < before]
    if not old:
        return 0, before
    tx.conn.execute(delete(audit_log).where(a.id <= old[-1].id, a.at < before))
    done = len(rows) < limit
    return len(old), before if done else max(int(row.at) for row in old)


def mark_dropped(tx: Tx, mark: DroppedAudit) -> None:
    """Record that entries before ``mark.before`` are gone (an earlier, later moment stays)."""
    d = dropped_audit.c
    moved = tx.conn.execute(
        update(dropped_audit).where(d.id == 1, d.before <= mark.before).values(**mark._asdict())
    )
    if not moved.rowcount:
        tx.conn.execute(_MARK[tx.dialect == "postgresql"], [{"id": 1, **mark._asdict()}])


def dropped(tx: Tx) -> DroppedAudit | None:
    """Before which moment entries were dropped (``None``: none ever was)."""
    d = dropped_audit.c
    row = tx.conn.execute(select(d.before, d.dropped_at, d.kept_days).where(d.id == 1)).first()
    return None if row is None else DroppedAudit(int(row[0]), int(row[1]), int(row[2]))
