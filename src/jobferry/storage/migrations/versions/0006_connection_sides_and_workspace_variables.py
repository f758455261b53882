"""connection sides (development/production), object ids, descriptions; workspace variables

Environment objects gain ``env`` (part of the key: an enterprise-mode data connection has a
development and a production side under one name), a stable ``object_id`` (the ``dw_id`` of the
DataArts Studio data-connection calls), ``description`` and ``created_by``. Every existing
object is a development side and gets a fresh id. Workspace environment variables
(``/v2/{project_id}/factory/env``) get a table of their own.

Create Date: 2026-11-22 19:10:00.000000
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from jobferry.storage.migrations.columns import (
    at_and_by,
    foreign_key,
    primary_key,
    workspace_id,
)

revision = "0006"
down_revision = "0005"

_OLD_SECRETS_FK = "fk_environment_secrets_workspace_id_kind_name_environment_objects"
_SECRETS_FK = "fk_environment_secrets_workspace_id_kind_name_env_environment_objects"
_OBJECTS_PK = "pk_environment_objects"
_SECRETS_PK = "pk_environment_secrets"
_KEY = ["workspace_id", "kind", "name"]


def _backfill_ids() -> None:
    conn = op.get_bind()
    objects = sa.table(
        "environment_objects",
        sa.column("workspace_id"),
        sa.column("kind"),
        sa.column("name"),
        sa.column("object_id"),
    )
    rows = conn.execute(sa.select(objects.c.workspace_id, objects.c.kind, objects.c.name)).all()
    for ws, kind, name in rows:
        conn.execute(
            sa.update(objects)
            .where(objects.c.workspace_id == ws, objects.c.kind == kind, objects.c.name == name)
            .values(object_id=uuid.uuid4().hex)
        )


def upgrade() -> None:
    with op.batch_alter_table("environment_secrets", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_OLD_SECRETS_FK), type_="foreignkey")
    with op.batch_alter_table("environment_objects", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("env", sa.String(length=16), nullable=False, server_default="development")
        )
        batch_op.add_column(sa.Column("object_id", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("description", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("created_by", sa.String(length=128), nullable=False, server_default="")
        )
        batch_op.drop_constraint(_OBJECTS_PK, type_="primary")
        batch_op.create_primary_key(_OBJECTS_PK, [*_KEY, "env"])
    _backfill_ids()
    op.execute("UPDATE environment_objects SET created_by = updated_by")
    with op.batch_alter_table("environment_objects", schema=None) as batch_op:
        batch_op.alter_column("object_id", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint("uq_environment_objects_object_id", ["object_id"])
    with op.batch_alter_table("environment_secrets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("env", sa.String(length=16), nullable=False, server_default="development")
        )
        batch_op.drop_constraint(_SECRETS_PK, type_="primary")
        batch_op.create_primary_key(_SECRETS_PK, [*_KEY, "env"])
        batch_op.create_foreign_key(
            op.f(_SECRETS_FK),
            "environment_objects",
            [*_KEY, "env"],
            [*_KEY, "env"],
            ondelete="CASCADE",
        )
    op.create_table(
        "workspace_variables",
        workspace_id(),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        *at_and_by("updated"),
        foreign_key("workspace_variables", "workspace_id"),
        primary_key("workspace_variables", "workspace_id", "name"),
    )


def downgrade() -> None:
    op.drop_table("workspace_variables")
    # Production sides have no place in the old key: they go, with their secrets.
    op.execute("DELETE FROM environment_secrets WHERE env <> 'development'")
    op.execute("DELETE FROM environment_objects WHERE env <> 'development'")
    with op.batch_alter_table("environment_secrets", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_SECRETS_FK), type_="foreignkey")
        batch_op.drop_constraint(_SECRETS_PK, type_="primary")
        batch_op.create_primary_key(_SECRETS_PK, _KEY)
        batch_op.drop_column("env")
    with op.batch_alter_table("environment_objects", schema=None) as batch_op:
        batch_op.drop_constraint("uq_environment_objects_object_id", type_="unique")
        batch_op.drop_constraint(_OBJECTS_PK, type_="primary")
        batch_op.create_primary_key(_OBJECTS_PK, _KEY)
        batch_op.drop_column("created_by")
        batch_op.drop_column("description")
        batch_op.drop_column("object_id")
        batch_op.drop_column("env")
    with op.batch_alter_table("environment_secrets", schema=None) as batch_op:
        batch_op.create_foreign_key(
            op.f(_OLD_SECRETS_FK), "environment_objects", _KEY, _KEY, ondelete="CASCADE"
        )
