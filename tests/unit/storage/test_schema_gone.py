"""A database whose tables are gone under a running server (recreated, emptied, restored from
an older backup): every statement on a missing table or column is refused as ``StorageError``
(503 ``DLF.9503``) saying so, with ``jobferry db upgrade`` as the fix, on SQLite and PostgreSQL
alike (PostgreSQL's undefined table was no refusal at all: an internal error, and a traceback in
the log for every look of the task poller)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jobferry.errors import StorageError
from jobferry.storage import Database
from jobferry.storage.tables import system_tasks, workers


def test_a_table_the_database_lacks_is_refused_naming_it_and_the_fix(
    empty_database_url: str,
) -> None:
    db = Database(empty_database_url)  # a database recreated empty under the server
    try:
        with pytest.raises(StorageError) as refused, db.transaction() as tx:
            tx.conn.execute(sa.select(system_tasks.c.id)).all()
        with pytest.raises(StorageError) as written, db.transaction() as tx:
            tx.conn.execute(sa.update(workers).values(heartbeat_at=1))
    finally:
        db.dispose()
    assert refused.value.problem.startswith(
        "The database has no table system_tasks: its tables are not this jobferry's schema "
    )
    assert "Run jobferry db upgrade on it, then restart the server." in refused.value.problem
    assert refused.value.reason is not None
    assert "system_tasks" in refused.value.reason  # the driver's words, for the log
    assert refused.value.code == "DLF.9503"
    assert written.value.problem.startswith("The database has no table workers: ")


def test_a_column_the_database_lacks_is_refused_naming_it(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    try:
        with db.transaction() as tx:
            tx.conn.execute(sa.text("CREATE TABLE workers (id VARCHAR(64) PRIMARY KEY)"))
        with pytest.raises(StorageError) as refused, db.transaction() as tx:
            tx.conn.execute(sa.select(workers.c.heartbeat_at)).all()
    finally:
        db.dispose()
    assert refused.value.problem.startswith("The database has no column ")
    assert "heartbeat_at" in refused.value.problem
    assert "jobferry db upgrade" in refused.value.problem
