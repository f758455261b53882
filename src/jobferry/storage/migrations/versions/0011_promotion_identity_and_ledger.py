"""promotion identity and ledger (#16): a stable uid for every job (scripts and resources keep
their uuid ids), the ledger of what each target received from each source, tombstones of
deleted objects, and what else a rollback must restore per change

Create Date: 2026-11-23 12:00:00.000000
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

from jobferry.storage.migrations.columns import at_and_by, primary_key, workspace_id

revision = "0011"
down_revision = "0010"

BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uid", sa.String(length=32), nullable=True))
    conn = op.get_bind()
    jobs = sa.table("jobs", sa.column("id", sa.BigInteger), sa.column("uid", sa.String))
    while ids := [
        r.id for r in conn.execute(sa.select(jobs.c.id).where(jobs.c.uid.is_(None)).limit(BATCH))
    ]:
        conn.execute(
            jobs.update().where(jobs.c.id == sa.bindparam("_id")).values(uid=sa.bindparam("_uid")),
            [{"_id": i, "_uid": uuid.uuid4().hex} for i in ids],
        )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.alter_column("uid", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_jobs_uid"), ["uid"])
    with op.batch_alter_table("import_changes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("undo", sa.Text(), nullable=True))
    op.create_table(
        "promotion_ledger",
        sa.Column("target_workspace_id", sa.String(length=64), nullable=False),
        sa.Column("source_workspace_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_uid", sa.String(length=64), nullable=False),
        sa.Column("target_uid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("written_sha256", sa.String(length=64), nullable=False),
        sa.Column("written", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.LargeBinary(), nullable=False),
        sa.Column("task_id", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        primary_key(
            "promotion_ledger", "target_workspace_id", "source_workspace_id", "kind", "source_uid"
        ),
    )
    op.create_index(
        "ix_promotion_ledger_target",
        "promotion_ledger",
        ["target_workspace_id", "kind", "target_uid"],
    )
    op.create_table(
        "deletions",
        workspace_id(),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        *at_and_by("deleted"),
        primary_key("deletions", "workspace_id", "kind", "uid"),
    )
    op.create_index("ix_deletions_when", "deletions", ["workspace_id", "deleted_at"])
    op.create_table(
        "promotion_exports",
        workspace_id(),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.Column("exported_at", sa.BigInteger(), nullable=False),
        primary_key("promotion_exports", "workspace_id", "target"),
    )


def downgrade() -> None:
    op.drop_table("promotion_exports")
    op.drop_index("ix_deletions_when", table_name="deletions")
    op.drop_table("deletions")
    op.drop_index("ix_promotion_ledger_target", table_name="promotion_ledger")
    op.drop_table("promotion_ledger")
    with op.batch_alter_table("import_changes", schema=None) as batch_op:
        batch_op.drop_column("undo")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_jobs_uid"), type_="unique")
        batch_op.drop_column("uid")
