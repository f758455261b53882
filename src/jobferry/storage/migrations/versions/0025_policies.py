"""policies: the rules plans keep, per workspace or route, saved as versions

A policy (deletion limit, protected connections, naming and owner rules, freeze windows) is
kept per workspace or per route of a project; each save is a new row, the highest version is
the policy, and every version stays readable. No policy exists before this revision.

Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"


def upgrade() -> None:
    op.create_table(
        "policies",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_policies_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("project_id", "name", "version", name=op.f("pk_policies")),
    )


def downgrade() -> None:
    op.drop_table("policies")
