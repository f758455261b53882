"""promotions found by their package: an index for the policies' question

Every plan asks which route made (or took in) the package it plans, to keep the route's policy
(``storage.policies.route_of_package``: ``route_promotions`` by project and package path).
Without an index that read every promotion of the server, once per plan and once per apply;
``ix_route_promotions_package`` (project, package path) answers it from the index.

Create Date: 2026-11-26 10:40:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0028"
down_revision = "0027"


def upgrade() -> None:
    op.create_index(
        "ix_route_promotions_package", "route_promotions", ["project_id", "package_path"]
    )


def downgrade() -> None:
    op.drop_index("ix_route_promotions_package", table_name="route_promotions")
