"""release ledger: each release, rollback and restore of a production side, with the state it
left every object it put or deleted, and release packages rolled back

``release_ledger`` keeps one entry per release (deploy), rollback and restore of an enterprise
workspace's production side: the package, its plan and plan hash, approvers, deployer, startup
mode and when; ``release_ledger_objects`` the version and content hash each entry left of every
object it put or deleted, and ``release_contents`` those definitions once per workspace and
hash, so any earlier state can be restored after the package's own file expired.
``release_restores`` keeps a restore's planned package file until its plan is applied.
``release_packages`` gains ``rolled_back_at``/``rolled_back_by``. Existing releases have no
entries: the ledger starts with the first release after the upgrade.

Create Date: 2026-11-26 08:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"


def upgrade() -> None:
    op.add_column("release_packages", sa.Column("rolled_back_at", sa.BigInteger(), nullable=True))
    op.add_column(
        "release_packages", sa.Column("rolled_back_by", sa.String(length=128), nullable=True)
    )
    op.create_table(
        "release_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("production_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=True),
        sa.Column("package_name", sa.String(length=256), nullable=True),
        sa.Column("plan_id", sa.String(length=64), nullable=True),
        sa.Column("plan_hash", sa.String(length=64), nullable=True),
        sa.Column("approvers", sa.Text(), nullable=False),
        sa.Column("approvals", sa.Text(), nullable=False),
        sa.Column("deployer", sa.String(length=128), nullable=False),
        sa.Column("startup_mode", sa.Integer(), nullable=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("target_entry", sa.Integer(), nullable=True),
        sa.Column("started", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_release_ledger_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_ledger")),
    )
    op.create_index("ix_release_ledger_workspace", "release_ledger", ["workspace_id", "at"])
    op.create_table(
        "release_ledger_objects",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["release_ledger.id"],
            name=op.f("fk_release_ledger_objects_entry_id_release_ledger"),
        ),
        sa.PrimaryKeyConstraint("entry_id", "kind", "uid", name=op.f("pk_release_ledger_objects")),
    )
    op.create_table(
        "release_contents",
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_release_contents_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", "sha256", name=op.f("pk_release_contents")),
    )
    op.create_table(
        "release_restores",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("target_entry", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_release_restores_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_release_restores")),
    )


def downgrade() -> None:
    op.drop_table("release_restores")
    op.drop_table("release_contents")
    op.drop_table("release_ledger_objects")
    op.drop_index("ix_release_ledger_workspace", table_name="release_ledger")
    op.drop_table("release_ledger")
    op.execute("ALTER TABLE release_packages DROP COLUMN rolled_back_by")
    op.execute("ALTER TABLE release_packages DROP COLUMN rolled_back_at")
