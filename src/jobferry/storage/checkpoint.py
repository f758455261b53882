"""SQLite WAL checkpoints on a background thread, not inside a commit.

In WAL mode a commit appends pages to the ``-wal`` file; a *checkpoint* later copies them into
the database file (with an fsync of each). SQLite's default runs that checkpoint inside whichever
commit takes the WAL past 1,000 pages, so that transaction pays for copying everyone's pages:
for a 10,000-job import it was 0.3–0.6 s of its own latency, spent after its data was already
safe in the WAL.

jobferry turns SQLite's automatic checkpoint off on its connections and runs PASSIVE checkpoints
here instead: after a write transaction commits, a short-lived thread checkpoints (at once when
the last checkpoint is older than ``interval``, else when it comes due), and ends when no commit
asked for another. This is what PostgreSQL's checkpointer does. The disk work is the same; it
no longer sits inside a request. A checkpoint is one SQLite call, which releases the GIL for
all of its work, so it runs beside Python work on another core.

PASSIVE never waits for readers or writers: it copies what it can, and the next one goes on.
A checkpoint cut off (the process killed mid-way) is safe: the WAL keeps every frame until a
checkpoint completes, and the next connection recovers from it.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

log = logging.getLogger("jobferry.storage")

WAL_KEPT_BYTES = 64 * 1024 * 1024
"""What the ``-wal`` file is cut back to by the first commit after a checkpoint copied all of it
(SQLite's ``journal_size_limit``): an import's transaction grows the WAL to hold all of it (186
MB for 30,000 objects), and SQLite otherwise keeps the file that size, to write over, until the
server stops."""


def wal_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """A new connection's WAL settings: commits never checkpoint (a :class:`WalCheckpointer`
    does, on its own thread), and a WAL grown past :data:`WAL_KEPT_BYTES` is cut back."""
    dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")
    dbapi_conn.execute(f"PRAGMA journal_size_limit={WAL_KEPT_BYTES}")


class WalCheckpointer:
    """Checkpoints one SQLite database file's WAL off the committing threads."""

    def __init__(self, path: Path, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self.runs = 0  # checkpoints run (for tests and diagnostics)
        self._lock = threading.Lock()
        self._wanted = False
        self._thread: threading.Thread | None = None
        self._hurry = threading.Event()
        self._last = float("-inf")  # monotonic start of the last checkpoint

    def wake(self) -> None:
        """A write transaction committed: see that a checkpoint follows."""
        with self._lock:
            self._wanted = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="jobferry-wal-checkpoint", daemon=True
                )
                self._thread.start()

    def drain(self) -> None:
        """Run what is due now rather than when it comes due, and wait for it (at close)."""
        with self._lock:
            thread = self._thread
        if thread is None:
            return
        self._hurry.set()
        thread.join()
        self._hurry.clear()

    def _loop(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._thread = None
                    return
                self._wanted = False
            delay = self._last + self.interval - time.monotonic()
            if delay > 0:
                self._hurry.wait(delay)
                with self._lock:  # commits made while waiting are covered by this checkpoint
                    self._wanted = False
            self._last = time.monotonic()
            self.checkpoint()

    def checkpoint(self) -> tuple[int, int, int] | None:
        """One PASSIVE checkpoint: (busy, WAL frames, frames checkpointed), or None on error."""
        # mode=rw: a database file that is gone is an error here, never a new empty file.
        uri = f"file:{quote(str(self.path))}?mode=rw"
        try:
            with closing(sqlite3.connect(uri, uri=True)) as conn:
                row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint of %s failed: %s", self.path.name, exc)
            return None
        self.runs += 1
        return int(row[0]), int(row[1]), int(row[2])
