"""CLI tests: one real server per backend for the whole package, a fresh workspace per test.

Commands run in-process through Typer's CliRunner (so their output and exit codes are what a
terminal would get), talking over HTTP to a ``jobferry serve`` process on loopback.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from typer.testing import CliRunner, Result

from e2e.server import ServerProcess, serving
from jobferry.cli import app

CLEAN_ENV = {
    name: None
    for name in (
        "JOBFERRY_PROFILE",
        "JOBFERRY_CONFIG",
        "JOBFERRY_ENDPOINT",
        "JOBFERRY_PROJECT_ID",
        "JOBFERRY_WORKSPACE",
        "JOBFERRY_AK",
        "JOBFERRY_SK",
        "JOBFERRY_VERIFY_TLS",
        "JOBFERRY_UPLOAD",
        "JOBFERRY_OBS_BUCKET",
        "JOBFERRY_OBS_ENDPOINT",
    )
}


def invoke(args: list[str], env: dict[str, str | None] | None = None, **kw: Any) -> Result:
    """Run ``jobferry <args>`` in-process with a clean JOBFERRY_* client environment."""
    return CliRunner().invoke(app, args, env={**CLEAN_ENV, **(env or {})}, **kw)


class Remote:
    """Signed JSON calls to the server, for seeding and checking (SignedClient's shape)."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server

    def call(
        self, method: str, path: str, body: Any = None, *, workspace: str | None = None
    ) -> requests.Response:
        """A signed call; ``path`` is relative to /v1/{project_id}."""
        data = b"" if body is None else orjson.dumps(body)
        return self.server.call(method, path, data, workspace=workspace)

    def new_workspace(self, prefix: str = "ws") -> str:
        """A new workspace with a unique name; returns its id."""
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        response = self.call("POST", "/workspaces", {"name": name})
        assert response.status_code == 200, response.text
        ws: str = response.json()["id"]
        return ws


@dataclass
class Cli:
    """``jobferry`` configured (config file) for one server and one workspace."""

    server: ServerProcess
    remote: Remote
    workspace: str
    config: Path
    cwd: Path
    extra: dict[str, str] = field(default_factory=dict)

    def __call__(
        self, *args: str, input: str | None = None, workspace: str | None = None
    ) -> Result:
        """``jobferry --config <file> [-w workspace] <args>``."""
        lead = ["--config", str(self.config)]
        if workspace is not None:
            lead += ["--workspace", workspace]
        return invoke([*lead, *args], input=input)

    def json(self, *args: str, workspace: str | None = None, code: int = 0) -> Any:
        """Run with --json, check the exit code, return the parsed document."""
        result = self(*args, "--json", workspace=workspace)
        assert result.exit_code == code, (result.stdout, result.stderr)
        return orjson.loads(result.stdout)


def write_config(path: Path, server: ServerProcess, workspace: str, **extra: Any) -> Path:
    """A config.toml with one 'default' profile for the server."""
    lines = [
        "[profiles.default]",
        f'endpoint = "{server.url}"',
        f'project_id = "{server.project_id}"',
        f'workspace = "{workspace}"',
        f'ak = "{server.ak}"',
        f'sk = "{server.sk}"',
    ]
    for key, value in extra.items():
        rendered = str(value).lower() if isinstance(value, bool) else f'"{value}"'
        lines.append(f"{key} = {rendered}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="package", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One ``jobferry serve`` per backend, shared by every CLI test."""
    with serving(request.param, tmp_path_factory.mktemp("cli-server")) as proc:
        yield proc


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
