"""What the wire says once the housekeeping sweep dropped what an operator keeps for a while
(``services/retention.py``): a task's per-object lines (``subtasksDropped`` on the task, the
task list and the subtask page, beside an empty ``subtasks``), and old audit entries
(``dropped`` on a search whose window reaches before them)."""

from __future__ import annotations

from jobferry.services.container import Services
from jobferry.services.importing.expiry import DAY_MS
from jobferry.services.retention import Retention
from support.builders import make_job
from support.clients import SignedClient
from support.exporting import seed
from support.importing import run_import, upload


def test_a_task_whose_lines_were_dropped_says_so_on_every_read(
    api: SignedClient, services: Services
) -> None:
    seed(api, ("daily_sales",))
    data = api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]}).content
    ws = None  # imported again where it was exported: every object unchanged, each a line
    task = run_import(api, {"path": upload(api, data, ws)}, ws)
    assert task["status"] == "SUCCESSFUL", task
    lines = len(task["subtasks"])
    assert lines > 0
    now = task["endTime"] + 30 * DAY_MS + 1

    Retention(services.db, 30, 0).sweep(now)

    shown = api.call("GET", f"/system-tasks/{task['id']}", workspace=ws).json()
    dropped = shown["subtasksDropped"]
    assert (dropped["at"], dropped["keptDays"], dropped["count"]) == (now, 30, lines)
    assert dropped["message"].startswith(f"Its {lines} per-object line(s) were dropped ")
    assert "(JOBFERRY_TASK_LINES_DAYS)" in dropped["message"]
    assert shown["subtasks"] == []
    assert (shown["status"], shown["message"], shown["result"]) == (
        task["status"],
        task["message"],
        task["result"],
    )
    bare = api.call("GET", f"/system-tasks/{task['id']}", workspace=ws, query={"subtasks": "false"})
    assert bare.json()["subtasksDropped"] == dropped
    page = api.call("GET", f"/system-tasks/{task['id']}/subtasks", workspace=ws).json()
    assert page == {"total": 0, "subtasks": [], "subtasksDropped": dropped}
    listed = api.call("GET", "/system-tasks", workspace=ws).json()["tasks"]
    assert {t["id"]: t.get("subtasksDropped") for t in listed}[task["id"]] == dropped


def test_an_audit_search_before_what_is_kept_says_entries_were_dropped(
    api: SignedClient, services: Services
) -> None:
    assert api.call("POST", "/jobs", make_job("daily_sales")).status_code == 204
    entries = api.call("GET", "/audit").json()
    assert "dropped" not in entries
    now = entries["entries"][0]["time"] + 8 * DAY_MS

    Retention(services.db, 0, 7).sweep(now)

    answer = api.call("GET", "/audit", query={"objectName": "daily_sales"}).json()
    assert (answer["total"], answer["entries"]) == (0, [])
    dropped = answer["dropped"]
    assert (dropped["before"], dropped["at"], dropped["keptDays"]) == (now - 7 * DAY_MS, now, 7)
    assert dropped["message"].startswith("Entries before ")
    recent = api.call("GET", "/audit", query={"since": now - DAY_MS}).json()
    assert "dropped" not in recent  # a window inside what is kept lost nothing
