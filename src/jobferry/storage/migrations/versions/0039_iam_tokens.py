"""iam tokens: tokens issued by POST /v3/auth/tokens, kept as their sha256

A client that authenticates with an IAM token (``X-Auth-Token``) gets it from
``POST /v3/auth/tokens`` with a user's password. The table holds the token's sha256 (a leaked
table gives no usable token), its user (deleted with the user), the project it is scoped to,
and when it was issued and ends; the housekeeping removes ended rows by ``expires_at``.

Create Date: 2026-11-28 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jobferry.storage.migrations.columns import big_ref, foreign_key, primary_key

revision = "0039"
down_revision = "0038"


def upgrade() -> None:
    op.create_table(
        "iam_tokens",
        sa.Column("id", sa.String(length=64), nullable=False),
        big_ref("user_id"),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        foreign_key("iam_tokens", "user_id", "users.id", ondelete="CASCADE"),
        foreign_key("iam_tokens", "project_id", "projects.id"),
        primary_key("iam_tokens", "id"),
    )
    op.create_index("ix_iam_tokens_expires_at", "iam_tokens", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_iam_tokens_expires_at", table_name="iam_tokens")
    op.drop_table("iam_tokens")
