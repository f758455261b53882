"""carried promotions: which way a promotion along a route was carried

A route with an end on another server promotes through carried packages: the source server
remembers each package it cut (``out``), the target server each package it took in (``in``).
The new column says which; a promotion between two workspaces of one server keeps it empty, as
every row already there does.

Create Date: 2026-11-25 13:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"


def upgrade() -> None:
    op.add_column("route_promotions", sa.Column("carried", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("route_promotions") as batch:
        batch.drop_column("carried")
