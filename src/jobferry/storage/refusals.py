"""What PostgreSQL's own refusals of a statement or a connection mean for a request.

A write PostgreSQL cancels because it waited on a lock past ``lock_timeout``, because it and
another transaction waited on each other (a deadlock), or because it could not be serialized
beside a concurrent write, is rolled back whole: nothing of it was written, and the same
request sent again is expected to go through. It is refused as SQLite's busy write lock is,
:class:`~jobferry.errors.DatabaseBusyError` (503 ``DLF.9504`` with ``Retry-After``), with its
own words and fix. Any other database error is the database being unavailable
(``Database.unavailable``)."""

from __future__ import annotations

from jobferry.errors import DatabaseBusyError

LOCK_NOT_AVAILABLE = "55P03"
DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"

LOCK_RETRY_SECONDS = 5
"""Retry-After of a write cancelled at ``lock_timeout``: what held the lock (an import, a
rollback, another client's long transaction) most often holds it for a while yet."""
CLASH_RETRY_SECONDS = 1
"""Retry-After of a write cancelled as a deadlock's or a serialization failure's victim: the
other transaction went on, and ends soon."""


def contention(error: BaseException | None) -> DatabaseBusyError | None:
    """The refusal of PostgreSQL's driver ``error`` when it cancelled the transaction for a
    lock (timeout, deadlock) or a concurrent write (serialization), else ``None``."""
    state = getattr(error, "sqlstate", None)
    if state == LOCK_NOT_AVAILABLE:
        return DatabaseBusyError(
            "The database is busy: this request waited for a lock another transaction holds "
            "(an import, a rollback, or a long transaction of another client of the database) "
            "longer than PostgreSQL's lock_timeout, and PostgreSQL cancelled it; nothing of it "
            "was written.",
            fix=f"Try again in {LOCK_RETRY_SECONDS} s or once that import ends. If it keeps "
            "happening, look for the long transaction in pg_stat_activity, or raise "
            "lock_timeout for the database user jobferry connects as.",
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
