"""signed releases taken in are written in the release ledger

A production side that takes in a signed release file (a release approved on another server,
carried across an air gap) now records it in its release ledger as any release, so its ledger
says what production holds, who approved it and with which key, and its last release can be
rolled back or restored there. ``release_ledger.source_id`` names the workspace (on the other
server) its objects' identities come from (NULL for the workspace's own releases), and
``release_restores.source_id`` a restore's; ``release_carried`` keeps a signed release taken in
until its import commits, keyed by the kept plan it applies.

Create Date: 2026-11-26 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"


def upgrade() -> None:
    op.add_column("release_ledger", sa.Column("source_id", sa.String(length=64), nullable=True))
    op.add_column("release_restores", sa.Column("source_id", sa.String(length=64), nullable=True))
    op.create_table(
        "release_carried",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("production_id", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("package_name", sa.String(length=256), nullable=False),
        sa.Column("approvers", sa.Text(), nullable=False),
        sa.Column("approvals", sa.Text(), nullable=False),
        sa.Column("deletions", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("startup_mode", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_release_carried_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("plan_id", name=op.f("pk_release_carried")),
    )


def downgrade() -> None:
    op.drop_table("release_carried")
    with op.batch_alter_table("release_restores") as batch:
        batch.drop_column("source_id")
    with op.batch_alter_table("release_ledger") as batch:
        batch.drop_column("source_id")
