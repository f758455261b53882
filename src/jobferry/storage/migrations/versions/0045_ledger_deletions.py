"""promotion ledger deletions: what an import deleted of what a source sent, and by which package

An import that deletes an object a source sent it (the source deleted it) forgot the object's
ledger row, so an older package of that source holding the object planned it as a new one and
put it back unremarked. The new table keeps, per (target workspace, source workspace, kind,
source uid), the ``createdAt`` of the package whose import deleted it, the import task and when;
the planner judges an older package that holds the object as putting back what a newer one
deleted (``older_package``). A row goes when the ledger learns the object again.

Downgrade: the table is dropped (an older jobferry plans such an object as new, as before).

Create Date: 2026-11-29 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jobferry.storage.migrations.columns import primary_key

revision = "0045"
down_revision = "0044"

_KEY = ["target_workspace_id", "source_workspace_id", "kind", "source_uid"]


def upgrade() -> None:
    op.create_table(
        "promotion_ledger_deletions",
        sa.Column("target_workspace_id", sa.String(length=64), nullable=False),
        sa.Column("source_workspace_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_uid", sa.String(length=64), nullable=False),
        sa.Column("package_created_at", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("deleted_at", sa.BigInteger(), nullable=False),
        primary_key("promotion_ledger_deletions", *_KEY),
    )


def downgrade() -> None:
    op.drop_table("promotion_ledger_deletions")
