"""approvals: users' approval keys, signed approvals of plans, a workspace's approval rule

A user registers Ed25519 public keys (``approval_keys``, several per user, a revoked one
kept with its time); an approver's signature of a release package's or a route's plan
statement is kept with the plan hash it signed (``plan_approvals``); a workspace may require
a number of approvals for its release packages (``approval_rules``, no row: none, as every
existing workspace).

Create Date: 2026-11-26 08:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jobferry.storage.migrations.columns import (
    at_and_by,
    big_ref,
    foreign_key,
    primary_key,
    workspace_id,
)

revision = "0024"
down_revision = "0023"


def upgrade() -> None:
    op.create_table(
        "approval_keys",
        big_ref("user_id"),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("user_name", sa.String(length=128), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        *at_and_by("registered"),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        foreign_key("approval_keys", "user_id", "users.id", ondelete="CASCADE"),
        primary_key("approval_keys", "user_id", "key_id"),
    )
    op.create_table(
        "plan_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        workspace_id(),
        sa.Column("subject", sa.String(length=400), nullable=False),
        sa.Column("plan_hash", sa.String(length=64), nullable=False),
        big_ref("user_id"),
        sa.Column("user_name", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("approved_at", sa.BigInteger(), nullable=False),
        foreign_key("plan_approvals", "workspace_id"),
        primary_key("plan_approvals", "id"),
    )
    op.create_index("ix_plan_approvals_subject", "plan_approvals", ["workspace_id", "subject"])
    op.create_table(
        "approval_rules",
        workspace_id(),
        sa.Column("required", sa.Integer(), nullable=False),
        *at_and_by("set"),
        foreign_key("approval_rules", "workspace_id"),
        primary_key("approval_rules", "workspace_id"),
    )


def downgrade() -> None:
    op.drop_table("approval_rules")
    op.drop_index("ix_plan_approvals_subject", table_name="plan_approvals")
    op.drop_table("plan_approvals")
    op.drop_table("approval_keys")
