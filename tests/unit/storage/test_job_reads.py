"""The show_job read and its version check: an answer kept in memory is served only while the
database says the job is unchanged, whoever changed it (another connection, another process).
Real databases, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import orjson

from jobferry.api.presenters.definitions import job_answer, job_document
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.jobs import JobService
from jobferry.settings import OffsetMode
from jobferry.storage import Database
from support.builders import make_job
from support.clients import ADMIN_AK, PROJECT_ID


def admin(services: Services) -> Scope:
    return services.accounts.scope(services.accounts.actor_for(ADMIN_AK), PROJECT_ID, None)


def cached(jobs: JobService, scope: Scope, name: str = "daily_sales") -> bytes | None:
    return asyncio.run(jobs.cached_answer(scope, name))


def shown(body: bytes) -> dict[str, Any]:
    value: dict[str, Any] = orjson.loads(body)
    return value


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


def test_an_answer_is_served_from_memory_while_the_job_is_unchanged(services: Services) -> None:
    scope = admin(services)
    services.jobs.create(scope, make_job())
    body = services.jobs.show_answer(scope, "daily_sales", job_answer)
    assert shown(body) == job_document(services.jobs.show(scope, "daily_sales"))
    assert cached(services.jobs, scope) == body
    assert cached(services.jobs, scope) == body


def test_a_write_committed_by_another_process_is_seen_by_the_next_check(
    services: Services,
) -> None:
    scope = admin(services)
    services.jobs.create(scope, make_job())
    services.jobs.show_answer(scope, "daily_sales", job_answer)
    other_process(
        services.settings.resolved_database_url(),
        "UPDATE jobs SET updated_by = 'elsewhere' WHERE name = 'daily_sales'",
    )
    assert cached(services.jobs, scope) is None
    assert (
        shown(services.jobs.show_answer(scope, "daily_sales", job_answer))["lastUpdateUser"]
        == "elsewhere"
    )


def test_a_delete_committed_by_another_process_is_seen_by_the_next_check(
    services: Services,
) -> None:
    scope = admin(services)
    services.jobs.create(scope, make_job())
    services.jobs.show_answer(scope, "daily_sales", job_answer)
    url = services.settings.resolved_database_url()
    other_process(url, "DELETE FROM job_refs")
    other_process(url, "DELETE FROM jobs WHERE name = 'daily_sales'")
    assert cached(services.jobs, scope) is None


def test_a_write_through_another_connection_of_this_process_is_seen_at_once(
    services: Services,
) -> None:
    scope = admin(services)
    services.jobs.create(scope, make_job())
    services.jobs.show_answer(scope, "daily_sales", job_answer)
    other = Database(services.settings.resolved_database_url())
    try:
        writer = JobService(other, max_nodes=100, offset_mode=OffsetMode.PAGE)
        writer.update(scope, "daily_sales", make_job(description="changed elsewhere"))
    finally:
        other.dispose()
    assert cached(services.jobs, scope) is None
    assert shown(services.jobs.show_answer(scope, "daily_sales", job_answer))["description"] == (
        "changed elsewhere"
    )


def test_a_write_through_the_service_is_seen_at_once(services: Services) -> None:
    scope = admin(services)
    services.jobs.create(scope, make_job())
    services.jobs.show_answer(scope, "daily_sales", job_answer)
    services.jobs.update(scope, "daily_sales", make_job(description="changed here"))
    assert cached(services.jobs, scope) is None


def test_concurrent_checks_each_get_their_own_jobs_version(services: Services) -> None:
    scope = admin(services)
    for name in ("a_job", "b_job"):
        services.jobs.create(scope, make_job(name))
    bodies = {
        name: services.jobs.show_answer(scope, name, job_answer) for name in ("a_job", "b_job")
    }

    async def many() -> list[bytes | None]:
        names = ["a_job", "b_job", "a_job", "missing", "b_job"] * 4
        return list(await asyncio.gather(*(services.jobs.cached_answer(scope, n) for n in names)))

    answers = asyncio.run(many())
    assert answers == [bodies["a_job"], bodies["b_job"], bodies["a_job"], None, bodies["b_job"]] * 4


def test_a_job_gone_and_created_again_is_not_answered_from_memory(services: Services) -> None:
    scope = admin(services)
    services.jobs.create(scope, make_job())
    services.jobs.show_answer(scope, "daily_sales", job_answer)
    services.jobs.delete(scope, "daily_sales")
    assert cached(services.jobs, scope) is None
    services.jobs.create(scope, make_job(description="second life"))
    assert cached(services.jobs, scope) is None


def test_a_zero_read_cache_keeps_nothing(services: Services) -> None:
    jobs = JobService(services.db, max_nodes=100, offset_mode=OffsetMode.PAGE)
    scope = admin(services)
    jobs.create(scope, make_job())
    jobs.show_answer(scope, "daily_sales", job_answer)
    assert not jobs.answers.enabled
    assert cached(jobs, scope) is None
