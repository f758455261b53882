"""plan objects and task subtasks as rows: a plan or an import of 200,000 objects is stored
and paged a row at a time instead of one JSON text held whole

Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jobferry.storage.migrations.columns import primary_key

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.create_table(
        "import_plan_objects",
        sa.Column("plan_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        primary_key("import_plan_objects", "plan_id", "seq"),
    )
    op.create_table(
        "task_subtasks",
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        primary_key("task_subtasks", "task_id", "seq"),
    )


def downgrade() -> None:
    op.drop_table("task_subtasks")
    op.drop_table("import_plan_objects")
