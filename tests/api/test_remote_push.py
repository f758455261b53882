"""An import into a remote's shadow is pushed to the remote: a second jobferry server plays the
remote behind the contract filter (which can throttle, refuse a write, lose a write's answer);
this server (in-process) refreshes the shadow, imports packages into it and so writes the
remote, all or nothing.

These keep the wire story of a push, an undo and a rollback, one test each; what a push does
call by call (a failure at every position undone, a lost answer or dropped connection read
again, a 429 retried, a change since the refresh refused) is shown at the service level against
the in-memory DataArts stand-in: tests/unit/services/remotes/test_push.py, test_undo.py,
test_rollback.py and test_recovery.py, on SQLite and PostgreSQL. The wire story depends
on no database, so it runs on SQLite only."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from jobferry.domain.enums import ObjectKind
from jobferry.services.container import Services
from jobferry.services.remotes.client import DataArtsClient, RemoteEndpoint
from jobferry.services.remotes.reading import read_state
from jobferry.services.remotes.refresh import canonical
from jobferry.storage import jobs as job_repo
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage import scripts as script_repo
from support.builders import editable, make_job, make_script, release, released
from support.clients import SignedClient
from support.exporting import rename_job, seed, workspace_package
from support.gateway import Gateway
from support.importing import PROD_CONNECTION, plan_import, run_import, upload
from support.remotes import remote_body
from support.server import ServerProcess, new_workspace

pytestmark = pytest.mark.databases("sqlite")

SECOND = {"propagateDeletes": True, "scheduling": "PAUSE_AND_RESTORE"}


def remote_state(server: ServerProcess, ws: str) -> dict[str, dict[str, Any]]:
    """What the remote workspace holds, read straight from the remote (not through the
    gateway) as a push reads it: per kind, name → the definition as exported (and the job's
    scheduling)."""
    endpoint = RemoteEndpoint(server.url, server.project_id, ws, server.ak, server.sk)
    with DataArtsClient("check", endpoint) as client:
        names = {
            "job": {str(item["name"]) for item in client.jobs()},
            "script": {str(item["name"]) for item in client.scripts()},
            "resource": {str(item["name"]) for item in client.resources()},
        }
        state = read_state(client, names)
    return {
        kind: {
            name: {"doc": doc, "status": state.status.get(name) if kind == "job" else None}
            for name, doc in state.docs.get(kind, {}).items()
        }
        for kind in names
    }


@pytest.fixture
def story(api: SignedClient, gateway: Gateway, remote_server: ServerProcess) -> dict[str, Any]:
    """The local default workspace with two jobs (their scripts and a resource), an empty
    remote workspace added as remote 'prod', its shadow refreshed; the package of the
    default workspace."""
    seed(api, ("daily_sales", "weekly_sales", "hourly_sales"))
    remote_ws = new_workspace(remote_server, f"prod_{uuid.uuid4().hex[:8]}", "dws_conn", "ssh_conn")
    added = api.call("POST", "/remotes", remote_body(gateway, remote_server, remote_ws))
    assert added.status_code == 200, added.text
    shadow = added.json()["shadowWorkspace"]["id"]
    for connection in ("dws_conn", "ssh_conn"):
        put = api.call(
            "PUT", f"/environment/connection/{connection}", PROD_CONNECTION, workspace=shadow
        )
        assert put.status_code == 200, put.text
    assert api.call("POST", "/remotes/prod/refresh").status_code == 200
    return {"shadow": shadow, "remote_ws": remote_ws, "package": workspace_package(api)}


def _push(api: SignedClient, shadow: str, package: bytes, **extra: Any) -> dict[str, Any]:
    body = {"path": upload(api, package, shadow), "sameNamePolicy": "OVERWRITE", **extra}
    return run_import(api, body, workspace=shadow)


def _shadow_docs(api: SignedClient, shadow: str) -> dict[str, Any]:
    listed = api.call("GET", "/jobs", workspace=shadow, query={"limit": 100}).json()["jobs"]
    return {
        job["name"]: editable(api.call("GET", f"/jobs/{job['name']}", workspace=shadow).json())
        for job in listed
    }


def _same_as_remote(services: Services, shadow: str, remote: dict[str, dict[str, Any]]) -> None:
    """The shadow holds exactly the definitions (and scheduling) the remote does."""
    with services.db.transaction(readonly=True) as tx:
        _, listed = job_repo.list_jobs(
            tx, shadow, process_type=None, name_contains=None, tags=[], limit=1000, offset=0
        )
        _, written = script_repo.list_scripts(tx, shadow, name_contains=None, limit=1000, offset=0)
        stored = [job_repo.get_job(tx, shadow, job.name) for job in listed]
    jobs = {job.name: job for job in stored if job is not None}
    scripts = {script.name: script for script in written}
    assert set(jobs) == set(remote["job"])
    assert set(scripts) == set(remote["script"])
    for name, job in jobs.items():
        assert canonical(ObjectKind.JOB, json.loads(job.document)) == remote["job"][name]["doc"]
        assert job.status == remote["job"][name]["status"]
    for name, script in scripts.items():
        doc = canonical(ObjectKind.SCRIPT, json.loads(script.document))
        assert doc == remote["script"][name]["doc"]


def _second_package(api: SignedClient, remote_server: ServerProcess, ws: str) -> bytes:
    """The default workspace changed: daily_sales edited, weekly_sales deleted, hourly_sales
    renamed hourly_totals, a new job."""
    edited = make_job("daily_sales", params=released("edited in test"))
    edited["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    assert api.call("PUT", "/jobs/daily_sales", edited).status_code == 204
    assert api.call("DELETE", "/jobs/weekly_sales").status_code == 204
    rename_job(api, "hourly_sales", "hourly_totals")
    assert api.call("POST", "/scripts", make_script("monthly_sales_sql")).status_code == 204
    shell = make_script("monthly_sales_sh", type="Shell", content="echo hi")
    assert api.call("POST", "/scripts", shell).status_code == 204
    assert api.call("POST", "/jobs", make_job("monthly_sales")).status_code == 204
    return workspace_package(api)


def test_a_push_lands_creates_updates_a_delete_and_a_paused_job_in_the_remote_and_the_shadow(
    api: SignedClient,
    services: Services,
    gateway: Gateway,
    remote_server: ServerProcess,
    story: dict[str, Any],
) -> None:
    shadow, remote_ws = story["shadow"], story["remote_ws"]
    first = _push(api, shadow, story["package"])
    assert first["status"] == "SUCCESSFUL", first
    assert "Pushed to remote 'prod'" in first["message"]
    after = remote_state(remote_server, remote_ws)
    assert set(after["job"]) == {"daily_sales", "weekly_sales", "hourly_sales"}
    assert set(after["script"]) >= {"daily_sales_sql", "weekly_sales_sh"}
    assert set(after["resource"]) == {"udf_jar"}
    assert set(gateway.writes()) <= {"create_script", "create_resource", "create_job"}
    assert gateway.refused() == []
    # the shadow holds what the remote does, and a refresh finds nothing to change
    _same_as_remote(services, shadow, after)
    again = api.call("POST", "/remotes/prod/refresh").json()
    assert sum(c["created"] + c["updated"] + c["deleted"] for c in again["counts"].values()) == 0

    # daily_sales scheduled in the remote (and the shadow refreshed): the next push pauses it
    started = remote_server.call("POST", "/jobs/daily_sales/start", b"{}", workspace=remote_ws)
    assert started.status_code == 204, started.text
    assert api.call("POST", "/remotes/prod/refresh").status_code == 200
    gateway.reset()
    second = _push(api, shadow, _second_package(api, remote_server, remote_ws), **SECOND)
    assert second["status"] == "SUCCESSFUL", second["message"]
    after = remote_state(remote_server, remote_ws)
    assert set(after["job"]) == {"daily_sales", "monthly_sales", "hourly_totals"}
    assert release(after["job"]["daily_sales"]["doc"]) == "edited in test"
    assert after["job"]["daily_sales"]["status"] == "SCHEDULING"
    writes = gateway.writes()
    assert (writes[0], writes[-1]) == ("stop_job", "start_job"), writes
    assert {"update_job", "create_job", "delete_job", "update_factory_job_name"} <= set(writes)
    _same_as_remote(services, shadow, after)
    again = api.call("POST", "/remotes/prod/refresh").json()
    # hourly_totals' submitted version on the remote was made before its rename (the rename
    # submits nothing there); the remote exports it under the job's name now, as the shadow's
    # import submitted it: nothing differs
    assert sum(c["created"] + c["updated"] + c["deleted"] for c in again["counts"].values()) == 0
    # the shadow's ledger took the promotion: the same package again plans nothing to change
    body = {"path": upload(api, workspace_package(api), shadow), "sameNamePolicy": "OVERWRITE"}
    planned = plan_import(api, body, shadow)
    assert {line["action"] for line in planned["objects"]} == {"UNCHANGED"}, planned


def test_rollback_of_a_push_pushes_its_inverse_and_is_refused_when_the_remote_changed(
    api: SignedClient, gateway: Gateway, remote_server: ServerProcess, story: dict[str, Any]
) -> None:
    shadow, remote_ws = story["shadow"], story["remote_ws"]
    assert _push(api, shadow, story["package"])["status"] == "SUCCESSFUL"
    remote_server.call("POST", "/jobs/daily_sales/start", b"{}", workspace=remote_ws)
    assert api.call("POST", "/remotes/prod/refresh").status_code == 200
    before, shadow_before = remote_state(remote_server, remote_ws), _shadow_docs(api, shadow)
    second = _push(api, shadow, _second_package(api, remote_server, remote_ws), **SECOND)
    assert second["status"] == "SUCCESSFUL", second["message"]
    pushed = remote_state(remote_server, remote_ws)

    # a change in the remote since: refused, naming it, nothing changed
    hotfix = {
        **editable(remote_server.call("GET", "/jobs/monthly_sales", workspace=remote_ws).json())
    }
    hotfix["description"] = "hot-fixed"
    put = remote_server.call(
        "PUT", "/jobs/monthly_sales", json.dumps(hotfix).encode(), workspace=remote_ws
    )
    assert put.status_code == 204, put.text
    refused = api.call("POST", f"/system-tasks/{second['id']}/rollback", {}, workspace=shadow)
    assert refused.status_code == 400, refused.text
    assert refused.json()["changed"] == ["job 'monthly_sales'"]
    assert "job 'monthly_sales'" in refused.json()["error_msg"]
    # put back as the push left it: the rollback lands in the remote and the shadow
    hotfix["description"] = pushed["job"]["monthly_sales"]["doc"].get("description")
    if hotfix["description"] is None:
        del hotfix["description"]
    put = remote_server.call(
        "PUT", "/jobs/monthly_sales", json.dumps(hotfix).encode(), workspace=remote_ws
    )
    assert put.status_code == 204, put.text
    assert remote_state(remote_server, remote_ws) == pushed
    gateway.reset()
    done = api.call("POST", f"/system-tasks/{second['id']}/rollback", {}, workspace=shadow)
    assert done.status_code == 200, done.text
    assert remote_state(remote_server, remote_ws) == before
    assert _shadow_docs(api, shadow) == shadow_before
    assert "update_factory_job_name" in gateway.writes()
    again = api.call("POST", "/remotes/prod/refresh").json()
    assert sum(c["created"] + c["updated"] + c["deleted"] for c in again["counts"].values()) == 0
    twice = api.call("POST", f"/system-tasks/{second['id']}/rollback", {}, workspace=shadow)
    assert twice.status_code == 400
    assert "already rolled back" in twice.json()["error_msg"]


def test_what_an_undo_cannot_undo_is_said_with_the_object_the_reason_and_the_fix(
    api: SignedClient,
    services: Services,
    gateway: Gateway,
    remote_server: ServerProcess,
    story: dict[str, Any],
) -> None:
    shadow, remote_ws = story["shadow"], story["remote_ws"]
    assert _push(api, shadow, story["package"])["status"] == "SUCCESSFUL"
    package = _second_package(api, remote_server, remote_ws)
    gateway.reset()
    gateway.refuse_writes = set(range(4, 100))  # the 4th write fails, and every undo's write
    task = _push(api, shadow, package, **SECOND)
    assert task["status"] == "FAILED", task
    stuck = task["result"]["push"]["notUndone"]
    assert stuck, task["message"]
    assert task["result"]["push"]["undone"] == []
    for item in stuck:
        assert set(item) >= {"object", "call", "reason", "fix"}
        assert item["object"] in task["message"]
        assert item["fix"].startswith("in remote 'prod', ")
    assert "could NOT be undone" in task["message"]
    created = next(item for item in stuck if item["call"] == "create_script")
    assert "delete script" in created["fix"]
    with services.db.transaction(readonly=True) as tx:
        push = journal_repo.get_push(tx, task["id"])
        states = [c.state for c in journal_repo.calls(tx, task["id"])]
    assert push is not None
    assert push.state == "stuck"
    assert states.count("stuck") == len(stuck)
    # the remote is not as the last refresh read it: the next import reads it first and plans
    # against what stands there (the objects left behind), and lands the package whole
    gateway.reset()
    again = _push(api, shadow, package, **SECOND)
    assert again["status"] == "SUCCESSFUL", again["message"]
    after = remote_state(remote_server, remote_ws)
    assert set(after["job"]) == {"daily_sales", "monthly_sales", "hourly_totals"}
    _same_as_remote(services, shadow, after)
