"""Refresh from a carried snapshot, and the remote's environment copied into its shadow.

A second jobferry server plays the remote behind the contract filter. A snapshot is a
whole-workspace export made on the remote's side (jobferry's, or a DataArts batch export
``jobs.zip``), uploaded into the shadow workspace and named by the refresh: it brings the shadow
to the snapshot's state with the same comparison as an online refresh (nothing written for
what is unchanged), makes no call to the remote, and is recorded so that ``remotes show`` and
the plans made against the shadow say which snapshot they used."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
import requests

from support.builders import make_job, make_script
from support.clients import SignedClient
from support.gateway import Gateway
from support.importing import upload
from support.remotes import exported_workspace, post, remote_body, remote_workspace
from support.server import ServerProcess

# A wire story against a second server: the service tests run refresh and snapshots on both
# databases (tests/unit/services/remotes), these once (support/backends.py).
pytestmark = pytest.mark.databases("sqlite")


def _add(api: SignedClient, gate: Gateway, server: ServerProcess, ws: str) -> str:
    added = api.call("POST", "/remotes", remote_body(gate, server, ws))
    assert added.status_code == 200, added.text
    shadow: str = added.json()["shadowWorkspace"]["id"]
    return shadow


def _refresh_from(api: SignedClient, shadow: str, data: bytes) -> Any:
    return api.call("POST", "/remotes/prod/refresh", {"path": upload(api, data, shadow)})


def _counts(answer: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The counts of the definitions (jobs, scripts, resources) only."""
    return {k: v for k, v in answer["counts"].items() if k in ("job", "script", "resource")}


def _shadow_jobs(api: SignedClient, shadow: str) -> dict[str, Any]:
    listed = api.call("GET", "/jobs", workspace=shadow, query={"limit": 100}).json()["jobs"]
    return {job["name"]: job for job in listed}


def test_a_snapshot_refresh_follows_the_remote_like_an_online_one_and_calls_nothing(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    shadow = _add(api, gateway, remote_server, ws)
    assert api.call("POST", "/remotes/prod/refresh").status_code == 200
    before = _shadow_jobs(api, shadow)
    seen = len(gateway.seen)

    same = _refresh_from(api, shadow, exported_workspace(remote_server, ws))
    assert same.status_code == 200, same.text
    assert same.json()["counts"]["job"] == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 2,
    }
    assert same.json()["counts"]["script"]["unchanged"] == 1
    assert _shadow_jobs(api, shadow) == before  # nothing written for unchanged objects

    hotfix = make_job("daily_sales", description="hot-fixed in prod")
    put = remote_server.call("PUT", "/jobs/daily_sales", json.dumps(hotfix).encode(), workspace=ws)
    assert put.status_code == 204, put.text
    assert remote_server.call("DELETE", "/jobs/weekly_sales", workspace=ws).status_code == 204
    carried = exported_workspace(remote_server, ws)
    done = _refresh_from(api, shadow, carried).json()
    assert _counts(done) == {
        "job": {"created": 0, "updated": 1, "deleted": 1, "unchanged": 0},
        "script": {"created": 0, "updated": 0, "deleted": 0, "unchanged": 1},
        "resource": {"created": 0, "updated": 0, "deleted": 0, "unchanged": 1},
    }
    assert set(_shadow_jobs(api, shadow)) == {"daily_sales"}
    shown = api.call("GET", "/jobs/daily_sales", workspace=shadow).json()
    assert shown["description"] == "hot-fixed in prod"
    assert len(gateway.seen) == seen  # the remote was not called

    last = api.call("GET", "/remotes/prod").json()["lastRefresh"]
    assert last["from"] == "snapshot"
    assert last["calls"] == 0
    snapshot = last["snapshot"]
    assert snapshot["sha256"] == hashlib.sha256(carried).hexdigest()
    assert snapshot["size"] == len(carried)
    assert snapshot["producer"] == "jobferry"
    assert snapshot["wholeKinds"] == ["job", "resource", "script"]
    assert isinstance(snapshot["madeTime"], int)

    # an online refresh after it finds the shadow already at the remote's state
    online = api.call("POST", "/remotes/prod/refresh").json()
    assert online["from"] == "remote"
    assert online["snapshot"] is None
    assert sum(c["created"] + c["updated"] + c["deleted"] for c in _counts(online).values()) == 0


