"""promotion requests: the import a route's plan was made for, kept for its apply

``POST /routes/{name}/plans`` plans a promotion's package with the route's settings and the
run's overrides; the import request it planned (its canonical form, JSON) is kept with the
promotion, so ``POST /routes/{name}/plans/{plan_id}/apply`` imports exactly that plan without
the client sending the settings again. Every row already there keeps it empty: those
promotions were planned and recorded by their clients.

Create Date: 2026-11-26 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"


def upgrade() -> None:
    op.add_column("route_promotions", sa.Column("request", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("route_promotions") as batch:
        batch.drop_column("request")
