"""Alembic environment: always driven programmatically by jobferry.storage.schema."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo

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
applied = context.config.attributes.get("applied")  # schema.upgrade's: the steps that ran


def _applied(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    if applied is not None:
        applied.append(step.up_revision_id)


context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    include_name=migrated,
    on_version_apply=_applied,
)
with context.begin_transaction():
    context.run_migrations()
