"""A server killed (kill -9) while it plans a route's promotion as a task (its source, a
remote's shadow, being refreshed call by call) leaves no plan: started again, alone on its
database, it fails the task saying the process stopped, and the next promotion plans the
same changes whole.

The remote is a second jobferry server behind the contract filter, with latency added so that
the refresh is slow enough to be killed while its calls are made. On SQLite only: that a task
of a killed server is failed on PostgreSQL too is shown by tests/e2e/test_restart.py, and the
plan left unmade by the service tests (tests/unit/services/routes/test_running.py) on both."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from support.crashes import HEARTBEAT, kill
from support.gateway import Gateway
from support.remotes import remote_body, seeded_workspace
from support.server import ServerProcess, new_workspace, start_server

JOBS = ("orders", "customers", "legacy")
AT_ONCE = {"Prefer": "respond-async, wait=0"}


def _task(server: ServerProcess, ws: str, task_id: str) -> dict[str, Any]:
    answer = server.call("GET", f"/system-tasks/{task_id}", workspace=ws)
    assert answer.status_code == 200, answer.text
    task: dict[str, Any] = answer.json()
    return task


def _until(what: str, check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")


@pytest.mark.slow
def test_a_server_killed_mid_plan_leaves_no_plan_and_its_task_failed_saying_why(
    tmp_path: Path, gateway: Gateway, remote_server: ServerProcess
) -> None:
    source_ws = seeded_workspace(remote_server, "dtest", JOBS)
    url = f"sqlite:///{tmp_path / 'jobferry.db'}"
    server = start_server(tmp_path / "data", url, **HEARTBEAT)
    try:
        body = json.dumps(remote_body(gateway, remote_server, source_ws, name="dtest"))
        added = server.call("POST", "/remotes", body.encode())
        assert added.status_code == 200, added.text
        prod_name = f"prod_{uuid.uuid4().hex[:8]}"
        prod = new_workspace(server, prod_name, "dws_conn", "ssh_conn")
        route = {"source": {"workspace": "dtest"}, "target": {"workspace": prod_name}}
        assert server.call("PUT", "/routes/r", json.dumps(route).encode()).status_code == 200
        gateway.reset()
        gateway.latency = 0.3  # the source's refresh: a few calls a second

        started = server.call("POST", "/routes/r/plans", b"{}", extra_headers=AT_ONCE)
        assert started.status_code == 202, started.text
        assert started.json()["workspace"] == prod
        task_id = started.json()["taskId"]
        _until("the source's refresh under way", lambda: len(gateway.calls()) >= 2)
        kill(server)
    finally:
        server.stop()

    restarted = start_server(tmp_path / "data", url, **HEARTBEAT)
    try:
        gateway.latency = 0.0
        task = _task(restarted, prod, task_id)  # failed as the server started, alone
        assert (task["kind"], task["status"]) == ("promotion", "FAILED"), task
        assert "stopped before it finished" in task["message"]
        history = restarted.call("GET", "/routes/r/promotions").json()
        assert history["promotions"] == []

        again = restarted.call("POST", "/routes/r/plans", b"{}")
        assert again.status_code == 200, again.text
        planned = again.json()
        assert planned["promotion"]["since"] is None  # the whole selection, as the first time
        jobs = {o["name"]: o["action"] for o in planned["plan"]["objects"] if o["kind"] == "job"}
        assert jobs == dict.fromkeys(JOBS, "CREATE")
    finally:
        restarted.stop()
