"""WAL checkpoints: never inside a commit, always soon after one, on a background thread."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
import sqlalchemy as sa

from jobferry.storage import Database, checkpoint
from jobferry.storage.checkpoint import WalCheckpointer

BLOB = "x" * 4000


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    with database.transaction() as tx:
        tx.conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    yield database
    database.dispose()


def _write(db: Database, rows: int) -> None:
    with db.transaction() as tx:
        tx.conn.exec_driver_sql("INSERT INTO t (body) VALUES (?)", [(BLOB,)] * rows)


def _wal_state(path: Path) -> tuple[int, int]:
    """(frames in the WAL, frames copied into the database file), by a checkpoint of its own:
    call it only when every frame should already be copied (it then has nothing to do)."""
    with closing(sqlite3.connect(path)) as conn:
        _busy, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(log), int(done)


def _wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("timed out")


def test_connections_never_checkpoint_on_commit(db: Database) -> None:
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"


def test_a_commit_is_checkpointed_by_the_background_thread(db: Database) -> None:
    assert db.checkpointer is not None
    before = db.checkpointer.runs
    _write(db, 2000)  # ~8 MB: past the 1,000 pages at which SQLite would checkpoint itself
    _wait_for(lambda: db.checkpointer is not None and db.checkpointer.runs > before)
    db.checkpointer.drain()
    assert db.checkpointer.runs > before
    log, done = _wal_state(db.checkpointer.path)
    assert log > 0
    assert done == log  # every frame of the commit reached the database file


def test_read_only_transactions_do_not_ask_for_a_checkpoint(db: Database) -> None:
    assert db.checkpointer is not None
    db.checkpointer.drain()
    db.checkpointer.interval = 0.0  # any wake would checkpoint at once
    before = db.checkpointer.runs
    with db.transaction(readonly=True) as tx:
        tx.conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one()
    time.sleep(0.3)
    assert db.checkpointer.runs == before
    _write(db, 1)  # the same wait does see a write's checkpoint
    _wait_for(lambda: db.checkpointer is not None and db.checkpointer.runs == before + 1, 0.3)


def test_commits_within_the_interval_share_one_later_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "slow.db"
    database = Database(f"sqlite:///{path}")
    assert database.checkpointer is not None
    database.checkpointer.interval = 60.0
    try:
        with database.transaction() as tx:
            tx.conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        _wait_for(lambda: database.checkpointer is not None and database.checkpointer.runs == 1)
        _write(database, 50)
        _write(database, 50)
        time.sleep(0.1)
        assert database.checkpointer.runs == 1  # due in a minute: waiting, not run
        start = time.monotonic()
        database.dispose()  # drains: runs the due checkpoint now
        assert time.monotonic() - start < 30
        assert database.checkpointer.runs == 2
    except BaseException:
        database.dispose()
        raise


def test_a_missing_database_file_is_reported_not_created(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    gone = tmp_path / "gone.db"
    with caplog.at_level(logging.WARNING, logger="jobferry.storage"):
        assert WalCheckpointer(gone).checkpoint() is None
    assert not gone.exists()
    assert "WAL checkpoint of gone.db failed" in caplog.text


def test_an_in_memory_database_has_no_checkpointer() -> None:
    memory = Database("sqlite:///:memory:")
    try:
        assert memory.checkpointer is None
    finally:
        memory.dispose()


def test_the_wal_a_large_transaction_grew_is_cut_back_once_it_is_checkpointed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite keeps a WAL file as large as the largest transaction (an import's: 186 MB for
    # 30,000 objects) until the last connection closes, the server stopping: disk it never gave back
    monkeypatch.setattr(checkpoint, "WAL_KEPT_BYTES", 1024 * 1024)
    db = Database(f"sqlite:///{tmp_path / 'grown.db'}")
    try:
        with db.transaction() as tx:
            tx.conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        _write(db, 2000)  # ~8 MB in one transaction
        wal = tmp_path / "grown.db-wal"
        assert wal.stat().st_size > 4 * 1024 * 1024
        assert db.checkpointer is not None
        db.checkpointer.drain()
        _write(db, 1)  # the first commit after a complete checkpoint starts the WAL over

        assert wal.stat().st_size <= 1024 * 1024
    finally:
        db.dispose()
