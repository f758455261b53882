"""import changes in rollback order: an index of (task, kind, name, action)

A rollback reads an import's changes a batch at a time in (kind, name, action) order. With only
an index of the task, every batch sorted all of the task's changes again: rolling back an
import of 100,000 jobs (200,000 changes) took minutes. The new index serves each batch as a
range scan and also answers what the old one did (the task's changes), which it replaces.

Create Date: 2026-11-23 07:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    op.create_index(
        "ix_import_changes_order", "import_changes", ["task_id", "kind", "name", "action"]
    )
    op.drop_index("ix_import_changes_task", table_name="import_changes")


def downgrade() -> None:
    op.create_index("ix_import_changes_task", "import_changes", ["task_id"])
    op.drop_index("ix_import_changes_order", table_name="import_changes")
