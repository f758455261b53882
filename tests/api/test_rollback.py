"""Import rollback: created objects removed, overwritten ones restored, refusals change nothing."""

from __future__ import annotations

from collections import Counter
from typing import Any

from jobferry.services.container import Services
from jobferry.services.importing.expiry import DAY_MS, RollbackExpiry
from support.accounts import new_user
from support.builders import make_job, make_script
from support.clients import SignedClient, assert_error, wait_task
from support.databases import orphan_reference_rows
from support.exporting import seed
from support.importing import new_workspace, run_import, upload

CONN = {"type": "DWS", "config": {"host": "db"}, "secrets": {"password": "pw"}}


def target(api: SignedClient) -> str:
    ws = new_workspace(api, "prod")
    for name in ("dws_conn", "ssh_conn"):
        assert api.call("PUT", f"/environment/connection/{name}", CONN, workspace=ws).status_code
    return ws


def state(api: SignedClient, ws: str) -> dict[str, Any]:
    """Everything rollback may touch: jobs, scripts, resources with their versions."""
    jobs = api.call("GET", "/jobs", query={"limit": 100}, workspace=ws).json()["jobs"]
    out: dict[str, Any] = {}
    for job in jobs:
        name = job["name"]
        out[f"job:{name}"] = api.call("GET", f"/jobs/{name}", workspace=ws).json()
        out[f"job-versions:{name}"] = api.call("GET", f"/jobs/{name}/versions", workspace=ws).json()
    scripts = api.call("GET", "/scripts", query={"limit": 100}, workspace=ws).json()["scripts"]
    for script in scripts:
        name = script["name"]
        out[f"script:{name}"] = api.call("GET", f"/scripts/{name}", workspace=ws).json()
    resources = api.call("GET", "/resources", query={"limit": 100}, workspace=ws).json()
    out["resources"] = resources
    return out


def unstamped(found: dict[str, Any]) -> dict[str, Any]:
    """``state`` without the update times a rollback moves (the definitions, versions and
    status are as before)."""
    stamps = ("updateTime", "modifyTime")
    return {
        key: {k: v for k, v in value.items() if k not in stamps}
        if isinstance(value, dict) and ":" in key
        else value
        for key, value in found.items()
    }


def imported_over_existing(api: SignedClient) -> tuple[str, dict[str, Any], str]:
    """prod holds an older daily_sales + its SQL script; import a package that overwrites them
    and creates new_job, its scripts and the resource. Returns (ws, state before, task id)."""
    seed(api, ("daily_sales", "new_job"))
    data = api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales", "new_job"]}).content
    ws = target(api)
    old_job = make_job("daily_sales", description="the old one")
    old_job["nodes"][0]["properties"] = [
        {"name": "scriptName", "value": "daily_sales_sql"},
        {"name": "connectionName", "value": "dws_conn"},
    ]
    old_job["nodes"] = old_job["nodes"][:1]
    assert api.call("POST", "/scripts", make_script(content="select 0;"), workspace=ws).status_code
    assert api.call("POST", "/jobs", old_job, workspace=ws).status_code == 204
    before = state(api, ws)
    body = {"path": upload(api, data, ws), "sameNamePolicy": "OVERWRITE"}
    task = run_import(api, body, workspace=ws)
    assert task["status"] == "SUCCESSFUL", task
    return ws, before, task["id"]