def test_a_plan_against_the_shadow_says_which_snapshot_it_was_made_against(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    shadow = _add(api, gateway, remote_server, ws)
    carried = exported_workspace(remote_server, ws)
    refreshed = _refresh_from(api, shadow, carried).json()
    body = {"path": upload(api, carried, shadow), "sameNamePolicy": "OVERWRITE"}
    planned = api.call("POST", "/jobs/import/plan", body, workspace=shadow)
    assert planned.status_code == 200, planned.text
    state = planned.json()["remoteState"]
    assert state["remote"] == "prod"
    assert state["from"] == "snapshot"
    assert state["refreshedAt"] == refreshed["refreshTime"]
    assert state["snapshot"]["sha256"] == hashlib.sha256(carried).hexdigest()
    # the connection the jobs use came with the snapshot's manifest: not reported missing
    assert refreshed["counts"]["connection"]["created"] == 1
    copied = api.call("GET", "/environment/connection/dws_conn", workspace=shadow).json()
    assert (copied["type"], copied["secrets"]) == ("DWS", {"password": "set"})
    assert planned.json()["summary"]["problems"] == 0, planned.json()
    changed = make_job("daily_sales", logPath="obs://bucket/changed-here")
    assert api.call("POST", "/jobs", changed).status_code == 204
    exported = api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]})
    assert exported.status_code == 200, exported.text
    body = {"path": upload(api, exported.content, shadow), "sameNamePolicy": "OVERWRITE"}
    overwrite = api.call("POST", "/jobs/import/plan", body, workspace=shadow).json()
    missing = json.dumps(overwrite.get("problems"))
    assert "ssh_conn" in missing, overwrite  # the remote lacks it: said so
    assert "dws_conn" not in missing, overwrite  # the remote has it: not reported missing

    here = {"path": upload(api, exported.content), "sameNamePolicy": "OVERWRITE"}
    ordinary = api.call("POST", "/jobs/import/plan", here)  # not a shadow: no remote state
    assert ordinary.status_code == 200, ordinary.text
    assert "remoteState" not in ordinary.json()
    assert all("remoteRead" not in line for line in ordinary.json()["objects"])


