"""On PostgreSQL a write cancelled for a lock (past ``lock_timeout``, which a request's write
transaction is given: the busy timeout, made short here; or a deadlock's victim) or
for a concurrent write (a serialization failure) is refused as SQLite's busy write lock is:
503 ``DLF.9504`` with a time to try again and the fix, and nothing of it is written."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
import pytest
import sqlalchemy as sa

from jobferry.errors import DatabaseBusyError
from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.storage import Database
from support.apps import api_with
from support.builders import make_job
from support.busy import short_busy_wait
from support.clients import SignedClient, assert_error, send_signed, signed_once
from support.console import admin_scope

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@contextmanager
def jobs_locked(db: Database) -> Iterator[None]:
    """Another client of the database holds the jobs table for the block (as a long
    transaction, a migration or a ``VACUUM FULL`` does)."""
    other = sa.create_engine(db.url)
    try:
        with other.connect() as conn:
            conn.exec_driver_sql("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
            yield
            conn.rollback()
    finally:
        other.dispose()


def _job_names(services: Services) -> list[str]:
    with services.db.transaction(readonly=True) as tx:
        return [row[0] for row in tx.conn.exec_driver_sql("SELECT name FROM jobs")]


def test_a_write_past_the_lock_timeout_is_refused_as_busy_and_writes_nothing(
    services: Services,
) -> None:
    scope = admin_scope(services)
    with short_busy_wait(services.db):
        with jobs_locked(services.db), pytest.raises(DatabaseBusyError) as refused:
            services.jobs.create(scope, make_job("nightly"))
        assert _job_names(services) == []
        services.jobs.create(scope, make_job("nightly"))  # the lock is free: it goes through
    error = refused.value
    assert (error.status, error.code) == (503, "DLF.9504")
    assert "lock_timeout" in error.message
    assert "nothing of it was written" in error.message
    assert "lock_timeout (1 s for a request)" in error.message
    assert "Try again in 5 s" in error.message
    assert "pg_stat_activity" in error.message
    assert error.context == {"retry_after": 5}
    assert _job_names(services) == ["nightly"]


@pytest.mark.parametrize(
    ("state", "words"),
    [("40P01", "(a deadlock)"), ("40001", "(a serialization failure)")],
)
def test_a_deadlock_s_or_serialization_failure_s_victim_is_refused_as_busy_and_rolled_back(
    services: Services, state: str, words: str
) -> None:
    # PostgreSQL's own error of that state, raised after a write of the same transaction
    cancelled = (
        "INSERT INTO projects (id, name, created_at) VALUES ('p', 'p', 0); "
        f"DO $$ BEGIN RAISE EXCEPTION 'cancelled' USING ERRCODE = '{state}'; END $$"
    )
    with pytest.raises(DatabaseBusyError) as refused, services.db.transaction() as tx:
        tx.conn.exec_driver_sql(cancelled)
    error = refused.value
    assert (error.status, error.code, error.context) == (503, "DLF.9504", {"retry_after": 1})
    assert words in error.message
    assert "nothing of it was written" in error.message
    assert "Try again in 1 s" in error.message
    with services.db.transaction(readonly=True) as tx:
        assert tx.conn.exec_driver_sql("SELECT id FROM projects WHERE id = 'p'").all() == []


def test_a_signed_write_past_the_lock_timeout_answers_503_with_retry_after(
    services: Services, api: SignedClient
) -> None:
    with short_busy_wait(services.db), jobs_locked(services.db):
        busy = api.call("POST", "/jobs", make_job("nightly"))
    assert_error(busy, "DLF.9504", "lock_timeout", "nothing of it was written", status=503)
    assert busy.headers["Retry-After"] == "5"
    assert "Internal error" not in busy.text
    assert api.call("GET", "/jobs").json()["jobs"] == []


def test_a_signed_write_refused_busy_can_be_sent_again_as_it_was_signed(
    services: Services, settings: Settings
) -> None:
    """Its replay record was forgotten with the refusal (nothing of the request was written):
    the same signed request is accepted once the lock is free, and a replay after that."""
    with short_busy_wait(services.db):  # before the app's connections open: each reads it
        for api in api_with(settings, replay_grace_seconds=0):
            create = signed_once("POST", "/jobs", orjson.dumps(make_job("nightly")))
            with jobs_locked(services.db):
                began = time.monotonic()
                busy = send_signed(api, create)
                assert time.monotonic() - began < 5
            assert_error(busy, "DLF.9504", "nothing of it was written", status=503)
            accepted = send_signed(api, create)
            assert accepted.status_code == 204, accepted.text
            assert _job_names(services) == ["nightly"]
            assert_error(send_signed(api, create), "APIGW.0301", "already used", status=401)
