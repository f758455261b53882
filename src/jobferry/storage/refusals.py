"""What PostgreSQL's own refusals of a statement or a connection mean for a request.

A request PostgreSQL cancels because it waited on a lock past ``lock_timeout`` (a request's
read or write is given SQLite's busy timeout, ``database._postgres_begin``), because it and
another transaction waited on each other (a deadlock), or because it could not be serialized
beside a concurrent write, is rolled back whole: nothing of it was written, and the same
request sent again is expected to go through. It is refused as SQLite's busy write lock is,
:class:`~jobferry.errors.DatabaseBusyError` (503 ``DLF.9504`` with ``Retry-After``), with its
own words and fix.

A connection PostgreSQL refuses because it is at a connection limit (``max_connections``, or a
role's or a database's ``CONNECTION LIMIT``) is refused naming the pool settings and
``max_connections`` as the fix, never the server's host, port or role: a request's as busy
(the transaction never began), an opening's (``jobferry serve`` starting, ``db upgrade``) as
the database not available. A statement on a table or column the database does not have (its
tables dropped or recreated under a running server) is refused saying so, with ``jobferry db
upgrade`` as the fix (:func:`schema_gone`). Any other database error is the database being
unavailable (``Database.unavailable``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from jobferry.errors import DatabaseBusyError, StorageError

LOCK_NOT_AVAILABLE = "55P03"
DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"

LOCK_RETRY_SECONDS = 5
"""Retry-After of a write cancelled at ``lock_timeout``: what held the lock (an import, a
rollback, another client's long transaction) most often holds it for a while yet."""
CLASH_RETRY_SECONDS = 1
"""Retry-After of a write cancelled as a deadlock's or a serialization failure's victim: the
other transaction went on, and ends soon."""


def contention(error: BaseException | None, wait_seconds: int) -> DatabaseBusyError | None:
    """The refusal of PostgreSQL's driver ``error`` when it cancelled the transaction for a
    lock (timeout, deadlock) or a concurrent write (serialization), else ``None``;
    ``wait_seconds``: how long a request waits for a lock."""
    state = getattr(error, "sqlstate", None)
    if state == LOCK_NOT_AVAILABLE:
        return DatabaseBusyError(
            "The database is busy: this request waited for a lock another transaction holds "
            "(an import, a rollback, or a long transaction of another client of the database) "
            f"longer than its lock_timeout ({wait_seconds} s for a request), and PostgreSQL "
            "cancelled it; nothing of it was written.",
            fix=f"Try again in {LOCK_RETRY_SECONDS} s or once that import (or database upgrade) "
            "ends. If it keeps happening, look for the long transaction in pg_stat_activity.",
            retry_after=LOCK_RETRY_SECONDS,
        )
    if state == DEADLOCK_DETECTED:
        what = (
            "this request and another transaction each waited for a lock the other held (a "
            "deadlock), and PostgreSQL cancelled this request"
        )
    elif state == SERIALIZATION_FAILURE:
        what = (
            "this request clashed with a concurrent write to the same rows, and PostgreSQL "
            "cancelled it (a serialization failure)"
        )
    else:
        return None
    return DatabaseBusyError(
        f"The database is busy: {what}; nothing of it was written.",
        fix=f"Try again in {CLASH_RETRY_SECONDS} s: the other write has gone on.",
        retry_after=CLASH_RETRY_SECONDS,
    )


CONNECTION_LIMITS = (
    ("too many clients already", "its max_connections are all in use"),
    ("remaining connection slots are reserved", "only the slots it reserves are left"),
    ("too many connections for role", "the CONNECTION LIMIT of jobferry's role is reached"),
    ("too many connections for database", "the database's CONNECTION LIMIT is reached"),
)
"""PostgreSQL's words (its connection errors carry no SQLSTATE to the client before the session
begins) and what they mean, in words that name no host, role or database."""

FULL_RETRY_SECONDS = 5
"""Retry-After of a request refused a connection at the limit."""


@dataclass(frozen=True)
class Pool:
    """The connections one server process keeps open, and opens beyond them when busy."""

    size: int = 16
    overflow: int = 32

    def fix(self) -> str:
        """What mends a connection limit: the database's limit above every process's pool."""
        return (
            f"Each jobferry server process keeps up to {self.size} connections open "
            f"(JOBFERRY_DATABASE_POOL_SIZE) and opens up to {self.overflow} more when busy "
            "(JOBFERRY_DATABASE_POOL_OVERFLOW), in each of its JOBFERRY_WORKERS processes: raise "
            "PostgreSQL's max_connections (or the CONNECTION LIMIT of jobferry's role or "
            "database) above their sum and the database's other clients, or lower those "
            "settings."
        )


def connection_limit(error: BaseException | None) -> str | None:
    """What limit PostgreSQL's refusal of a new connection ``error`` names (``None``: not a
    connection limit)."""
    said = str(error)
    for words, meaning in CONNECTION_LIMITS:
        if words in said:
            return meaning
    return None


def connections_full(meaning: str, pool: Pool, *, opening: bool) -> StorageError:
    """The refusal of a connection at the limit ``meaning``: a request's (busy, to retry), or,
    when ``opening``, a command's that could not open the database at all."""
    if opening:
        return StorageError(
            f"PostgreSQL refused jobferry a connection: {meaning}.",
            fix=f"{pool.fix()} Then run the command again.",
        )
    return DatabaseBusyError(
        f"The database refused this server a new connection: {meaning}; this request's "
        "transaction could not begin, and nothing of it was written.",
        fix=f"Try again in {FULL_RETRY_SECONDS} s. {pool.fix()}",
        retry_after=FULL_RETRY_SECONDS,
    )


UNDEFINED_TABLE, UNDEFINED_COLUMN = "42P01", "42703"
_MISSING = (
    re.compile(r"no such (table|column): (\S+)"),  # SQLite
    re.compile(r'(relation|column) "?([^"\s]+)"?(?: of relation "[^"]+")? does not exist'),
)


def schema_gone(error: BaseException | None) -> StorageError | None:
    """The refusal of a statement whose table or column the database does not have (the
    database recreated, emptied or restored from an older backup under a running server, or
    never set up): SQLite's "no such table", PostgreSQL's undefined table or column; ``None``
    for any other error."""
    said = str(error)
    state = getattr(error, "sqlstate", None)
    found = next((m for pattern in _MISSING if (m := pattern.search(said))), None)
    if found is None or (state is not None and state not in (UNDEFINED_TABLE, UNDEFINED_COLUMN)):
        return None
    kind = "table" if found.group(1) in ("table", "relation") else "column"
    return StorageError(
        f"The database has no {kind} {found.group(2).removeprefix('main.')}: its tables are "
        "not this jobferry's schema (the database was recreated, emptied or restored from an "
        "older backup while this server ran, or was never set up); nothing was read or "
        "written. Run jobferry db upgrade on it, then restart the server.",
        reason=said.splitlines()[0],
    )
