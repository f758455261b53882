"""jobs: SQLite gives a deleted job's id to no other job (AUTOINCREMENT)

On SQLite a job's id was the table's rowid, and a job made after the newest job was deleted
took that job's id again; PostgreSQL's sequence never gives one twice. The id is in the API's
answers, and an import's change records and a rollback tell an object by it beside its name:
a person's job made where an import's was deleted could pass for the import's. The table is
rebuilt with ``AUTOINCREMENT`` (SQLite only; its sequence starts at the largest id it holds).

Downgrade: the table is rebuilt without it (ids are kept; a deleted newest id may be reused
again).

Create Date: 2026-11-29 08:20:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0044"
down_revision = "0043"


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    kwargs = {"sqlite_autoincrement": autoincrement}
    with op.batch_alter_table("jobs", recreate="always", table_kwargs=kwargs):
        pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
