"""``jobferry db upgrade`` beside a connection that holds a lock on what it migrates (a server
still running, reading the table a migration alters; on SQLite, a write) waits a bounded time,
then gives up with one message naming what to do (stop the servers, or run it again), having
changed nothing; once the lock is free the same upgrade goes through."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from jobferry.errors import DatabaseBusyError
from jobferry.storage import Database, schema
from jobferry.storage.schema import current_revision, head_revision, upgrade
from support.busy import SHORT_WAIT_MS, postgres_held, short_busy_wait, write_lock_held
from support.revisions import database_at

HELD_SECONDS = 3
"""How long the other connection holds its lock: an upgrade that waited without limit would
wait it out and go through instead of being refused."""

BEFORE = "0034"
"""The revision the upgrade starts from: the next migration, 0035, alters ``system_tasks`` (the
table the other connection reads), whatever migrations come after it."""


@contextmanager
def lock_held(db: Database) -> Iterator[None]:
    if db.dialect == "postgresql":
        # a read left open, as a running server's: 0035's ALTER of system_tasks waits for it
        with postgres_held(db.url, "SELECT 1 FROM system_tasks LIMIT 1", HELD_SECONDS):
            yield
    else:
        with write_lock_held(db.url):
            yield


def test_an_upgrade_behind_a_held_lock_gives_up_naming_the_fix_and_changes_nothing(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema, "UPGRADE_LOCK_WAIT_MS", SHORT_WAIT_MS)
    database_at(empty_database_url, BEFORE)
    db = Database(empty_database_url)
    try:
        with short_busy_wait(db), lock_held(db):
            began = time.monotonic()
            with pytest.raises(DatabaseBusyError) as refused:
                upgrade(db)
            waited = time.monotonic() - began
        assert waited < HELD_SECONDS
        error = refused.value
        said = error.message
        assert "\n" not in said
        assert said.startswith("The database upgrade waited 1 s for a lock another connection")
        assert "a jobferry server still running on this database" in said
        assert "nothing of this upgrade was applied" in said
        assert "Stop every jobferry server process that uses this database" in said
        assert "then run jobferry db upgrade again" in said
        assert error.code == "DLF.9504"
        if db.dialect == "postgresql":
            assert "pg_stat_activity" in said
        assert current_revision(db) == BEFORE

        assert upgrade(db).after == head_revision()  # the lock is free: it goes through
    finally:
        db.dispose()
