"""A pipeline bounds how long a command follows a task: past ``--wait-timeout`` (or
``JOBFERRY_WAIT_TIMEOUT``, or the context's ``wait_timeout``) the command stops waiting, exits
124 and says the task goes on in the server, how to follow it and, for an import, how to undo
it; the task itself is not touched. The server here runs no task (``JOBFERRY_TASK_THREADS=0``:
its tasks wait queued for a process that never comes), the stuck worker a pipeline meets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from support.cli import Cli, Remote, write_config
from support.packages import write_package
from support.server import ServerProcess, serving


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with serving("sqlite", tmp_path_factory.mktemp("idle"), JOBFERRY_TASK_THREADS="0") as server:
        yield server


@pytest.fixture
def idle(idle_server: ServerProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI pointed at a fresh workspace of the server that runs no task."""
    remote = Remote(idle_server)
    workspace = remote.new_workspace("idle", "dws_conn", "ssh_conn")
    config = write_config(tmp_path / "config.toml", idle_server, workspace)
    monkeypatch.chdir(tmp_path)
    return Cli(idle_server, remote, workspace, config, tmp_path)


def _running(cli: Cli, task_id: str) -> bool:
    task = cli.remote.call("GET", f"/system-tasks/{task_id}", workspace=cli.workspace).json()
    return bool(task["status"] == "RUNNING")


def test_an_import_still_running_past_the_wait_timeout_exits_124_naming_how_to_follow_and_undo(
    idle: Cli, tmp_path: Path
) -> None:
    package = write_package(tmp_path / "pkg.zip")
    result = idle("import", str(package), "--yes", env={"JOBFERRY_WAIT_TIMEOUT": "0.5"})
    assert result.exit_code == 124, (result.stdout, result.stderr)
    text = " ".join(result.stderr.split())
    task_id = text.split("Stopped waiting for import task ", 1)[1].split()[0]
    # Without a terminal, the task is named as soon as it runs past its first look: a log cut
    # short by the pipeline's own limit still says which task to follow.
    assert text.startswith(f"Importing: task {task_id} is running (0%): ")
    assert "after 0.5 s (--wait-timeout, JOBFERRY_WAIT_TIMEOUT)" in text
    assert "the import goes on in the server (last seen: RUNNING 0%)" in text
    assert (
        f"Follow it to its end with: jobferry --config {idle.config} tasks show {task_id}" in text
    )
    assert f"undo what it wrote with: jobferry --config {idle.config} rollback {task_id}" in text
    assert "Imported." not in result.stdout
    assert _running(idle, task_id)  # stopping the wait stopped nothing of the import


def test_in_json_mode_the_timeout_is_one_document_naming_the_task(idle: Cli) -> None:
    result = idle("--wait-timeout", "0.5", "export", "--workspace-all", "-o", "all.zip", "--json")
    assert result.exit_code == 124, (result.stdout, result.stderr)
    error = orjson.loads(result.stdout)["error"]
    assert (error["code"], error["waited"], error["status"]) == ("timeout", 0.5, "RUNNING")
    name = idle.remote.workspace_name(idle.workspace)
    assert error["follow"].endswith(f"tasks show {error['taskId']} --wait -w {name}")
    assert "downloads list" in error["message"]  # where the export's package will be
    assert _running(idle, error["taskId"])
    assert not (idle.cwd / "all.zip").exists()


def test_the_wait_is_unbounded_unless_asked_and_a_bad_limit_is_a_usage_error(idle: Cli) -> None:
    bad = idle("--wait-timeout", "soon", "export", "--workspace-all", "--json")
    assert bad.exit_code == 2, (bad.stdout, bad.stderr)
    assert orjson.loads(bad.stdout)["error"] == {
        "code": "config",
        "message": "--wait-timeout='soon' is not a number of seconds from 0 (no limit) to "
        "86400 (a day).",
    }
    # The option wins over the variable: 0 (no limit) would follow for ever; 0.2 ends it.
    late = idle(
        "--wait-timeout",
        "0.2",
        "export",
        "--workspace-all",
        "--json",
        env={"JOBFERRY_WAIT_TIMEOUT": "0"},
    )
    assert late.exit_code == 124, (late.stdout, late.stderr)
