"""GET /v1/{project_id}/system-tasks (extension): the workspace's imports and exports."""

from __future__ import annotations

from support.builders import make_job
from support.clients import SignedClient, assert_error, wait_task


def test_tasks_are_listed_newest_first_with_filters_and_paging(api: SignedClient) -> None:
    assert api.call("POST", "/jobs", make_job()).status_code == 204
    started = []
    for _ in range(3):
        task = api.call("POST", "/exports", {"mode": "workspace"}).json()["taskId"]
        wait_task(api, task)
        started.append(task)

    listed = api.call("GET", "/system-tasks").json()

    assert listed["total"] == 3
    assert [t["id"] for t in listed["tasks"]] == started[::-1]
    first = listed["tasks"][0]
    assert first["kind"] == "export"
    assert first["status"] == "SUCCESSFUL"
    assert "subtasks" not in first
    assert "result" not in first
    page = api.call("GET", "/system-tasks", query={"limit": 1, "offset": 1}).json()
    assert [t["id"] for t in page["tasks"]] == [started[1]]
    assert api.call("GET", "/system-tasks", query={"kind": "import"}).json()["total"] == 0
    failed = api.call("GET", "/system-tasks", query={"status": "FAILED"}).json()
    assert failed == {"total": 0, "tasks": []}


def test_bad_filters_are_refused_naming_the_values(api: SignedClient) -> None:
    assert_error(api.call("GET", "/system-tasks", query={"kind": "other"}), "DLF.3051", "import")
    assert_error(api.call("GET", "/system-tasks", query={"status": "x"}), "DLF.3051", "RUNNING")
