"""The hot read of one job by name (``show_job``), outside SQLAlchemy's statement building, and
the cheap check that tells whether an answer built from an earlier read still holds.

Every read returns a *version token* beside the row: an answer built from the row is still
right while the token the database reports for it is unchanged.

- SQLite: ``PRAGMA data_version`` on a connection of its own that never writes. SQLite changes
  that connection's value whenever any other connection, in this process or another, commits a
  change to the file. The token is read *before* the row, so a write committed in between only
  makes the entry look older than it is (the next check misses), never newer.
- PostgreSQL: the row's ``xmin`` (the transaction that wrote this version of it) and ``ctid``
  (where it lies), with its id. Every update or re-insert, committed by any process, gives the
  row a new version; a deleted row has none. The check is one prepared, single-row index look-up
  in autocommit (no ``BEGIN``/``COMMIT``) on an asynchronous connection of its own, so a request
  answered from memory never leaves the event loop; the checks asked for while one is in
  flight go together in the next query.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from jobferry.errors import StorageError
from jobferry.storage.records import JobRecord

_COLUMNS = ", ".join(f.name for f in fields(JobRecord))
_SQLITE_READ = f"SELECT {_COLUMNS} FROM jobs WHERE workspace_id = ? AND name = ?"
_POSTGRES_READ = (
    f"SELECT id, xmin::text, ctid::text, {_COLUMNS} FROM jobs WHERE workspace_id = %s AND name = %s"
)
_POSTGRES_VERSION = (
    "SELECT workspace_id, name, id, xmin::text, ctid::text FROM jobs "
    "WHERE workspace_id = %s AND name = %s"
)
_POSTGRES_VERSIONS = (
    "SELECT j.workspace_id, j.name, j.id, j.xmin::text, j.ctid::text FROM jobs j "
    "JOIN unnest(%s::text[], %s::text[]) AS k(workspace_id, name) "
    "ON j.workspace_id = k.workspace_id AND j.name = k.name"
)

GONE: Hashable = ()
"""The token of a job that is not there (no answer matches it)."""

RETRY_SECONDS = 5.0
"""After the version check fails to connect, how long requests go the ordinary way before it
tries again."""


@dataclass(frozen=True)
class JobRead:
    """A job read by name (``None``: no such job) and the token of what was read (``None``: the
    database cannot vouch for it later; do not keep answers built from it)."""

    job: JobRecord | None
    token: Hashable | None


class JobReads:
    """The ``show_job`` read and its version check, for one database."""

    def __init__(self, engine: Engine, url: URL) -> None:
        self.engine = engine
        self.dialect = url.get_backend_name()
        self._sqlite = _SqliteVersion(url) if self.dialect == "sqlite" else None
        self._postgres = _PostgresVersion(url) if self.dialect == "postgresql" else None

    def read(self, workspace_id: str, name: str) -> JobRead:
        """The job named ``name`` in the workspace, with its token; one statement, no
        transaction of its own (a single ``SELECT`` reads one consistent snapshot)."""
        token = self._sqlite.token() if self._sqlite is not None else None
        raw = self.engine.raw_connection()
        try:
            if self._postgres is not None:
                row = _select_autocommit(raw.driver_connection, workspace_id, name)
            else:
                cursor = raw.cursor()
                cursor.execute(_SQLITE_READ, (workspace_id, name))
                row = cursor.fetchone()
                cursor.close()
        except self.engine.dialect.loaded_dbapi.Error as exc:
            raw.invalidate(exc)  # its state is unknown: the pool opens another
            raise StorageError(
                f"The database is not available ({exc}); check JOBFERRY_DATABASE_URL and that "
                "the database server is running."
            ) from exc
        finally:
            raw.close()
        if row is None:
            return JobRead(None, None)
        if self._postgres is not None:
            return JobRead(JobRecord(*row[3:]), tuple(row[:3]))
        return JobRead(JobRecord(*row), token)

    async def token(self, workspace_id: str, name: str) -> Hashable | None:
        """The token the database reports now for the job (``GONE`` when it is not there;
        ``None`` when it cannot tell just now: answer the ordinary way, and keep the entry).
        Never blocks the event loop: on SQLite it is a read of shared memory that does not wait
        for locks; on PostgreSQL an awaited query."""
        if self._sqlite is not None:
            return self._sqlite.token()
        if self._postgres is not None:
            return await self._postgres.token(workspace_id, name)
        return None

    def close(self) -> None:
        """Close the connections of the version check."""
        if self._sqlite is not None:
            self._sqlite.close()
        if self._postgres is not None:
            self._postgres.close()


def _select_autocommit(conn: Any, workspace_id: str, name: str) -> Any:
    """The row with its version, read outside a transaction: no ``BEGIN``, and no ``ROLLBACK``
    when the pool takes the connection back; prepared once per connection."""
    conn.autocommit = True
    try:
        return conn.execute(_POSTGRES_READ, (workspace_id, name), prepare=True).fetchone()
    finally:
        conn.autocommit = False


class _SqliteVersion:
    """``PRAGMA data_version`` on a read-only connection of this process's own."""

    def __init__(self, url: URL) -> None:
        database = url.database
        self._path = database if database and database != ":memory:" else None
        if url.query.get("uri"):
            self._path = None  # a shared in-memory or otherwise special database: no check
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def token(self) -> int | None:
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
                row = self._conn.execute("PRAGMA data_version").fetchone()
            except sqlite3.Error:
                return None
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class _PostgresVersion:
    """The version check, batched: the checks asked for while one query is in flight go
    together in the next (one round trip for all, on one asynchronous autocommit connection
    opened on first use by the event loop that uses it; a new loop, as in tests, starts afresh).

    Every check is answered by a query sent *after* it was asked for, so it sees every write
    committed before the request arrived; under load, one round trip serves many requests.
    """

    def __init__(self, url: URL) -> None:
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._conn: Any = None
        self._pending: dict[tuple[str, str], list[asyncio.Future[Hashable | None]]] = {}
        self._drainer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._retry_at = 0.0

    async def token(self, workspace_id: str, name: str) -> Hashable | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self.close()
            self._loop = loop
        if time.monotonic() < self._retry_at:
            return None
        waiter: asyncio.Future[Hashable | None] = loop.create_future()
        self._pending.setdefault((workspace_id, name), []).append(waiter)
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await waiter

    async def _drain(self) -> None:
        """Send the pending checks, one batch at a time, until none are left."""
        try:
            while self._pending:
                batch, self._pending = self._pending, {}
                found = await self._versions(list(batch))
                for key, waiters in batch.items():
                    token = None if found is None else found.get(key, GONE)
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_result(token)
        finally:
            if self._drainer is asyncio.current_task():
                self._drainer = None

    async def _versions(self, keys: list[tuple[str, str]]) -> dict[Hashable, Hashable] | None:
        """``key -> token`` of the jobs that exist; ``None`` when the database cannot be asked
        (the requests are then answered the ordinary way)."""
        try:
            if self._conn is None:
                import psycopg

                self._conn = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
            if len(keys) == 1:
                cursor = await self._conn.execute(_POSTGRES_VERSION, keys[0], prepare=True)
            else:
                workspaces, names = zip(*keys, strict=True)
                cursor = await self._conn.execute(
                    _POSTGRES_VERSIONS, (list(workspaces), list(names)), prepare=True
                )
            rows = await cursor.fetchall()
        except Exception:  # a dropped connection, a restarted server: the ordinary way
            self.close()
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return None
        return {(row[0], row[1]): tuple(row[2:]) for row in rows}

    def close(self) -> None:
        """Close the connection; checks waiting on it are answered "cannot tell"."""
        self._drainer = None  # a drainer of a closed loop never finishes
        if self._conn is not None:
            self._conn.pgconn.finish()
            self._conn = None
        pending, self._pending = self._pending, {}
        for waiters in pending.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
