"""used signatures: replay protection for signed state-changing requests

Every accepted signed POST, PUT, DELETE or PATCH leaves its signature here until its
``X-Sdk-Date`` falls out of the clock-skew window, with the moment it was first accepted; the
primary key on ``signature`` makes a second insert fail atomically, whichever server process
sees it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "used_signatures",
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("access_key", sa.String(length=128), nullable=False),
        sa.Column("accepted_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("signature", name=op.f("pk_used_signatures")),
    )
    op.create_index("ix_used_signatures_expires_at", "used_signatures", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_used_signatures_expires_at", table_name="used_signatures")
    op.drop_table("used_signatures")
