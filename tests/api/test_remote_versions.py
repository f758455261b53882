"""Submitted versions in a refresh: the shadow's latest submitted version of each job is the
remote's, read in bulk (``export_job_list`` with ``exportStatus: SUBMIT``), a job saved and
not submitted on the remote shows its development state apart from its submitted version, a
job never submitted has none, and an unchanged refresh writes nothing. The remote is the
in-memory DataArts stand-in (``support/standin.py``), plugged into the in-process server's
remotes service."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.services.container import Services
from jobferry.storage import jobs as job_repo
from support.builders import make_job
from support.clients import SignedClient
from support.standin import DataArtsStandin
from support.standin_workspace import Request


@pytest.fixture
def standin(services: Services) -> DataArtsStandin:
    """The remote: daily_sales and weekly_sales, submitted."""
    standin = DataArtsStandin()
    for name in ("daily_sales", "weekly_sales"):
        standin.workspace.put_job(make_job(name))
    services.remotes.transport = standin.transport()
    return standin


def _put(standin: DataArtsStandin, name: str, **over: Any) -> None:
    """Save ``name`` on the remote as update_job does (submitted unless targetStatus SAVED)."""
    body = make_job(name, **over)
    status, _ = standin.workspace.update_job(Request("update_job", {"job_name": name}, {}, body))
    assert status == 204


def _submitted(api: SignedClient, shadow: str, name: str) -> Any:
    return api.call("GET", f"/jobs/{name}", workspace=shadow, query={"getJobSubmitVersion": True})


def _versions(services: Services, shadow: str) -> dict[str, list[tuple[int, str]]]:
    """Every job of the shadow → its versions (number, document), newest first."""
    with services.db.transaction(readonly=True) as tx:
        out = {}
        for name in ("daily_sales", "weekly_sales", "draft_job"):
            job = job_repo.get_job(tx, shadow, name)
            assert job is not None
            out[name] = [(v.version, v.document) for v in job_repo.list_versions(tx, job.id)]
    return out


def _exports(standin: DataArtsStandin) -> int:
    return [s.call for s in standin.seen].count("export_job_list")


def test_refresh_gives_the_shadow_the_remotes_submitted_versions_and_writes_nothing_unchanged(
    api: SignedClient, services: Services, standin: DataArtsStandin
) -> None:
    standin.workspace.put_job(make_job("draft_job"), submit=False)
    _put(standin, "daily_sales", description="saved, not submitted", targetStatus="SAVED")
    added = api.call("POST", "/remotes", standin.remote_body())
    shadow = added.json()["shadowWorkspace"]["id"]

    first = api.call("POST", "/remotes/prod/refresh")
    assert first.status_code == 200, first.text
    assert first.json()["counts"]["submitted"] == {
        "created": 2,
        "updated": 0,
        "deleted": 0,
        "unchanged": 1,
    }
    # daily_sales: the development state is the saved one, the submitted version the older one
    developed = api.call("GET", "/jobs/daily_sales", workspace=shadow).json()
    assert developed["description"] == "saved, not submitted"
    submitted = _submitted(api, shadow, "daily_sales")
    assert submitted.status_code == 200, submitted.text
    assert "description" not in submitted.json()
    assert submitted.json()["nodes"] == make_job("daily_sales")["nodes"]
    # the same through an export of submitted versions from the shadow
    exported = api.call(
        "POST",
        "/jobs/batch-export",
        {"jobList": ["daily_sales", "weekly_sales"], "exportStatus": "SUBMIT"},
        workspace=shadow,
    )
    assert exported.status_code == 200, exported.text
    # draft_job was never submitted on the remote: nor in the shadow
    never = _submitted(api, shadow, "draft_job")
    assert never.status_code == 400, never.text
    assert "never been submitted" in never.json()["error_msg"]
    refused = api.call(
        "POST",
        "/jobs/batch-export",
        {"jobList": ["draft_job"], "exportStatus": "SUBMIT"},
        workspace=shadow,
    )
    assert refused.status_code == 400, refused.text
    # the refused batch (draft_job in it) was split, never a show_job per job: the development
    # states; the three submitted (refused), daily_sales, draft_job and weekly_sales (refused),
    # draft_job (refused), weekly_sales
    assert _exports(standin) == 6
    refusals = [s.status for s in standin.seen if s.call == "export_job_list"].count(400)
    assert refusals == 3
    assert "show_job" not in standin.calls()
    assert standin.refused() == []

    before = _versions(services, shadow)
    assert [len(v) for v in before.values()] == [1, 1, 0]
    standin.reset()
    second = api.call("POST", "/remotes/prod/refresh").json()
    assert second["counts"]["submitted"] == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 3,
    }
    assert _versions(services, shadow) == before
    # every job's list entry is as the last refresh recorded it: nothing is exported (not
    # even draft_job, which would be asked apart, as without a version at the last refresh)
    assert _exports(standin) == 0

    # submitted on the remote: daily_sales' saved state, and draft_job for the first time
    _put(standin, "daily_sales", description="saved, not submitted")
    _put(standin, "draft_job", description="submitted at last")
    third = api.call("POST", "/remotes/prod/refresh").json()
    assert third["counts"]["submitted"] == {
        "created": 1,
        "updated": 1,
        "deleted": 0,
        "unchanged": 1,
    }
    for name, said in (("daily_sales", "saved, not submitted"), ("draft_job", "submitted at last")):
        assert _submitted(api, shadow, name).json()["description"] == said
    after = _versions(services, shadow)
    assert [v for v, _ in after["daily_sales"]] == [2, 1]
    assert [v for v, _ in after["draft_job"]] == [1]
    assert after["weekly_sales"] == before["weekly_sales"]


def test_a_job_the_remote_recreates_unsubmitted_loses_the_shadows_versions(
    api: SignedClient, services: Services, standin: DataArtsStandin
) -> None:
    api.call("POST", "/remotes", standin.remote_body())
    shadow = api.call("GET", "/remotes/prod").json()["shadowWorkspace"]["id"]
    assert api.call("POST", "/remotes/prod/refresh").status_code == 200
    assert _submitted(api, shadow, "weekly_sales").status_code == 200
    del standin.workspace.jobs["weekly_sales"]
    standin.workspace.put_job(make_job("weekly_sales"), submit=False)
    done = api.call("POST", "/remotes/prod/refresh").json()
    assert done["counts"]["submitted"]["deleted"] == 1, done
    assert _submitted(api, shadow, "weekly_sales").status_code == 400
    with services.db.transaction(readonly=True) as tx:
        job = job_repo.get_job(tx, shadow, "weekly_sales")
        assert job is not None
        assert job.latest_version is None
        assert job_repo.list_versions(tx, job.id) == []
