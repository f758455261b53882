"""import engine

Create Date: 2026-11-21 05:58:53.084461
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jobferry.storage.migrations.columns import foreign_key, primary_key, workspace_id

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "import_changes",
        sa.Column("task_id", sa.String(length=32), nullable=False),
        workspace_id(),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("before_document", sa.Text(), nullable=True),
        sa.Column("before_version", sa.Integer(), nullable=True),
        sa.Column("after_version", sa.Integer(), nullable=True),
        sa.Column("after_sha256", sa.String(length=64), nullable=True),
    )
    with op.batch_alter_table("import_changes", schema=None) as batch_op:
        batch_op.create_index("ix_import_changes_task", ["task_id"], unique=False)

    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=256), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("heartbeat_at", sa.BigInteger(), nullable=False),
        primary_key("workers", "id"),
    )
    op.create_table(
        "import_locks",
        workspace_id(),
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("acquired_at", sa.BigInteger(), nullable=False),
        foreign_key("import_locks", "workspace_id"),
        primary_key("import_locks", "workspace_id"),
    )
    op.create_table(
        "import_plans",
        sa.Column("id", sa.String(length=32), nullable=False),
        workspace_id(),
        sa.Column("package_sha256", sa.String(length=64), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        foreign_key("import_plans", "workspace_id"),
        primary_key("import_plans", "id"),
    )
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        workspace_id(),
        sa.Column("file_name", sa.String(length=256), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("store", sa.String(length=8), nullable=False),
        sa.Column("location", sa.String(length=1024), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        foreign_key("uploads", "workspace_id"),
        primary_key("uploads", "id"),
    )
    with op.batch_alter_table("system_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("system_tasks", schema=None) as batch_op:
        batch_op.drop_column("owner")

    op.drop_table("uploads")
    op.drop_table("import_plans")
    op.drop_table("import_locks")
    op.drop_table("workers")
    with op.batch_alter_table("import_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_import_changes_task")

    op.drop_table("import_changes")
