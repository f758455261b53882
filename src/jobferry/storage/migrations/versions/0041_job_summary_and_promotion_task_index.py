"""job listings without definitions, and promotions by import task

``list_jobs`` (``jobferry jobs list``, the SDK's listing) showed three fields of each job's
definition (``basicConfig``'s owner and priority, ``singleNodeJobFlag``), so every page read
and parsed a hundred whole definitions: at 20,000 jobs, 200 pages of them. ``jobs.summary``
keeps those fields as a small JSON object, written with the definition (``storage/rows.py``,
``job_summary``) and filled here for the jobs there are; a listing reads it instead.

A job's provenance (``jobs show``, the console's job page) joins ``route_promotions`` on the
import's ``task_id``; without an index each look-up read every promotion of the server (about
8 ms at 30,000 promotions). ``ix_route_promotions_task`` finds the one promotion of a task.

Create Date: 2026-11-28 13:00:00.000000
"""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from alembic import op

# Derived data: filled with the function every write uses now, so the two cannot differ.
from jobferry.storage.rows import job_summary

revision = "0041"
down_revision = "0040"

BATCH = 2000


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("summary", sa.Text(), nullable=True))
    conn = op.get_bind()
    jobs = sa.table(
        "jobs",
        sa.column("id", sa.BigInteger),
        sa.column("document", sa.Text),
        sa.column("summary", sa.Text),
    )
    read = sa.select(jobs.c.id, jobs.c.document).where(jobs.c.id > sa.bindparam("_after"))
    read = read.order_by(jobs.c.id).limit(BATCH)
    write = jobs.update().where(jobs.c.id == sa.bindparam("_id"))
    after = -1
    while rows := conn.execute(read, {"_after": after}).all():
        summaries = [{"_id": r.id, "summary": _summary(r.document)} for r in rows]
        conn.execute(write.values(summary=sa.bindparam("summary")), summaries)
        after = rows[-1].id
    op.create_index("ix_route_promotions_task", "route_promotions", ["task_id"])


def _summary(document: str) -> str | None:
    """The summary of a stored definition (``None``, read from the definition when listed, for
    one that is not a JSON object)."""
    try:
        doc = orjson.loads(document)
    except orjson.JSONDecodeError:
        return None
    return job_summary(doc) if isinstance(doc, dict) else None


def downgrade() -> None:
    op.drop_index("ix_route_promotions_task", table_name="route_promotions")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("summary")
