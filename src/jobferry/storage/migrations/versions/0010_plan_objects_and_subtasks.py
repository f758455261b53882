"""plan objects and task subtasks as rows: a plan or an import of 200,000 objects is stored
and paged a row at a time instead of one JSON text held whole

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_plan_objects",
        sa.Column("plan_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "seq", name=op.f("pk_import_plan_objects")),
    )
    op.create_table(
        "task_subtasks",
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "seq", name=op.f("pk_task_subtasks")),
    )


def downgrade() -> None:
    op.drop_table("task_subtasks")
    op.drop_table("import_plan_objects")
