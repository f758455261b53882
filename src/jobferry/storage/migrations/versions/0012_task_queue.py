"""task queue: tasks are rows any server process claims

An accepted import, plan or export is stored queued (``status`` RUNNING, ``owner`` empty) with
who asked for it (``actor``), and whichever server process sharing the database has a free
worker thread claims it (``owner`` = its ``workers`` row). The partial index holds only RUNNING
tasks: what a claim and the heartbeat's scan for orphaned tasks read.

Create Date: 2026-11-25 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"

RUNNING = sa.text("status = 'RUNNING'")


def upgrade() -> None:
    op.add_column("system_tasks", sa.Column("actor", sa.Text(), nullable=True))
    op.create_index(
        "ix_system_tasks_running",
        "system_tasks",
        ["start_time", "id"],
        postgresql_where=RUNNING,
        sqlite_where=RUNNING,
    )


def downgrade() -> None:
    op.drop_index("ix_system_tasks_running", table_name="system_tasks")
    with op.batch_alter_table("system_tasks") as batch:
        batch.drop_column("actor")
