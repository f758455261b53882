"""Running the CLI in-process against a real server, as a terminal would."""

from __future__ import annotations

import functools
import io
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import requests
import typer.main
import typer.testing
from typer.testing import CliRunner, Result

from jobferry.cli.app import app
from support.server import ServerProcess

CLEAN_ENV = {
    name: None
    for name in (
        "JOBFERRY_CONTEXT",
        "JOBFERRY_PROFILE",
        "JOBFERRY_CONFIG",
        "JOBFERRY_ENDPOINT",
        "JOBFERRY_PROJECT_ID",
        "JOBFERRY_WORKSPACE",
        "JOBFERRY_AK",
        "JOBFERRY_SK",
        "JOBFERRY_AK_FILE",
        "JOBFERRY_SK_FILE",
        "JOBFERRY_VERIFY_TLS",
        "JOBFERRY_TIMEOUT",
        "JOBFERRY_WAIT_TIMEOUT",
        "JOBFERRY_UPLOAD",
        "JOBFERRY_OBS_BUCKET",
        "JOBFERRY_OBS_ENDPOINT",
        "JOBFERRY_CA_BUNDLE",
    )
}


# Typer's CliRunner builds the app's click command again on every invoke (typer.main.get_command:
# each command's signature, type hints and options, ~75 ms of CPU for this CLI) and the CLI tests
# invoke thousands of times. The command is the same every time and keeps no state between
# invocations (each one gets a new click Context), so this process builds it once per app, as
# the installed ``jobferry`` does once per run.
typer.testing._get_command = functools.cache(typer.main.get_command)


def whole_command() -> Any:
    """The app's root click group with every command built: the root imports a command's
    module only when it is asked for (jobferry.cli.commands), and walks of the tree read
    ``commands``."""
    root: Any = typer.testing._get_command(app)
    for name in root.list_commands(typer.Context(root)):
        root.get_command(typer.Context(root), name)
    return root


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

    def new_workspace(self, prefix: str = "ws", *connections: str) -> str:
        """A new workspace with a unique name and the data ``connections`` (see
        ``register``); returns its id."""
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        response = self.call("POST", "/workspaces", {"name": name})
        assert response.status_code == 200, response.text
        ws: str = response.json()["id"]
        register(self, ws, *connections)
        return ws

    def workspace_name(self, workspace_id: str) -> str:
        """The name of a workspace the server's admin can see."""
        response = self.call("GET", "/workspaces")
        assert response.status_code == 200, response.text
        names = {w["id"]: w["name"] for w in response.json()["workspaces"]}
        return str(names[workspace_id])


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
        self,
        *args: str,
        input: str | None = None,
        workspace: str | None = None,
        env: dict[str, str | None] | None = None,
    ) -> Result:
        """``jobferry --config <file> [-w workspace] <args>``."""
        lead = ["--config", str(self.config)]
        if workspace is not None:
            lead += ["--workspace", workspace]
        return invoke([*lead, *args], env=env, input=input)

    def json(
        self,
        *args: str,
        workspace: str | None = None,
        code: int = 0,
        env: dict[str, str | None] | None = None,
    ) -> Any:
        """Run with --json, check the exit code, return the parsed document."""
        result = self(*args, "--json", workspace=workspace, env=env)
        assert result.exit_code == code, (result.stdout, result.stderr)
        return orjson.loads(result.stdout)

    def imported(self, package: Path, *options: str, workspace: str) -> Any:
        """``import <package> --yes <options>`` into ``workspace``: the JSON result, whose
        task succeeded."""
        result = self.json("import", str(package), "--yes", *options, workspace=workspace)
        assert result["task"]["status"] == "SUCCESSFUL", result["task"]
        return result


def write_config(path: Path, server: ServerProcess, workspace: str, **extra: Any) -> Path:
    """A config.toml with one 'default' context for the server."""
    lines = [
        "[contexts.default]",
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


def register(remote: Remote, workspace: str, *names: str) -> None:
    """Data connections the target needs (the package's jobs reference them by name), with
    the secret the source's dws_conn has set (import checks the target has it too)."""
    for name in names:
        body = {"type": "DWS", "config": {"host": "10.0.0.2"}, "secrets": {"password": "pw"}}
        response = remote.call("PUT", f"/environment/connection/{name}", body, workspace=workspace)
        assert response.status_code == 200, response.text


class CtrlC(io.BytesIO):
    """A terminal's standard input at which Ctrl-C is pressed: reading it is interrupted."""

    def read(self, size: int | None = -1) -> bytes:
        raise KeyboardInterrupt

    def read1(self, size: int = -1) -> bytes:
        raise KeyboardInterrupt

    def readinto(self, buffer: Any) -> int:
        raise KeyboardInterrupt


def member(cli: Cli, role: str, config: Path, elsewhere: dict[str, str] | None = None) -> Cli:
    """The CLI of a new user holding ``role`` in ``cli``'s workspace (and the roles
    ``elsewhere`` gives, workspace id → role, in others), configured in ``config`` (its own
    keys, the same server and workspace)."""
    remote = cli.remote
    user = f"u_{uuid.uuid4().hex[:10]}"
    created = remote.call("POST", "/users", {"name": user})
    assert created.status_code == 200, created.text
    keys = remote.call("POST", f"/users/{user}/credentials").json()
    for workspace, held in {cli.workspace: role, **(elsewhere or {})}.items():
        given = remote.call("PUT", f"/users/{user}/roles/{workspace}", {"role": held})
        assert given.status_code == 204, given.text
    server = cli.server
    write_config(config, server, cli.workspace)
    text = config.read_text(encoding="utf-8")
    text = text.replace(server.ak, keys["accessKey"]).replace(server.sk, keys["secretKey"])
    config.write_text(text, encoding="utf-8")
    return Cli(server, remote, cli.workspace, config, cli.cwd)
