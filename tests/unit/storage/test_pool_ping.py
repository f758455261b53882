"""Pooled PostgreSQL connections are pinged only after an idle spell: a connection the server
closed meanwhile is replaced before use; one that died within the window fails one call and is
replaced for the next."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from jobferry.errors import StorageError
from jobferry.storage import Database, database


@pytest.fixture
def db(pg_schema_url: str) -> Iterator[Database]:
    opened = Database(pg_schema_url)
    yield opened
    opened.dispose()


def backend_pid(db: Database) -> int:
    with db.transaction(readonly=True) as tx:
        return int(tx.conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def kill(db: Database, pid: int) -> None:
    other = Database(db.url)
    try:
        with other.transaction() as tx:
            tx.conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        other.dispose()


def test_a_connection_closed_by_the_server_during_an_idle_spell_is_replaced(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = backend_pid(db)
    kill(db, pid)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert backend_pid(db) != pid


def test_a_connection_that_died_within_the_window_fails_one_call_only(db: Database) -> None:
    pid = backend_pid(db)
    kill(db, pid)
    with pytest.raises(StorageError):
        backend_pid(db)
    assert backend_pid(db) != pid
