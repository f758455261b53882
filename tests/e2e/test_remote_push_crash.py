"""A server killed (kill -9) in the middle of a push to a remote finishes the push's undo once
it starts again: the remote holds what it held before, the task says what was undone.

Two jobferry servers: this side (a process of its own, killed and restarted) and the remote,
behind the contract filter with latency added so that the push is slow enough to be killed
while its calls are made.

On SQLite only: what recovery does after a push died midway is shown on both databases at the
service level (tests/unit/services/remotes/test_recovery.py), and that a server killed on
PostgreSQL keeps what it committed and fails or finishes its task when it starts again by
tests/e2e/test_restart.py, test_sdk_import.py and test_releases_crash.py."""

from __future__ import annotations

import json
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from jobferry.services.remotes.client import DataArtsClient, RemoteEndpoint
from jobferry.services.remotes.refresh import read_jobs
from support.gateway import Gateway
from support.packages import bulk_package
from support.remotes import remote_body
from support.server import (
    ServerProcess,
    new_workspace,
    start_import,
    start_server,
    upload_package,
)

JOBS = 16


def _remote_jobs(server: ServerProcess, ws: str) -> set[str]:
    endpoint = RemoteEndpoint(server.url, server.project_id, ws, server.ak, server.sk)
    with DataArtsClient("check", endpoint) as client:
        reads = read_jobs(client, {"job": {}, "submitted": {}, "listed": {}, "created": {}})
    reads.close()
    return set(reads.jobs.hashes)


def _task(server: ServerProcess, ws: str, task_id: str) -> dict[str, Any]:
    answer = server.call("GET", f"/system-tasks/{task_id}", workspace=ws)
    assert answer.status_code == 200, answer.text
    task: dict[str, Any] = answer.json()
    return task


def _wait(what: str, check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout} s")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_server_killed_mid_push_finishes_the_undo_when_it_starts_again(
    backend: str,
    tmp_path: Path,
    gateway: Gateway,
    remote_server: ServerProcess,
    request: pytest.FixtureRequest,
) -> None:
    remote_ws = new_workspace(remote_server, f"prod_{uuid.uuid4().hex[:8]}", "dws_conn")
    env = {
        "JOBFERRY_WORKER_HEARTBEAT_SECONDS": "1",
        "JOBFERRY_REMOTE_PUSH_CALLS_IN_FLIGHT": "2",
        # the calls in flight when the process dies reach the remote 0.4 s later (the
        # gateway's latency): the restarted server waits this long before it reads the remote
        "JOBFERRY_REMOTE_SETTLE_SECONDS": "3",
    }
    url = (
        f"sqlite:///{tmp_path / 'jobferry.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("shared_pg"))
    )
    server = start_server(tmp_path / "data", url, **env)
    try:
        body = remote_body(gateway, remote_server, remote_ws)
        added = server.call("POST", "/remotes", json.dumps(body).encode())
        assert added.status_code == 200, added.text
        shadow = added.json()["shadowWorkspace"]["id"]
        conn = json.dumps({"type": "DWS", "config": {}, "secrets": {"password": "pw"}}).encode()
        put = server.call("PUT", "/environment/connection/dws_conn", conn, workspace=shadow)
        assert put.status_code == 200, put.text
        assert server.call("POST", "/remotes/prod/refresh", b"").status_code == 200
        gateway.reset()
        gateway.latency = 0.4
        task_id = start_import(server, shadow, upload_package(server, bulk_package(JOBS), shadow))
        _wait("five writes", lambda: len(gateway.writes()) >= 5)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
    finally:
        server.stop()
    # the calls in flight when the process died are still on their way (the gateway's
    # latency): the restart is at once, and its recovery waits for them to land
    restarted = start_server(tmp_path / "data", url, **env)
    try:
        half = _remote_jobs(remote_server, remote_ws)
        assert 0 < len(half) < JOBS  # the remote was left half-pushed
        gateway.latency = 0.0
        task = _wait(
            "the undo after the restart",
            lambda: (
                (t := _task(restarted, shadow, task_id))["message"].find("after a restart") >= 0
                and t
            ),
        )
        assert task["status"] == "FAILED"
        assert "the remote is as it was before the push" in task["message"], task["message"]
        assert len(half) <= len(task["result"]["push"]["undone"]) < JOBS
        assert _remote_jobs(remote_server, remote_ws) == set()
        listed = restarted.call("GET", "/jobs", workspace=shadow).json()
        assert listed["total"] == 0  # the shadow changes only with the remote
        # the remote is free again: the same push now lands whole
        again = start_import(
            restarted, shadow, upload_package(restarted, bulk_package(JOBS), shadow)
        )
        done = _wait(
            "the second push",
            lambda: (t := _task(restarted, shadow, again))["status"] != "RUNNING" and t,
        )
        assert done["status"] == "SUCCESSFUL", done["message"]
        assert len(_remote_jobs(remote_server, remote_ws)) == JOBS
        assert restarted.call("GET", "/jobs", workspace=shadow).json()["total"] == JOBS
    finally:
        restarted.stop()
