"""A package carries the snapshot it was planned against; the remote's side refuses what
changed since (#38, "Across the air gap").

One database plays both servers. The high side's prod is workspace ``hprod``: exported whole,
it is the snapshot carried to the low side, where remote ``prod`` (pointing at ``hprod``, never
reached) is refreshed from it. The route ``gap`` (``default`` → the shadow ``prod``) cuts its
package for the remote's side (``POST …/routes/gap/package {"out": true}``), with the basis in
its signed manifest; the package is then imported into ``hprod``, which compares each object
the basis names with what it holds now."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import orjson

from jobferry.domain.definitions import definition_hash
from support.builders import make_job
from support.clients import SignedClient, assert_error
from support.exporting import entries, manifest, seed, workspace_package
from support.importing import connected_workspace, new_workspace, run_import, upload

ROUTE = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}


def _held(api: SignedClient, ws: str) -> dict[str, bytes]:
    """What workspace ``ws`` holds: its whole export's entries (the manifest aside)."""
    return {
        k: v for k, v in entries(workspace_package(api, ws)).items() if not k.startswith("manifest")
    }


def _edit(api: SignedClient, name: str, description: str, ws: str | None = None) -> None:
    job = make_job(name, description=description)
    job["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    assert api.call("PUT", f"/jobs/{name}", job, workspace=ws).status_code == 204


def _low_side(api: SignedClient, names: tuple[str, ...] = ("daily_sales", "weekly_sales")) -> str:
    """The high side's prod (``hprod``, its id answered) and the low side: remote ``prod``
    refreshed from hprod's snapshot, the route ``gap`` into it, its source changed."""
    hprod = connected_workspace(api, "hprod")
    seed(api, ("daily_sales", "weekly_sales"), workspace=hprod)
    seed(api, names)
    body = {
        "name": "prod",
        "endpoint": "http://127.0.0.1:9",
        "projectId": api.project_id,
        "workspace": hprod,
        "accessKey": "AKNEVERCALLED",
        "secretKey": "never-used",
    }
    added = api.call("POST", "/remotes", body)
    assert added.status_code == 200, added.text
    shadow = added.json()["shadowWorkspace"]["id"]
    path = upload(api, workspace_package(api, hprod), shadow)
    refreshed = api.call("POST", "/remotes/prod/refresh", {"path": path})
    assert refreshed.status_code == 200, refreshed.text
    assert api.call("PUT", "/routes/gap", ROUTE).status_code == 200
    _edit(api, "daily_sales", "promoted from test")
    return hprod


def _cut(api: SignedClient) -> bytes:
    made = api.call("POST", "/routes/gap/package", {"out": True})
    assert made.status_code == 200, made.text
    assert made.json()["promotion"]["carried"] == "out"
    got = api.call("GET", f"/downloads/{made.json()['download']['id']}/content")
    assert got.status_code == 200, got.text
    return bytes(got.content)


def _body(api: SignedClient, data: bytes, ws: str) -> dict[str, Any]:
    return {"path": upload(api, data, ws), "sameNamePolicy": "OVERWRITE"}


def _refused(api: SignedClient, data: bytes, hprod: str, *named: str) -> dict[str, Any]:
    """The package planned and imported into hprod: refused both ways, nothing written."""
    before = _held(api, hprod)
    body = _body(api, data, hprod)
    planned = api.call("POST", "/jobs/import/plan", body, workspace=hprod)
    assert_error(planned, "DLF.9042", "changed here since", "jobferry remotes refresh prod", *named)
    task = run_import(api, body, hprod)
    assert task["status"] == "FAILED", task
    assert task["result"]["errorCode"] == "DLF.9042", task
    assert _held(api, hprod) == before  # nothing written, not even what did not change
    changed: list[dict[str, Any]] = planned.json()["changed"]
    assert task["result"]["changed"] == changed
    return {f"{c['kind']}:{c['name']}": c["change"] for c in changed}


def test_the_basis_is_in_the_signed_manifest_and_a_tampered_one_fails_the_signature(
    api: SignedClient,
) -> None:
    hprod = _low_side(api)
    assert api.call("POST", "/signing-key").status_code == 200
    snapshot = workspace_package(api, hprod)
    data = _cut(api)
    basis = manifest(data)["basis"]
    assert basis["remote"] == "prod"
    assert basis["snapshot"]["fileName"].endswith(".zip")
    refreshed = api.call("GET", "/remotes/prod").json()["lastRefresh"]
    assert basis["snapshot"]["sha256"] == refreshed["snapshot"]["sha256"]
    assert basis["refreshedAt"] == refreshed["refreshTime"]
    hashed = {(o["kind"], o["name"]): o["sha256"] for o in basis["objects"]}
    assert set(hashed) == {
        ("job", "daily_sales"),
        ("job", "weekly_sales"),
        ("script", "daily_sales_sql"),
        ("script", "daily_sales_sh"),
        ("script", "weekly_sales_sql"),
        ("script", "weekly_sales_sh"),
        ("resource", "udf_jar"),
    }
    # the hash is the snapshot's own object's, by the function the remote's side uses
    held = json.loads(entries(snapshot)["jobs/daily_sales.job"])
    assert hashed[("job", "daily_sales")] == definition_hash("job", held)

    document = manifest(data)
    document["basis"]["snapshot"]["fileName"] = "another.zip"
    tampered = _replaced(data, "manifest.json", orjson.dumps(document, option=orjson.OPT_INDENT_2))
    plan = api.call("POST", "/jobs/import/plan", _body(api, tampered, hprod), workspace=hprod)
    assert plan.status_code == 200, plan.text
    problems = plan.json()["problems"]
    assert problems[0]["reason"] == "signature", problems
    assert "package signature is invalid" in problems[0]["detail"]


def _replaced(data: bytes, name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            copy.writestr(info, content if info.filename == name else source.read(info))
    return out.getvalue()


def test_a_package_whose_objects_did_not_change_since_the_snapshot_imports(
    api: SignedClient,
) -> None:
    hprod = _low_side(api)
    data = _cut(api)
    body = _body(api, data, hprod)
    planned = api.call("POST", "/jobs/import/plan", body, workspace=hprod)
    assert planned.status_code == 200, planned.text  # unchanged objects are not reported
    assert planned.json()["summary"]["problems"] == 0, planned.json()
    task = run_import(api, {**body, "planId": planned.json()["planId"]}, hprod)
    assert task["status"] == "SUCCESSFUL", task
    shown = api.call("GET", "/jobs/daily_sales", workspace=hprod).json()
    assert shown["description"] == "promoted from test"


def test_a_job_changed_on_the_remote_side_since_the_snapshot_refuses_the_whole_package(
    api: SignedClient,
) -> None:
    hprod = _low_side(api)
    data = _cut(api)
    _edit(api, "weekly_sales", "hot-fixed in prod", hprod)
    assert _refused(api, data, hprod, "job 'weekly_sales' (changed)") == {
        "job:weekly_sales": "changed"
    }
    shown = api.call("GET", "/jobs/daily_sales", workspace=hprod).json()
    assert shown.get("description") != "promoted from test"  # the unchanged one is not either


def test_a_job_created_on_the_remote_side_under_a_name_the_package_creates_is_refused(
    api: SignedClient,
) -> None:
    hprod = _low_side(api, ("daily_sales", "weekly_sales", "monthly_sales"))
    data = _cut(api)
    hashed = {o["name"]: o["sha256"] for o in manifest(data)["basis"]["objects"]}
    assert hashed["monthly_sales"] is None  # absent from the snapshot
    created = api.call("POST", "/jobs", make_job("monthly_sales"), workspace=hprod)
    assert created.status_code == 204, created.text
    assert _refused(api, data, hprod, "job 'monthly_sales' (created)") == {
        "job:monthly_sales": "created"
    }


def test_a_job_deleted_on_the_remote_side_since_the_snapshot_is_refused(
    api: SignedClient,
) -> None:
    hprod = _low_side(api)
    data = _cut(api)
    assert api.call("DELETE", "/jobs/weekly_sales", workspace=hprod).status_code == 204
    assert _refused(api, data, hprod, "job 'weekly_sales' (deleted)") == {
        "job:weekly_sales": "deleted"
    }


def test_a_package_without_a_basis_imports_as_before(api: SignedClient) -> None:
    hprod = _low_side(api)
    _edit(api, "weekly_sales", "hot-fixed in prod", hprod)
    exported = api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]})
    assert exported.status_code == 200, exported.text
    assert "basis" not in manifest(exported.content)
    task = run_import(api, _body(api, exported.content, hprod), hprod)
    assert task["status"] == "SUCCESSFUL", task


