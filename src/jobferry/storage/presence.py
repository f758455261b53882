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
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from jobferry.storage.database import Database

log = logging.getLogger("jobferry.tasks")

SUFFIX = ".serving"
"""The SQLite lock file's name: the database file's plus this."""

_KEY = "hashtext('jobferry.serving:' || current_database() || '.' || current_schema())"


class Presence:
    """This process's mark of serving ``db``: :meth:`enter` when it starts serving (before it
    claims any task), :meth:`leave` when it stops."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: Connection | None = None
        self._fd: int | None = None

    def enter(self) -> bool:
        """Hold the mark; whether no other process held one (this process is alone). A mark
        that cannot be taken (a lock file that cannot be opened) is logged and answers
        ``False``: the process then waits for the heartbeat rule, as beside other processes."""
        if self.db.dialect == "postgresql":
            return self._enter_postgres()
        database = make_url(self.db.url).database
        if self.db.dialect != "sqlite" or not database or database == ":memory:":
            return False
        return self._enter_sqlite(Path(database + SUFFIX))

    def _enter_postgres(self) -> bool:
        conn = self.db.engine.connect()
        try:
            alone = bool(conn.exec_driver_sql(f"SELECT pg_try_advisory_lock({_KEY})").scalar())
            conn.exec_driver_sql(f"SELECT pg_advisory_lock_shared({_KEY})")
            if alone:
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_KEY})")
            conn.commit()  # session locks outlive the transaction; the connection keeps them
        except BaseException:
            conn.invalidate()  # never back to the pool with a lock held
            conn.close()
            raise
        self._conn = conn
        return alone

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
        if self._conn is not None:
            self._conn.invalidate()  # the session ends, and its locks with it (not pooled)
            self._conn.close()
            self._conn = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
