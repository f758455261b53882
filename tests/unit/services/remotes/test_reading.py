"""What a push reads of its remote (``services/remotes/reading.py``), against the DataArts
stand-in: only the kinds it touches, jobs' definitions by batch export with their status,
resources' ids; and what changed there since the last refresh, named."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import JobStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.remotes.reading import changed_since, read_state
from jobferry.storage import remotes as repo
from jobferry.storage.remotes import RemoteRecord
from support.builders import make_job, make_resource, make_script
from support.console import admin_actor
from support.standin import DataArtsStandin


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
    # each touched job listed by its name: batch jobs first, real-time ones only for a name no
    # batch job has (monthly_sales, which the remote does not hold): three calls, not four
    assert standin.calls() == ["list_jobs"] * 3 + ["export_job_list"]
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
