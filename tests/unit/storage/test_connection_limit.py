"""PostgreSQL at a connection limit: a request is refused as busy (503 ``DLF.9504`` with
``Retry-After``), and ``jobferry serve`` refuses to start, each naming the pool settings and
``max_connections`` as the fix, never the server's host or jobferry's role.

The limit here is a role's ``CONNECTION LIMIT`` of one (``max_connections`` itself cannot be
lowered without restarting the server); PostgreSQL refuses the same way, in its own words."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from jobferry.errors import DatabaseBusyError, StorageError
from jobferry.server import build, open_database
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.storage.refusals import Pool, connection_limit
from jobferry.storage.schema import current_revision
from support.databases import PG_URL, require_postgres
from support.waiting import pauses

FIX = (
    "JOBFERRY_DATABASE_POOL_SIZE",
    "JOBFERRY_DATABASE_POOL_OVERFLOW",
    "JOBFERRY_WORKERS",
    "raise PostgreSQL's max_connections",
)


@pytest.fixture
def limited_url() -> Iterator[str]:
    """The test database's URL as a role of its own that may hold one connection."""
    require_postgres()
    role, password = f"jf_limit_{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    admin = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 1 PASSWORD '{password}'")
    try:
        yield make_url(PG_URL).set(username=role, password=password).render_as_string(False)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def _sessions_ended(url: str) -> None:
    """Wait until the role of ``url`` holds no session: a closed connection's server process
    ends a moment after the client let it go, and counts against the limit until it has (a
    connect right after would be refused at the limit, by the test's own last session)."""
    role = make_url(url).username
    admin = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    deadline = time.monotonic() + 20
    try:
        for pause in pauses():
            with admin.connect() as conn:
                held = conn.exec_driver_sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (role,)
                ).scalar_one()
            if not held or time.monotonic() > deadline:
                return
            time.sleep(pause)
    finally:
        admin.dispose()


def _select_one(db: Database) -> object:
    with db.transaction() as tx:
        return tx.conn.exec_driver_sql("SELECT 1").scalar()


def _said(error: BaseException, url: str) -> str:
    said = str(error)
    parsed = make_url(url)
    assert parsed.username not in said
    assert f"{parsed.host}" not in said
    return said


def test_a_request_refused_a_connection_at_the_limit_is_told_the_database_is_busy(
    limited_url: str,
) -> None:
    db = Database(limited_url, Pool(size=3, overflow=4))
    try:
        with psycopg.connect(limited_url), pytest.raises(DatabaseBusyError) as refused:
            _select_one(db)
        error = refused.value
        assert (error.status, error.code, error.context) == (503, "DLF.9504", {"retry_after": 5})
        said = _said(error, limited_url)
        assert "the CONNECTION LIMIT of jobferry's role is reached" in said
        assert "nothing of it was written" in said
        assert "Try again in 5 s" in said
        assert "keeps up to 3 connections open" in said
        assert "opens up to 4 more" in said
        for word in FIX:
            assert word in said
        _sessions_ended(limited_url)
        assert _select_one(db) == 1  # the connection is free again: it goes through
    finally:
        db.dispose()


def test_serve_refuses_to_start_at_the_limit_naming_the_fix(
    limited_url: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=limited_url,
        database_pool_size=2,
        database_pool_overflow=0,
    )
    with psycopg.connect(limited_url), pytest.raises(StorageError) as refused:
        build(settings)
    error = refused.value
    assert not isinstance(error, DatabaseBusyError)
    assert (error.status, error.code) == (503, "DLF.9503")
    said = _said(error, limited_url)
    assert said.startswith("PostgreSQL refused jobferry a connection: the CONNECTION LIMIT")
    assert "keeps up to 2 connections open" in said
    for word in FIX:
        assert word in said
    assert "Then run the command again." in said
    _sessions_ended(limited_url)
    db = open_database(settings)
    try:
        with psycopg.connect(limited_url), pytest.raises(StorageError, match="CONNECTION LIMIT"):
            current_revision(db)  # what jobferry db upgrade reads first
    finally:
        db.dispose()


def test_the_pool_settings_size_the_pool(limited_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=limited_url, database_pool_size=3, database_pool_overflow=5)
    db = open_database(settings)
    try:
        assert db.pool == Pool(3, 5)
        assert db.engine.pool.size() == 3  # type: ignore[attr-defined]
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("words", "meaning"),
    [
        ("FATAL:  sorry, too many clients already", "its max_connections are all in use"),
        (
            "FATAL:  remaining connection slots are reserved for non-replication superuser "
            "connections",
            "only the slots it reserves are left",
        ),
        (
            "FATAL:  remaining connection slots are reserved for roles with the SUPERUSER "
            "attribute",
            "only the slots it reserves are left",
        ),
        ('FATAL:  too many connections for database "jobs"', "CONNECTION LIMIT is reached"),
        ("FATAL:  password authentication failed", None),
    ],
)
def test_each_of_postgresql_s_connection_limits_is_told_in_words_naming_no_one(
    words: str, meaning: str | None
) -> None:
    found = connection_limit(Exception(f'connection to server at "10.1.2.3" failed: {words}'))
    assert found == meaning if meaning is None else meaning in (found or "")
    assert "10.1.2.3" not in (found or "")
