"""Remotes through the API: a second jobferry server plays the remote DataArts endpoint behind a
filter that passes only the contract's calls; this server (in-process) adds it, refreshes its
shadow workspace from it, refuses writes into the shadow, and forgets it. (The probe's verdicts,
a throttled read made again and a removal refused while a route names the shadow are shown at
the service level against the DataArts stand-in: tests/unit/services/remotes/test_service.py
and test_refresh.py.)"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from jobferry.services.container import Services
from jobferry.storage import remotes as remote_repo
from support.builders import editable, make_job, make_resource, make_script
from support.clients import SignedClient, assert_error, wait_task
from support.exporting import seed, workspace_package
from support.gateway import Gateway
from support.importing import PROD_CONNECTION, plan_import, run_import, upload
from support.remotes import remote_body, remote_workspace
from support.server import (
    ServerProcess,
    new_workspace,
    start_import,
    upload_package,
    wait_for_task,
)

# A wire story against a second server: the service tests run refresh and snapshots on both
# databases (tests/unit/services/remotes), these once (support/backends.py).
pytestmark = pytest.mark.databases("sqlite")
ASYNC = {"Prefer": "respond-async"}


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
        assert "POST /v1/{project_id}/remotes/prod/refresh" in body["error_msg"]
        assert body["remedy"] == "refresh_shadow"  # the CLI: jobferry remotes refresh prod
        assert "import a package into the shadow" in body["error_msg"]
    assert set(_shadow_jobs(api, shadow)) == {"daily_sales", "weekly_sales"}
    assert api.call("GET", "/scripts", workspace=shadow).json()["total"] == 1
    exported = api.call(
        "POST", "/jobs/batch-export", {"jobList": ["daily_sales"]}, workspace=shadow
    )
    assert exported.status_code == 200


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
    assert check["message"].count("this server can reach it") == 1, check["message"]
    refreshed = api.call("POST", "/remotes/gone/refresh")
    assert (refreshed.status_code, refreshed.json()["error_code"]) == (502, "DLF.9062")
    # asked to respond async: a task of the shadow workspace, failed with the same refusal
    started = api.call("POST", "/remotes/gone/refresh", extra_headers=ASYNC)
    assert started.status_code == 202, started.text
    failed = wait_task(api, started.json()["taskId"], started.json()["workspace"])
    assert (failed["kind"], failed["status"]) == ("refresh", "FAILED")
    assert failed["message"] == refreshed.json()["error_msg"]
    assert (failed["result"]["errorCode"], failed["result"]["httpStatus"]) == ("DLF.9062", 502)
    missing = api.call("POST", "/remotes/nope/refresh", extra_headers=ASYNC)
    assert (missing.status_code, missing.json()["error_code"]) == (400, "DLF.9064")
    for method, body in (("DELETE", None), ("PATCH", {"accessKey": "AK2", "secretKey": "SK2"})):
        unknown = api.call(method, "/remotes/nope", body)
        said = "There is no remote 'nope' in this project. List them with GET /v1/{project_id}/"
        assert_error(unknown, "DLF.9064", said + "remotes.")
        assert (unknown.json()["remedy"], unknown.json()["remote"]) == ("list_remotes", "nope")


def test_a_refresh_asked_to_respond_async_runs_as_a_task_of_the_shadow_workspace(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    shadow = _add(api, gateway, remote_server, ws).json()["shadowWorkspace"]["id"]
    started = api.call("POST", "/remotes/prod/refresh", extra_headers=ASYNC)
    assert started.status_code == 202, started.text
    assert started.headers["Preference-Applied"] == "respond-async"
    assert started.json()["workspace"] == shadow
    ended = wait_task(api, started.json()["taskId"], shadow)
    assert (ended["kind"], ended["status"]) == ("refresh", "SUCCESSFUL")
    assert ended["result"]["remote"] == "prod"
    refreshed = ended["result"]["refresh"]  # as the refresh call answers it
    assert refreshed["counts"]["job"] == {"created": 2, "updated": 0, "deleted": 0, "unchanged": 0}
    assert refreshed["from"] == "remote"
    assert api.call("GET", "/remotes/prod").json()["lastRefresh"] == refreshed
    assert set(_shadow_jobs(api, shadow)) == {"daily_sales", "weekly_sales"}
    assert ended["message"].startswith("Refreshed remote 'prod': 5 created, 0 updated, ")


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

    hotfix = {**editable_job(remote_server, remote_ws), "logPath": "obs://bucket/hot-fixed"}
    put = remote_server.call(
        "PUT", "/jobs/daily_sales", json.dumps(hotfix).encode(), workspace=remote_ws
    )
    assert put.status_code == 204, put.text
    planned = plan_import(api, body, shadow)  # no refresh asked for: the plan reads first
    line = next(x for x in planned["objects"] if x["name"] == "daily_sales")
    assert line["drift"] is True, line
    assert {"path": "logPath", "after": "obs://bucket/hot-fixed"}.items() <= next(
        c for c in line["driftDiff"] if c["path"] == "logPath"
    ).items()


def editable_job(server: ServerProcess, ws: str) -> dict[str, Any]:
    """The remote's daily_sales as a body to PUT back."""
    shown = server.call("GET", "/jobs/daily_sales", workspace=ws)
    assert shown.status_code == 200, shown.text
    return editable(shown.json())


