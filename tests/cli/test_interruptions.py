"""Ctrl-C after the server accepted an import: ``import``, ``apply`` and ``promote --apply``
stop following (exit 130) and say that the import goes on, how to follow it and how to roll it
back; the import itself ends on the server as if nobody had left. Ctrl-C while following any
other task (an export, ``tasks show --wait``) says the same of it, at a question says nothing
was changed, and anywhere else (the command line still loading) is one line and exit 130,
never a traceback."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from click.testing import Result

from jobferry.cli import terminal
from jobferry.cli.client import ApiClient, ConnectionProblemError
from support.builders import make_job, make_script
from support.cli import Cli, CtrlC, invoke, register
from support.exporting import seed


@pytest.fixture
def interrupted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Ctrl-C, once, while the CLI follows a task: the task is followed to its end on the
    server first (so the test can see it was not stopped), then the key is pressed. Lists the
    task interrupted; later waits (the printed ``tasks show --wait``) are not."""
    followed: list[str] = []
    real = ApiClient.wait_task

    def pressed(self: ApiClient, task_id: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        task = real(self, task_id, *args, **kwargs)
        if followed:
            return task
        followed.append(task_id)
        raise KeyboardInterrupt

    monkeypatch.setattr(ApiClient, "wait_task", pressed)
    return followed


def _said(result: Result, task_id: str) -> tuple[str, str]:
    """The follow and rollback commands the interruption printed, checked and returned."""
    assert result.exit_code == 130, (result.stdout, result.stderr)
    text = " ".join(result.stderr.split())
    assert f"Stopped following import task {task_id}; the import goes on in the server." in text
    follow = text.split("Follow it to its end with: ", 1)[1].split(" Once", 1)[0]
    rollback = text.split("undo what it wrote with: ", 1)[1].strip()
    assert shlex.split(follow)[-3:-1] == ["--wait", "-w"]
    assert f"tasks show {task_id} --wait" in follow
    assert f"rollback {task_id}" in rollback
    return follow, rollback


def _follow_and_roll_back(cli: Cli, follow: str, rollback: str) -> dict[str, Any]:
    """Run the printed commands (minus the leading ``jobferry``); the task's JSON."""
    task = cli.json(*shlex.split(follow)[1:])
    assert task["status"] == "SUCCESSFUL"
    undone = cli.json(*shlex.split(rollback)[1:], "--yes")
    assert undone["rolledBack"] >= 1
    return dict(task)


def test_ctrl_c_after_an_import_was_accepted_says_it_goes_on_and_how_to_undo_it(
    cli: Cli, package: Path, interrupted: list[str]
) -> None:
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    result = cli("import", str(package), "--yes", workspace=target)
    [task_id] = interrupted
    follow, rollback = _said(result, task_id)
    job = cli.remote.call("GET", "/jobs/daily_sales", workspace=target)
    assert job.status_code == 200, job.text  # the server finished the import
    _follow_and_roll_back(cli, follow, rollback)
    gone = cli.remote.call("GET", "/jobs/daily_sales", workspace=target)
    assert gone.status_code == 400


def test_ctrl_c_in_json_mode_answers_the_task_and_both_commands(
    cli: Cli, package: Path, interrupted: list[str]
) -> None:
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    answer = cli.json("import", str(package), "--yes", workspace=target, code=130)
    [task_id] = interrupted
    error = answer["error"]
    name = cli.remote.workspace_name(target)
    assert (error["code"], error["taskId"]) == ("interrupted", task_id)
    assert error["follow"].endswith(f"tasks show {task_id} --wait -w {name}")
    assert error["rollback"].endswith(f"rollback {task_id} -w {name}")


def test_ctrl_c_while_apply_follows_its_import(cli: Cli, interrupted: list[str]) -> None:
    register(cli.remote, cli.workspace, "dws_conn", "ssh_conn")
    root = cli.cwd / "defs"
    for folder, document in (
        ("jobs", make_job("daily_sales")),
        ("scripts", make_script("daily_sales_sql")),
        ("scripts", make_script("daily_sales_sh", type="Shell")),
    ):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / f"{document['name']}.json").write_text(json.dumps(document), "utf-8")
    result = cli("apply", "-f", str(root), "--yes")
    assert interrupted, (result.stdout, result.stderr)
    follow, rollback = _said(result, interrupted[0])
    _follow_and_roll_back(cli, follow, rollback)


