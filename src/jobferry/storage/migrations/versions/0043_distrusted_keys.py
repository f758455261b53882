"""a distrusted key is remembered: when and by whom, beside the trusted keys

``DELETE /trusted-keys/{keyId}`` deleted the row, so a key distrusted because it leaked was
forgotten: a package it signed later was merely "untrusted" (and imported as an unsigned one
where signatures are not required). The row now stays, marked by ``distrusted_at`` and
``distrusted_by`` (both null for a trusted key), and a package that key signs is refused.

Downgrade: the distrusted rows are deleted, not kept as trusted. An older jobferry has no mark
to read, and every row it finds is a key it trusts: keeping them would silently trust again
every key distrusted since the upgrade. Trust them again by hand after the downgrade if that
is what is wanted.

Create Date: 2026-11-28 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0042"


def upgrade() -> None:
    with op.batch_alter_table("trusted_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("distrusted_at", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("distrusted_by", sa.String(length=128), nullable=True))


def downgrade() -> None:
    keys = sa.table("trusted_keys", sa.column("distrusted_at", sa.BigInteger))
    op.execute(keys.delete().where(keys.c.distrusted_at.is_not(None)))
    with op.batch_alter_table("trusted_keys", schema=None) as batch_op:
        batch_op.drop_column("distrusted_by")
        batch_op.drop_column("distrusted_at")
