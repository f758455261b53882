"""promotions by route and time: an index for a route's history and its plans

A route's history page (its newest promotions) and every plan of the route (which reads the
route's promotions back, newest first, to decide what to carry) asked ``route_promotions`` by
project, route and creation time. Without an index each read went through every promotion of
the server and sorted them (0.2–0.4 s at 30,000 promotions);
``ix_route_promotions_route_time`` (project, route, created_at, id) answers them in order from
the index, reading only the route's rows the page or plan needs.

Create Date: 2026-11-28 09:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0040"
down_revision = "0039"


def upgrade() -> None:
    op.create_index(
        "ix_route_promotions_route_time",
        "route_promotions",
        ["project_id", "route", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_route_promotions_route_time", table_name="route_promotions")
