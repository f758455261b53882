"""The audit log: who did what to which object, when."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, insert, select

from jobferry.domain.audit import AuditQuery
from jobferry.storage.bulk import insert_tuples
from jobferry.storage.tables import audit_log
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
) -> tuple[int, list[tuple[int, AuditRow]]]:
    """Newest entries first for a project (optionally one workspace) that match ``query``,
    each with its id, and how many match in all."""
    conditions = [audit_log.c.project_id == project_id, *_matching(query)]
    if workspace_id:
        conditions.append(audit_log.c.workspace_id == workspace_id)
    order = [audit_log.c.at.desc(), audit_log.c.id.desc()]
    total, rows = tx.page(audit_log, and_(*conditions), order, limit, offset)
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
    if query.family is not None:
        found.append(a.action.startswith(f"{query.family}.", autoescape=True))
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
