"""tasks and download center

Create Date: 2026-11-21 05:38:48.665826
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jobferry.storage.migrations.columns import foreign_key, primary_key, workspace_id

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "downloads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        workspace_id(),
        sa.Column("task_id", sa.String(length=32), nullable=True),
        sa.Column("file_name", sa.String(length=256), nullable=False),
        sa.Column("selection", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("store", sa.String(length=8), nullable=False),
        sa.Column("location", sa.String(length=1024), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        foreign_key("downloads", "workspace_id"),
        primary_key("downloads", "id"),
    )
    with op.batch_alter_table("downloads", schema=None) as batch_op:
        batch_op.create_index("ix_downloads_scope", ["workspace_id", "created_at"], unique=False)

    op.create_table(
        "system_tasks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        workspace_id(),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("request", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("subtasks", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("start_time", sa.BigInteger(), nullable=False),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        sa.Column("last_update", sa.BigInteger(), nullable=False),
        foreign_key("system_tasks", "workspace_id"),
        primary_key("system_tasks", "id"),
    )
    with op.batch_alter_table("system_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_system_tasks_scope", ["workspace_id", "start_time"], unique=False)

    op.create_table(
        "workspace_exports",
        workspace_id(),
        sa.Column("last_export_at", sa.BigInteger(), nullable=False),
        foreign_key("workspace_exports", "workspace_id"),
        primary_key("workspace_exports", "workspace_id"),
    )


def downgrade() -> None:
    op.drop_table("workspace_exports")
    with op.batch_alter_table("system_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_system_tasks_scope")

    op.drop_table("system_tasks")
    with op.batch_alter_table("downloads", schema=None) as batch_op:
        batch_op.drop_index("ix_downloads_scope")

    op.drop_table("downloads")
