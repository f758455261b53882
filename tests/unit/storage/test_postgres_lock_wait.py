"""On PostgreSQL a request's write waits for a lock another transaction holds (an import's rows)
as long as a SQLite write waits for the write lock, then is refused as busy; so does a request's
read behind a table's exclusive lock (a migration's, ``VACUUM FULL``'s, ``LOCK TABLE``'s), the
hot job read included; a task thread (``Database.patient``) waits as long as it takes, as on
SQLite; its lifted limit never outlives its transaction in the pooled connection."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest

from jobferry.errors import DatabaseBusyError
from jobferry.services.container import Services
from jobferry.storage import Database
from jobferry.storage.refusals import Pool
from support.builders import make_job
from support.busy import SHORT_WAIT_MS, postgres_held, short_busy_wait
from support.console import admin_scope

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

HELD_SECONDS = 2
"""How long the other transaction holds the row: ten times the short limit, so a write that
waits without limit is seen to wait it out (and go through) instead of being refused."""


def job_row_locked(db: Database, name: str) -> AbstractContextManager[None]:
    """Another transaction holds job ``name``'s row (as an import holds the rows it writes)
    until PostgreSQL ends it, :data:`HELD_SECONDS` idle in the transaction."""
    return postgres_held(
        db.url, f"SELECT 1 FROM jobs WHERE name = '{name}' FOR UPDATE", HELD_SECONDS
    )


def jobs_table_locked(db: Database) -> AbstractContextManager[None]:
    """Another client holds the jobs table exclusively (as a migration, ``VACUUM FULL`` or
    ``LOCK TABLE`` does) until PostgreSQL ends it, :data:`HELD_SECONDS` idle in the
    transaction."""
    return postgres_held(db.url, "LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE", HELD_SECONDS)


def _description(services: Services, name: str) -> str:
    with services.db.transaction(readonly=True) as tx:
        found = tx.conn.exec_driver_sql(f"SELECT document FROM jobs WHERE name = '{name}'")
        return str(found.scalar_one())


def test_a_request_s_write_behind_a_held_row_is_refused_busy_after_the_limit(
    services: Services,
) -> None:
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("nightly", description="v1"))
    with short_busy_wait(services.db), job_row_locked(services.db, "nightly"):
        began = time.monotonic()
        with pytest.raises(DatabaseBusyError) as refused:
            services.jobs.update(scope, "nightly", make_job("nightly", description="v2"))
        waited = time.monotonic() - began
    assert SHORT_WAIT_MS / 1000 <= waited < HELD_SECONDS
    error = refused.value
    assert (error.status, error.code, error.context) == (503, "DLF.9504", {"retry_after": 5})
    assert "lock_timeout" in error.message
    assert "nothing of it was written" in error.message
    assert "v1" in _description(services, "nightly")
    assert "v2" not in _description(services, "nightly")


def test_a_task_thread_s_write_waits_past_the_limit_and_goes_through(services: Services) -> None:
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("nightly", description="v1"))
    with short_busy_wait(services.db), job_row_locked(services.db, "nightly"):
        began = time.monotonic()
        with services.db.patient():
            services.jobs.update(scope, "nightly", make_job("nightly", description="v2"))
        waited = time.monotonic() - began
    assert waited >= HELD_SECONDS - 0.5  # it waited for the holder to end, not the limit
    assert "v2" in _description(services, "nightly")


def _refused_busy_within_the_limit(read: Callable[[], object]) -> DatabaseBusyError:
    began = time.monotonic()
    with pytest.raises(DatabaseBusyError) as refused:
        read()
    waited = time.monotonic() - began
    assert SHORT_WAIT_MS / 1000 <= waited < HELD_SECONDS
    return refused.value


def test_a_request_s_read_behind_a_table_s_exclusive_lock_is_refused_busy_after_the_limit(
    services: Services,
) -> None:
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("nightly", description="v1"))
    with short_busy_wait(services.db), jobs_table_locked(services.db):
        error = _refused_busy_within_the_limit(lambda: services.jobs.show(scope, "nightly"))
    assert (error.status, error.code, error.context) == (503, "DLF.9504", {"retry_after": 5})
    assert "lock_timeout (1 s for a request)" in error.message
    assert "pg_stat_activity" in error.message
    assert "v1" in services.jobs.show(scope, "nightly").document["description"]


def test_the_hot_job_read_behind_a_table_s_exclusive_lock_is_refused_busy_after_the_limit(
    services: Services,
) -> None:
    """``show_answer`` reads outside a transaction (``storage/jobreads.py``): the limit is the
    connection's, and its refusal is busy, not "the database is not available"."""
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("nightly"))
    with short_busy_wait(services.db), jobs_table_locked(services.db):
        error = _refused_busy_within_the_limit(
            lambda: services.jobs.show_answer(scope, "nightly", lambda shown: b"{}")
        )
    assert (error.code, error.context) == ("DLF.9504", {"retry_after": 5})
    assert services.jobs.show_answer(scope, "nightly", lambda shown: b"{}") == b"{}"


def test_a_task_thread_s_read_waits_past_the_limit_for_the_table(services: Services) -> None:
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("nightly", description="v1"))
    with short_busy_wait(services.db), jobs_table_locked(services.db):
        began = time.monotonic()
        with services.db.patient():
            shown = services.jobs.show(scope, "nightly")
        waited = time.monotonic() - began
    assert waited >= HELD_SECONDS - 0.5
    assert "v1" in shown.document["description"]


def _lock_timeout(db: Database, *, readonly: bool = False) -> str:
    with db.transaction(readonly=readonly) as tx:
        return str(tx.conn.exec_driver_sql("SHOW lock_timeout").scalar_one())


def test_a_task_thread_s_lifted_limit_is_its_transaction_s_own_not_the_pooled_connection_s(
    services: Services,
) -> None:
    db = Database(services.db.url, Pool(size=1, overflow=0))  # one connection for every turn
    limited = f"{SHORT_WAIT_MS}ms"
    try:
        with short_busy_wait(db):
            assert _lock_timeout(db) == limited
            assert _lock_timeout(db, readonly=True) == limited
            with db.patient():
                assert _lock_timeout(db) == "0"
                assert _lock_timeout(db, readonly=True) == "0"
            assert _lock_timeout(db) == limited
            assert _lock_timeout(db, readonly=True) == limited
            with db.connect() as conn:
                assert conn.exec_driver_sql("SHOW lock_timeout").scalar_one() == limited
    finally:
        db.dispose()


def test_a_task_thread_s_write_inside_its_own_open_write_is_limited(services: Services) -> None:
    """A write a task thread opens inside its own open write (on a second connection) would
    wait for its own thread's rows without end: it is limited, as on SQLite."""
    db = services.db
    with short_busy_wait(db), db.patient(), db.transaction():
        assert _lock_timeout(db) == f"{SHORT_WAIT_MS}ms"
