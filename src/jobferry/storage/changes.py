"""A token that changes whenever anything is committed to the database: what lets a process keep
an answer it built from a read and serve it again while the token is unchanged.

- SQLite: ``PRAGMA data_version`` on a connection of this process's own that never writes.
  SQLite changes that connection's value whenever any other connection, in this process or
  another, commits a change to the file. A read of shared memory: it does not wait for locks.
- PostgreSQL: ``pg_current_snapshot()`` — the next transaction id to be assigned and the ids
  in progress. A transaction gets an id when it first writes; so while the snapshot reads the
  same, no transaction that writes has started and none of those in progress has ended: nothing
  was committed since (anywhere in the cluster: writes to other databases only make answers
  look older than they are). Asked on an asynchronous autocommit connection of its own; the
  checks asked for while one query is in flight share the next, which is sent after every one
  of them was asked, so each sees every write committed before its request arrived.

A token is always read *before* the read the answer is built from: a write committed in between
makes the answer look older than it is (the next check misses), never newer. ``None`` means the
database cannot tell just now (an in-memory SQLite, a dropped connection): keep nothing, answer
the ordinary way.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Hashable
from typing import Any

from sqlalchemy.engine import URL

RETRY_SECONDS = 5.0
"""After the check fails to connect, how long requests go the ordinary way before it tries
again."""


class ChangeToken:
    """The database's change token (see the module docstring), for one database."""

    def __init__(self, url: URL) -> None:
        dialect = url.get_backend_name()
        self.sqlite = SqliteDataVersion(url) if dialect == "sqlite" else None
        self._postgres = _PostgresSnapshot(url) if dialect == "postgresql" else None

    async def now(self) -> Hashable | None:
        """The token now; never blocks the event loop."""
        if self.sqlite is not None:
            return self.sqlite.token()
        if self._postgres is not None:
            return await self._postgres.token()
        return None

    def close(self) -> None:
        """Close the connections of the check."""
        if self.sqlite is not None:
            self.sqlite.close()
        if self._postgres is not None:
            self._postgres.close()


class SqliteDataVersion:
    """``PRAGMA data_version`` on a read-only connection of this process's own."""

    def __init__(self, url: URL) -> None:
        database = url.database
        self._path = database if database and database != ":memory:" else None
        if url.query.get("uri"):
            self._path = None  # a shared in-memory or otherwise special database: no check
        self._conn: sqlite3.Connection | None = None
        self._opened = 0
        """How many times the connection was opened: a new one counts ``data_version`` from
        its own start, so a token is the pair, never one an earlier connection gave."""
        self._lock = threading.Lock()

    def token(self) -> tuple[int, int] | None:
        """The file's data version now, on this connection (``None``: cannot tell)."""
        if self._path is None:
            return None
        with self._lock:
            try:
                if self._conn is None:
                    # busy_timeout 0: when the file is locked (a checkpoint resetting the WAL),
                    # answer "unknown" at once rather than wait.
                    self._conn = sqlite3.connect(
                        self._path, check_same_thread=False, isolation_level=None, timeout=0
                    )
                    self._opened += 1
                row = self._conn.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                return None
            return self._opened, int(row[0])

    def close(self) -> None:
        """Close the connection (the next token opens another)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class _PostgresSnapshot:
    """``pg_current_snapshot()``, batched: one query answers every check asked for before it
    was sent (one asynchronous autocommit connection, opened on first use by the event loop
    that uses it; a new loop, as in tests, starts afresh)."""

    def __init__(self, url: URL) -> None:
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn: Any = None
        self._waiting: list[asyncio.Future[Hashable | None]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._retry_at = 0.0

    async def token(self) -> Hashable | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self.close()
            self._loop = loop
        if time.monotonic() < self._retry_at:
            return None
        waiter: asyncio.Future[Hashable | None] = loop.create_future()
        self._waiting.append(waiter)
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await waiter

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                token = await self._snapshot()
                for waiter in batch:
                    if not waiter.done():
                        waiter.set_result(token)
        finally:
            if self._drainer is asyncio.current_task():
                self._drainer = None

    async def _snapshot(self) -> Hashable | None:
        try:
            if self._conn is None:
                import psycopg

                self._conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
            cursor = await self._conn.execute("SELECT pg_current_snapshot()::text", prepare=True)
            row = await cursor.fetchone()
        except Exception:  # a dropped connection, a restarted server: the ordinary way
            self.close()
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return None
        return None if row is None else str(row[0])

    def close(self) -> None:
        """Close the connection; checks waiting on it are answered "cannot tell"."""
        self._drainer = None  # a drainer of a closed loop never finishes
        if self._conn is not None:
            self._conn.pgconn.finish()
            self._conn = None
        waiting, self._waiting = self._waiting, []
        for waiter in waiting:
            if not waiter.done():
                waiter.set_result(None)
