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
    insert,
)

from jobferry.storage.records import record
from jobferry.storage.tables import at_and_by, metadata
from jobferry.storage.tx import Tx
from jobferry.storage.versioned import VersionedDocuments

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


_SAVED = VersionedDocuments(route_versions, route_versions.c.project_id)


def latest_version(tx: Tx, project_id: str, name: str) -> int:
    """The newest version number of a route (0 when it does not exist)."""
    return _SAVED.latest_version(tx, project_id, name)


def insert_version(tx: Tx, item: RouteVersionRecord) -> None:
    """Save a new version."""
    tx.conn.execute(insert(route_versions).values(**item.__dict__))


def get(
    tx: Tx, project_id: str, name: str, version: int | None = None
) -> RouteVersionRecord | None:
    """A version of a route (the newest when ``version`` is None)."""
    row = _SAVED.get(tx, project_id, name, version)
    return record(RouteVersionRecord, row) if row else None


def versions(tx: Tx, project_id: str, name: str) -> list[RouteVersionRecord]:
    """Every version of a route, newest first."""
    return [record(RouteVersionRecord, r) for r in _SAVED.versions(tx, project_id, name)]


def latest_all(tx: Tx, project_id: str) -> list[RouteVersionRecord]:
    """The newest version of every route of the project, by name."""
    return [record(RouteVersionRecord, r) for r in _SAVED.latest_all(tx, project_id)]


def delete_route(tx: Tx, project_id: str, name: str) -> bool:
    """Remove every version of a route; whether it existed."""
    return _SAVED.remove(tx, project_id, name)
