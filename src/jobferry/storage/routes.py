"""Routes: every saved version of every route of a project.

The tables share the schema's metadata (``tables.metadata``); ``migrations/env.py`` imports this
module so Alembic sees them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
)

from jobferry.storage.records import all_records, record
from jobferry.storage.tables import at_and_by, metadata
from jobferry.storage.tx import Tx

# Every saved version of a route; the newest is the route.
route_versions = Table(
    "route_versions",
    metadata,
    Column("project_id", String(64), ForeignKey("projects.id"), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("document", Text, nullable=False),
    *at_and_by("created"),
)


@dataclass(frozen=True)
class RouteVersionRecord:
    """One saved version of a route (its document as canonical JSON text)."""

    project_id: str
    name: str
    version: int
    document: str
    created_at: int
    created_by: str


def latest_version(tx: Tx, project_id: str, name: str) -> int:
    """The newest version number of a route (0 when it does not exist)."""
    value = tx.conn.execute(
        select(func.max(route_versions.c.version)).where(
            route_versions.c.project_id == project_id, route_versions.c.name == name
        )
    ).scalar()
    return int(value or 0)


def insert_version(tx: Tx, item: RouteVersionRecord) -> None:
    """Save a new version."""
    tx.conn.execute(insert(route_versions).values(**item.__dict__))


def get(
    tx: Tx, project_id: str, name: str, version: int | None = None
) -> RouteVersionRecord | None:
    """A version of a route (the newest when ``version`` is None)."""
    stmt = select(route_versions).where(
        route_versions.c.project_id == project_id, route_versions.c.name == name
    )
    if version is not None:
        stmt = stmt.where(route_versions.c.version == version)
    row = tx.conn.execute(stmt.order_by(route_versions.c.version.desc()).limit(1)).first()
    return record(RouteVersionRecord, row) if row else None


def versions(tx: Tx, project_id: str, name: str) -> list[RouteVersionRecord]:
    """Every version of a route, newest first."""
    order = [route_versions.c.version.desc()]
    return all_records(
        tx, RouteVersionRecord, route_versions, order, project_id=project_id, name=name
    )


def latest_all(tx: Tx, project_id: str) -> list[RouteVersionRecord]:
    """The newest version of every route of the project, by name."""
    newest = (
        select(route_versions.c.name, func.max(route_versions.c.version).label("v"))
        .where(route_versions.c.project_id == project_id)
        .group_by(route_versions.c.name)
        .subquery()
    )
    rows = tx.conn.execute(
        select(route_versions)
        .join(
            newest,
            (newest.c.name == route_versions.c.name) & (newest.c.v == route_versions.c.version),
        )
        .where(route_versions.c.project_id == project_id)
        .order_by(route_versions.c.name)
    )
    return [record(RouteVersionRecord, r) for r in rows]


def delete_route(tx: Tx, project_id: str, name: str) -> bool:
    """Remove every version of a route; whether it existed."""
    result = tx.conn.execute(
        delete(route_versions).where(
            route_versions.c.project_id == project_id, route_versions.c.name == name
        )
    )
    return bool(result.rowcount)
