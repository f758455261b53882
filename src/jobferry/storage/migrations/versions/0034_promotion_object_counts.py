"""promotion object counts: the scripts and resources a promotion's package carried

A promotion counted only the jobs of its package: one carrying only a script (a route of
every job carries an edited script no job uses) said "0 job(s)". Its scripts and resources
are counted beside its jobs now. Rows written before this revision keep them empty: what they
carried beside their jobs is unknown.

Create Date: 2026-11-27 22:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"


def upgrade() -> None:
    op.add_column("route_promotions", sa.Column("scripts", sa.Integer, nullable=True))
    op.add_column("route_promotions", sa.Column("resources", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("route_promotions") as batch:
        batch.drop_column("resources")
        batch.drop_column("scripts")
