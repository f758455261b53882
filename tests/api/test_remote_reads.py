"""What a refresh reads of a remote and what a push sends it, against a second jobferry server
playing DataArts behind the contract filter (issue #47): real-time jobs are listed as well as
batch jobs, a refresh exports only the jobs whose list entry changed, a rename on the remote is a
rename in the shadow (and a deletion leaves a tombstone), and a pushed rename goes to the Studio
endpoint, where the v2 call is published.

Each is shown at the service level against the in-memory DataArts stand-in, on SQLite and
PostgreSQL (tests/unit/services/remotes/: test_refresh.py reads real-time jobs, refreshes
again reading and writing only what changed, renames in the shadow what the remote renamed;
test_push.py renames with the Studio call). The wire story depends on no database, so it runs
on SQLite only."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from jobferry.services.container import Services
from jobferry.services.remotes.client import STUDIO_CALLS
from jobferry.storage import audit as audit_repo
from jobferry.storage.importing import ledger as ledger_repo
from support.builders import make_job
from support.clients import SignedClient
from support.exporting import rename_job, seed, workspace_package
from support.gateway import Gateway, gateway_to
from support.importing import PROD_CONNECTION, run_import, upload
from support.remotes import post, remote_body, remote_workspace, rename_remote_job
from support.server import ServerProcess, new_workspace

pytestmark = pytest.mark.databases("sqlite")


def _add(api: SignedClient, gate: Gateway, server: ServerProcess, ws: str, **over: str) -> Any:
    return api.call("POST", "/remotes", remote_body(gate, server, ws, **over))


def _shadow_jobs(api: SignedClient, shadow: str) -> dict[str, Any]:
    listed = api.call("GET", "/jobs", workspace=shadow, query={"limit": 100}).json()["jobs"]
    return {job["name"]: job for job in listed}


def test_refresh_and_test_read_the_remotes_real_time_jobs_too(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    # list_jobs answers batch jobs unless asked for jobType=REAL_TIME (the API reference)
    ws = remote_workspace(remote_server)
    streaming = make_job("clicks_stream", processType="REAL_TIME")
    post(remote_server, ws, "/jobs", streaming)
    shadow = _add(api, gateway, remote_server, ws).json()["shadowWorkspace"]["id"]
    check = api.call("POST", "/remotes/prod/test").json()
    assert "holds 3 job(s)" in check["message"], check
    done = api.call("POST", "/remotes/prod/refresh")
    assert done.status_code == 200, done.text
    assert done.json()["counts"]["job"]["created"] == 3
    shown = api.call("GET", "/jobs/clicks_stream", workspace=shadow)
    assert shown.status_code == 200, shown.text
    assert shown.json()["processType"] == "REAL_TIME"


def test_refresh_exports_only_the_jobs_whose_list_entry_changed(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    for name in ("monthly_sales", "yearly_sales"):
        post(remote_server, ws, "/jobs", make_job(name))
    shadow = _add(api, gateway, remote_server, ws).json()["shadowWorkspace"]["id"]
    assert api.call("POST", "/remotes/prod/refresh").json()["counts"]["job"]["created"] == 4
    gateway.reset()
    unchanged = api.call("POST", "/remotes/prod/refresh").json()
    assert unchanged["counts"]["job"]["unchanged"] == 4
    assert unchanged["counts"]["submitted"]["unchanged"] == 4
    assert "export_job_list" not in gateway.calls()  # every list entry as last recorded

    hotfix = make_job("monthly_sales", description="hot-fixed in prod")
    put = remote_server.call(
        "PUT", "/jobs/monthly_sales", json.dumps(hotfix).encode(), workspace=ws
    )
    assert put.status_code == 204, put.text
    started = remote_server.call("POST", "/jobs/yearly_sales/start", b"{}", workspace=ws)
    assert started.status_code == 204, started.text
    gateway.reset()
    changed = api.call("POST", "/remotes/prod/refresh").json()
    assert changed["counts"]["job"] == {"created": 0, "updated": 2, "deleted": 0, "unchanged": 2}
    # the two jobs whose entry changed: one batch of their development states, one of their
    # submitted versions
    assert gateway.calls().count("export_job_list") == 2
    shown = api.call("GET", "/jobs/monthly_sales", workspace=shadow).json()
    assert shown["description"] == "hot-fixed in prod"
    listed = _shadow_jobs(api, shadow)
    assert listed["yearly_sales"]["status"] == "SCHEDULING"
    gateway.reset()
    again = api.call("POST", "/remotes/prod/refresh").json()
    assert sum(c["created"] + c["updated"] + c["deleted"] for c in again["counts"].values()) == 0
    assert "export_job_list" not in gateway.calls()


def test_refresh_keeps_identity_a_rename_on_the_remote_is_a_rename_in_the_shadow(
    api: SignedClient, services: Services, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    shadow = _add(api, gateway, remote_server, ws).json()["shadowWorkspace"]["id"]
    assert api.call("POST", "/remotes/prod/refresh").status_code == 200
    before = api.call("GET", "/jobs/weekly_sales", workspace=shadow).json()["id"]
    rename_remote_job(remote_server, ws, "weekly_sales", "weekly_totals")
    dropped = remote_server.call("DELETE", "/jobs/daily_sales", workspace=ws)
    assert dropped.status_code == 204, dropped.text
    done = api.call("POST", "/remotes/prod/refresh").json()
    assert done["counts"]["job"] == {"created": 0, "updated": 1, "deleted": 1, "unchanged": 0}
    assert set(_shadow_jobs(api, shadow)) == {"weekly_totals"}
    # the same job (its id, so its identity) under its new name, renamed as a rename here is
    shown = api.call("GET", "/jobs/weekly_totals", workspace=shadow).json()
    assert shown["id"] == before
    with services.db.transaction(readonly=True) as tx:
        renames = audit_repo.entries_of(tx, shadow, "job.rename")
        tombstones = ledger_repo.deletions_since(tx, shadow, 0)
    assert [(new, json.loads(detail)["from"]) for new, detail, _ in renames] == [
        ("weekly_totals", "weekly_sales")
    ]
    # the deletion is remembered as a deletion here is (a route from the shadow carries it)
    assert [(t.kind, t.name) for t in tombstones] == [("job", "daily_sales")]
    again = api.call("POST", "/remotes/prod/refresh").json()
    assert sum(c["created"] + c["updated"] + c["deleted"] for c in again["counts"].values()) == 0


def test_a_pushed_rename_goes_to_the_studio_endpoint_where_the_v2_call_is_published(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    seed(api, ("hourly_sales",))
    remote_ws = new_workspace(remote_server, f"prod_{uuid.uuid4().hex[:8]}", "dws_conn", "ssh_conn")
    gateway.unpublished = set(STUDIO_CALLS)  # the Factory endpoint, as DataArts' gateway
    with gateway_to(remote_server.url) as studio:
        body = remote_body(gateway, remote_server, remote_ws, studioEndpoint=studio.url)
        shadow = api.call("POST", "/remotes", body).json()["shadowWorkspace"]["id"]
        for connection in ("dws_conn", "ssh_conn"):
            put = api.call(
                "PUT", f"/environment/connection/{connection}", PROD_CONNECTION, workspace=shadow
            )
            assert put.status_code == 200, put.text
        first = {"path": upload(api, workspace_package(api), shadow), "sameNamePolicy": "OVERWRITE"}
        assert run_import(api, first, workspace=shadow)["status"] == "SUCCESSFUL"
        rename_job(api, "hourly_sales", "hourly_totals")
        second = {
            "path": upload(api, workspace_package(api), shadow),
            "sameNamePolicy": "OVERWRITE",
            "propagateDeletes": True,
        }
        pushed = run_import(api, second, workspace=shadow)
        assert pushed["status"] == "SUCCESSFUL", pushed["message"]
        assert "update_factory_job_name" in studio.writes()
        assert "update_factory_job_name" not in gateway.writes()
        assert gateway.refused() == []
        assert studio.refused() == []
    listed = remote_server.call("GET", "/jobs", workspace=remote_ws).json()["jobs"]
    assert [job["name"] for job in listed] == ["hourly_totals"]
