"""import and rollback say where and how much before they ask, and an import ends with the
exact command that rolls it back."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import orjson
import pytest

from jobferry.cli import asking, terminal
from jobferry.cli.client import ApiClient, ApiError
from support.builders import editable
from support.cli import Cli, invoke


def test_the_import_question_names_workspace_endpoint_and_counts_and_the_last_line_rolls_back(
    cli: Cli, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    name = cli.remote.workspace_name(target)
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    declined = cli("import", str(package), workspace=name, input="n\n")
    question = (
        f"Import into workspace {name} ({target}) at {cli.server.url}: 4 to create, "
        "0 to overwrite, 0 skipped, 0 unchanged?"
    )
    assert question in declined.stderr
    assert declined.exit_code == 1

    imported = cli("import", str(package), workspace=name, input="y\n")
    assert imported.exit_code == 0, imported.output
    last = imported.output.strip().splitlines()[-1]
    assert last.startswith("Task ")
    task_id = last.split()[1].rstrip(".")
    command = f"jobferry --config {cli.config} rollback {task_id} -w {name}"
    assert last.endswith(f"Roll it back with: {command}")
    assert (
        cli.json("import", str(package), "--dry-run", workspace=target)["plan"]["summary"][
            "UNCHANGED"
        ]
        == 4
    )
    as_json = cli.json("tasks", "show", task_id, workspace=target)
    assert as_json["status"] == "SUCCESSFUL"

    # the printed command, run as printed, asks with the counts and rolls the import back
    words = shlex.split(command)[1:]
    asked = invoke(words, input="n\n")
    assert (
        f"Roll back import {task_id} in workspace {name} ({target}) at {cli.server.url}: "
        "delete the 4 object(s) it created and restore the 0 it overwrote?"
    ) in asked.stderr
    assert cli.remote.call("GET", "/jobs", workspace=target).json()["total"] == 1
    rolled = invoke(words, input="y\n")
    assert rolled.exit_code == 0, rolled.output
    assert "Rolled back 4 object(s)." in rolled.stdout
    assert cli.remote.call("GET", "/jobs", workspace=target).json()["total"] == 0


def test_json_import_carries_the_rollback_command(cli: Cli, package: Path) -> None:
    target = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    result = cli.imported(package, workspace=target)
    name = cli.remote.workspace_name(target)
    task_id = result["task"]["id"]
    assert result["rollback"] == f"jobferry --config {cli.config} rollback {task_id} -w {name}"


def test_the_rollback_question_counts_only_what_a_partial_import_wrote(
    cli: Cli, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the connections, a per-object import fails the jobs and writes the rest.
    bare = cli.remote.new_workspace("bare")
    result = cli.json(
        "import", str(package), "--yes", "--mode", "per-object", workspace=bare, code=3
    )
    task_id = result["task"]["id"]
    stored = sum(
        cli.remote.call("GET", path, workspace=bare).json()["total"]
        for path in ("/jobs", "/scripts", "/resources")
    )
    assert 0 < stored < 4
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    asked = cli("rollback", task_id, workspace=bare, input="n\n")
    assert (
        f"delete the {stored} object(s) it created and restore the 0 it overwrote?" in asked.stderr
    )
    assert result["rollback"].endswith(f"rollback {task_id} -w {cli.remote.workspace_name(bare)}")


def test_an_import_rolled_back_or_past_its_rollback_is_not_asked_about() -> None:
    assert not asking.cannot_roll_back({"status": "SUCCESSFUL"})
    assert asking.cannot_roll_back({"rolledBack": {"at": 1, "by": "alice"}})
    assert asking.cannot_roll_back({"rollbackExpired": {"at": 1, "keptDays": 30}})


def test_an_import_whose_lines_were_dropped_counts_what_a_rollback_restores_from_its_summary() -> (
    None
):
    summary = {"CREATE": 2, "OVERWRITE": 3, "RENAME": 1, "DELETE": 0, "UNCHANGED": 600}
    task = {
        "id": "t1",
        "status": "SUCCESSFUL",
        "subtasks": [],
        "subtasksDropped": {"at": 1, "keptDays": 30, "count": 606},
        "result": {"summary": summary},
    }
    assert asking.written(task) == (2, 4)  # not "nothing was written"
    assert asking.written({**task, "subtasksDropped": None}) == (0, 0)  # lines it lacks


def test_renames_and_deletes_count_as_what_a_rollback_restores() -> None:
    task = {
        "subtasks": [
            {"action": "CREATE", "status": "SUCCESSFUL"},
            {"action": "OVERWRITE", "status": "SUCCESSFUL"},
            {"action": "RENAME", "status": "SUCCESSFUL"},
            {"action": "DELETE", "status": "SUCCESSFUL"},
            {"action": "DELETE", "status": "FAILED"},
            {"action": "UNCHANGED", "status": "SUCCESSFUL"},
        ]
    }
    assert asking.written(task) == (1, 3)


def test_a_rollback_the_server_would_refuse_is_refused_before_anything_is_asked(
    cli: Cli, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    task_id = cli.imported(package, workspace=target)["task"]["id"]
    edited = editable(cli.remote.call("GET", "/jobs/daily_sales", workspace=target).json())
    edited["description"] = "changed by hand"
    assert cli.remote.call("PUT", "/jobs/daily_sales", edited, workspace=target).status_code == 204
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)

    refused = cli("rollback", task_id, workspace=target, input="y\n")

    assert refused.exit_code == 1, refused.output
    assert "Roll back import" not in refused.stderr  # nothing asked for nothing
    assert "job 'daily_sales' was edited" in refused.output
    said = cli("rollback", task_id, "--json", workspace=target, input="y\n")
    as_json = orjson.loads(said.stdout)
    assert (as_json["error"]["code"], as_json["error"]["rule"]) == ("DLF.9016", "changed")
    assert as_json["error"]["conflicts"] == ["job 'daily_sales' was edited"]
    assert cli.remote.call("GET", "/jobs", workspace=target).json()["total"] == 1
    tasks = cli.remote.call("GET", "/system-tasks", workspace=target).json()["tasks"]
    assert [t["kind"] for t in tasks].count("rollback") == 0  # no rollback was started


def test_a_server_that_cannot_tell_a_rollback_first_is_asked_as_before(
    cli: Cli, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older jobferry answers ``GET …/rollback`` 405: the question counts the import's
    task, and the rollback itself says what it refuses."""
    target = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    name = cli.remote.workspace_name(target)
    task_id = cli.imported(package, workspace=target)["task"]["id"]
    call = ApiClient.call

    def older(self: ApiClient, method: str, path: str, *args: Any, **kwargs: Any) -> Any:
        if method == "GET" and path.endswith("/rollback"):
            raise ApiError(405, "", "Method Not Allowed", {})
        return call(self, method, path, *args, **kwargs)

    monkeypatch.setattr(ApiClient, "call", older)
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    asked = cli("rollback", task_id, workspace=name, input="n\n")
    assert asked.exit_code == 1
    assert "delete the 4 object(s) it created and restore the 0 it overwrote?" in asked.stderr
    rolled = cli("rollback", task_id, workspace=name, input="y\n")
    assert rolled.exit_code == 0, rolled.output
    assert cli.remote.call("GET", "/jobs", workspace=target).json()["total"] == 0
