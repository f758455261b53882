"""dropped task lines and audit entries: what the retention settings dropped, and when

``JOBFERRY_TASK_LINES_DAYS`` (0 by default: never) lets the housekeeping sweep drop the
per-object lines (``task_subtasks``) of tasks that ended that many days ago. Each task it
passed says when (``lines_dropped_at``), after how many days (``lines_kept_days``) and how many
lines it had (``lines_dropped``), so reading it says they were dropped instead of listing none.
``JOBFERRY_AUDIT_DAYS`` lets it drop audit entries as old; ``dropped_audit`` keeps the one
moment before which entries are gone, when, and under how many days, so a search of an older
window says so instead of "no entry".

Create Date: 2026-11-27 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"


def upgrade() -> None:
    op.add_column("system_tasks", sa.Column("lines_dropped_at", sa.BigInteger, nullable=True))
    op.add_column("system_tasks", sa.Column("lines_kept_days", sa.Integer, nullable=True))
    op.add_column("system_tasks", sa.Column("lines_dropped", sa.Integer, nullable=True))
    op.create_index(
        "ix_system_tasks_lines_kept",
        "system_tasks",
        ["end_time", "id"],
        postgresql_where=sa.text("lines_dropped_at IS NULL"),
        sqlite_where=sa.text("lines_dropped_at IS NULL"),
    )
    op.create_table(
        "dropped_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("before", sa.BigInteger(), nullable=False),
        sa.Column("dropped_at", sa.BigInteger(), nullable=False),
        sa.Column("kept_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dropped_audit")),
    )


def downgrade() -> None:
    op.drop_table("dropped_audit")
    op.drop_index("ix_system_tasks_lines_kept", table_name="system_tasks")
    with op.batch_alter_table("system_tasks") as batch:
        batch.drop_column("lines_dropped")
        batch.drop_column("lines_kept_days")
        batch.drop_column("lines_dropped_at")
