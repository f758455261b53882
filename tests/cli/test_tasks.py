"""jobferry tasks list: the workspace's tasks, newest first, by their titles."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from jobferry.cli import asking
from jobferry.cli.client import ApiClient
from jobferry.services.importing.expiry import DAY_MS
from jobferry.storage import Database
from jobferry.storage import tasks as task_repo
from support.cli import Cli
from support.exporting import seed


def test_tasks_list_shows_imports_newest_first_by_file_name(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    package = Path(cli.json("export", "daily_sales", "-o", "release-42.zip")["file"])
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    first = cli.imported(package, workspace=target)["task"]
    cli.remote.call("DELETE", "/jobs/daily_sales", workspace=target)
    second = cli.imported(package, workspace=target)["task"]
    listed = cli.json("tasks", "list", workspace=target)
    assert [t["id"] for t in listed["tasks"]] == [second["id"], first["id"]]
    assert listed["tasks"][0]["name"] == "Import the jobs from release-42.zip."
    human = cli("tasks", "list", workspace=target)
    assert human.exit_code == 0, human.output
    assert second["id"] in human.stdout
    assert "release-42" in human.stdout
    assert "upload://" not in human.stdout
    assert human.stdout.index(second["id"]) < human.stdout.index(first["id"])


def test_tasks_list_filters_by_status_and_limits(cli: Cli, package: Path) -> None:
    bare = cli.remote.new_workspace("bare")
    # Without the connections the jobs use, a per-object import fails them.
    refused = cli("import", str(package), "--yes", "--mode", "per-object", "--json", workspace=bare)
    task = orjson.loads(refused.stdout)["task"]
    assert task["status"] in ("FAILED", "WARNING")
    failed = cli.json("tasks", "list", "--status", task["status"].lower(), workspace=bare)
    assert [t["id"] for t in failed["tasks"]] == [task["id"]]
    assert cli.json("tasks", "list", "--status", "successful", workspace=bare)["total"] == 0
    empty = cli("tasks", "list", "--status", "successful", workspace=bare)
    assert "No tasks." in empty.stdout
    bad = cli("tasks", "list", "--limit", "0")
    assert bad.exit_code == 2
    # By when they started: the last hour holds it, a window in 2000 nothing.
    recent = cli.json("tasks", "list", "--since", "1h", workspace=bare)
    assert [t["id"] for t in recent["tasks"]] == [task["id"]]
    assert cli.json("tasks", "list", "--until", "2000-01-01", workspace=bare)["total"] == 0
    unread = cli("tasks", "list", "--since", "last week", workspace=bare)
    assert unread.exit_code == 2
    assert "--since" in unread.stderr
    wide = {"COLUMNS": "200"}
    backwards = cli("tasks", "list", "--since", "2026-02-01", "--until", "2026-01-01", env=wide)
    assert backwards.exit_code == 2
    assert "--since 2026-02-01 is later than --until 2026-01-01" in backwards.stderr


def test_tasks_list_and_show_say_kind_who_message_and_the_rollback(cli: Cli, package: Path) -> None:
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    task_id = cli.imported(package, workspace=target)["task"]["id"]
    assert cli("rollback", task_id, "--yes", workspace=target).exit_code == 0
    listed = cli("tasks", "list", workspace=target)
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    at = next(n for n, line in enumerate(lines) if line.split("│")[0].strip() == task_id)
    block = "\n".join(lines[at : at + 4])
    cells = " ".join(line.split("│")[-1].strip() for line in lines[at : at + 4])
    assert cells.startswith("import, "), block
    assert " UTC by admin " in cells, block
    assert "rolled back" in lines[at + 1], block
    assert "Imported 4 object(s)" in block  # the message, under the title
    shown = cli("tasks", "show", task_id, workspace=target)
    assert shown.exit_code == 0, shown.output
    fields = dict(line.split(":", 1) for line in shown.stdout.splitlines() if ":" in line[:12])
    assert fields["kind"].strip() == "import"
    assert fields["by"].strip() == "admin"
    assert fields["message"].strip().startswith("Imported ")
    assert fields["rolled back"].strip().endswith("UTC by admin")
    assert cli.json("tasks", "show", task_id, workspace=target)["rolledBack"]["by"] == "admin"
    rollbacks = cli.json("tasks", "list", "--kind", "rollback", workspace=target)["tasks"]
    assert [t["kind"] for t in rollbacks] == ["rollback"]
    imports = cli.json("tasks", "list", "--kind", "import", workspace=target)["tasks"]
    assert [t["id"] for t in imports] == [task_id]
    assert cli("tasks", "list", "--kind", "imports").exit_code == 2  # names the kinds


def test_following_a_task_looks_at_its_progress_without_subtasks_then_prints_it_whole(
    cli: Cli, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[dict[str, Any] | None] = []
    real = ApiClient.call

    def call(self: ApiClient, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        if path.startswith("/system-tasks/"):
            asked.append(kwargs.get("query"))
        return real(self, method, path, *args, **kwargs)

    monkeypatch.setattr(ApiClient, "call", call)
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")

    task = cli.imported(package, workspace=target)["task"]

    assert len(task["subtasks"]) == 4
    *looks, last = asked
    assert looks, asked
    assert all(q is not None and q["subtasks"] == "false" for q in looks), asked
    assert last is None


def test_tasks_show_of_an_import_whose_lines_were_dropped_says_so_not_an_empty_list(
    cli: Cli, package: Path
) -> None:
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    task = cli.imported(package, workspace=target)["task"]
    lines = len(task["subtasks"])
    assert cli.server.database_url is not None
    db = Database(cli.server.database_url)
    try:
        with db.transaction() as tx:  # as the sweep does past JOBFERRY_TASK_LINES_DAYS=30
            task_repo.drop_lines(tx, [(task["id"], lines)], task["endTime"] + 31 * DAY_MS, 30)
    finally:
        db.dispose()

    shown = cli("tasks", "show", task["id"], workspace=target)

    assert shown.exit_code == 0, shown.output
    said = " ".join(shown.stdout.split())
    assert f"objects: {lines} per-object line(s) dropped " in said
    assert (
        "30 day(s) after it ended (the server's JOBFERRY_TASK_LINES_DAYS): none is listed" in said
    )
    assert "Imported " in said  # its message stays
    answer = cli.json("tasks", "show", task["id"], workspace=target)
    assert answer["subtasks"] == []
    assert answer["subtasksDropped"]["count"] == lines
    assert answer["result"] == task["result"]  # and its result
    assert sum(asking.written(answer)) == sum(asking.written(task)) > 0  # counted from it


def test_tasks_list_pages_past_the_newest_and_says_how_to_see_the_next_page(
    cli: Cli, package: Path
) -> None:
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    for _ in range(5):
        cli.imported(package, workspace=target)
        cli.remote.call("DELETE", "/jobs/daily_sales", workspace=target)
    every = [t["id"] for t in cli.json("tasks", "list", workspace=target)["tasks"]]
    assert len(every) == 5

    first = cli("tasks", "list", "--limit", "2", workspace=target)

    assert first.exit_code == 0, first.output
    said = " ".join(first.stdout.split())
    told = re.search(r"Tasks 1-2 of 5, newest first; the next page: jobferry (.+?)\.$", said)
    assert told, said
    assert told.group(1).startswith("tasks list --limit 2 -w target")
    second = cli.json(*told.group(1).split())  # the command the note says, as it says it
    assert [t["id"] for t in second["tasks"]] == every[2:4]
    last = cli("tasks", "list", "--limit", "2", "--page", "3", workspace=target)
    assert every[4] in last.stdout
    assert "Tasks 5-5 of 5, newest first." in " ".join(last.stdout.split())
    past = cli("tasks", "list", "--limit", "2", "--page", "9", workspace=target)
    assert "Page 9 is past the end: 5 task(s), 3 page(s)." in " ".join(past.stdout.split())
    assert cli("tasks", "list", "--page", "0").exit_code == 2
