"""Enterprise mode's production sides: a workspace of its own linked to its development
workspace (``workspaces.production_id`` / ``production_of``), and the environment it is given
from the development workspace before each plan into it (``services/releases``)."""

from __future__ import annotations

import uuid

from sqlalchemy import insert, select, update

from jobferry.domain.enums import EnvType
from jobferry.storage.records import WorkspaceRecord, first_record, insert_record
from jobferry.storage.tables import environment_objects, environment_secrets, workspaces
from jobferry.storage.tx import Tx


def link_production(tx: Tx, development: WorkspaceRecord, production: WorkspaceRecord) -> None:
    """Insert the production side and name it on its development workspace."""
    insert_record(tx, workspaces, production)
    tx.conn.execute(
        update(workspaces)
        .where(workspaces.c.id == development.id)
        .values(production_id=production.id)
    )


def get_workspace_by_id(tx: Tx, workspace_id: str) -> WorkspaceRecord | None:
    """A workspace by id (any project)."""
    return first_record(tx, WorkspaceRecord, workspaces, id=workspace_id)


def mirror_production_environment(tx: Tx, development: str, production: str) -> int:
    """Give the production side the environment its jobs reference: each environment object
    of the development workspace, as its production side (``env_type`` 1) where it has one
    (a data connection), else as it is (one object serves both sides), secrets with it,
    replacing what the side held; how many objects it holds now. Each copy keeps the object
    id the side gave it before, or gets one of its own (ids are unique across workspaces)."""
    dev, prod = str(EnvType.DEVELOPMENT), str(EnvType.PRODUCTION)
    obj, sec = environment_objects, environment_secrets
    kept = {
        (r.kind, r.name): r.object_id
        for r in tx.conn.execute(
            select(obj.c.kind, obj.c.name, obj.c.object_id).where(obj.c.workspace_id == production)
        )
    }
    for table in (sec, obj):
        tx.conn.execute(table.delete().where(table.c.workspace_id == production))
    chosen: dict[tuple[str, str], dict[str, object]] = {}
    for row in tx.conn.execute(select(obj).where(obj.c.workspace_id == development)):
        key = (row.kind, row.name)
        if row.env == prod or key not in chosen:
            chosen[key] = dict(row._mapping)
    secrets = {
        (r.kind, r.name, r.env): dict(r._mapping)
        for r in tx.conn.execute(select(sec).where(sec.c.workspace_id == development))
    }
    for (kind, name), values in chosen.items():
        side = values["env"]
        values |= {"workspace_id": production, "env": dev}
        values["object_id"] = kept.get((kind, name)) or uuid.uuid4().hex
        tx.conn.execute(insert(obj).values(**values))
        secret = secrets.get((kind, name, str(side)))
        if secret is not None:
            tx.conn.execute(
                insert(sec).values(**(secret | {"workspace_id": production, "env": dev}))
            )
    return len(chosen)
