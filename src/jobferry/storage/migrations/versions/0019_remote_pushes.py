"""remote pushes: the journal of every push into a remote, one row per push and per call

Create Date: 2026-11-25 13:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"


def upgrade() -> None:
    op.create_table(
        "remote_pushes",
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("remote", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("ended_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_remote_pushes_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_remote_pushes_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_remote_pushes")),
    )
    op.create_index(
        op.f("ix_remote_pushes_workspace_id"), "remote_pushes", ["workspace_id"], unique=False
    )
    op.create_table(
        "remote_push_calls",
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("call", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("undo", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "seq", name=op.f("pk_remote_push_calls")),
    )


def downgrade() -> None:
    op.drop_table("remote_push_calls")
    op.drop_index(op.f("ix_remote_pushes_workspace_id"), table_name="remote_pushes")
    op.drop_table("remote_pushes")
