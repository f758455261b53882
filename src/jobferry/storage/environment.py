"""Environment objects (connections, queues, clusters…) and their secrets, stored apart.

An object is keyed by workspace, kind, name and side (``env``); every call defaults to the
development side, the one jobs reference. Each object also has a stable 32-hex ``object_id``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Table, and_, delete, func, insert, select, update

from jobferry.domain.enums import EnvType
from jobferry.storage.records import EnvironmentObjectRecord, field_names
from jobferry.storage.tables import environment_objects, environment_secrets
from jobferry.storage.tx import Tx, chunks

_obj = environment_objects
_sec = environment_secrets
DEVELOPMENT = str(EnvType.DEVELOPMENT)


def _select() -> object:
    return select(_obj, _sec.c.secret_keys).outerjoin(
        _sec,
        (_sec.c.workspace_id == _obj.c.workspace_id)
        & (_sec.c.kind == _obj.c.kind)
        & (_sec.c.name == _obj.c.name)
        & (_sec.c.env == _obj.c.env),
    )


def _record(row: object) -> EnvironmentObjectRecord:
    m = row._mapping  # type: ignore[attr-defined]
    keys = tuple(json.loads(m["secret_keys"])) if m["secret_keys"] else ()
    columns = {f: m[f] for f in field_names(EnvironmentObjectRecord) if f != "secret_keys"}
    return EnvironmentObjectRecord(**columns, secret_keys=keys)


def _identity(workspace_id: str, kind: str, name: str, env: str) -> dict[str, str]:
    """The columns that name one object (the key of both tables)."""
    return {"workspace_id": workspace_id, "kind": kind, "name": name, "env": env}


def _key(
    workspace_id: str, kind: str, name: str, env: str, table: Table = _obj
) -> ColumnElement[bool]:
    """Where ``table`` (the objects, or their secrets) holds that object."""
    identity = _identity(workspace_id, kind, name, env)
    return and_(*(table.c[column] == value for column, value in identity.items()))


def get_object(
    tx: Tx, workspace_id: str, kind: str, name: str, env: str = DEVELOPMENT
) -> EnvironmentObjectRecord | None:
    """One environment object (without secret values)."""
    stmt = _select().where(_key(workspace_id, kind, name, env))  # type: ignore[attr-defined]
    row = tx.conn.execute(stmt).first()
    return _record(row) if row else None


def registered_names(
    tx: Tx, workspace_id: str, kind: str, names: Iterable[str], *, held: bool = False
) -> set[str]:
    """Which of ``names`` the workspace has objects of ``kind`` of (the development side).
    ``held`` (an import's apply, which writes jobs naming them): those found are held ``FOR
    KEY SHARE`` until the transaction ends, which a removal waits for before it counts the
    jobs using the object (:func:`hold_for_removal`): it counts the import's, or the import,
    having waited, finds the object gone."""
    found: set[str] = set()
    for chunk in chunks(sorted(set(names)), tx.chunk):
        stmt = select(_obj.c.name).where(
            _obj.c.workspace_id == workspace_id,
            _obj.c.kind == kind,
            _obj.c.env == DEVELOPMENT,
            tx.among(_obj.c.name, chunk),
        )
        if held:
            stmt = stmt.with_for_update(read=True, key_share=True)
        found.update(r.name for r in tx.conn.execute(stmt))
    return found


def hold_for_removal(
    tx: Tx, workspace_id: str, kind: str, name: str, env: str = DEVELOPMENT
) -> None:
    """Lock one object's row until the transaction ends (``FOR UPDATE`` on PostgreSQL; SQLite
    has one writer), before a removal counts the jobs using it: an import that found the object
    there (``importing.target.names_in`` ``held``) has its references counted, or waits and
    finds it gone."""
    stmt = select(_obj.c.name).where(_key(workspace_id, kind, name, env)).with_for_update()
    tx.conn.execute(stmt).first()


def get_by_id(tx: Tx, workspace_id: str, object_id: str) -> EnvironmentObjectRecord | None:
    """The object (any kind, any side) with that id in the workspace."""
    stmt = _select().where(  # type: ignore[attr-defined]
        _obj.c.workspace_id == workspace_id, _obj.c.object_id == object_id
    )
    row = tx.conn.execute(stmt).first()
    return _record(row) if row else None


def list_objects(
    tx: Tx, workspace_id: str, kind: str | None, env: str | None = DEVELOPMENT
) -> list[EnvironmentObjectRecord]:
    """The workspace's objects of one kind (or all) and one side (or both), by kind and name."""
    stmt = _select().where(_obj.c.workspace_id == workspace_id)  # type: ignore[attr-defined]
    if kind:
        stmt = stmt.where(_obj.c.kind == kind)
    if env:
        stmt = stmt.where(_obj.c.env == env)
    rows = tx.conn.execute(stmt.order_by(_obj.c.kind, tx.by_name(_obj.c.name), _obj.c.env))
    return [_record(r) for r in rows]