def test_rollback_removes_what_the_import_created_and_restores_what_it_overwrote(
    api: SignedClient, services: Services
) -> None:
    ws, before, task_id = imported_over_existing(api)
    after = state(api, ws)
    assert after != before
    assert "description" not in after["job:daily_sales"]
    assert len(after["job-versions:daily_sales"]["versions"]) == 2
    response = api.call("POST", f"/system-tasks/{task_id}/rollback", workspace=ws)
    assert response.status_code == 200, response.text
    result = response.json()
    actions = {(o["kind"], o["name"]): o["action"] for o in result["objects"]}
    assert actions[("job", "daily_sales")] == "RESTORED"
    assert actions[("script", "daily_sales_sql")] == "RESTORED"
    assert actions[("job", "new_job")] == "DELETED"
    assert actions[("resource", "udf_jar")] == "DELETED"
    assert result["rolledBack"] == len(result["objects"])
    assert result["actions"] == dict(sorted(Counter(actions.values()).items()))
    assert unstamped(state(api, ws)) == unstamped(before)
    # The reference index follows the restored definition: the old job used no shell script.
    gone = api.call("DELETE", "/scripts/daily_sales_sh", workspace=ws)
    assert gone.status_code == 400  # it was created by the import and removed by rollback
    assert orphan_reference_rows(services.db) == 0  # new_job's rows left with it


def test_an_import_rolls_back_once(api: SignedClient) -> None:
    ws, _, task_id = imported_over_existing(api)
    assert api.call("POST", f"/system-tasks/{task_id}/rollback", workspace=ws).status_code == 200
    again = api.call("POST", f"/system-tasks/{task_id}/rollback", workspace=ws)
    assert again.status_code == 400
    assert again.json()["error_code"] == "DLF.9016"
    assert "already rolled back" in again.json()["error_msg"]
    assert again.json()["rule"] == "rolled_back"  # what a script reads, the message kept


ASYNC = {"Prefer": "respond-async"}


def test_a_rollback_asked_to_respond_async_runs_as_a_task_whose_result_is_the_answer(
    api: SignedClient,
) -> None:
    ws, before, task_id = imported_over_existing(api)
    started = api.call(
        "POST", f"/system-tasks/{task_id}/rollback", workspace=ws, extra_headers=ASYNC
    )
    assert started.status_code == 202, started.text
    assert started.headers["Preference-Applied"] == "respond-async"
    assert started.json()["rollbackOf"] == task_id
    ended = wait_task(api, started.json()["taskId"], ws)
    assert (ended["kind"], ended["status"], ended["progress"]) == ("rollback", "SUCCESSFUL", 100)
    result = ended["result"]
    assert result["taskId"] == task_id
    assert result["rolledBack"] == len(result["objects"]) > 0
    assert ended["message"] == f"Rolled back {result['rolledBack']} object(s) of import {task_id}."
    assert unstamped(state(api, ws)) == unstamped(before)
    shown = api.call("GET", f"/system-tasks/{task_id}", workspace=ws).json()
    assert shown["rolledBack"]["by"] == "admin"


def test_a_rollback_task_refused_at_once_or_as_it_runs_changes_nothing(
    api: SignedClient,
) -> None:
    ws, _, task_id = imported_over_existing(api)
    unknown = api.call(
        "POST", "/system-tasks/0123456789abcdef/rollback", workspace=ws, extra_headers=ASYNC
    )
    assert unknown.status_code == 400
    assert unknown.json()["error_code"] == "DLF.0810"
    edited = api.call("GET", "/jobs/new_job", workspace=ws).json()
    edited["description"] = "edited after the import"
    edited.pop("id", None)
    assert api.call("PUT", "/jobs/new_job", edited, workspace=ws).status_code == 204
    before = state(api, ws)
    started = api.call(
        "POST", f"/system-tasks/{task_id}/rollback", workspace=ws, extra_headers=ASYNC
    )
    assert started.status_code == 202, started.text
    ended = wait_task(api, started.json()["taskId"], ws)
    assert ended["status"] == "FAILED"
    assert ended["result"] == {
        "errorCode": "DLF.9016",
        "httpStatus": 400,
        "rule": "changed",
        "conflicts": ["job 'new_job' was edited"],
        "remedy": "show_drift",
        "problem": ended["message"].removesuffix(
            " GET /v1/{project_id}/drift says how each changed since and who changed it."
        ),
    }
    assert "job 'new_job' was edited" in ended["message"]
    assert state(api, ws) == before
    listed = api.call("GET", "/system-tasks", workspace=ws).json()["tasks"]
    assert [t["kind"] for t in listed].count("rollback") == 1  # the refused call queued none


