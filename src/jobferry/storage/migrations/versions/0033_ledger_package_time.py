"""ledger package time: how new the package was that last wrote each object

An older package of the same source, imported after a newer one, would silently put back
what the newer one replaced (or delete what it created). The plan now finds such objects by
the ``createdAt`` of the package that last wrote each one, kept here beside its sha256. Rows
written before this revision keep it empty: they are never judged older or newer.

Create Date: 2026-11-27 19:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"


def upgrade() -> None:
    op.add_column("promotion_ledger", sa.Column("package_created_at", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("promotion_ledger") as batch:
        batch.drop_column("package_created_at")
