"""users: SQLite gives a removed user's id to no other user (AUTOINCREMENT)

Users can be removed (``jobferry admin remove-user``). On SQLite a user's id was the table's
rowid, and a user made after the newest user was removed took that id again; PostgreSQL's
sequence never gives one twice. A signed approval keeps its signer's id without a foreign key
(it outlives the signer, and says why it no longer counts): a user made later with the same id
could pass for that signer. The table is rebuilt with ``AUTOINCREMENT`` (SQLite only; its
sequence starts at the largest id it holds), as 0044 did for jobs.

Downgrade: the table is rebuilt without it (ids are kept; a removed newest id may be reused
again).

Create Date: 2026-11-29 15:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0046"
down_revision = "0045"


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    kwargs = {"sqlite_autoincrement": autoincrement}
    with op.batch_alter_table("users", recreate="always", table_kwargs=kwargs):
        pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
