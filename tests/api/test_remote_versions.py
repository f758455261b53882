"""Submitted versions in a refresh: the shadow's latest submitted version of each job is the
remote's, read in bulk (``export_job_list`` with ``exportStatus: SUBMIT``), a job saved and
not submitted on the remote shows its development state apart from its submitted version, a
job never submitted has none, and an unchanged refresh writes nothing."""

from __future__ import annotations

import json
from typing import Any

from jobferry.services.container import Services
from jobferry.storage import jobs as job_repo
from support.builders import make_job
from support.clients import SignedClient
from support.gateway import Gateway
from support.remotes import post, remote_body, remote_workspace
from support.server import ServerProcess


def _put(server: ServerProcess, ws: str, name: str, **over: Any) -> None:
    body = json.dumps(make_job(name, **over)).encode()
    answer = server.call("PUT", f"/jobs/{name}", body, workspace=ws)
    assert answer.status_code == 204, answer.text


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


def _exports(gateway: Gateway) -> int:
    return gateway.calls().count("export_job_list")


def test_refresh_gives_the_shadow_the_remotes_submitted_versions_and_writes_nothing_unchanged(
    api: SignedClient, services: Services, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)  # daily_sales and weekly_sales, submitted
    post(remote_server, ws, "/jobs", {**make_job("draft_job"), "targetStatus": "SAVED"})
    _put(remote_server, ws, "daily_sales", description="saved, not submitted", targetStatus="SAVED")
    added = api.call("POST", "/remotes", remote_body(gateway, remote_server, ws))
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
    assert _exports(gateway) == 6
    refusals = [s.status for s in gateway.seen if s.call == "export_job_list"].count(400)
    assert refusals == 3
    assert "show_job" not in gateway.calls()
    assert gateway.refused() == []

    before = _versions(services, shadow)
    assert [len(v) for v in before.values()] == [1, 1, 0]
    gateway.reset()
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
    assert _exports(gateway) == 0

    # submitted on the remote: daily_sales' saved state, and draft_job for the first time
    _put(remote_server, ws, "daily_sales", description="saved, not submitted")
    _put(remote_server, ws, "draft_job", description="submitted at last")
    gateway.reset()
    third = api.call("POST", "/remotes/prod/refresh").json()
    # only the two jobs saved since are exported: their development states (one call), their
    # submitted versions (daily_sales with the others; draft_job, without one at the last
    # refresh, apart, and now accepted)
    exported = [s for s in gateway.seen if s.call == "export_job_list"]
    assert (len(exported), [s.status for s in exported].count(400)) == (3, 0)
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
    api: SignedClient, services: Services, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    api.call("POST", "/remotes", remote_body(gateway, remote_server, ws))
    shadow = api.call("GET", "/remotes/prod").json()["shadowWorkspace"]["id"]
    assert api.call("POST", "/remotes/prod/refresh").status_code == 200
    assert _submitted(api, shadow, "weekly_sales").status_code == 200
    dropped = remote_server.call("DELETE", "/jobs/weekly_sales", workspace=ws)
    assert dropped.status_code == 204, dropped.text
    post(remote_server, ws, "/jobs", {**make_job("weekly_sales"), "targetStatus": "SAVED"})
    done = api.call("POST", "/remotes/prod/refresh").json()
    assert done["counts"]["submitted"]["deleted"] == 1, done
    assert _submitted(api, shadow, "weekly_sales").status_code == 400
    with services.db.transaction(readonly=True) as tx:
        job = job_repo.get_job(tx, shadow, "weekly_sales")
        assert job is not None
        assert job.latest_version is None
        assert job_repo.list_versions(tx, job.id) == []
