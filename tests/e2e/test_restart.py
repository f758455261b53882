"""A server killed in the middle of an import and started again, alone on its database: its
first act fails the dead process's task and frees the workspace, instead of four heartbeats
later (a minute at the default 15 s) with the workspace locked behind ``RUNNING``.

The heartbeat is left at its default here: had the restarted server waited for it, the task
would still read RUNNING when the restarted server first answers.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from support.server import (
    new_workspace,
    start_bulk_import,
    start_server,
    wait_for_task,
    wait_until_checking,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
JOBS = 3000
"""Enough that the import is still checking when the test kills the server."""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_server_restarted_alone_fails_its_dead_task_at_once_and_frees_the_workspace(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'jobferry.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("shared_pg"))
    )
    server = start_server(tmp_path / "data", url)
    try:
        ws = new_workspace(server, "restarted", "dws_conn")
        task_id = start_bulk_import(server, ws, JOBS)
        wait_until_checking(server, ws, task_id)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
    finally:
        server.stop()

    restarted = start_server(tmp_path / "data", url)
    try:
        answer = restarted.call("GET", f"/system-tasks/{task_id}", workspace=ws)
        assert answer.status_code == 200, answer.text
        task = answer.json()
        assert task["status"] == "FAILED", task
        assert "stopped before it finished" in task["message"]
        log = restarted.log.read_text(encoding="utf-8")
        assert "started alone on the database: marked 1 orphaned task(s) FAILED" in log
        again = start_bulk_import(restarted, ws, 10)  # the workspace's import lock is free
        assert wait_for_task(restarted, ws, again).status == "SUCCESSFUL"
    finally:
        restarted.stop()
