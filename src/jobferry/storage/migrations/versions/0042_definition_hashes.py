"""a hash of each job's, script's and resource's definition beside it

A workspace's drift (``jobferry drift``, the console's drift page) compares every object an
import wrote with what the workspace holds now: it read every definition and hashed it in
Python to find the few that changed (at 100,000 jobs, 200,000 definitions: a minute).
``document_sha256`` keeps the SHA-256 of the definition's text, written with it by the row
builder every write uses (``storage/rows.py``, ``document_sha256``) and filled here for the
rows there are, so the database compares it with the ledger's ``written_sha256`` and the
report reads only the objects that drifted.

Create Date: 2026-11-28 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Derived data: filled with the function every write uses now, so the two cannot differ.
from jobferry.storage.rows import document_sha256

revision = "0042"
down_revision = "0041"

BATCH = 2000
TABLES = ("jobs", "scripts", "resources")


def upgrade() -> None:
    conn = op.get_bind()
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("document_sha256", sa.String(length=64), nullable=True))
        _fill(conn, name)


def _fill(conn: sa.Connection, name: str) -> None:
    """Hash every row's definition, a batch at a time in the order of its primary key (a
    job's number, a script's or resource's id)."""
    key: sa.types.TypeEngine[int] | sa.types.TypeEngine[str]
    key = sa.BigInteger() if name == "jobs" else sa.String()
    table = sa.table(
        name,
        sa.column("id", key),
        sa.column("document", sa.Text),
        sa.column("document_sha256", sa.String),
    )
    read = sa.select(table.c.id, table.c.document).order_by(table.c.id).limit(BATCH)
    write = table.update().where(table.c.id == sa.bindparam("_id"))
    write = write.values(document_sha256=sa.bindparam("sha256"))
    rows = conn.execute(read).all()
    while rows:
        conn.execute(write, [{"_id": r.id, "sha256": document_sha256(r.document)} for r in rows])
        rows = conn.execute(read.where(table.c.id > rows[-1].id)).all()


def downgrade() -> None:
    for name in reversed(TABLES):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column("document_sha256")
