"""Resources: definitions of jar/file/archive objects kept in object storage."""

from __future__ import annotations

from sqlalchemy import delete, insert, update

from jobferry.storage.records import ResourceRecord, first_record, locked_record, workspace_page
from jobferry.storage.rows import ResourceRow, Stamp, created, written
from jobferry.storage.tables import resources
from jobferry.storage.tx import Tx


def insert_resource(
    tx: Tx, resource_id: str, workspace_id: str, row: ResourceRow, stamp: Stamp
) -> None:
    """Create a resource."""
    values = {
        "id": resource_id,
        "workspace_id": workspace_id,
        **created(stamp),
        **written(row, stamp),
    }
    tx.conn.execute(insert(resources).values(**values))


def get_resource(
    tx: Tx, workspace_id: str, resource_id: str, *, locked: bool = False
) -> ResourceRecord | None:
    """A resource of the workspace by id (``locked``: its row, until the transaction ends)."""
    read = locked_record if locked else first_record
    return read(tx, ResourceRecord, resources, workspace_id=workspace_id, id=resource_id)


def find_resource(tx: Tx, workspace_id: str, name: str) -> ResourceRecord | None:
    """A resource of the workspace by name."""
    return first_record(tx, ResourceRecord, resources, workspace_id=workspace_id, name=name)


def update_resource(tx: Tx, resource_id: str, row: ResourceRow, stamp: Stamp) -> None:
    """Write a resource."""
    tx.conn.execute(
        update(resources).where(resources.c.id == resource_id).values(**written(row, stamp))
    )


def delete_resource(tx: Tx, resource_id: str) -> None:
    """Remove a resource."""
    tx.conn.execute(delete(resources).where(resources.c.id == resource_id))


def list_resources(
    tx: Tx, workspace_id: str, *, name_contains: str | None, limit: int, offset: int
) -> tuple[int, list[ResourceRecord]]:
    """One page of the workspace's resources by name, and how many match in all."""
    return workspace_page(tx, ResourceRecord, resources, workspace_id, name_contains, limit, offset)
