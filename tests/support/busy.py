"""A lock held by another connection, as a long import (or a server beside a migration) holds
it: SQLite's one write lock (``write_lock_held``), a PostgreSQL row, table or read left open in a
transaction (``postgres_held``).

``write_lock_held(db)`` opens a connection of its own on the database's file and keeps a write
transaction open (``BEGIN IMMEDIATE``) for the block, writing nothing; ``short_busy_wait(db)``
makes the database's connections wait a fifth of a second for the lock instead of ten, so a
test sees the refusal without waiting the real busy timeout (its connections are opened again
on both edges of the block, each reading the timeout as it opens).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from jobferry.storage import Database
from jobferry.storage import database as database_module

SHORT_WAIT_MS = 200


def sqlite_file(url: str) -> str:
    """The file of a ``sqlite:///FILE`` URL."""
    database = make_url(url).database
    assert database, url
    return database


@contextmanager
def write_lock_held(url: str) -> Iterator[None]:
    """Another connection holds the SQLite database's write lock for the block."""
    with closing(sqlite3.connect(sqlite_file(url), isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")


@contextmanager
def postgres_held(url: str, statement: str, seconds: int) -> Iterator[None]:
    """Another PostgreSQL connection runs ``statement`` (``SELECT … FOR UPDATE`` holds a row,
    ``LOCK TABLE`` a table, a plain read keeps a migration's ``ALTER`` waiting) in a transaction
    it leaves open for the block, until PostgreSQL ends it, ``seconds`` idle in it."""
    other = sa.create_engine(url, poolclass=NullPool)
    try:
        with other.connect() as conn:
            conn.exec_driver_sql(f"SET idle_in_transaction_session_timeout = '{seconds}s'")
            conn.exec_driver_sql(statement)
            yield
            with suppress(DBAPIError):  # PostgreSQL ended the session, when it was idle so long
                conn.rollback()
    finally:
        other.dispose()


@contextmanager
def short_busy_wait(*databases: Database) -> Iterator[None]:
    """The databases' connections (and those a command opens meanwhile) wait
    :data:`SHORT_WAIT_MS` for a lock, not the busy timeout."""
    kept = database_module.BUSY_TIMEOUT_MS
    database_module.BUSY_TIMEOUT_MS = SHORT_WAIT_MS
    for db in databases:
        db.engine.dispose()
    try:
        yield
    finally:
        database_module.BUSY_TIMEOUT_MS = kept
        for db in databases:
            db.engine.dispose()
