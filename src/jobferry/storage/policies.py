"""Policies: every saved version of the policy of each workspace and route of a project, and
which route a package planned into a workspace was made for.

The table shares the schema's metadata (``tables.metadata``); ``migrations/env.py`` imports this
module so Alembic sees it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, insert, select

from jobferry.storage.records import record
from jobferry.storage.routes import route_promotions
from jobferry.storage.tables import at_and_by, metadata
from jobferry.storage.tx import Tx
from jobferry.storage.versioned import VersionedDocuments

# Every saved version of each policy (the highest is the policy). ``name`` says whose:
# ``workspace/<workspace id>`` or ``route/<route name>`` (routes belong to the project).
policies = Table(
    "policies",
    metadata,
    Column("project_id", String(64), ForeignKey("projects.id"), primary_key=True),
    Column("name", String(200), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("document", Text, nullable=False),
    *at_and_by("created"),
)

_SAVED = VersionedDocuments(policies, policies.c.project_id)


@dataclass(frozen=True)
class PolicyRecord:
    """One saved version of a policy; ``name`` says whose (``workspace/<id>``,
    ``route/<name>``)."""

    project_id: str
    name: str
    version: int
    document: str
    created_at: int
    created_by: str


def latest_version(tx: Tx, project_id: str, name: str) -> int:
    """The newest version number of a policy (0 when there is none)."""
    return _SAVED.latest_version(tx, project_id, name)


def insert_version(tx: Tx, item: PolicyRecord) -> None:
    """Save a new version."""
    tx.conn.execute(insert(policies).values(**item.__dict__))


def get(tx: Tx, project_id: str, name: str, version: int | None = None) -> PolicyRecord | None:
    """A version of a policy (the newest when ``version`` is None)."""
    row = _SAVED.get(tx, project_id, name, version)
    return record(PolicyRecord, row) if row else None


def versions(tx: Tx, project_id: str, name: str) -> list[PolicyRecord]:
    """Every version of a policy, newest first."""
    return [record(PolicyRecord, r) for r in _SAVED.versions(tx, project_id, name)]


def latest_all(tx: Tx, project_id: str) -> list[PolicyRecord]:
    """The newest version of every policy of the project, by name."""
    return [record(PolicyRecord, r) for r in _SAVED.latest_all(tx, project_id)]


def remove(tx: Tx, project_id: str, name: str) -> bool:
    """Remove every version of a policy; whether it had any."""
    return _SAVED.remove(tx, project_id, name)


def route_of_package(tx: Tx, project_id: str, package_path: str) -> str | None:
    """The route whose promotion made (or took in) the package at ``package_path``, if any."""
    t = route_promotions
    return tx.conn.execute(
        select(t.c.route)
        .where((t.c.project_id == project_id) & (t.c.package_path == package_path))
        .limit(1)
    ).scalar()
