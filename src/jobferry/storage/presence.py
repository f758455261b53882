"""Whether a server process is alone on its database, told by a mark each serving process holds
for as long as it lives, which is taken away when the process ends, however it ends (a crash,
``kill -9``, a power cut of its machine).

- PostgreSQL: a session-level advisory lock on a key of the database and schema, held in shared
  mode on a connection of the process's own. The database drops it with the session: a killed
  process's connection closes with it (on another machine, when the TCP connection is found
  dead).
- SQLite: a shared ``flock`` on a file beside the database file (``jobferry.db.serving``). The
  kernel drops it with the process. SQLite serves one machine, so the kernel sees every process.

A process entering asks for the mark in exclusive mode first, without waiting: granted, no
other process holds one, so it is alone; then it holds the shared mark like every other
(PostgreSQL: taken before the exclusive one is let go; SQLite: ``flock`` converts it).
The heartbeat (``workers``) cannot tell this: a process that crashed a moment ago beat a moment
ago, as a live one did.

A PostgreSQL session can end under a live process (a restart of the database, a connection cut):
its mark goes with it. The process takes it back at its next heartbeat (:meth:`Presence.hold`),
and meanwhile a process entering may find itself alone beside it. It then trusts the mark's
absence only for processes that beat after the database server last started
(:func:`database_started`): one of them still alive would hold its mark again.

From outside, :func:`served` looks for a mark without keeping one (``jobferry db copy`` warns
that a database served now goes on changing after its copy begins).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from jobferry.storage.database import Database, normalise_url
from jobferry.storage.refusals import Pool
from jobferry.storage.tx import Tx

log = logging.getLogger("jobferry.tasks")

SUFFIX = ".serving"
"""The SQLite lock file's name: the database file's plus this."""

KEY = "hashtext('jobferry.serving:' || current_database() || '.' || current_schema())"
"""The PostgreSQL advisory lock key of the mark, an SQL expression: one per database and
schema."""


class Presence:
    """This process's mark of serving ``db``: :meth:`enter` when it starts serving (before it
    claims any task), :meth:`leave` when it stops."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: Connection | None = None
        self._marked = False
        """Whether this process holds a PostgreSQL mark, or did until its session ended."""
        self._fd: int | None = None
        self._lock = threading.Lock()
        """One of enter, hold and leave at a time: the keeper thread's beat (``hold``) may still
        run while the process stops (``leave``), and must not take the mark again after it."""

    def enter(self) -> bool:
        """Hold the mark; whether no other process held one (this process is alone). A mark
        that cannot be taken (a lock file that cannot be opened) is logged and answers
        ``False``: the process then waits for the heartbeat rule, as beside other processes."""
        with self._lock:
            return self._enter()

    def _enter(self) -> bool:
        if self.db.dialect == "postgresql":
            alone = self._enter_postgres()
            self._marked = True
            return alone
        database = make_url(self.db.url).database
        if self.db.dialect != "sqlite" or not database or database == ":memory:":
            return False
        return self._enter_sqlite(Path(database + SUFFIX))

    def _enter_postgres(self, *, entering: bool = True) -> bool:
        """Take the shared mark on a connection of its own; ``entering``: ask for the
        exclusive one first (whether this process is alone)."""
        try:
            conn = self.db.engine.connect()
        except OperationalError as exc:
            raise self.db.unavailable(exc) from exc
        try:
            alone = entering and bool(
                conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({KEY})").scalar()
            )
            conn.exec_driver_sql(f"SELECT pg_advisory_lock_shared({KEY})")
            if alone:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({KEY})")
            # The connection is idle for as long as the process lives: a server's
            # idle_session_timeout (PostgreSQL 14+) must not end it, and the mark with it.
            conn.exec_driver_sql(
                "SELECT set_config('idle_session_timeout', '0', false) "
                "WHERE current_setting('idle_session_timeout', true) IS NOT NULL"
            )
            conn.commit()  # session locks outlive the transaction; the connection keeps them
        except BaseException:
            conn.invalidate()  # never back to the pool with a lock held
            conn.close()
            raise
        self._conn = conn
        return alone

    def hold(self) -> None:
        """Check that this process still holds the mark it entered with, and take it back when
        the database took it away (PostgreSQL: its session ended, by a restart of the database
        or a connection cut). Refused as a transaction is while the database is away. Nothing
        once the process left: a beat that ran into the stop takes no mark to outlive it."""
        with self._lock:
            self._hold()

    def _hold(self) -> None:
        if not self._marked:
            return
        if self._conn is not None:
            try:
                self._conn.exec_driver_sql("SELECT 1")
                self._conn.commit()
                return
            except DBAPIError:
                self._drop()
        self._enter_postgres(entering=False)  # or at a later beat, if the database is away
        log.warning("this process's serving mark went with its database session; took it back")

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.invalidate()  # the session ends, and its locks with it (not pooled)
            self._conn.close()
            self._conn = None

    def _enter_sqlite(self, path: Path) -> bool:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            log.warning("cannot open %s (%s): orphaned tasks wait for the heartbeat", path, exc)
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            alone = True
        except BlockingIOError:
            alone = False
        fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while another process is entering
        self._fd = fd
        return alone

    def leave(self) -> None:
        """Let the mark go (a clean stop)."""
        with self._lock:
            self._marked = False
            self._drop()
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def sqlite_served(url: str) -> bool:
    """Whether a process serves the SQLite database at ``url`` now: it holds the mark beside
    the file (a look that takes nothing: the exclusive ``flock`` asked for, granted, is let go at
    once). ``False`` for any other database, or a file no process ever served."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return False
    try:
        fd = os.open(parsed.database + SUFFIX, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing lets a granted lock go
    return False


def served(url: str) -> bool:
    """Whether a jobferry server serves the database at ``url`` now: some process holds its
    mark, in a look that takes nothing that lasts. SQLite: :func:`sqlite_served`, nothing
    opened (no file is made). PostgreSQL: the mark's key of that database and schema asked
    for in exclusive mode without waiting, on a connection of the look's own: refused, a
    serving process holds it; granted, let go at once (a server entering at that very moment
    finds itself not alone, and waits for the heartbeat rule as beside another process). A
    server whose database session was cut holds the mark again at its next heartbeat."""
    if make_url(normalise_url(url)).get_backend_name() != "postgresql":
        return sqlite_served(url)
    db = Database(url, Pool(1, 0))
    try:
        return _postgres_served(db)
    finally:
        db.dispose()


def _postgres_served(db: Database) -> bool:
    try:
        conn = db.engine.connect()
    except OperationalError as exc:
        raise db.unavailable(exc) from exc
    try:
        alone = bool(conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({KEY})").scalar())
        if alone:
            conn.exec_driver_sql(f"SELECT pg_advisory_unlock({KEY})")
        conn.commit()
    finally:
        conn.invalidate()  # its session ends, and any lock of it with it (never pooled)
        conn.close()
    return not alone


def database_started(tx: Tx) -> int | None:
    """When the database server last started, in milliseconds since the epoch by its own clock
    (PostgreSQL): a mark taken before then went with the restart. ``None`` where a mark lives as
    long as its process (SQLite's ``flock``)."""
    if tx.conn.dialect.name != "postgresql":
        return None
    started = tx.conn.exec_driver_sql(
        "SELECT (extract(epoch FROM pg_postmaster_start_time()) * 1000)::bigint"
    ).scalar_one()
    return int(started)
