"""Scripts: development state and submitted versions."""

from __future__ import annotations

from sqlalchemy import delete, insert, update

from jobferry.domain.enums import ObjectKind
from jobferry.storage.records import (
    RowLock,
    ScriptRecord,
    VersionRecord,
    all_records,
    first_record,
    keyed_record,
    workspace_page,
)
from jobferry.storage.rows import ScriptRow, Stamp, created, written
from jobferry.storage.tables import script_versions, scripts
from jobferry.storage.tags import release_locks_of
from jobferry.storage.tx import Tx
from jobferry.storage.versions import drop_past_kept


def insert_script(tx: Tx, script_id: str, workspace_id: str, row: ScriptRow, stamp: Stamp) -> None:
    """Create a script."""
    values = {
        "id": script_id,
        "workspace_id": workspace_id,
        "name": row.name,
        **created(stamp),
        **written(row, stamp),
    }
    tx.conn.execute(insert(scripts).values(**values))


def get_script(
    tx: Tx, workspace_id: str, name: str, *, locked: RowLock | None = None
) -> ScriptRecord | None:
    """A script of the workspace by name (``locked``: its row, until the transaction ends, as
    a save or as a delete locks it)."""
    key = {"workspace_id": workspace_id, "name": name}
    return keyed_record(tx, ScriptRecord, scripts, locked, **key)


def update_script(tx: Tx, script_id: str, row: ScriptRow, stamp: Stamp) -> None:
    """Write a script's development state."""
    tx.conn.execute(update(scripts).where(scripts.c.id == script_id).values(**written(row, stamp)))


def set_latest_version(tx: Tx, script_id: str, version: int | None) -> None:
    """Record the script's newest submitted version."""
    tx.conn.execute(update(scripts).where(scripts.c.id == script_id).values(latest_version=version))


def delete_script(tx: Tx, script_id: str) -> None:
    """Remove a script with its versions and lock."""
    release_locks_of(tx, ObjectKind.SCRIPT, [script_id])
    tx.conn.execute(delete(script_versions).where(script_versions.c.script_id == script_id))
    tx.conn.execute(delete(scripts).where(scripts.c.id == script_id))


def list_scripts(
    tx: Tx, workspace_id: str, *, name_contains: str | None, limit: int, offset: int
) -> tuple[int, list[ScriptRecord]]:
    """One page of the workspace's scripts by name, and how many match in all."""
    return workspace_page(tx, ScriptRecord, scripts, workspace_id, name_contains, limit, offset)


def insert_version(tx: Tx, script_id: str, version: VersionRecord) -> None:
    """Store a new immutable submitted version of a script (dropping one past
    ``VERSIONS_KEPT``)."""
    tx.conn.execute(insert(script_versions).values(script_id=script_id, **version.__dict__))
    drop_past_kept(tx, script_versions, script_versions.c.script_id, [(script_id, version.version)])


def get_version(tx: Tx, script_id: str, version: int) -> VersionRecord | None:
    """One submitted version of a script."""
    return first_record(tx, VersionRecord, script_versions, script_id=script_id, version=version)


def list_versions(tx: Tx, script_id: str) -> list[VersionRecord]:
    """Every submitted version of a script, newest first."""
    order = [script_versions.c.version.desc()]
    return all_records(tx, VersionRecord, script_versions, order, script_id=script_id)
