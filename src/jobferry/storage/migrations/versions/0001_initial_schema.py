"""initial schema

Create Date: 2026-11-21 05:27:05.708322
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jobferry.storage.migrations.columns import (
    at_and_by,
    big_id,
    big_ref,
    foreign_key,
    primary_key,
    workspace_id,
)

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        big_id(),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_kind", sa.String(length=32), nullable=True),
        sa.Column("object_name", sa.String(length=256), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("at", sa.BigInteger(), nullable=False),
        primary_key("audit_log", "id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_log_scope", ["project_id", "workspace_id", "at"], unique=False
        )

    op.create_table(
        "projects",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        primary_key("projects", "id"),
    )
    op.create_table(
        "users",
        big_id(),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("is_project_admin", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        foreign_key("users", "project_id", "projects.id"),
        primary_key("users", "id"),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_users_project_id_name")),
    )
    op.create_table(
        "workspaces",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("lock_policy", sa.String(length=8), nullable=False),
        sa.Column("approval_enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        foreign_key("workspaces", "project_id", "projects.id"),
        primary_key("workspaces", "id"),
        sa.UniqueConstraint("project_id", "name", name=op.f("uq_workspaces_project_id_name")),
    )
    op.create_table(
        "credentials",
        sa.Column("access_key", sa.String(length=128), nullable=False),
        big_ref("user_id"),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        foreign_key("credentials", "user_id", "users.id", ondelete="CASCADE"),
        primary_key("credentials", "access_key"),
    )
    op.create_table(
        "environment_objects",
        workspace_id(),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        *at_and_by("updated"),
        foreign_key("environment_objects", "workspace_id"),
        primary_key("environment_objects", "workspace_id", "kind", "name"),
    )
    op.create_table(
        "jobs",
        big_id(),
        workspace_id(),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("directory", sa.String(length=1024), nullable=False),
        sa.Column("process_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=True),
        *at_and_by("created"),
        *at_and_by("updated"),
        foreign_key("jobs", "workspace_id"),
        primary_key("jobs", "id"),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_jobs_workspace_id_name")),
    )
    op.create_table(
        "locks",
        workspace_id(),
        sa.Column("object_kind", sa.String(length=16), nullable=False),
        sa.Column("object_name", sa.String(length=128), nullable=False),
        big_ref("holder_user_id"),
        sa.Column("acquired_at", sa.BigInteger(), nullable=False),
        foreign_key("locks", "holder_user_id", "users.id", ondelete="CASCADE"),
        foreign_key("locks", "workspace_id"),
        primary_key("locks", "workspace_id", "object_kind", "object_name"),
    )
    op.create_table(
        "resources",
        sa.Column("id", sa.String(length=64), nullable=False),
        workspace_id(),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("directory", sa.String(length=1024), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        *at_and_by("created"),
        *at_and_by("updated"),
        foreign_key("resources", "workspace_id"),
        primary_key("resources", "id"),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_resources_workspace_id_name")),
    )
    op.create_table(
        "role_bindings",
        big_ref("user_id"),
        workspace_id(),
        sa.Column("role", sa.String(length=16), nullable=False),
        foreign_key("role_bindings", "user_id", "users.id", ondelete="CASCADE"),
        foreign_key("role_bindings", "workspace_id", ondelete="CASCADE"),
        primary_key("role_bindings", "user_id", "workspace_id"),
    )
    op.create_table(
        "scripts",
        sa.Column("id", sa.String(length=64), nullable=False),
        workspace_id(),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("directory", sa.String(length=1024), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=True),
        *at_and_by("created"),
        *at_and_by("updated"),
        foreign_key("scripts", "workspace_id"),
        primary_key("scripts", "id"),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_scripts_workspace_id_name")),
    )
    op.create_table(
        "tags",
        workspace_id(),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        foreign_key("tags", "workspace_id"),
        primary_key("tags", "workspace_id", "name"),
    )
    op.create_table(
        "environment_secrets",
        workspace_id(),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("secret_keys", sa.Text(), nullable=False),
        sa.Column("secrets_encrypted", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id", "kind", "name"],
            [
                "environment_objects.workspace_id",
                "environment_objects.kind",
                "environment_objects.name",
            ],
            name=op.f("fk_environment_secrets_workspace_id_kind_name_environment_objects"),
            ondelete="CASCADE",
        ),
        primary_key("environment_secrets", "workspace_id", "kind", "name"),
    )
    op.create_table(
        "job_refs",
        big_ref("job_id"),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("ref_workspace", sa.String(length=128), nullable=False),
        foreign_key("job_refs", "job_id", "jobs.id", ondelete="CASCADE"),
    )
    with op.batch_alter_table("job_refs", schema=None) as batch_op:
        batch_op.create_index("ix_job_refs_job", ["job_id"], unique=False)
        batch_op.create_index("ix_job_refs_lookup", ["kind", "name"], unique=False)

    op.create_table(
        "job_versions",
        big_ref("job_id"),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("approvers", sa.Text(), nullable=True),
        *at_and_by("created"),
        foreign_key("job_versions", "job_id", "jobs.id", ondelete="CASCADE"),
        primary_key("job_versions", "job_id", "version"),
    )
    op.create_table(
        "script_versions",
        sa.Column("script_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        *at_and_by("created"),
        foreign_key("script_versions", "script_id", "scripts.id", ondelete="CASCADE"),
        primary_key("script_versions", "script_id", "version"),
    )


def downgrade() -> None:
    op.drop_table("script_versions")
    op.drop_table("job_versions")
    with op.batch_alter_table("job_refs", schema=None) as batch_op:
        batch_op.drop_index("ix_job_refs_lookup")
        batch_op.drop_index("ix_job_refs_job")

    op.drop_table("job_refs")
    op.drop_table("environment_secrets")
    op.drop_table("tags")
    op.drop_table("scripts")
    op.drop_table("role_bindings")
    op.drop_table("resources")
    op.drop_table("locks")
    op.drop_table("jobs")
    op.drop_table("environment_objects")
    op.drop_table("credentials")
    op.drop_table("workspaces")
    op.drop_table("users")
    op.drop_table("projects")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_scope")

    op.drop_table("audit_log")
