"""Where recent pages of a long list ended, so that the next page of the same list continues
from there instead of skipping every row before it (``Tx.page`` with ``seek``).

A list call pages with ``offset``. On either database a page at offset N steps over N index
entries before its first row and counts every matching row, so a client that reads a whole list
a page at a time (the command line, the Terraform provider, the SDKs) pays the square of its
length: 93 s for 100,000 jobs on SQLite, 113 s for 200,000 audit lines. A hint says, for one
list query (its table, conditions and order, whatever its ``limit``) in one state of the
database: the row at position ``end - 1`` has the order keys ``last``, and ``total`` rows match.
A page of that query from offset N ≥ ``end`` in that same state reads the rows after ``last``
(``WHERE key > last ORDER BY key LIMIT n OFFSET N - end``; newest first by time then id,
``WHERE at <= last_at AND (at < last_at OR id < last_id)``: ``storage.tx.after``), the same
rows, found through the index, and answers ``total`` without counting again.

"The same state" is the database's change token (``storage.changes``), read before the page's
statements and again after them; both must equal the hint's, or the page is read the plain way.
Anything committed meanwhile, by any connection of any process, moves the token:

- SQLite: ``PRAGMA data_version`` on the token's own connection. A read transaction sees the
  moment of its first statement, so the first token is the one read before the transaction
  began (``Database.transaction(seeking=True)``): equal to the one read after the page, nothing
  was committed between, and the transaction sees exactly that state.
- PostgreSQL: ``pg_current_snapshot()`` on the page's own connection, before and after its
  statements. Each statement of a read-committed transaction sees the moment it starts; two
  equal snapshots mean the same committed transactions, so every statement between them saw
  that state.

A hint is an optimisation: whatever is in doubt (no token, a token moved, a query SQLAlchemy
cannot key) reads the plain way, and the answer is the plain query's either way. Memory is
bounded: the ``QUERIES`` queries used last, the ``ENDS`` latest ends of each (a client asks a
few pages at once, so the page after the one asked is rarely the one that ended last).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, text

from jobferry.storage.changes import SqliteDataVersion

QUERIES = 64
"""List queries whose hints are kept (the least recently used goes first)."""
ENDS = 8
"""Page ends kept per query (the oldest noted goes first): a few more than the pages a client
asks at once."""

_SNAPSHOT = text("SELECT pg_current_snapshot()::text")


@dataclass(frozen=True)
class Resume:
    """Where a page may start: after the row whose order keys are ``last`` (``None``: from
    the first row), ``skip`` rows further on; ``total`` rows match in all."""

    last: Any
    skip: int
    total: int


@dataclass
class _Hints:
    """One query's hints, all in the state ``token``: ``total`` rows match; ``ends`` maps a
    position to the order keys of the row before it."""

    token: Hashable
    total: int
    ends: dict[int, Any] = field(default_factory=dict)


def query_key(
    table: Table, where: ColumnElement[bool], order_by: Sequence[ColumnElement[Any]]
) -> Hashable | None:
    """The identity of a list query: its table, conditions and order with every value bound in
    them (``None`` when SQLAlchemy cannot key a part of it). SQLAlchemy's own statement cache
    key: no SQL is compiled for it."""
    parts: list[Hashable] = [table.name]
    for element in (where, *order_by):
        cache = element._generate_cache_key()
        if cache is None:
            return None
        parts.append(cache.key)
        parts.extend(_hashable(bound.effective_value) for bound in cache.bindparams)
    key = tuple(parts)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class PageHints:
    """The hints of one database's list queries (see the module docstring); safe to share
    between threads."""

    def __init__(self, dialect: str, sqlite: SqliteDataVersion | None) -> None:
        self._dialect = dialect
        self._sqlite = sqlite
        self._queries: OrderedDict[Hashable, _Hints] = OrderedDict()
        self._lock = threading.Lock()

    def opening(self) -> Hashable | None:
        """The token to read before a transaction's first statement (SQLite, whose read
        transaction sees the moment of that statement); ``None`` elsewhere."""
        return self._sqlite.token() if self._sqlite is not None else None

    def first(self, conn: Connection, opened: Hashable | None) -> Hashable | None:
        """The token a page's statements start from: ``opened`` on SQLite (``None``: the
        transaction was not opened for seeking), the snapshot now on PostgreSQL."""
        return opened if self._dialect == "sqlite" else self.now(conn)

    def now(self, conn: Connection) -> Hashable | None:
        """The token now, as ``conn`` would see it (``None``: cannot tell)."""
        if self._dialect == "sqlite":
            return self._sqlite.token() if self._sqlite is not None else None
        if self._dialect == "postgresql":
            return conn.execute(_SNAPSHOT).scalar_one_or_none()
        return None

    def resume(self, key: Hashable, token: Hashable, offset: int) -> Resume | None:
        """Where the page of query ``key`` at ``offset`` may start in state ``token``: after
        the nearest end at or before ``offset``; ``None`` when nothing is known of that state."""
        with self._lock:
            hints = self._queries.get(key)
            if hints is None or hints.token != token:
                return None
            self._queries.move_to_end(key)
            end = max((e for e in hints.ends if e <= offset), default=0)
            last = hints.ends.get(end) if end else None
            return Resume(last, offset - end, hints.total)

    def note(self, key: Hashable, token: Hashable, total: int, end: int, last: Any) -> None:
        """Note that in state ``token`` query ``key`` matches ``total`` rows and the row at
        position ``end - 1`` has the order keys ``last`` (``end`` 0: the total alone)."""
        with self._lock:
            hints = self._queries.get(key)
            if hints is None or hints.token != token:
                hints = self._queries[key] = _Hints(token, total)
            self._queries.move_to_end(key)
            if end:
                hints.ends.pop(end, None)
                hints.ends[end] = last
                if len(hints.ends) > ENDS:
                    del hints.ends[next(iter(hints.ends))]
            if len(self._queries) > QUERIES:
                self._queries.popitem(last=False)
