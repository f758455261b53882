"""imports whose rollback expired

``JOBFERRY_ROLLBACK_DAYS`` (0 by default: never) lets the housekeeping sweep drop what imports
that ended that many days ago replaced (``import_changes.before_document`` and ``undo``) and
what their pushes sent (``remote_push_calls``). ``expired_rollbacks`` names those imports, when
they ended, when theirs was dropped and after how many days, so that their rollback is refused
saying so.

Create Date: 2026-11-27 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"


def upgrade() -> None:
    op.create_table(
        "expired_rollbacks",
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("ended_at", sa.BigInteger(), nullable=False),
        sa.Column("dropped_at", sa.BigInteger(), nullable=False),
        sa.Column("kept_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_expired_rollbacks")),
    )


def downgrade() -> None:
    op.drop_table("expired_rollbacks")
