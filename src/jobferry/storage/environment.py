"""Environment objects (connections, queues, clusters…) and their secrets, stored apart."""

from __future__ import annotations

import json

from sqlalchemy import delete, insert, select, update

from jobferry.storage.database import Tx
from jobferry.storage.records import EnvironmentObjectRecord
from jobferry.storage.tables import environment_objects, environment_secrets

_obj = environment_objects
_sec = environment_secrets


def _select() -> object:
    return select(_obj, _sec.c.secret_keys).outerjoin(
        _sec,
        (_sec.c.workspace_id == _obj.c.workspace_id)
        & (_sec.c.kind == _obj.c.kind)
        & (_sec.c.name == _obj.c.name),
    )


def _record(row: object) -> EnvironmentObjectRecord:
    m = row._mapping  # type: ignore[attr-defined]
    keys = tuple(json.loads(m["secret_keys"])) if m["secret_keys"] else ()
    return EnvironmentObjectRecord(
        workspace_id=m["workspace_id"],
        kind=m["kind"],
        name=m["name"],
        type=m["type"],
        config=m["config"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        updated_by=m["updated_by"],
        secret_keys=keys,
    )


def get_object(tx: Tx, workspace_id: str, kind: str, name: str) -> EnvironmentObjectRecord | None:
    """One environment object (without secret values)."""
    stmt = _select().where(  # type: ignore[attr-defined]
        _obj.c.workspace_id == workspace_id, _obj.c.kind == kind, _obj.c.name == name
    )
    row = tx.conn.execute(stmt).first()
    return _record(row) if row else None


def list_objects(tx: Tx, workspace_id: str, kind: str | None) -> list[EnvironmentObjectRecord]:
    """The workspace's environment objects of one kind (or all), by kind and name."""
    stmt = _select().where(_obj.c.workspace_id == workspace_id)  # type: ignore[attr-defined]
    if kind:
        stmt = stmt.where(_obj.c.kind == kind)
    rows = tx.conn.execute(stmt.order_by(_obj.c.kind, _obj.c.name))
    return [_record(r) for r in rows]


def upsert_object(
    tx: Tx,
    workspace_id: str,
    kind: str,
    name: str,
    *,
    type_: str,
    config: str,
    now: int,
    actor: str,
) -> bool:
    """Create or replace an object's type and config; True if it was created."""
    key = (_obj.c.workspace_id == workspace_id) & (_obj.c.kind == kind) & (_obj.c.name == name)
    result = tx.conn.execute(
        update(_obj).where(key).values(type=type_, config=config, updated_at=now, updated_by=actor)
    )
    if result.rowcount:
        return False
    tx.conn.execute(
        insert(_obj).values(
            workspace_id=workspace_id,
            kind=kind,
            name=name,
            type=type_,
            config=config,
            created_at=now,
            updated_at=now,
            updated_by=actor,
        )
    )
    return True


def replace_secrets(
    tx: Tx, workspace_id: str, kind: str, name: str, keys: list[str], encrypted: str
) -> None:
    """Replace an object's secrets (already encrypted) and the list of their names."""
    key = (_sec.c.workspace_id == workspace_id) & (_sec.c.kind == kind) & (_sec.c.name == name)
    tx.conn.execute(delete(_sec).where(key))
    tx.conn.execute(
        insert(_sec).values(
            workspace_id=workspace_id,
            kind=kind,
            name=name,
            secret_keys=json.dumps(sorted(keys)),
            secrets_encrypted=encrypted,
        )
    )


def delete_object(tx: Tx, workspace_id: str, kind: str, name: str) -> bool:
    """Remove an object and its secrets; True if it existed."""
    tx.conn.execute(
        delete(_sec).where(
            _sec.c.workspace_id == workspace_id, _sec.c.kind == kind, _sec.c.name == name
        )
    )
    result = tx.conn.execute(
        delete(_obj).where(
            _obj.c.workspace_id == workspace_id, _obj.c.kind == kind, _obj.c.name == name
        )
    )
    return bool(result.rowcount)
