"""Remotes through the API: a second jobferry server plays the remote DataArts endpoint behind a
filter that passes only the contract's calls; this server (in-process) adds it, tests it,
refreshes its shadow workspace from it, refuses writes into the shadow, and forgets it."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from jobferry.services.container import Services
from jobferry.services.remotes.client import Backoff
from jobferry.storage import audit as audit_repo
from jobferry.storage import remotes as remote_repo
from jobferry.storage.importing import ledger as ledger_repo
from support.builders import editable, make_job, make_resource, make_script
from support.clients import SignedClient
from support.exporting import seed, workspace_package
from support.gateway import Gateway
from support.importing import PROD_CONNECTION, plan_import, run_import, upload
from support.remotes import (
    REMOTE_PROJECT,
    post,
    remote_body,
    remote_workspace,
    rename_remote_job,
)
from support.server import (
    ServerProcess,
    new_workspace,
    start_import,
    upload_package,
    wait_for_task,
)


def _shadow_jobs(api: SignedClient, shadow: str) -> dict[str, Any]:
    listed = api.call("GET", "/jobs", workspace=shadow, query={"limit": 100}).json()["jobs"]
    return {job["name"]: job for job in listed}


def _add(api: SignedClient, gate: Gateway, server: ServerProcess, ws: str, **over: str) -> Any:
    return api.call("POST", "/remotes", remote_body(gate, server, ws, **over))


def test_a_remote_is_added_shown_and_removed_and_its_secret_is_never_answered(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    added = _add(api, gateway, remote_server, ws)
    assert added.status_code == 200, added.text
    assert added.json()["secretKey"] == "set"
    assert added.json()["lastRefresh"] is None
    for answer in (added, api.call("GET", "/remotes"), api.call("GET", "/remotes/prod")):
        assert remote_server.sk not in answer.text
    assert [r["name"] for r in api.call("GET", "/remotes").json()["remotes"]] == ["prod"]
    shadow = added.json()["shadowWorkspace"]["id"]
    names = [w["name"] for w in api.call("GET", "/workspaces").json()["workspaces"]]
    assert "prod" in names
    again = _add(api, gateway, remote_server, ws)
    assert again.json()["error_code"] == "DLF.9010"
    assert api.call("DELETE", "/remotes/prod").status_code == 204
    gone = api.call("GET", "/remotes/prod")
    assert (gone.status_code, gone.json()["error_code"]) == (400, "DLF.9064")
    # the shadow stays, an ordinary workspace again: writes are accepted
    created = api.call("POST", "/jobs", make_job("after"), workspace=shadow)
    assert created.status_code == 204, created.text


def test_an_invalid_remote_is_refused_with_every_problem_and_nothing_is_stored(
    api: SignedClient,
) -> None:
    bad = api.call("POST", "/remotes", {"name": "prod", "endpoint": "ftp://x", "extra": 1})
    assert bad.status_code == 400
    problems = bad.json()["problems"]
    assert "unknown field 'extra'" in problems
    assert any(p.startswith("secretKey is required") for p in problems)
    assert any("is not an http(s) URL" in p for p in problems)
    assert api.call("GET", "/remotes").json()["remotes"] == []


def test_remotes_test_says_reachable_credentials_refused_or_not_found(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    _add(api, gateway, remote_server, ws)
    _add(api, gateway, remote_server, ws, name="badkey", secretKey="not-the-secret")
    _add(api, gateway, remote_server, "no-such-workspace", name="nows")
    _add(api, gateway, remote_server, ws, name="nopath", endpoint=gateway.url + "/elsewhere")
    found = {
        name: api.call("POST", f"/remotes/{name}/test").json()
        for name in ("prod", "badkey", "nows", "nopath")
    }
    assert {name: check["reach"] for name, check in found.items()} == {
        "prod": "reachable",
        "badkey": "auth_refused",
        "nows": "not_found",
        "nopath": "not_found",
    }
    assert "holds 2 job(s)" in found["prod"]["message"]
    assert found["badkey"]["remoteErrorCode"] == "APIGW.0301"
    assert found["nopath"]["remoteErrorCode"] == "APIGW.0101"
    assert [s.path for s in gateway.refused()] == [f"/elsewhere/v1/{REMOTE_PROJECT}/jobs"]


def test_refresh_fills_the_shadow_then_writes_nothing_then_follows_a_change_and_a_delete(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    shadow = _add(api, gateway, remote_server, ws).json()["shadowWorkspace"]["id"]
    first = api.call("POST", "/remotes/prod/refresh")
    assert first.status_code == 200, first.text
    assert first.json()["counts"] == {
        "job": {"created": 2, "updated": 0, "deleted": 0, "unchanged": 0},
        "script": {"created": 1, "updated": 0, "deleted": 0, "unchanged": 0},
        "resource": {"created": 1, "updated": 0, "deleted": 0, "unchanged": 0},
        "connection": {"created": 1, "updated": 0, "deleted": 0, "unchanged": 0},
        "variable": {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0},
        "submitted": {"created": 2, "updated": 0, "deleted": 0, "unchanged": 0},
    }
    assert set(_shadow_jobs(api, shadow)) == {"daily_sales", "weekly_sales"}
    shown = api.call("GET", "/jobs/daily_sales", workspace=shadow).json()
    assert shown["schedule"] == make_job("daily_sales")["schedule"]
    assert api.call("GET", "/scripts/daily_sales_sql", workspace=shadow).status_code == 200
    # in bulk: one batch export for both jobs' development states, one for their submitted
    # versions, never a show_job per job
    assert gateway.calls().count("export_job_list") == 2
    assert "show_job" not in gateway.calls()
    before = _shadow_jobs(api, shadow)

    second = api.call("POST", "/remotes/prod/refresh").json()
    assert {kind: c["unchanged"] for kind, c in second["counts"].items()} == {
        "job": 2,
        "script": 1,
        "resource": 1,
        "connection": 1,
        "variable": 0,
        "submitted": 2,
    }
    assert sum(c["created"] + c["updated"] + c["deleted"] for c in second["counts"].values()) == 0
    assert _shadow_jobs(api, shadow) == before  # lastUpdateTime included: nothing written

    hotfix = make_job("daily_sales", description="hot-fixed in prod")
    put = remote_server.call("PUT", "/jobs/daily_sales", json.dumps(hotfix).encode(), workspace=ws)
    assert put.status_code == 204, put.text
    dropped = remote_server.call("DELETE", "/jobs/weekly_sales", workspace=ws)
    assert dropped.status_code == 204, dropped.text
    third = api.call("POST", "/remotes/prod/refresh").json()
    assert third["counts"]["job"] == {"created": 0, "updated": 1, "deleted": 1, "unchanged": 0}
    # the hotfix was submitted (a PUT without targetStatus submits): a new version
    assert third["counts"]["submitted"] == {
        "created": 0,
        "updated": 1,
        "deleted": 0,
        "unchanged": 0,
    }
    assert set(_shadow_jobs(api, shadow)) == {"daily_sales"}
    shown = api.call("GET", "/jobs/daily_sales", workspace=shadow).json()
    assert shown["description"] == "hot-fixed in prod"
    last = api.call("GET", "/remotes/prod").json()["lastRefresh"]
    assert last["counts"] == third["counts"]
    assert last["calls"] >= 4
    # every call the client made was one of the contract's, and passed the filter
    assert gateway.refused() == []
    assert set(gateway.calls()) <= {
        "list_jobs",
        "export_job_list",
        "list_scripts",
        "list_resources",
        "list_dataconnections",
        "show_dataconnection",
        "show_factory_env",
    }


def test_writes_into_a_shadow_are_refused_and_reads_work(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    shadow = _add(api, gateway, remote_server, ws).json()["shadowWorkspace"]["id"]
    api.call("POST", "/remotes/prod/refresh")
    attempts = [
        api.call("POST", "/jobs", make_job("new_job"), workspace=shadow),
        api.call("PUT", "/jobs/daily_sales", make_job("daily_sales"), workspace=shadow),
        api.call("DELETE", "/jobs/daily_sales", workspace=shadow),
        api.call("POST", "/jobs/daily_sales/start", {}, workspace=shadow),
        api.call("POST", "/scripts", make_script("other_sql"), workspace=shadow),
        api.call("DELETE", "/scripts/daily_sales_sql", workspace=shadow),
        api.call("POST", "/resources", make_resource("other_jar"), workspace=shadow),
    ]
    for refused in attempts:
        assert refused.status_code == 400, refused.text
        body = refused.json()
        assert body["error_code"] == "DLF.9063", body
        assert (body["workspace"], body["remote"]) == ("prod", "prod")
        assert "jobferry remotes refresh prod" in body["error_msg"]
        assert "import a package into the shadow" in body["error_msg"]
    assert set(_shadow_jobs(api, shadow)) == {"daily_sales", "weekly_sales"}
    assert api.call("GET", "/scripts", workspace=shadow).json()["total"] == 1
    exported = api.call(
        "POST", "/jobs/batch-export", {"jobList": ["daily_sales"]}, workspace=shadow
    )
    assert exported.status_code == 200


def test_a_429_on_a_read_is_retried(
    api: SignedClient, services: Services, gateway: Gateway, remote_server: ServerProcess
) -> None:
    # The production wait (the tests' is 0.01 s): the reads made side by side pass the gateway
    # before the first throttled one is sent again, so that its retry is not the third call.
    services.remotes.retry_seconds = Backoff.first
    ws = remote_workspace(remote_server)
    _add(api, gateway, remote_server, ws)
    gateway.throttle = {1, 3}
    done = api.call("POST", "/remotes/prod/refresh")
    assert done.status_code == 200, done.text
    assert done.json()["counts"]["job"]["created"] == 2
    throttled = [at for at, seen in enumerate(gateway.seen) if seen.status == 429]
    assert len(throttled) == 2
    for at in throttled:  # the same call made again (jobs and scripts are read side by side)
        refused = gateway.seen[at]
        again = [
            s for s in gateway.seen[at + 1 :] if (s.call, s.path) == (refused.call, refused.path)
        ]
        assert again, gateway.seen
        assert again[0].status == 200, gateway.seen
    assert done.json()["calls"] == len(gateway.seen)


def test_remove_is_refused_while_a_route_names_the_shadow(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    _add(api, gateway, remote_server, remote_workspace(remote_server))
    route = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}
    assert api.call("PUT", "/routes/to-prod", route).status_code == 200
    refused = api.call("DELETE", "/remotes/prod")
    assert refused.status_code == 400
    assert refused.json()["error_code"] == "DLF.9013"
    assert refused.json()["routes"] == ["to-prod"]
    assert "to-prod" in refused.json()["error_msg"]
    assert api.call("GET", "/remotes/prod").status_code == 200


def test_an_unreachable_remote_is_said_so_after_retries(api: SignedClient, tmp_path: Path) -> None:
    body = {
        "name": "gone",
        "endpoint": "http://127.0.0.1:9",
        "projectId": "p",
        "workspace": "w",
        "accessKey": "AK",
        "secretKey": "SK",
    }
    assert api.call("POST", "/remotes", body).status_code == 200
    check = api.call("POST", "/remotes/gone/test").json()
    assert check["reach"] == "unreachable"
    assert check["calls"] == 2
    refreshed = api.call("POST", "/remotes/gone/refresh")
    assert (refreshed.status_code, refreshed.json()["error_code"]) == (502, "DLF.9062")


def test_a_plan_against_the_shadow_reports_a_hotfix_made_in_the_remote_as_drift(
    api: SignedClient, services: Services, gateway: Gateway, remote_server: ServerProcess
) -> None:
    seed(api, ("daily_sales",))
    package = workspace_package(api)
    # The remote got the package through DataArts' own import (as people do today).
    remote_ws = new_workspace(remote_server, f"prod_{uuid.uuid4().hex[:8]}", "dws_conn", "ssh_conn")
    task_id = start_import(
        remote_server, remote_ws, upload_package(remote_server, package, remote_ws)
    )
    assert wait_for_task(remote_server, remote_ws, task_id).status == "SUCCESSFUL"
    shadow = _add(api, gateway, remote_server, remote_ws).json()["shadowWorkspace"]["id"]
    for connection in ("dws_conn", "ssh_conn"):
        put = api.call(
            "PUT", f"/environment/connection/{connection}", PROD_CONNECTION, workspace=shadow
        )
        assert put.status_code == 200, put.text
    # What a push leaves in the shadow: the same package imported, so the shadow's ledger
    # knows what was promoted (imported with the mark lifted: the remote already holds it).
    with services.db.transaction() as tx:
        remote_repo.mark_shadow(tx, shadow, None)
    services.accounts.forget_scopes()
    body = {"path": upload(api, package, shadow), "sameNamePolicy": "OVERWRITE"}
    assert run_import(api, body, workspace=shadow)["status"] == "SUCCESSFUL"
    with services.db.transaction() as tx:
        remote_repo.mark_shadow(tx, shadow, "prod")
    services.accounts.forget_scopes()

    planned = plan_import(api, body, shadow)  # the shadow refreshed first
    assert {line["action"] for line in planned["objects"]} == {"UNCHANGED"}, planned

    hotfix = {**editable_job(remote_server, remote_ws), "description": "hot-fixed in prod"}
    put = remote_server.call(
        "PUT", "/jobs/daily_sales", json.dumps(hotfix).encode(), workspace=remote_ws
    )
    assert put.status_code == 204, put.text
    planned = plan_import(api, body, shadow)  # no refresh asked for: the plan reads first
    line = next(x for x in planned["objects"] if x["name"] == "daily_sales")
    assert line["drift"] is True, line
    assert {"path": "description", "op": "added", "after": "hot-fixed in prod"}.items() <= next(
        c for c in line["driftDiff"] if c["path"] == "description"
    ).items()


def editable_job(server: ServerProcess, ws: str) -> dict[str, Any]:
    """The remote's daily_sales as a body to PUT back."""
    shown = server.call("GET", "/jobs/daily_sales", workspace=ws)
    assert shown.status_code == 200, shown.text
    return editable(shown.json())


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
