"""The database's change token and the answers kept under it: an answer is served only while
the database says nothing was committed since it was built, whoever committed (another
connection, another process). Real databases, SQLite and PostgreSQL.

On PostgreSQL the token is the cluster's: other test processes writing anywhere in it change
it too. What must hold when nothing is written is therefore tried until a quiet moment (up to
``TRIES`` times, ``PAUSE`` apart: in a busy run the other workers write most of the time, and
twenty tries with no pause once found no quiet moment); what must change after a write is
asserted at once."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import Hashable
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa

from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.jobs import JobService
from jobferry.services.support.answers import Answer, ReadAnswers
from jobferry.settings import OffsetMode
from jobferry.storage import Database
from jobferry.storage.changes import SqliteDataVersion
from support.builders import make_job
from support.clients import ADMIN_AK, PROJECT_ID

TRIES = 100
PAUSE = 0.03
"""Seconds between two tries: long enough for another worker's burst of writes to end."""


def admin(services: Services) -> Scope:
    return services.accounts.scope(services.accounts.actor_for(ADMIN_AK), PROJECT_ID, None)


def token(services: Services) -> Hashable | None:
    return asyncio.run(services.answers.token())


def kept(answers: ReadAnswers, body: bytes = b"{}") -> Answer | None:
    """Keep an answer built now under key "k" and ask whether it is current, until it is
    (a few tries: see the module docstring)."""

    async def both() -> Answer | None:
        token = await answers.token()
        assert token is not None
        answers.keep("k", Answer(token, 200, ((b"content-type", b"application/json"),), body))
        return await answers.current("k")

    for _ in range(TRIES):
        found = asyncio.run(both())
        if found is not None:
            return found
        time.sleep(PAUSE)
    return None


def current(answers: ReadAnswers) -> Answer | None:
    return asyncio.run(answers.current("k"))


def other_process(url: str, sql: str) -> None:
    """Run ``sql`` in a separate Python process, committed before this returns."""
    code = (
        "import sys, sqlalchemy as sa\n"
        "from jobferry.storage.database import normalise_url\n"
        "engine = sa.create_engine(normalise_url(sys.argv[1]))\n"
        "with engine.begin() as conn:\n"
        "    conn.exec_driver_sql(sys.argv[2])\n"
        "engine.dispose()\n"
    )
    subprocess.run([sys.executable, "-c", code, url, sql], check=True)


def test_the_token_holds_while_nothing_is_written(services: Services) -> None:
    services.jobs.create(admin(services), make_job())
    held = []
    for _ in range(TRIES):
        first = token(services)
        if first is None:  # "cannot tell": the file was locked a moment (a WAL checkpoint)
            continue
        services.jobs.show(admin(services), "daily_sales")
        services.jobs.list_jobs(
            admin(services), job_type=None, job_name=None, tags=None, limit=10, offset=0
        )
        held.append(token(services) == first)
        if held[-1]:
            break
        time.sleep(PAUSE)
    assert held, "the data version could not be read once"
    assert held[-1], "reads change nothing"
    if services.db.dialect == "sqlite":
        assert held == [True]


def test_a_kept_answer_is_current_until_a_write_through_the_service(services: Services) -> None:
    scope = admin(services)
    services.jobs.create(scope, make_job())
    answer = kept(services.answers, b'{"name":"daily_sales"}')
    assert answer is not None
    assert answer.body == b'{"name":"daily_sales"}'
    services.jobs.update(scope, "daily_sales", make_job(description="changed here"))
    assert current(services.answers) is None
    assert services.answers.cache.get("k") is None, "an out-of-date entry is dropped"


def test_a_write_committed_by_another_process_is_seen_by_the_next_check(
    services: Services,
) -> None:
    services.jobs.create(admin(services), make_job())
    assert kept(services.answers) is not None
    other_process(
        services.settings.resolved_database_url(),
        "UPDATE jobs SET updated_by = 'elsewhere' WHERE name = 'daily_sales'",
    )
    assert current(services.answers) is None


def test_a_write_through_another_connection_of_this_process_is_seen_at_once(
    services: Services,
) -> None:
    scope = admin(services)
    services.jobs.create(scope, make_job())
    assert kept(services.answers) is not None
    other = Database(services.settings.resolved_database_url())
    try:
        writer = JobService(other, max_nodes=100, offset_mode=OffsetMode.PAGE)
        writer.update(scope, "daily_sales", make_job(description="changed elsewhere"))
    finally:
        other.dispose()
    assert current(services.answers) is None


def test_concurrent_checks_share_one_look_up_and_each_gets_the_answer(
    services: Services,
) -> None:
    answers = services.answers
    assert kept(answers) is not None

    async def many() -> list[Answer | None]:
        return list(await asyncio.gather(*(answers.current("k") for _ in range(20))))

    for _ in range(TRIES):
        found = asyncio.run(many())
        if found[0] is not None:
            break
        time.sleep(PAUSE)
        assert kept(answers) is not None
    assert len(found) == 20
    assert all(a is answers.cache.get("k") is not None for a in found)


def test_a_zero_read_cache_keeps_nothing(services: Services) -> None:
    answers = ReadAnswers(services.db.changes, 0)
    assert not answers.enabled
    token = asyncio.run(answers.token())
    assert token is not None
    answers.keep("k", Answer(token, 200, (), b"{}"))
    assert current(answers) is None


def test_the_cache_drops_its_oldest_entries_to_stay_within_its_bytes(services: Services) -> None:
    answers = ReadAnswers(services.db.changes, 3000)
    token = asyncio.run(answers.token())
    assert token is not None
    for i in range(5):
        answers.keep(i, Answer(token, 200, (), b"x" * 1000))
    assert [answers.cache.get(i) is not None for i in range(5)] == [False] * 3 + [True] * 2


def test_a_sqlite_token_after_its_connection_was_opened_again_is_never_an_earlier_one(
    tmp_path: Path,
) -> None:
    """A new connection counts ``data_version`` from its own start: the token after the check's
    connection was closed and opened again (a kept test database, a database disposed and used
    again) must not equal one noted before, or a page hint or kept answer of another state
    would be taken for this one's (a list's total came back from a test before)."""
    path = tmp_path / "v.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    check = SqliteDataVersion(sa.make_url(f"sqlite:///{path}"))
    before = check.token()
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("INSERT INTO t VALUES (1)")
    assert check.token() != before  # a commit elsewhere moves it
    seen = {before, check.token()}
    check.close()
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("INSERT INTO t VALUES (2)")
    again = check.token()
    check.close()
    assert again is not None
    assert again not in seen
