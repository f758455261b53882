"""A plan against a remote's shadow is made on a fresh read of the remote: when the shadow's last
refresh is older than ``JOBFERRY_REMOTE_REFRESH_SECONDS`` (or there was none), the plan runs as
a task that refreshes the shadow first; a shadow refreshed lately is planned at once, and one
refreshed from a carried snapshot is never read online (the in-memory DataArts stand-in plays
the remote, plugged into the in-process server's remotes service)."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.services.container import Services
from jobferry.services.remotes.delivery import RemoteDelivery
from support.builders import make_job, make_resource, make_script
from support.clients import SignedClient, wait_task
from support.importing import upload
from support.standin import DataArtsStandin

JOBS = ["daily_sales", "weekly_sales"]


@pytest.fixture
def standin(services: Services) -> DataArtsStandin:
    """The remote: two jobs, a script and a resource."""
    standin = DataArtsStandin()
    standin.workspace.put_script(make_script("daily_sales_sql"))
    standin.workspace.put_resource(make_resource("udf_jar"))
    for name in JOBS:
        standin.workspace.put_job(make_job(name))
    services.remotes.transport = standin.transport()
    return standin


def _actions(plan: dict[str, Any]) -> dict[str, str]:
    return {f"{x['kind']}/{x['name']}": x["action"] for x in plan["objects"]}


def _plan(api: SignedClient, shadow: str, body: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """Plan ``body`` into the shadow: (whether it ran as a task, the plan)."""
    answer = api.call("POST", "/jobs/import/plan", body, workspace=shadow)
    assert answer.status_code == 200, answer.text
    if "taskId" not in answer.json():
        return False, answer.json()
    task = wait_task(api, answer.json()["taskId"], workspace=shadow)
    assert task["status"] in ("SUCCESSFUL", "WARNING"), task
    return True, task["result"]["plan"]


def test_a_stale_shadow_is_refreshed_before_a_plan_and_a_fresh_one_is_not(
    api: SignedClient, services: Services, standin: DataArtsStandin
) -> None:
    added = api.call("POST", "/remotes", standin.remote_body())
    assert added.status_code == 200, added.text
    shadow = added.json()["shadowWorkspace"]["id"]
    package = standin.workspace.batch_export()
    body = {"path": upload(api, package, shadow), "sameNamePolicy": "OVERWRITE"}

    # Never refreshed: the plan is a task that refreshes the shadow first, so the remote's
    # own jobs plan UNCHANGED.
    as_task, plan = _plan(api, shadow, body)
    assert as_task
    assert "list_jobs" in standin.calls()
    assert {a for k, a in _actions(plan).items() if k.startswith("job/")} == {"UNCHANGED"}
    assert plan["remoteState"]["from"] == "remote"
    read = {x["name"]: x["remoteRead"] for x in plan["objects"] if x["kind"] == "job"}
    assert all(len(read[name]) == 64 for name in JOBS), read  # what the plan read, per object
    refreshed_at = plan["remoteState"]["refreshedAt"]
    assert refreshed_at is not None

    # Refreshed less than JOBFERRY_REMOTE_REFRESH_SECONDS ago: planned at once, nothing
    # asked of the remote.
    delivery = services.imports.deliveries.remote
    assert isinstance(delivery, RemoteDelivery)
    assert delivery.refresh_seconds == 0  # the default: every plan reads the remote
    delivery.refresh_seconds = 3600
    standin.reset()
    as_task, again = _plan(api, shadow, body)
    assert not as_task
    assert standin.calls() == []
    assert again["remoteState"]["refreshedAt"] == refreshed_at

    # A hot-fix in the remote; every plan reads the remote again (the default): the plan sees
    # it.
    standin.workspace.edit_job("daily_sales", logPath="obs://bucket/hot-fixed")
    delivery.refresh_seconds = 0
    as_task, seen = _plan(api, shadow, body)
    assert as_task
    assert "list_jobs" in standin.calls()
    assert _actions(seen)["job/daily_sales"] == "OVERWRITE"
    assert _actions(seen)["job/weekly_sales"] == "UNCHANGED"
    assert seen["remoteState"]["refreshedAt"] > refreshed_at
    now_read = {x["name"]: x["remoteRead"] for x in seen["objects"] if x["kind"] == "job"}
    assert now_read["daily_sales"] != read["daily_sales"]
    assert now_read["weekly_sales"] == read["weekly_sales"]
    shadow_job = api.call("GET", "/jobs/daily_sales", workspace=shadow).json()
    assert shadow_job["logPath"] == "obs://bucket/hot-fixed"


def test_a_shadow_refreshed_from_a_snapshot_is_planned_without_reading_the_remote(
    api: SignedClient, services: Services, standin: DataArtsStandin
) -> None:
    added = api.call("POST", "/remotes", standin.remote_body())
    shadow = added.json()["shadowWorkspace"]["id"]
    carried = standin.workspace.batch_export()
    refreshed = api.call("POST", "/remotes/prod/refresh", {"path": upload(api, carried, shadow)})
    assert refreshed.status_code == 200, refreshed.text
    standin.reset()

    body = {"path": upload(api, carried, shadow), "sameNamePolicy": "OVERWRITE"}
    as_task, plan = _plan(api, shadow, body)

    assert not as_task
    assert standin.seen == []
    assert plan["remoteState"]["from"] == "snapshot"