def test_out_needs_a_shadow_refreshed_from_a_snapshot(api: SignedClient) -> None:
    seed(api, ("daily_sales",))
    other = new_workspace(api, "staging")
    local = {**ROUTE, "target": {"workspace": "staging"}}
    assert api.call("PUT", "/routes/local", local).status_code == 200
    refused = api.call("POST", "/routes/local/package", {"out": True})
    assert_error(refused, "DLF.3051", "out is for a route whose target is carried or a remote")
    body = {
        "name": "prod",
        "endpoint": "http://127.0.0.1:9",
        "projectId": api.project_id,
        "workspace": other,
        "accessKey": "AKNEVERCALLED",
        "secretKey": "never-used",
    }
    assert api.call("POST", "/remotes", body).status_code == 200
    assert api.call("PUT", "/routes/gap", ROUTE).status_code == 200
    never = api.call("POST", "/routes/gap/package", {"out": True})
    assert_error(never, "DLF.3051", "was never refreshed", "remotes refresh prod --from FILE")
    for route in ("local", "gap"):
        assert api.call("GET", f"/routes/{route}/promotions").json()["promotions"] == []


def test_the_check_runs_against_a_target_that_is_itself_a_remotes_shadow(
    api: SignedClient,
) -> None:
    hprod = _low_side(api)
    data = _cut(api)
    shadow = api.call("GET", "/remotes/prod").json()["shadowWorkspace"]["id"]
    same = api.call("POST", "/jobs/import/plan", _body(api, data, shadow), workspace=shadow)
    assert same.status_code == 200, same.text  # the shadow holds what the snapshot held
    _edit(api, "weekly_sales", "hot-fixed in prod", hprod)
    path = upload(api, workspace_package(api, hprod), shadow)
    assert api.call("POST", "/remotes/prod/refresh", {"path": path}).status_code == 200
    planned = api.call("POST", "/jobs/import/plan", _body(api, data, shadow), workspace=shadow)
    assert_error(planned, "DLF.9042", "job 'weekly_sales' (changed)")
    assert [c["name"] for c in planned.json()["changed"]] == ["weekly_sales"]
