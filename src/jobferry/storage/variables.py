"""Workspace environment variables: one flat set of named values per workspace."""

from __future__ import annotations

from sqlalchemy import delete, insert, update

from jobferry.storage.records import VariableRecord, all_records
from jobferry.storage.tables import workspace_variables
from jobferry.storage.tx import Tx

_var = workspace_variables


def list_variables(tx: Tx, workspace_id: str) -> list[VariableRecord]:
    """The workspace's variables by name."""
    return all_records(
        tx, VariableRecord, _var, [tx.by_name(_var.c.name)], workspace_id=workspace_id
    )


def upsert_variable(tx: Tx, item: VariableRecord) -> bool:
    """Create or replace one variable; True if it was created."""
    values = {
        "type": item.type,
        "value": item.value,
        "description": item.description,
        "updated_at": item.updated_at,
        "updated_by": item.updated_by,
    }
    result = tx.conn.execute(
        update(_var)
        .where(_var.c.workspace_id == item.workspace_id, _var.c.name == item.name)
        .values(values)
    )
    if result.rowcount:
        return False
    tx.conn.execute(insert(_var).values(workspace_id=item.workspace_id, name=item.name, **values))
    return True


def delete_variable(tx: Tx, workspace_id: str, name: str) -> None:
    """Remove one variable (a remote's shadow, following the remote)."""
    tx.conn.execute(delete(_var).where(_var.c.workspace_id == workspace_id, _var.c.name == name))
