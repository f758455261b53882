"""GET /system-tasks (extension): the workspace's tasks, newest first, paged, any role."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from jobferry.cli.taskpages import task_page
from jobferry.services.container import Services
from jobferry.settings import OffsetMode, Settings
from jobferry.storage import tasks as task_repo
from support.accounts import new_user
from support.builders import make_job
from support.clients import SignedClient, assert_error, wait_task
from support.console import admin_scope
from support.exporting import seed
from support.importing import new_workspace, run_import, upload

START = 1_700_000_000_000


pytestmark = pytest.mark.parametrize("settings", list(OffsetMode), indirect=True)


def add_tasks(services: Services, workspace: str | None, statuses: list[str]) -> list[str]:
    """Stored tasks one second apart (the first oldest); returns their ids."""
    scope = admin_scope(services, workspace)
    ids = []
    for index, status in enumerate(statuses):
        task = services.tasks.record(scope, "export", f"task {index}", {"n": index})
        task = replace(task, start_time=START + index * 1000, status=status)
        with services.db.transaction() as tx:
            task_repo.insert_task(tx, task)
        ids.append(task.id)
    return ids


def listed(api: SignedClient, **query: Any) -> dict[str, Any]:
    response = api.call("GET", "/system-tasks", query=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_tasks_are_listed_newest_first_without_subtasks(
    api: SignedClient, services: Services
) -> None:
    ids = add_tasks(services, None, ["SUCCESSFUL", "FAILED", "SUCCESSFUL"])
    body = listed(api, limit=100)
    assert body["total"] == 3
    assert [t["id"] for t in body["tasks"]] == ids[::-1]
    first = body["tasks"][0]
    assert first["name"] == "task 2"
    assert first["status"] == "SUCCESSFUL"
    assert first["kind"] == "export"
    assert first["startTime"] == START + 2000
    assert "subtasks" not in first
    assert "result" not in first
    shown = api.call("GET", f"/system-tasks/{ids[2]}").json()
    assert {k: v for k, v in shown.items() if k not in ("subtasks", "result")} == first


def test_pages_follow_the_offset_mode(
    api: SignedClient, services: Services, settings: Settings
) -> None:
    ids = add_tasks(services, None, ["SUCCESSFUL"] * 5)[::-1]
    second = 1 if settings.offset_mode is OffsetMode.PAGE else 2
    body = listed(api, limit=2, offset=second)
    assert body["total"] == 5
    assert [t["id"] for t in body["tasks"]] == ids[2:4]


def test_status_filters_and_other_workspaces_are_left_out(
    api: SignedClient, services: Services
) -> None:
    ids = add_tasks(services, None, ["SUCCESSFUL", "FAILED", "RUNNING"])
    other = new_workspace(api, "other")
    add_tasks(services, other, ["FAILED"])
    failed = listed(api, status="failed", limit=100)
    assert failed["total"] == 1
    assert [t["id"] for t in failed["tasks"]] == [ids[1]]
    assert listed(api, status="RUNNING")["tasks"][0]["id"] == ids[2]
    everything = api.call("GET", "/system-tasks", workspace=other).json()
    assert everything["total"] == 1


def test_a_bad_status_or_limit_is_refused_naming_the_parameter(api: SignedClient) -> None:
    response = api.call("GET", "/system-tasks", query={"status": "DONE"})
    assert_error(response, "DLF.3051", "status 'DONE'", "SUCCESSFUL")
    assert response.json()["parameter"] == "status"
    assert_error(api.call("GET", "/system-tasks", query={"limit": 0}), "DLF.3051", "limit 0")


def test_any_role_may_read_the_task_list(api: SignedClient, services: Services) -> None:
    ws = new_workspace(api, "shared")
    ids = add_tasks(services, ws, ["SUCCESSFUL"])
    viewer = new_user(api, "vera", "viewer", ws)
    body = viewer.call("GET", "/system-tasks", workspace=ws).json()
    assert [t["id"] for t in body["tasks"]] == ids
    outsider = new_user(api, "otto", "viewer")
    response = outsider.call("GET", "/system-tasks", workspace=ws)
    assert response.status_code == 403, response.text


def test_an_import_of_an_upload_is_titled_with_the_file_name(api: SignedClient) -> None:
    seed(api, ("daily_sales",))
    data = api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]}).content
    ws = new_workspace(api, "prod")
    path = upload(api, data, ws)
    task = run_import(api, {"path": path}, workspace=ws)
    assert task["name"] == "Import the jobs from pkg.zip."
    assert path not in task["name"]
    assert api.call("GET", "/system-tasks", workspace=ws).json()["tasks"][0]["name"] == task["name"]


def test_the_kind_filter_keeps_imports_or_exports(api: SignedClient) -> None:
    assert api.call("POST", "/jobs", make_job()).status_code == 204
    task = api.call("POST", "/exports", {"mode": "workspace"}).json()["taskId"]
    wait_task(api, task)
    assert api.call("GET", "/system-tasks", query={"kind": "export"}).json()["total"] == 1
    assert api.call("GET", "/system-tasks", query={"kind": "import"}).json()["total"] == 0
    assert_error(api.call("GET", "/system-tasks", query={"kind": "other"}), "DLF.3051", "import")


def test_a_dry_run_is_listed_as_a_plan_task_not_an_import(api: SignedClient) -> None:
    seed(api, ("daily_sales",))
    data = api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]}).content
    ws = new_workspace(api, "prod")
    path = upload(api, data, ws)
    planned = run_import(api, {"path": path, "dryRun": True}, workspace=ws)
    assert planned["kind"] == "plan"
    imported = run_import(api, {"path": path}, workspace=ws)
    assert imported["kind"] == "import"
    listed = api.call("GET", "/system-tasks", workspace=ws).json()["tasks"]
    assert [t["kind"] for t in listed] == ["import", "plan"]
    plans = api.call("GET", "/system-tasks", workspace=ws, query={"kind": "plan"}).json()
    assert [t["id"] for t in plans["tasks"]] == [planned["id"]]
    refused = api.call("POST", f"/system-tasks/{planned['id']}/rollback", workspace=ws)
    assert refused.status_code == 400, refused.text


@dataclass
class ListCalls:
    """The CLI's reading of pages of tasks (``cli/taskpages.py``) over this API: its calls
    answered by the server under test, whichever offset mode it counts in."""

    api: SignedClient

    def get(self, path: str, **query: Any) -> Any:
        given = {k: v for k, v in query.items() if v is not None}
        return listed(self.api, **given) if path == "/system-tasks" else None


def test_the_cli_reads_the_kth_page_of_tasks_in_either_offset_mode(
    api: SignedClient, services: Services
) -> None:
    ids = add_tasks(services, None, ["SUCCESSFUL"] * 7)[::-1]
    calls = ListCalls(api)
    query: dict[str, Any] = {"status": None, "kind": None}
    pages = [[t["id"] for t in task_page(calls, query, 3, k)["tasks"]] for k in (1, 2, 3, 4)]
    assert pages == [ids[0:3], ids[3:6], ids[6:7], []]
    assert [t["id"] for t in task_page(calls, query, 1, 5)["tasks"]] == ids[4:5]
    assert task_page(calls, query, 2, 2)["total"] == 7