def object_names(tx: Tx, workspace_id: str, kind: str) -> list[str]:
    """The names of the workspace's objects of one kind (development side), unordered: only
    the names, so a workspace of many objects costs a column, not its rows."""
    stmt = select(_obj.c.name).where(
        _obj.c.workspace_id == workspace_id, _obj.c.kind == kind, _obj.c.env == DEVELOPMENT
    )
    return [str(name) for name in tx.conn.execute(stmt).scalars()]


def _page_filter(
    tx: Tx, workspace_id: str, kind: str, env: str | None, name: str | None, type_: str | None
) -> list[ColumnElement[bool]]:
    where = [_obj.c.workspace_id == workspace_id, _obj.c.kind == kind]
    if env:
        where.append(_obj.c.env == env)
    if name:
        where.append(tx.holds(_obj.c.name, name))
    if type_:
        where.append(func.lower(_obj.c.type) == type_.lower())
    return where


def page_objects(
    tx: Tx,
    workspace_id: str,
    kind: str,
    *,
    env: str | None,
    name: str | None,
    type_: str | None,
    offset: int,
    limit: int,
) -> tuple[int, list[EnvironmentObjectRecord]]:
    """(how many match, one page of them by name) — ``name`` matches a part of the name."""
    where = _page_filter(tx, workspace_id, kind, env, name, type_)
    total = tx.conn.execute(select(func.count()).select_from(_obj).where(*where)).scalar_one()
    stmt = _select().where(*where)  # type: ignore[attr-defined]
    stmt = stmt.order_by(tx.by_name(_obj.c.name), _obj.c.env).offset(offset).limit(limit)
    return int(total), [_record(r) for r in tx.conn.execute(stmt)]


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
    env: str = DEVELOPMENT,
    description: str | None = None,
) -> bool:
    """Create or replace an object's type and config; True if it was created."""
    values: dict[str, object] = {
        "type": type_,
        "config": config,
        "updated_at": now,
        "updated_by": actor,
    }
    if description is not None:
        values["description"] = description
    result = tx.conn.execute(update(_obj).where(_key(workspace_id, kind, name, env)).values(values))
    if result.rowcount:
        return False
    tx.conn.execute(
        insert(_obj).values(
            **_identity(workspace_id, kind, name, env),
            object_id=uuid.uuid4().hex,
            created_at=now,
            created_by=actor,
            **{"description": "", **values},
        )
    )
    return True


def read_secrets(
    tx: Tx, workspace_id: str, kind: str, name: str, env: str = DEVELOPMENT
) -> str | None:
    """The encrypted secrets of an object (None when it has none): only for merging writes."""
    stmt = select(_sec.c.secrets_encrypted).where(_key(workspace_id, kind, name, env, _sec))
    value = tx.conn.execute(stmt).scalar_one_or_none()
    return str(value) if value is not None else None


def replace_secrets(
    tx: Tx,
    workspace_id: str,
    kind: str,
    name: str,
    keys: list[str],
    encrypted: str,
    env: str = DEVELOPMENT,
) -> None:
    """Replace an object's secrets (already encrypted) and the list of their names."""
    tx.conn.execute(delete(_sec).where(_key(workspace_id, kind, name, env, _sec)))
    tx.conn.execute(
        insert(_sec).values(
            **_identity(workspace_id, kind, name, env),
            secret_keys=json.dumps(sorted(keys)),
            secrets_encrypted=encrypted,
        )
    )


def delete_object(tx: Tx, workspace_id: str, kind: str, name: str, env: str = DEVELOPMENT) -> bool:
    """Remove an object and its secrets; True if it existed."""
    tx.conn.execute(delete(_sec).where(_key(workspace_id, kind, name, env, _sec)))
    result = tx.conn.execute(delete(_obj).where(_key(workspace_id, kind, name, env)))
    return bool(result.rowcount)
