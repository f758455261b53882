"""What a push reads of its remote (``services/remotes/reading.py``), against the DataArts
stand-in: only the kinds it touches, jobs' definitions by batch export with their status,
resources' ids; and what changed there since the last refresh, named."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from jobferry.domain.enums import JobStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.remotes.reading import (
    changed_since,
    jobs_listed_since,
    jobs_using,
    read_state,
)
from jobferry.storage import remotes as repo
from jobferry.storage.remotes import RemoteRecord
from support.builders import make_job, make_resource, make_script
from support.console import admin_actor
from support.packages import objects_for, write_package
from support.planning import import_package
from support.standin import DataArtsStandin, remote_shadow


@pytest.fixture
def standin() -> DataArtsStandin:
    standin = DataArtsStandin()
    standin.workspace.put_job(make_job("daily_sales"), status="SCHEDULING")
    standin.workspace.put_job(make_job("weekly_sales"))
    standin.workspace.put_script(make_script("daily_sales_sql"))
    standin.workspace.put_resource(make_resource("udf_jar"))
    return standin


def _item(services: Services) -> RemoteRecord:
    actor = admin_actor(services)
    with services.db.transaction(readonly=True) as tx:
        item = repo.get_remote(tx, actor.project_id, "prod")
    assert item is not None
    return item


def test_only_the_touched_kinds_are_read(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    standin.reset()
    with services.remotes.client(_item(services)) as client:
        state = read_state(client, {"job": {"daily_sales", "monthly_sales"}})
    # by name, daily_sales would take one call and monthly_sales (which the remote did not
    # hold as last read) two, batch jobs first: three; every page of the two jobs' lists, two
    assert standin.calls() == ["list_jobs"] * 2 + ["export_job_list"]
    assert set(state.docs["job"]) == {"daily_sales"}
    assert state.status == {"daily_sales": JobStatus.SCHEDULING}
    assert state.has("job", "daily_sales")
    assert not state.has("job", "monthly_sales")


def test_a_resource_is_read_with_the_id_its_calls_address(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    with services.remotes.client(_item(services)) as client:
        state = read_state(client, {"resource": {"udf_jar"}, "script": {"daily_sales_sql"}})
    assert state.resource_ids["udf_jar"] == standin.workspace.resource_named("udf_jar")["id"]  # type: ignore[index]
    assert state.doc("script", "daily_sales_sql")["content"] == make_script()["content"]


def test_what_changed_since_the_refresh_is_named(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    touched = {
        "job": {"daily_sales", "weekly_sales", "monthly_sales"},
        "script": {"daily_sales_sql"},
    }
    with services.remotes.client(_item(services)) as client:
        assert (
            changed_since(services.db, shadow.workspace.id, read_state(client, touched), touched)
            == []
        )
        standin.workspace.edit_job("weekly_sales", logPath="obs://b/changed")
        standin.workspace.put_job(make_job("monthly_sales"))
        standin.workspace.jobs["daily_sales"].status = "STOPPED"
        state = read_state(client, touched)
    assert changed_since(services.db, shadow.workspace.id, state, touched) == [
        "job 'daily_sales'",
        "job 'monthly_sales'",
        "job 'weekly_sales'",
    ]


def _seeded(jobs: int, pushed: int) -> DataArtsStandin:
    """A remote of ``jobs`` jobs (``job_0000``…), the first ``pushed`` with their scripts and
    resource."""
    standin = DataArtsStandin()
    standin.workspace.put_resource(make_resource("udf_jar"))
    for i in range(jobs):
        job = make_job(f"job_{i:04d}")
        standin.workspace.put_job(job)
        for kind, _, doc in objects_for(job) if i < pushed else []:
            if kind == "script":
                standin.workspace.put_script(doc)
    return standin


def _push_edits(
    services: Services, standin: DataArtsStandin, tmp_path: Path, pushed: int
) -> list[dict[str, str]]:
    """Push the first ``pushed`` jobs of ``standin``, each with another log path, into its
    shadow; the query of each ``list_jobs`` the push sent."""
    shadow = remote_shadow(services, standin)
    services.imports.deliveries.remote.refresh_seconds = 3600  # the push's reads alone
    queries: list[dict[str, str]] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/jobs") and request.method == "GET":
            queries.append(dict(request.url.params))
        return standin.handle(request)

    services.remotes.transport = httpx2.MockTransport(handle)
    standin.reset()
    jobs = [make_job(f"job_{i:04d}", logPath="obs://bucket/logs/edited") for i in range(pushed)]
    import_package(services, shadow, write_package(tmp_path / "edits.zip", jobs))
    assert standin.writes() == ["update_job"] * pushed
    assert standin.refused() == []
    return queries


def test_a_push_of_a_few_jobs_into_a_large_remote_lists_them_by_name(
    services: Services, tmp_path: Path
) -> None:
    """30 jobs of 4,000: 30 calls a read by name, where every page would take 41."""
    queries = _push_edits(services, _seeded(4_000, 30), tmp_path, 30)
    assert queries
    assert all("jobName" in query for query in queries)
    # the reads before and after the writes (the last level's read back is the latter), 30
    # calls each: 60 in all, where the pages would have taken 82
    assert len(queries) == 2 * 30


def test_a_push_of_most_of_a_small_remote_lists_every_page(
    services: Services, tmp_path: Path
) -> None:
    """120 jobs of 150: by page, a read takes 2 calls of batch jobs (the shadow's refresh
    learned that ``offset`` counts pages there), 1 of real-time ones; by name it would take
    120."""
    queries = _push_edits(services, _seeded(150, 120), tmp_path, 120)
    assert not any("jobName" in query for query in queries)
    assert len(queries) == 2 * 3  # before and after the writes


def test_the_jobs_new_or_saved_since_the_last_refresh_are_named_from_the_list_alone(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    standin.workspace.edit_job("daily_sales", logPath="obs://bucket/logs/saved-there")
    standin.workspace.put_job(make_job("monthly_sales"))
    standin.workspace.jobs["weekly_sales"].status = "SCHEDULING"
    standin.reset()
    with services.remotes.client(_item(services)) as client:
        found = jobs_listed_since(services.db, shadow.workspace.id, client, set())
        skipped = jobs_listed_since(services.db, shadow.workspace.id, client, {"monthly_sales"})
    assert found == ["daily_sales", "monthly_sales", "weekly_sales"]
    assert skipped == ["daily_sales", "weekly_sales"]
    assert set(standin.calls()) == {"list_jobs"}  # no export
    services.remotes.refresh(admin_actor(services), "prod")
    with services.remotes.client(_item(services)) as client:
        assert jobs_listed_since(services.db, shadow.workspace.id, client, set()) == []


def test_the_jobs_using_what_a_rollback_frees_are_named_with_what_they_use(
    services: Services, standin: DataArtsStandin, shadow: Scope
) -> None:
    """Read in bulk (their definitions, in this workspace only); a job gone since it was
    listed, or using none of the names, is not named."""
    uses = make_job("monthly_sales")
    freed = {("script", script) for script in _scripts_of(uses)} | {("job", "gone_since")}
    assert _scripts_of(uses) == {"monthly_sales_sql", "monthly_sales_sh"}
    standin.workspace.put_job(uses)
    standin.reset()
    with services.remotes.client(_item(services)) as client:
        found = jobs_using(client, ["daily_sales", "monthly_sales", "no_such_job"], freed)
        assert jobs_using(client, ["monthly_sales"], set()) == []
    assert found == [
        "job 'monthly_sales' (uses script 'monthly_sales_sql', script 'monthly_sales_sh')"
    ]
    assert "export_job_list" in standin.calls()


def _scripts_of(job: dict[str, object]) -> set[str]:
    nodes = job["nodes"]
    assert isinstance(nodes, list)
    return {
        prop["value"]
        for node in nodes
        for prop in node["properties"]
        if prop["name"] == "scriptName"
    }
