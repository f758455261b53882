"""How a SQLite transaction begins on the driver's connection, and how a lock another connection
holds reads in the driver's errors (``storage/database.py`` listens with these)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

SQLITE_BUSY = 5
"""SQLite's primary result code for a lock another connection holds (``SQLITE_BUSY``; its
extended codes keep it in their low byte)."""


def busy(error: BaseException | None) -> bool:
    """Whether the driver's ``error`` is SQLite giving up waiting for a lock another connection
    holds."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF == SQLITE_BUSY
    return "database is locked" in str(error)


def sqlite_no_isolation(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # jobferry begins each transaction (sqlite_begin)


def sqlite_begin(conn: Connection) -> None:
    """Begin the transaction on the driver's connection itself: through ``exec_driver_sql``
    SQLAlchemy builds an execution context for the one statement, as much Python as a small
    read (every transaction of the server begins here)."""
    options = conn.get_execution_options()
    readonly = options.get("jobferry_readonly", False)
    driver = conn.connection.driver_connection
    assert driver is not None
    statement = "BEGIN" if readonly else "BEGIN IMMEDIATE"
    with _waiting(driver, not options.get("jobferry_nowait", False)):
        while True:
            try:
                driver.execute(statement)
                return
            except sqlite3.OperationalError as exc:
                if options.get("jobferry_patient", False) and busy(exc):
                    continue  # a task thread (Database.patient): wait another busy timeout
                # As SQLAlchemy wraps the driver's errors of the statements it runs itself, so
                # that a write lock not granted in time is refused like any other (refusal).
                raise OperationalError(statement, None, exc) from exc


@contextmanager
def _waiting(driver: Any, wait: bool) -> Iterator[None]:
    """Unless ``wait``, the block's ``BEGIN`` is refused at once when the lock is taken, then
    the connection's busy timeout is what it was."""
    if wait:
        yield
        return
    kept = driver.execute("PRAGMA busy_timeout").fetchone()[0]
    driver.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA busy_timeout = {int(kept)}")
