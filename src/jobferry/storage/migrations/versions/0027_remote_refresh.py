"""remote refresh: a version of what a refresh read, and jobs listed by type from an index

A refresh compares the remote with the hashes it recorded (``remote_objects``) and writes only
if no one changed them meanwhile. It used to read every recorded hash a second time, in its
write transaction, to find out; ``remotes.reads_version`` counts the changes to those rows
instead (every write of them adds one), so the write transaction reads one number. Every
remote already there starts at 0.

``list_jobs`` with a ``jobType`` (as the SDKs and a refresh ask) counted and paged a
workspace's jobs by reading every row to check its type: ``ix_jobs_type`` (workspace, type,
name) answers the count and the page's order from the index.

Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"


def upgrade() -> None:
    op.add_column(
        "remotes",
        sa.Column("reads_version", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_index("ix_jobs_type", "jobs", ["workspace_id", "process_type", "name"])


def downgrade() -> None:
    op.drop_index("ix_jobs_type", table_name="jobs")
    with op.batch_alter_table("remotes") as batch:
        batch.drop_column("reads_version")
