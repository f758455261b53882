"""Whole stored objects: a job, script or resource with its versions, taken out and put back.

An import that deletes an object keeps it whole (its row and every submitted version, as plain
JSON values) in its change record, so a rollback can put it back exactly, with the same id and
stable identifier; its reference index is derived and rebuilt by the caller. A snapshot outlives
migrations both ways: put back, the columns it lacks are made from its definition as every write
makes them, and those the table lacks (a newer schema's, the database downgraded) left out.
Renames set the name column of several objects at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Table, bindparam, insert, select, update

from jobferry.domain.enums import ObjectKind
from jobferry.storage.rows import (
    JobRow,
    ResourceRow,
    ScriptRow,
    Stamp,
    document_sha256,
    written,
)
from jobferry.storage.tables import job_versions, jobs, resources, script_versions, scripts
from jobferry.storage.tags import carry_locks_of
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
    row = _restored(kind, table, state["row"])
    taken = tx.conn.execute(select(table.c.id).where(table.c.id == row["id"])).first()
    if taken is not None and kind == ObjectKind.JOB:
        del row["id"]
    key = tx.conn.execute(insert(table).values(**row)).inserted_primary_key
    assert key is not None
    object_id = key[0]
    if versions is not None and state["versions"]:
        rows = [{**_known(versions, v), owner: object_id} for v in state["versions"]]
        tx.conn.execute(insert(versions), rows)
    return str(object_id)


def _restored(kind: str, table: Table, taken: dict[str, Any]) -> dict[str, Any]:
    """The row to insert for row ``taken`` as a snapshot kept it, whatever schema it was taken
    at: the columns it lacks (taken before they were: 0041's ``summary``, 0042's
    ``document_sha256``) made by the row builder every write uses, from its definition; those
    the table lacks (taken by a newer jobferry, the database downgraded since) left out. The
    hash is always the text's. A row taken at this schema (the common case) is put back as it
    was, its definition not parsed again."""
    text = str(taken["document"])
    if taken.keys() >= set(table.c.keys()):
        return _known(table, {**taken, "document_sha256": document_sha256(text)})
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        doc = None
    doc = doc if isinstance(doc, dict) else {}
    built: JobRow | ScriptRow | ResourceRow
    if kind == ObjectKind.JOB:
        built = JobRow.of(doc, text, taken.get("latest_version"))
    elif kind == ObjectKind.SCRIPT:
        built = ScriptRow.of(doc, text, taken.get("latest_version"))
    else:
        built = ResourceRow.of(doc, text)
    made = written(built, Stamp(taken.get("updated_at", 0), taken.get("updated_by", "")))
    return _known(table, {**made, **taken, "document_sha256": built.sha256})


def _known(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """``row`` without the columns ``table`` does not have (a newer schema's)."""
    return {key: value for key, value in row.items() if key in table.c}


def rename(tx: Tx, kind: str, names: Sequence[tuple[str, str]]) -> None:
    """Set the names of objects of one kind: (id, new name) pairs (a job's or script's lock
    follows it)."""
    if not names:
        return
    keyed = [(int(i) if kind == ObjectKind.JOB else i, name) for i, name in names]
    if kind in (ObjectKind.JOB, ObjectKind.SCRIPT):
        carry_locks_of(tx, kind, keyed)
    table = _TABLES[kind][0]
    stmt = update(table).where(table.c.id == bindparam("_id")).values(name=bindparam("_name"))
    tx.conn.execute(stmt, [{"_id": i, "_name": name} for i, name in keyed])