def test_a_task_says_what_it_is_who_started_it_and_when_and_by_whom_it_was_rolled_back(
    api: SignedClient,
) -> None:
    ws, _, task_id = imported_over_existing(api)
    shown = api.call("GET", f"/system-tasks/{task_id}", workspace=ws).json()
    assert (shown["kind"], shown["createUser"]) == ("import", "admin")
    assert shown["message"].startswith("Imported ")
    assert "rolledBack" not in shown
    assert api.call("POST", f"/system-tasks/{task_id}/rollback", workspace=ws).status_code == 200
    shown = api.call("GET", f"/system-tasks/{task_id}", workspace=ws).json()
    assert shown["rolledBack"]["by"] == "admin"
    assert shown["rolledBack"]["at"] >= shown["endTime"]
    listed = api.call("GET", "/system-tasks", workspace=ws).json()["tasks"]
    by_id = {t["id"]: t for t in listed}
    assert by_id[task_id]["rolledBack"] == shown["rolledBack"]
    assert all("rolledBack" not in t for t in listed if t["id"] != task_id)


def test_an_import_past_the_rollback_days_says_so_and_its_rollback_is_refused(
    api: SignedClient, services: Services
) -> None:
    ws, _, task_id = imported_over_existing(api)
    ended = api.call("GET", f"/system-tasks/{task_id}", workspace=ws).json()["endTime"]
    now = ended + 7 * DAY_MS + 1
    RollbackExpiry(services.db, 7).sweep(now)
    shown = api.call("GET", f"/system-tasks/{task_id}", workspace=ws).json()
    assert shown["rollbackExpired"] == {"at": now, "keptDays": 7}
    listed = api.call("GET", "/system-tasks", workspace=ws).json()["tasks"]
    assert {t["id"]: t for t in listed}[task_id]["rollbackExpired"] == shown["rollbackExpired"]
    before = state(api, ws)
    response = api.call("POST", f"/system-tasks/{task_id}/rollback", workspace=ws)
    assert response.status_code == 400
    assert response.json()["error_code"] == "DLF.9016"
    assert "can no longer be rolled back" in response.json()["error_msg"]
    assert "kept 7 day(s) (JOBFERRY_ROLLBACK_DAYS)" in response.json()["error_msg"]
    assert response.json()["rule"] == "expired"
    assert state(api, ws) == before


def test_rollback_is_refused_listing_objects_changed_since_and_changes_nothing(
    api: SignedClient,
) -> None:
    ws, _, task_id = imported_over_existing(api)
    edited = api.call("GET", "/jobs/new_job", workspace=ws).json()
    edited["description"] = "edited after the import"
    edited.pop("id", None)
    assert api.call("PUT", "/jobs/new_job", edited, workspace=ws).status_code == 204
    assert api.call("POST", "/jobs/daily_sales/start", workspace=ws).status_code == 204
    outsider = make_job("outsider")
    outsider["nodes"] = outsider["nodes"][:1]
    outsider["nodes"][0]["properties"][0]["value"] = "new_job_sql"
    assert api.call("POST", "/jobs", outsider, workspace=ws).status_code == 204
    before = state(api, ws)
    response = api.call("POST", f"/system-tasks/{task_id}/rollback", workspace=ws)
    assert response.status_code == 400
    body = response.json()
    assert (body["error_code"], body["rule"]) == ("DLF.9016", "changed")
    conflicts = " | ".join(body["conflicts"])
    assert "job 'new_job' was edited" in conflicts
    assert "job 'daily_sales' is scheduled" in conflicts
    assert "job 'outsider' (not part of the import) now uses script 'new_job_sql'" in conflicts
    assert state(api, ws) == before


