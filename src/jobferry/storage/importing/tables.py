"""Tables of the import pipeline that hold one row per object: a kept plan's objects, a task's
subtasks, and repeated promotion's ledger, tombstones and exports per target. They share the
schema's metadata (``tables.metadata``); ``migrations/env.py`` imports this module."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, String, Table, Text

from jobferry.storage.columns import at_and_by
from jobferry.storage.tables import metadata


def _lines(name: str, owner: str, *columns: str) -> Table:
    """A table of an owner's lines (JSON text), one row each in order (``seq``), with the
    short ``columns`` kept beside each line (a plan's objects are paged by kind and action)."""
    return Table(
        name,
        metadata,
        Column(owner, String(32), primary_key=True),
        Column("seq", Integer, primary_key=True),
        *(Column(column, String(16), nullable=False) for column in columns),
        Column("line", Text, nullable=False),
    )


# A stored plan's objects, one row each in plan order; a task's subtasks, likewise.
import_plan_objects = _lines("import_plan_objects", "plan_id", "kind", "action")
task_subtasks = _lines("task_subtasks", "task_id", "status")

# What a target workspace received from each source workspace, object by object: the source's
# stable identifier, the target object it became, and the exact documents of the last import
# that wrote it (as the package held it, and as written after transforms; compressed, see
# storage/importing/ledger.py).
# One row per source object: an import overwrites the row, and keeps the row it replaced in its
# change record (``import_changes.undo``) for rollback.
promotion_ledger = Table(
    "promotion_ledger",
    metadata,
    Column("target_workspace_id", String(64), primary_key=True),
    Column("source_workspace_id", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("source_uid", String(64), primary_key=True),
    Column("target_uid", String(64), nullable=False),
    Column("name", String(256), nullable=False),
    Column("written_sha256", String(64), nullable=False),
    Column("written", LargeBinary, nullable=False),
    Column("source", LargeBinary, nullable=False),
    Column("task_id", String(32), nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
    # The package the import read (its sha256); empty for rows whose task left none (0015).
    Column("package_sha256", String(64), nullable=True),
    # That package's createdAt (epoch ms): an older package of the source is found by it (0033).
    Column("package_created_at", BigInteger, nullable=True),
    Index("ix_promotion_ledger_target", "target_workspace_id", "kind", "target_uid"),
)

# What a target received from a source and an import then deleted (the source deleted it): the
# ledger row goes, and this row keeps the deleting package's createdAt, so an older package of
# the source that holds the object is judged as putting back what a newer one deleted (0045).
# A row is dropped when the ledger learns the object again (and put back by the rollback of
# the import that did).
promotion_ledger_deletions = Table(
    "promotion_ledger_deletions",
    metadata,
    Column("target_workspace_id", String(64), primary_key=True),
    Column("source_workspace_id", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("source_uid", String(64), primary_key=True),
    Column("package_created_at", BigInteger, nullable=False),
    Column("task_id", String(32), nullable=False),
    Column("deleted_at", BigInteger, nullable=False),
)

# Jobs, scripts and resources deleted from a workspace (tombstones), so an export by names can
# carry the deletions since a moment to the targets it promotes to.
deletions = Table(
    "deletions",
    metadata,
    Column("workspace_id", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("uid", String(64), primary_key=True),
    Column("name", String(256), nullable=False),
    *at_and_by("deleted"),
    Index("ix_deletions_when", "workspace_id", "deleted_at"),
)

# When a workspace last exported to a named target ("deletionsFor": the deletions carried are
# those since that export).
promotion_exports = Table(
    "promotion_exports",
    metadata,
    Column("workspace_id", String(64), primary_key=True),
    Column("target", String(128), primary_key=True),
    Column("exported_at", BigInteger, nullable=False),
)

# Imports whose rollback expired (``JOBFERRY_ROLLBACK_DAYS``): what each replaced was dropped from
# its change records (``import_changes.before_document`` and ``undo``) at ``dropped_at``, having
# been kept ``kept_days`` after the import ended (``ended_at``).
expired_rollbacks = Table(
    "expired_rollbacks",
    metadata,
    Column("task_id", String(32), primary_key=True),
    Column("workspace_id", String(64), nullable=False),
    Column("ended_at", BigInteger, nullable=False),
    Column("dropped_at", BigInteger, nullable=False),
    Column("kept_days", Integer, nullable=False),
)
