"""Policies: every saved version of the policy of each workspace and route of a project, and
which route a package planned into a workspace was made for.

The table shares the schema's metadata (``tables.metadata``); ``migrations/env.py`` imports this
module so Alembic sees it."""

from __future__ import annotations

from sqlalchemy import select

from jobferry.storage.columns import project_id
from jobferry.storage.routes import route_promotions
from jobferry.storage.tables import versioned_documents
from jobferry.storage.tx import Tx
from jobferry.storage.versioned import DocumentVersion, VersionedDocuments

# Every saved version of each policy (the highest is the policy). ``name`` says whose:
# ``workspace/<workspace id>`` or ``route/<route name>`` (routes belong to the project).
policies = versioned_documents("policies", project_id(primary_key=True), name_length=200)


POLICIES = VersionedDocuments(policies, policies.c.project_id, DocumentVersion)
"""The project's policies: every version of each, by project id and name (whose)."""


def route_of_package(tx: Tx, project_id: str, package_path: str) -> str | None:
    """The route whose promotion made (or took in) the package at ``package_path``, if any."""
    t = route_promotions
    return tx.conn.execute(
        select(t.c.route)
        .where((t.c.project_id == project_id) & (t.c.package_path == package_path))
        .limit(1)
    ).scalar()