def test_a_snapshot_of_another_workspace_is_refused_and_nothing_is_written(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    other = remote_workspace(remote_server)
    shadow = _add(api, gateway, remote_server, ws)
    refused = _refresh_from(api, shadow, exported_workspace(remote_server, other))
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["error_code"] == "DLF.3051", body
    assert f"was exported from workspace {other}" in body["error_msg"]
    assert "carry an export of the remote's own workspace" in body["error_msg"]
    chosen = post(remote_server, ws, "/jobs/batch-export", {"jobList": ["daily_sales"]})
    selection = _refresh_from(api, shadow, bytes(chosen.content))
    assert selection.status_code == 400, selection.text
    assert "a jobferry export of chosen jobs, not of the whole workspace" in selection.text
    assert _shadow_jobs(api, shadow) == {}
    assert api.call("GET", "/remotes/prod").json()["lastRefresh"] is None


def _dataarts_batch_export(*jobs: dict[str, Any]) -> bytes:
    """A DataArts batch export (``jobs.zip``): a folder per job, its script beside it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for job in jobs:
            name = job["name"]
            stamp = (2026, 11, 20, 8, 30, 0)
            info = zipfile.ZipInfo(f"jobs/{name}/{name}.job", stamp)
            archive.writestr(info, json.dumps(job))
            script = zipfile.ZipInfo(f"jobs/{name}/daily_sales_sql.script", stamp)
            archive.writestr(script, json.dumps(make_script("daily_sales_sql")))
    return out.getvalue()


def test_a_dataarts_batch_export_takes_jobs_whole_and_keeps_scripts_and_resources_it_lacks(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    shadow = _add(api, gateway, remote_server, ws)
    assert api.call("POST", "/remotes/prod/refresh").status_code == 200
    carried = _dataarts_batch_export(make_job("daily_sales", description="from the console"))
    done = _refresh_from(api, shadow, carried)
    assert done.status_code == 200, done.text
    answer = done.json()
    assert answer["counts"]["job"] == {"created": 0, "updated": 1, "deleted": 1, "unchanged": 0}
    assert answer["counts"]["resource"] == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 0,
    }
    assert set(_shadow_jobs(api, shadow)) == {"daily_sales"}
    # the batch export lacks udf_jar: kept, since such an export holds only what jobs use
    assert api.call("GET", "/resources", workspace=shadow).json()["total"] == 1
    assert answer["snapshot"]["producer"] == "dataarts"
    assert answer["snapshot"]["wholeKinds"] == ["job"]
    assert answer["snapshot"]["madeTime"] == 1795163400000  # 2026-11-20 08:30 (entry times)
    assert any("kept as they were" in note for note in answer["notes"])


def test_refresh_copies_the_remotes_connections_and_variables_without_secrets(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess
) -> None:
    ws = remote_workspace(remote_server)
    env = {"params": [{"name": "region", "type": "constant", "value": "eu", "desc": "where"}]}
    conn = {"type": "SSH", "config": {"host": "10.0.0.9", "user": "etl"}, "secrets": {"pwd": "x"}}
    put = remote_server.call(
        "PUT", "/environment/connection/spare_ssh", json.dumps(conn).encode(), workspace=ws
    )
    assert put.status_code == 200, put.text
    _put_env(remote_server, ws, env)
    shadow = _add(api, gateway, remote_server, ws)

    first = api.call("POST", "/remotes/prod/refresh").json()
    assert first["counts"]["connection"]["created"] == 2
    assert first["counts"]["variable"]["created"] == 1
    copied = api.call("GET", "/environment/connection/spare_ssh", workspace=shadow).json()
    assert copied["type"] == "SSH"
    assert copied["config"]["host"] == "10.0.0.9"
    assert "pwd" not in copied["config"]  # no secret value travels
    assert "x" not in json.dumps(copied)
    assert copied["secrets"] == {"pwd": "set"}  # set on the remote: the name, never the value
    variables = api.call("GET", "/factory/env", workspace=shadow, version="v2").json()["params"]
    assert [(v["name"], v["value"]) for v in variables] == [("region", "eu")]
    assert "show_dataconnection" in gateway.calls()

    again = api.call("POST", "/remotes/prod/refresh").json()
    assert again["counts"]["connection"] == {
        "created": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 2,
    }
    dropped = remote_server.call("DELETE", "/environment/connection/spare_ssh", workspace=ws)
    assert dropped.status_code == 204, dropped.text
    _put_env(remote_server, ws, {"params": [{"name": "region", "value": "ap"}]})
    third = api.call("POST", "/remotes/prod/refresh").json()
    assert third["counts"]["connection"]["deleted"] == 1
    assert third["counts"]["variable"]["updated"] == 1
    gone = api.call("GET", "/environment/connection/spare_ssh", workspace=shadow)
    assert gone.json()["error_code"] == "DLF.9004"


def _put_env(server: ServerProcess, ws: str, body: dict[str, Any]) -> None:
    """PUT the workspace variables on the remote (the v2 path)."""
    raw_path = f"/v2/{server.project_id}/factory/env"
    data = json.dumps(body).encode()
    headers = {
        "Host": server.url.removeprefix("http://"),
        "Content-Type": "application/json",
        "X-Project-Id": server.project_id,
        "workspace": ws,
    }
    headers.update(server.signer.sign("PUT", raw_path, "", headers, data, server.ak, server.sk))
    answer = requests.put(server.url + raw_path, data=data, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
