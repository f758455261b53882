"""used signatures: replay protection for signed state-changing requests

Every accepted signed POST, PUT, DELETE or PATCH leaves its signature here until its
``X-Sdk-Date`` falls out of the clock-skew window, with the moment it was first accepted; the
primary key on ``signature`` makes a second insert fail atomically, whichever server process
sees it.

Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jobferry.storage.migrations.columns import primary_key

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "used_signatures",
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("access_key", sa.String(length=128), nullable=False),
        sa.Column("accepted_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        primary_key("used_signatures", "signature"),
    )
    op.create_index("ix_used_signatures_expires_at", "used_signatures", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_used_signatures_expires_at", table_name="used_signatures")
    op.drop_table("used_signatures")