def test_ctrl_c_while_promote_apply_follows_its_import(cli: Cli, interrupted: list[str]) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    route = f"ctrl-c-{uuid.uuid4().hex[:8]}"
    made = cli("routes", "create", route, "--from", cli.workspace, "--to", prod)
    assert made.exit_code == 0, made.output
    result = cli("promote", route, "--apply", "--yes")
    [task_id] = interrupted
    follow, rollback = _said(result, task_id)
    history = cli.json("routes", "history", route)["promotions"]
    assert [p["taskId"] for p in history] == [task_id]  # recorded before the wait
    _follow_and_roll_back(cli, follow, rollback)


def test_losing_the_server_while_following_an_import_names_the_task(
    cli: Cli, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server went away (stopped, restarted) after accepting the import: it finishes what
    # it runs, so what the user needs is the task's id and how to follow and undo it.
    followed: list[str] = []
    real = ApiClient.wait_task

    def gone(self: ApiClient, task_id: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        real(self, task_id, *args, **kwargs)
        followed.append(task_id)
        raise ConnectionProblemError("Cannot reach http://127.0.0.1:1 (ConnectionError).")

    monkeypatch.setattr(ApiClient, "wait_task", gone)
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    result = cli("import", str(package), "--yes", workspace=target)
    [task_id] = followed
    assert result.exit_code == 1, (result.stdout, result.stderr)
    text = " ".join(result.stderr.split())
    assert "Cannot reach http://127.0.0.1:1" in text
    assert f"Lost the server while following import task {task_id}" in text
    assert f"tasks show {task_id} --wait" in text
    assert "Once it has ended, undo what it wrote with: " in text
    assert f"rollback {task_id}" in text
    other = cli.remote.new_workspace("other", "dws_conn", "ssh_conn")
    answer = cli.json("import", str(package), "--yes", workspace=other, code=1)
    assert answer["error"]["code"] == "unreachable"
    assert answer["error"]["taskId"] == followed[-1]


def test_an_import_that_ended_is_said_when_the_server_goes_right_after(
    cli: Cli, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server restarted after the import's end was read: the answer still says the import
    (its task and rollback, the workspace named by id), not that the server cannot be reached."""
    from jobferry.cli import workspaces

    def gone(client: ApiClient) -> Any:
        raise ConnectionProblemError("Cannot reach http://127.0.0.1:1 (ConnectionError).")

    monkeypatch.setattr(workspaces, "listed", gone)
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    answer = cli.json("import", str(package), "--yes", workspace=target)
    assert answer["task"]["status"] == "SUCCESSFUL"
    assert f"rollback {answer['task']['id']} -w {target}" in answer["rollback"]


def test_ctrl_c_while_planning_is_one_json_document_and_exit_130(
    cli: Cli, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C before the server accepted an import (while it plans): exit 130, and under
    --json the one document every command prints, saying what happened."""

    def interrupted(self: ApiClient, *args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(ApiClient, "call", interrupted)
    answer = cli.json("plan", str(package), code=130)
    assert answer["error"]["code"] == "interrupted"
    assert "may still complete" in answer["error"]["message"]
    human = cli("plan", str(package))
    assert human.exit_code == 130
    assert "Traceback" not in human.output


def _stopped(result: Result, what: str) -> tuple[str, str]:
    """The task an interruption while following ``what`` named, and the command it printed
    to follow it (checked: exit 130, one message, no traceback)."""
    assert result.exit_code == 130, (result.stdout, result.stderr)
    assert "Traceback" not in result.output
    text = " ".join(result.stderr.split())
    task_id = text.split(f"Stopped following {what} task ", 1)[1].split(";", 1)[0]
    assert f"task {task_id}; the {what} goes on in the server." in text
    follow = text.split("Follow it to its end with: ", 1)[1].split(" Once", 1)[0]
    assert f"tasks show {task_id} --wait" in follow
    return task_id, follow


def test_ctrl_c_while_export_follows_its_task_says_it_goes_on_and_where_its_package_will_be(
    cli: Cli, interrupted: list[str]
) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    result = cli("export", "--workspace-all", "-o", "all.zip")
    task_id, follow = _stopped(result, "export")
    assert interrupted == [task_id]
    assert "its package is in the download center:" in result.stderr
    assert "downloads list -w" in " ".join(result.stderr.split())
    assert not (cli.cwd / "all.zip").exists()
    task = cli.json(*shlex.split(follow)[1:])
    assert task["status"] == "SUCCESSFUL"  # the server finished the export
    [download] = cli.json("downloads", "list")["downloads"]
    assert download["id"] == task["result"]["downloadId"]


def test_ctrl_c_while_pull_follows_its_export_says_the_folder_is_as_it_was_and_to_pull_again(
    cli: Cli, interrupted: list[str]
) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    result = cli("pull", "defs")
    task_id, _ = _stopped(result, "export")
    assert interrupted == [task_id]
    text = " ".join(result.stderr.split())
    assert "download center" not in text
    again = text.split("to pull it, run again: ", 1)[1].strip()
    assert not (cli.cwd / "defs").exists()
    assert cli(*shlex.split(again)[1:]).exit_code == 0
    assert (cli.cwd / "defs" / "jobs" / "daily_sales.json").is_file()


def test_ctrl_c_while_tasks_show_waits_says_the_task_goes_on(
    cli: Cli, package: Path, interrupted: list[str]
) -> None:
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    assert cli("import", str(package), "--yes", workspace=target).exit_code == 130
    [task_id] = interrupted
    interrupted.clear()
    answer = cli.json("tasks", "show", task_id, "--wait", workspace=target, code=130)
    assert interrupted == [task_id]
    error = answer["error"]
    assert (error["code"], error["taskId"]) == ("interrupted", task_id)
    assert f"Stopped following task {task_id}; it goes on in the server." in error["message"]
    name = cli.remote.workspace_name(target)
    assert error["follow"].endswith(f"tasks show {task_id} --wait -w {name}")


def test_ctrl_c_at_the_question_exits_130_and_changes_nothing(
    cli: Cli, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C where ``rollback`` asks: one line and exit 130 (not click's "Aborted.", exit 1,
    which says nothing of what was done), and the import stays."""
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    task_id = cli.imported(package, workspace=target)["task"]["id"]
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(typer.testing, "make_input_stream", lambda *_: CtrlC())
    result = cli("rollback", task_id, workspace=target)
    assert result.exit_code == 130, (result.stdout, result.stderr)
    assert "Roll back import" in result.stderr  # it asked
    assert (
        result.stderr.splitlines()[-1] == "error: Interrupted at the question; nothing was changed."
    )
    assert "Aborted" not in result.output
    job = cli.remote.call("GET", "/jobs/daily_sales", workspace=target)
    assert job.status_code == 200, job.text


def test_ctrl_c_at_the_password_question_exits_130(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    monkeypatch.setattr(typer.testing, "make_input_stream", lambda *_: CtrlC())
    result = invoke(["admin", "set-password", "admin"], env=cli.server.admin_env())
    assert result.exit_code == 130, (result.stdout, result.stderr)
    assert result.stderr.endswith("error: Interrupted at the question; nothing was changed.\n")
    assert "Aborted" not in result.output


def test_ctrl_c_in_a_command_that_called_no_server_says_only_that(
    cli: Cli, package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jobferry.cli import package as package_commands

    def pressed(*args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(package_commands, "read", pressed)
    result = cli("package", "inspect", str(package))
    assert result.exit_code == 130
    assert result.stderr == "error: Interrupted.\n"


LOADING = """
import sys


class Pressed:
    \"\"\"Ctrl-C while the command line's modules load.\"\"\"

    def find_spec(self, name, path=None, target=None):
        if name == "jobferry.cli.app":
            raise KeyboardInterrupt


sys.meta_path.insert(0, Pressed())
sys.argv = ["jobferry", *sys.argv[1:]]
from jobferry.cli import main

main()
"""


@pytest.mark.parametrize("json_mode", [False, True])
def test_ctrl_c_while_the_command_line_loads_is_one_line_not_a_traceback(json_mode: bool) -> None:
    args = ["jobs", "list", *(["--json"] if json_mode else [])]
    done = subprocess.run(
        [sys.executable, "-c", LOADING, *args], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 130, (done.stdout, done.stderr)
    if json_mode:
        assert json.loads(done.stdout) == {
            "error": {"code": "interrupted", "message": "Interrupted."}
        }
        assert done.stderr == ""
    else:
        assert (done.stdout, done.stderr) == ("", "error: Interrupted.\n")