def test_a_remote_is_changed_in_place_keeping_its_shadow_routes_and_last_refresh(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess, services: Services
) -> None:
    """A rotated secret key and a moved endpoint: the remote refused the old key and had
    nothing at the old path; after the change it answers, and what hangs on the remote (its
    shadow, the routes naming it, its last refresh) is as it was."""
    ws = remote_workspace(remote_server)
    added = _add(api, gateway, remote_server, ws, secretKey="the-old-secret")
    shadow = added.json()["shadowWorkspace"]["id"]
    route = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}
    assert api.call("PUT", "/routes/to-prod", route).status_code == 200
    assert api.call("POST", "/remotes/prod/test").json()["reach"] == "auth_refused"

    rotated = api.call("PATCH", "/remotes/prod", {"secretKey": remote_server.sk})
    assert rotated.status_code == 200, rotated.text
    assert remote_server.sk not in rotated.text
    assert api.call("POST", "/remotes/prod/test").json()["reach"] == "reachable"
    refreshed = api.call("POST", "/remotes/prod/refresh")
    assert refreshed.status_code == 200, refreshed.text

    moved = api.call(
        "PATCH",
        "/remotes/prod",
        {"endpoint": gateway.url + "/elsewhere/", "studioEndpoint": gateway.url},
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["endpoint"], moved.json()["studioEndpoint"]) == (
        gateway.url + "/elsewhere",
        gateway.url,
    )
    assert api.call("POST", "/remotes/prod/test").json()["reach"] == "not_found"
    back = api.call("PATCH", "/remotes/prod", {"endpoint": gateway.url, "studioEndpoint": None})
    assert back.json()["studioEndpoint"] == gateway.url  # the endpoint again
    shown = api.call("GET", "/remotes/prod").json()
    assert shown["shadowWorkspace"]["id"] == shadow
    assert shown["lastRefresh"] == refreshed.json()
    assert api.call("GET", "/routes/to-prod").status_code == 200
    assert api.call("POST", "/remotes/prod/test").json()["reach"] == "reachable"
    with services.db.transaction(readonly=True) as tx:
        stored = remote_repo.get_remote(tx, services.settings.project_id, "prod")
    assert stored is not None
    assert "the-old-secret" not in stored.secret_encrypted
    assert services.remotes.box.decrypt(stored.secret_encrypted) == remote_server.sk
    audit = api.call("GET", "/audit", workspace=shadow)
    changes = [e for e in audit.json()["entries"] if e["action"] == "remote.change"]
    assert [e["detail"]["changed"] for e in changes] == [
        ["endpoint", "studioEndpoint"],
        ["endpoint", "studioEndpoint"],
        ["secretKey"],
    ]
    assert remote_server.sk not in audit.text


def test_a_change_that_would_move_the_shadow_or_says_nothing_is_refused_and_changes_nothing(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    before = _add(api, gateway, remote_server, ws).json()
    refused = api.call(
        "PATCH",
        "/remotes/prod",
        {"workspace": "other", "projectId": "p", "accessKey": "NEWAK", "endpoint": "ftp://x"},
    )
    assert refused.status_code == 400
    assert refused.json()["error_code"] == "DLF.3051"
    problems = refused.json()["problems"]
    assert any(p.startswith("workspace cannot be changed: a remote's project") for p in problems)
    assert any(p.startswith("projectId cannot be changed") for p in problems)
    assert "accessKey comes with its secretKey: give both to rotate the key pair" in problems
    assert any("is not an http(s) URL" in p for p in problems)
    empty = api.call("PATCH", "/remotes/prod", {})
    assert empty.status_code == 400
    assert "nothing to change" in empty.json()["error_msg"]
    missing = api.call("PATCH", "/remotes/nope", {"secretKey": "x"})
    assert missing.json()["error_code"] == "DLF.9064"
    assert api.call("GET", "/remotes/prod").json() == before
