"""push recovery waits: a recovery that cannot reach its remote waits, and says why and until when

``remote_pushes`` gains ``retry_at``, ``tries`` and ``last_error``. A recovery (the undo of a
push whose server process died) that cannot reach the remote puts its journal in the state
``waiting``: ``last_error`` says what the remote answered (or that it did not), ``tries`` how
many attempts failed in a row, and ``retry_at`` when it is tried next (each wait twice the
last). While a recovery runs (``recovering``), ``retry_at`` is when its claim lapses unless
the process undoing renews it (after each call), so a claim whose process stopped undoing is
taken over, not left "recovering" for ever.

Create Date: 2026-11-28 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0035"


def upgrade() -> None:
    op.add_column("remote_pushes", sa.Column("retry_at", sa.BigInteger, nullable=True))
    op.add_column(
        "remote_pushes", sa.Column("tries", sa.Integer, nullable=False, server_default="0")
    )
    op.add_column("remote_pushes", sa.Column("last_error", sa.Text, nullable=True))


def downgrade() -> None:
    # an older jobferry knows no "waiting": a claim nobody holds, which its keeper takes over
    op.execute(
        "UPDATE remote_pushes SET state = 'recovering', owner = NULL WHERE state = 'waiting'"
    )
    with op.batch_alter_table("remote_pushes") as batch:
        batch.drop_column("last_error")
        batch.drop_column("tries")
        batch.drop_column("retry_at")
