"""CLI tests: one real server per backend for the test process, a fresh workspace per test
(on SQLite unless a test is marked for PostgreSQL too: ``support/backends.py``).

Commands run in-process through Typer's CliRunner (so their output and exit codes are what a
terminal would get), talking over HTTP to a ``jobferry serve`` process on loopback.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from support.cli import Cli, Remote, write_config
from support.exporting import seed
from support.server import ServerProcess, SharedServers


@pytest.fixture(scope="package", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, shared_servers: SharedServers) -> ServerProcess:
    """The test process's shared ``jobferry serve`` on each backend."""
    return shared_servers.get(request.param)


@pytest.fixture
def remote(server: ServerProcess) -> Remote:
    """Signed calls to the shared server."""
    return Remote(server)


@pytest.fixture
def cli(
    server: ServerProcess, remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Cli:
    """The CLI pointed at the server and a fresh workspace, run from an empty folder."""
    workspace = remote.new_workspace()
    config = write_config(tmp_path / "config.toml", server, workspace)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return Cli(server, remote, workspace, config, work)


@pytest.fixture
def target_server(request: pytest.FixtureRequest, second_servers: SharedServers) -> ServerProcess:
    """A second server of the same backend as the source's, with a database of its own (the
    other side of an air gap)."""
    backend: str = request.node.callspec.params["server"]
    return second_servers.get(backend)


@pytest.fixture
def prod(target_server: ServerProcess, tmp_path: Path) -> Cli:
    """The CLI pointed at the target server and its prod workspace."""
    remote = Remote(target_server)
    workspace = remote.new_workspace(f"prod_{uuid.uuid4().hex[:8]}", "dws_conn", "ssh_conn")
    config = write_config(tmp_path / "target.toml", target_server, workspace)
    return Cli(target_server, remote, workspace, config, tmp_path / "work")


@pytest.fixture
def package(cli: Cli) -> Path:
    """daily_sales and what it uses, exported with the CLI from its workspace to pkg.zip."""
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    return Path(cli.json("export", "daily_sales", "-o", "pkg.zip")["file"])
