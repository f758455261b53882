"""access key lockouts: failed signatures in a row per access key, and the lock they lead to

Like the API gateway, an access key whose signatures fail too often in a row is refused for a
while, whichever server process sees the failures; the counter lives in the database.

Create Date: 2026-11-24 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jobferry.storage.migrations.columns import foreign_key, primary_key

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "access_key_lockouts",
        sa.Column("access_key", sa.String(length=128), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.BigInteger(), nullable=True),
        foreign_key(
            "access_key_lockouts", "access_key", "credentials.access_key", ondelete="CASCADE"
        ),
        primary_key("access_key_lockouts", "access_key"),
    )


def downgrade() -> None:
    op.drop_table("access_key_lockouts")
