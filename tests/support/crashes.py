"""A server killed (SIGKILL) in the middle of its work and started again on the same data: the
scaffolding of the crash tests (a deploy, a rollback, an import, a restart)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from support.server import ServerProcess

HEARTBEAT = {"JOBFERRY_WORKER_HEARTBEAT_SECONDS": "1"}
"""A short worker heartbeat: the restarted server finds the killed one's task dead at once."""


def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A database the killed server and the restarted one share: a SQLite file in
    ``tmp_path``, or a fresh PostgreSQL schema (``backend``: sqlite, postgresql)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'jobferry.db'}"
    return str(request.getfixturevalue("shared_pg"))


def kill(server: ServerProcess) -> None:
    """Kill the server at once (no shutdown of any kind) and wait until it is gone."""
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait()