def test_rollback_refuses_tasks_that_are_not_finished_imports(api: SignedClient) -> None:
    seed(api)
    data = api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]}).content
    ws = target(api)
    unknown = api.call("POST", "/system-tasks/0123456789abcdef/rollback", workspace=ws)
    shown = api.call("GET", "/system-tasks/0123456789abcdef", workspace=ws)
    for answer in (unknown, shown):  # an unknown task is one refusal, whatever is asked of it
        assert_error(answer, "DLF.0810", "Task [0123456789abcdef] does not exist in workspace")
        assert answer.json()["remedy"] == "list_tasks"
        assert "GET /v1/{project_id}/system-tasks lists them" in answer.json()["error_msg"]
    dry = run_import(api, {"path": upload(api, data, ws), "dryRun": True}, workspace=ws)
    refused = api.call("POST", f"/system-tasks/{dry['id']}/rollback", workspace=ws)
    assert refused.status_code == 400
    assert "nothing to roll back" in refused.json()["error_msg"]
    assert refused.json()["rule"] == "not_import"  # a plan
    export_task = api.call("POST", "/exports", {"mode": "names", "names": ["daily_sales"]})
    task_id = export_task.json()["taskId"]
    not_import = api.call("POST", f"/system-tasks/{task_id}/rollback")
    assert not_import.status_code == 400
    assert not_import.json()["error_code"] == "DLF.9016"
    assert "is no import (its kind is export)" in not_import.json()["error_msg"]
    assert not_import.json()["rule"] == "not_import"


def test_rolling_back_needs_the_developer_role(api: SignedClient) -> None:
    ws, _before, task_id = imported_over_existing(api)
    viewer = new_user(api, "viewer_v", role="viewer", workspace=ws)
    response = viewer.call("POST", f"/system-tasks/{task_id}/rollback", workspace=ws)
    assert response.status_code == 403


# -- asking first: GET answers what the rollback would do, or its refusal ----------------------


def test_asking_first_answers_what_the_rollback_then_undoes_and_changes_nothing(
    api: SignedClient,
) -> None:
    ws, _, task_id = imported_over_existing(api)
    after = state(api, ws)
    asked = api.call("GET", f"/system-tasks/{task_id}/rollback", workspace=ws)
    assert asked.status_code == 200, asked.text
    assert state(api, ws) == after
    assert "rolledBack" not in api.call("GET", f"/system-tasks/{task_id}", workspace=ws).json()
    foreseen = asked.json()
    done = api.call("POST", f"/system-tasks/{task_id}/rollback", workspace=ws).json()
    assert foreseen["taskId"] == task_id
    assert foreseen["wouldRollBack"] == done["rolledBack"] > 0
    assert (foreseen["actions"], foreseen["objects"]) == (done["actions"], done["objects"])


def test_asking_first_answers_the_refusal_the_rollback_answers(api: SignedClient) -> None:
    ws, _, task_id = imported_over_existing(api)
    edited = api.call("GET", "/jobs/new_job", workspace=ws).json()
    edited["description"] = "edited after the import"
    edited.pop("id", None)
    assert api.call("PUT", "/jobs/new_job", edited, workspace=ws).status_code == 204
    before = state(api, ws)
    asked = api.call("GET", f"/system-tasks/{task_id}/rollback", workspace=ws)
    assert state(api, ws) == before
    refused = api.call("POST", f"/system-tasks/{task_id}/rollback", workspace=ws)
    assert asked.status_code == refused.status_code == 400
    said = ("error_code", "error_msg", "rule", "conflicts", "remedy", "problem")
    assert {k: asked.json()[k] for k in said} == {k: refused.json()[k] for k in said}
    assert (asked.json()["rule"], asked.json()["conflicts"]) == (
        "changed",
        ["job 'new_job' was edited"],
    )
    viewer = new_user(api, "viewer_p", role="viewer", workspace=ws)
    assert viewer.call("GET", f"/system-tasks/{task_id}/rollback", workspace=ws).status_code == 403
