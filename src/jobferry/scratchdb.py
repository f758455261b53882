"""A private SQLite database for one piece of work: a package read's index
(``package/index.py``) and an import's working set (``storage/importing/workset.py``).

It is a data structure, not the application's storage: nobody else opens it and nothing in it
outlives the work, so it keeps no journal, never syncs and holds its lock for its whole life.
"""

from __future__ import annotations

import sqlite3


def prepare(
    db: sqlite3.Connection, schema: str, *, cache_kib: int, page_size: int | None = None
) -> None:
    """Tune a new private database ``db`` (a cache of ``cache_kib`` KiB; ``page_size``, set
    first, while the file is empty), create ``schema`` in it and open its one transaction."""
    if page_size is not None:
        db.execute(f"PRAGMA page_size={page_size}")
    for pragma in ("journal_mode=OFF", "synchronous=OFF", "locking_mode=EXCLUSIVE"):
        db.execute(f"PRAGMA {pragma}")
    db.execute(f"PRAGMA cache_size=-{cache_kib}")
    db.executescript(schema)
    # One transaction for the file's whole life: nobody else opens it and it is never
    # committed for keeps, so each statement skips taking and dropping locks and
    # writing its pages back (a transaction per inserted row in autocommit mode).
    db.execute("BEGIN")
