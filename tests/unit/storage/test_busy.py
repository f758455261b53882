"""A write that cannot get SQLite's one write lock in time is refused as busy, cleanly."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobferry.errors import DatabaseBusyError, StorageError
from jobferry.storage import Database
from support.busy import SHORT_WAIT_MS, short_busy_wait, write_lock_held


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'busy.db'}")
    with database.transaction() as tx:
        tx.conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    with short_busy_wait(database):
        yield database
    database.dispose()


def _rows(db: Database) -> list[str]:
    with db.transaction(readonly=True) as tx:
        return [row[0] for row in tx.conn.exec_driver_sql("SELECT body FROM t")]


def test_a_write_beside_a_held_write_lock_is_refused_as_busy_and_writes_nothing(
    db: Database,
) -> None:
    with write_lock_held(db.url):
        with pytest.raises(DatabaseBusyError) as refused, db.transaction() as tx:
            tx.conn.exec_driver_sql("INSERT INTO t (body) VALUES ('lost')")
        assert _rows(db) == []  # reads go on beside the lock
    error = refused.value
    assert (error.status, error.code) == (503, "DLF.9504")
    assert isinstance(error, StorageError)
    assert "busy with another write" in error.message
    assert "an import" in error.message
    assert "On PostgreSQL other writes run beside an import" in error.message
    assert error.context == {"retry_after": max(1, SHORT_WAIT_MS // 1000)}
    assert error.envelope()["retry_after"] == error.context["retry_after"]
    with db.transaction() as tx:
        tx.conn.exec_driver_sql("INSERT INTO t (body) VALUES ('kept')")
    assert _rows(db) == ["kept"]


def test_a_read_only_transaction_that_writes_beside_the_lock_is_refused_as_busy(
    db: Database,
) -> None:
    with (
        write_lock_held(db.url),
        pytest.raises(DatabaseBusyError),
        db.transaction(readonly=True) as tx,
    ):
        tx.conn.exec_driver_sql("INSERT INTO t (body) VALUES ('lost')")
    assert _rows(db) == []


def test_a_patient_thread_s_write_waits_behind_the_lock_and_is_made_once_it_is_free(
    db: Database,
) -> None:
    failures: list[BaseException] = []

    def task() -> None:
        try:
            with db.patient(), db.transaction() as tx:
                tx.conn.exec_driver_sql("INSERT INTO t (body) VALUES ('queued')")
        except BaseException as exc:  # pragma: no cover - what the test would report
            failures.append(exc)

    worker = threading.Thread(target=task)
    with write_lock_held(db.url):
        worker.start()
        time.sleep(3 * SHORT_WAIT_MS / 1000)  # several busy timeouts go by meanwhile
        assert _rows(db) == []
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert failures == []
    assert _rows(db) == ["queued"]
    with db.patient():
        pass
    with pytest.raises(DatabaseBusyError), write_lock_held(db.url), db.transaction():
        pass  # patience lasts its block only


def test_a_patient_thread_s_write_inside_its_own_write_is_refused_not_waiting_for_itself(
    db: Database,
) -> None:
    with db.patient(), db.transaction() as outer:
        outer.conn.exec_driver_sql("INSERT INTO t (body) VALUES ('outer')")
        with pytest.raises(DatabaseBusyError), db.transaction():
            pass
    assert _rows(db) == ["outer"]
