"""Alembic environment: always driven programmatically by jobferry.storage.schema."""

from __future__ import annotations

from alembic import context

import jobferry.storage.approvals
import jobferry.storage.importing.tables
import jobferry.storage.ledger
import jobferry.storage.policies
import jobferry.storage.releases
import jobferry.storage.remotes
import jobferry.storage.remotes_journal
import jobferry.storage.routes  # noqa: F401 - registers its tables in the metadata
from jobferry.storage.schema import migrated
from jobferry.storage.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=metadata, render_as_batch=True, include_name=migrated
)
with context.begin_transaction():
    context.run_migrations()
