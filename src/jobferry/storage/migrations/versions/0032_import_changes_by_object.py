"""the imports that changed one object

A job's, script's or resource's *History* in the console lists the imports (and so the
promotions) that created, overwrote or renamed it, beside its audit log lines: its
rows of ``import_changes`` by workspace and object id. ``ix_import_changes_object`` serves them
without reading every import's rows (an import of 10,000 objects writes as many).

Create Date: 2026-11-27 15:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0032"
down_revision = "0031"


def upgrade() -> None:
    op.create_index("ix_import_changes_object", "import_changes", ["workspace_id", "object_id"])


def downgrade() -> None:
    op.drop_index("ix_import_changes_object", table_name="import_changes")
