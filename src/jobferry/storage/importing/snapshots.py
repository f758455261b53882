"""Whole stored objects: a job, script or resource with its versions, taken out and put back.

An import that deletes an object keeps it whole (its row and every submitted version, as plain
JSON values) in its change record, so a rollback can put it back exactly, with the same id and
stable identifier; its reference index is derived and rebuilt by the caller. Renames set the
name column of several objects at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update

from jobferry.domain.enums import ObjectKind
from jobferry.storage.rows import document_sha256
from jobferry.storage.tables import job_versions, jobs, resources, script_versions, scripts
from jobferry.storage.tx import Tx

_TABLES: dict[str, tuple[Table, Table | None, str]] = {
    ObjectKind.JOB: (jobs, job_versions, "job_id"),
    ObjectKind.SCRIPT: (scripts, script_versions, "script_id"),
    ObjectKind.RESOURCE: (resources, None, ""),
}


def take(tx: Tx, kind: str, object_id: str) -> dict[str, Any]:
    """The object's row and versions, as plain values (call before deleting it)."""
    table, versions, owner = _TABLES[kind]
    key = int(object_id) if kind == ObjectKind.JOB else object_id
    row = tx.conn.execute(select(table).where(table.c.id == key)).first()
    assert row is not None, f"{kind} {object_id} is gone"
    state: dict[str, Any] = {"row": _plain(row), "versions": []}
    if versions is not None:
        rows = tx.conn.execute(
            select(versions).where(versions.c[owner] == key).order_by(versions.c.version)
        )
        state["versions"] = [_plain(r) for r in rows]
    return state


def _plain(row: Any) -> dict[str, Any]:
    """A row as a dict with plain ``str`` keys (SQLAlchemy's ``quoted_name`` keys are a str
    subclass that JSON encoders refuse)."""
    return {str(key): value for key, value in row._mapping.items()}


def put_back(tx: Tx, kind: str, state: dict[str, Any]) -> str:
    """Insert an object taken with :func:`take` again, as it was; its id.

    A job keeps its id unless a job made since holds it (SQLite may give the highest id out
    again), when it gets a new one and its versions follow."""
    table, versions, owner = _TABLES[kind]
    # A row taken before its table kept the hash (0042) has none: the hash is the text's.
    row = {**state["row"], "document_sha256": document_sha256(state["row"]["document"])}
    taken = tx.conn.execute(select(table.c.id).where(table.c.id == row["id"])).first()
    if taken is not None and kind == ObjectKind.JOB:
        del row["id"]
    key = tx.conn.execute(insert(table).values(**row)).inserted_primary_key
    assert key is not None
    object_id = key[0]
    if versions is not None and state["versions"]:
        rows = [{**v, owner: object_id} for v in state["versions"]]
        tx.conn.execute(insert(versions), rows)
    return str(object_id)


def rename(tx: Tx, kind: str, names: Sequence[tuple[str, str]]) -> None:
    """Set the names of objects of one kind: (id, new name) pairs."""
    if not names:
        return
    table = _TABLES[kind][0]
    stmt = update(table).where(table.c.id == bindparam("_id")).values(name=bindparam("_name"))
    tx.conn.execute(
        stmt,
        [{"_id": int(i) if kind == ObjectKind.JOB else i, "_name": name} for i, name in names],
    )
