"""Servers started again: after a crash, alone on their database, they fail the dead process's
task and free the workspace at once, instead of four heartbeats later (a minute at the default
15 s) with the workspace locked behind ``RUNNING`` (the heartbeat is left at its default here:
had the restarted server waited for it, the task would still read RUNNING when it first
answers); after a restore without the ``secret.key``, they refuse to start and say so.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from support.crashes import database_url, kill
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
    url = database_url(backend, tmp_path, request)
    server = start_server(tmp_path / "data", url)
    try:
        ws = new_workspace(server, "restarted", "dws_conn")
        task_id = start_bulk_import(server, ws, JOBS)
        wait_until_checking(server, ws, task_id)
        kill(server)
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


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_restore_without_its_secret_key_refuses_to_start_and_health_says_so(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The database came back from a backup, its ``secret.key`` did not (or another one was
    put back): the server writes no new key, serves nothing, and ``/health`` says why."""
    url = database_url(backend, tmp_path, request)
    data = tmp_path / "data"
    start_server(data, url).stop()  # its admin credential is encrypted with data/secret.key
    key = data / "secret.key"
    kept = key.read_bytes()
    key.unlink()

    for restored in (None, Fernet.generate_key()):  # no key, then another key
        if restored is not None:
            key.write_bytes(restored)
        refusing = start_server(data, url, health=503)
        try:
            health = requests.get(refusing.url + "/health", timeout=10).json()
            assert health["status"] == "refusing to start"
            assert health["error_code"] == "DLF.9510"
            assert "Restore the secret.key backed up with this database" in health["error_msg"]
            signed = refusing.call("GET", "/workspaces")
            assert signed.status_code == 503
            assert signed.json()["error_code"] == "DLF.9510"
            assert key.exists() == (restored is not None)  # no key was generated
            log = refusing.log.read_text(encoding="utf-8")
            assert "error DLF.9510: refusing to start." in log
        finally:
            refusing.stop()

    key.write_bytes(kept)
    started = start_server(data, url)  # the right key back: it starts as before
    try:
        assert started.call("GET", "/workspaces").status_code == 200
    finally:
        started.stop()
