"""promotion (profiles, keys, rollback) and console sessions

Create Date: 2026-11-21 06:49:47.991859
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

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        big_ref("user_id"),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=False),
        foreign_key("console_sessions", "user_id", "users.id", ondelete="CASCADE"),
        primary_key("console_sessions", "id"),
    )
    op.create_table(
        "env_profiles",
        workspace_id(),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        *at_and_by("created"),
        foreign_key("env_profiles", "workspace_id"),
        primary_key("env_profiles", "workspace_id", "name", "version"),
    )
    op.create_table(
        "import_rollbacks",
        sa.Column("task_id", sa.String(length=32), nullable=False),
        workspace_id(),
        *at_and_by("rolled_back"),
        foreign_key("import_rollbacks", "workspace_id"),
        primary_key("import_rollbacks", "task_id"),
    )
    op.create_table(
        "signing_keys",
        workspace_id(),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("private_key_encrypted", sa.Text(), nullable=False),
        *at_and_by("created"),
        foreign_key("signing_keys", "workspace_id"),
        primary_key("signing_keys", "workspace_id"),
    )
    op.create_table(
        "trusted_keys",
        workspace_id(),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        *at_and_by("added"),
        foreign_key("trusted_keys", "workspace_id"),
        primary_key("trusted_keys", "workspace_id", "key_id"),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("locked_until", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("require_signed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("workspaces", schema=None) as batch_op:
        batch_op.drop_column("require_signed")

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")

    op.drop_table("trusted_keys")
    op.drop_table("signing_keys")
    op.drop_table("import_rollbacks")
    op.drop_table("env_profiles")
    op.drop_table("console_sessions")
