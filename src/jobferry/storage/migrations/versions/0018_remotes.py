"""remotes: DataArts workspaces reached through their public API, their shadow workspaces, and
what each refresh read

Create Date: 2026-11-25 13:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"


def upgrade() -> None:
    op.create_table(
        "remotes",
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("remote_project_id", sa.String(length=64), nullable=False),
        sa.Column("remote_workspace", sa.String(length=64), nullable=False),
        sa.Column("access_key", sa.String(length=128), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("refreshed_at", sa.BigInteger(), nullable=True),
        sa.Column("refresh", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_remotes_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_remotes_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("project_id", "name", name=op.f("pk_remotes")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_remotes_workspace_id")),
    )
    op.create_table(
        "remote_objects",
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("read_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_remote_objects_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", "kind", "name", name=op.f("pk_remote_objects")),
    )
    op.add_column("workspaces", sa.Column("shadow_of", sa.String(length=128), nullable=True))


def downgrade() -> None:
    op.drop_table("remote_objects")
    op.drop_table("remotes")
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+, PostgreSQL), not batch mode: a batch recreates
    # the table, which SQLite refuses while rows of other tables refer to its rows.
    op.execute("ALTER TABLE workspaces DROP COLUMN shadow_of")
