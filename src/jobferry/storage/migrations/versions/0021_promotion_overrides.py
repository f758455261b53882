"""promotion overrides: what a promotion's import changed of its route's settings, and who

A promotion whose import ran with other settings than its route's (``promote --on-drift
take-package``, a console import whose options were changed) records which settings, the
route's value and the run's, who imported it and, when drift protection was overridden, the
objects written over changes made in the target (JSON text). Every row already there keeps
it empty: no override was recorded then.

Create Date: 2026-11-26 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"


def upgrade() -> None:
    op.add_column("route_promotions", sa.Column("overrides", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("route_promotions") as batch:
        batch.drop_column("overrides")
