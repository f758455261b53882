"""releases: enterprise mode (a workspace's production side), pending items, release packages

A workspace in enterprise mode names its production side (``workspaces.production_id``), a
workspace of its own marked with the development workspace it belongs to
(``workspaces.production_of``): hidden from workspace lists and written only by releases.
Every submit or delete in the development workspace keeps a pending item per object
(``release_items``); a release package (``release_packages``) freezes the items it takes, with
the package file and the plan it was made with, until it is deployed or cancelled.
Existing workspaces stay in simple mode (both columns NULL).

Create Date: 2026-11-26 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"


def upgrade() -> None:
    op.add_column("workspaces", sa.Column("production_id", sa.String(length=64), nullable=True))
    op.add_column("workspaces", sa.Column("production_of", sa.String(length=64), nullable=True))
    op.create_table(
        "release_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("apply_user_id", sa.String(length=64), nullable=False),
        sa.Column("apply_user_name", sa.String(length=128), nullable=False),
        sa.Column("apply_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("approvers", sa.Text(), nullable=False),
        sa.Column("deploy_user_id", sa.String(length=64), nullable=True),
        sa.Column("deploy_user_name", sa.String(length=128), nullable=True),
        sa.Column("deploy_timestamp", sa.BigInteger(), nullable=True),
        sa.Column("startup_mode", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.String(length=64), nullable=True),
        sa.Column("delete_flag", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("plan_id", sa.String(length=64), nullable=True),
        sa.Column("basis", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_release_packages_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_packages")),
    )
    op.create_index(op.f("ix_release_packages_workspace_id"), "release_packages", ["workspace_id"])
    op.create_index(op.f("ix_release_packages_task_id"), "release_packages", ["task_id"])
    op.create_table(
        "release_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("update_type", sa.Integer(), nullable=False),
        sa.Column("pending_version", sa.Integer(), nullable=False),
        sa.Column("deployed_version", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=True),
        sa.Column("deploy_status", sa.Integer(), nullable=True),
        sa.Column("start_job_status", sa.Integer(), nullable=True),
        sa.Column("submit_user_id", sa.String(length=64), nullable=False),
        sa.Column("submit_user_name", sa.String(length=128), nullable=False),
        sa.Column("submit_timestamp", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_release_items_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_items")),
    )
    op.create_index(
        op.f("ix_release_items_workspace_id"), "release_items", ["workspace_id", "kind", "uid"]
    )
    op.create_index(op.f("ix_release_items_package_id"), "release_items", ["package_id"])


def downgrade() -> None:
    op.drop_table("release_items")
    op.drop_table("release_packages")
    # ALTER TABLE … DROP COLUMN, not batch mode: a batch recreates the table, which SQLite
    # refuses while rows of other tables refer to its rows (as in 0018).
    op.execute("ALTER TABLE workspaces DROP COLUMN production_of")
    op.execute("ALTER TABLE workspaces DROP COLUMN production_id")
