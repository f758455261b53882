"""``jobferry config show`` and ``config init``: which context a remote command would use, and
a context written from the credentials a server generated, so no key is copied by hand."""

from __future__ import annotations

import json
import os
import shlex
import tempfile
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry.cli.client import TIMEOUT_SECONDS
from jobferry.cli.config import default_config_path
from jobferry.cli.exits import CliUsageError
from jobferry.cli.session import JsonOption, Session, WorkspaceOption, session
from jobferry.services.accounts.adminfile import FILE_NAME

app = typer.Typer(help="The config file's contexts (endpoint, project, credentials).")

LABELS = {
    "configFile": "config file",
    "waitTimeout": "wait timeout",
    "projectId": "project id",
    "accessKey": "access key",
    "secretKey": "secret key",
}
"""The words ``config show`` and ``config init`` label their fields with (``--json`` keeps the
keys)."""

CREDENTIALS = FILE_NAME
"""The file ``jobferry serve`` keeps the admin credentials it generated in, in its data folder
(``JOBFERRY_DATA_DIR``, by default ``data`` in the folder it runs in)."""


def _default_credentials() -> Path:
    """The credentials file of a server started here, with this environment's data folder."""
    return Path(os.environ.get("JOBFERRY_DATA_DIR") or "data") / CREDENTIALS


@app.command("show")
def show_context(
    ctx: typer.Context, json_mode: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """Show the context remote commands use (--context, JOBFERRY_CONTEXT, default_context or
    'default', with the JOBFERRY_* overrides); the secret key is never shown."""
    s = session(ctx, json_mode, workspace)
    context = s.context()
    view = {
        "context": context.name,
        "source": context.source,
        "configFile": str(s.config or default_config_path()),
        "endpoint": context.endpoint,
        "projectId": context.project_id,
        "workspace": context.workspace,
        "accessKey": context.ak,
        "secretKey": "set" if context.sk else None,
        "upload": context.upload,
        "timeout": context.timeout or TIMEOUT_SECONDS,
        "waitTimeout": context.wait_timeout,
        "missing": list(context.missing),
    }
    out = s.output
    if out.json_mode:
        out.emit(view)
        return
    # what remote commands still lack, as words: `none`, or `endpoint, project_id`
    shown = {
        **view,
        "timeout": f"{context.timeout or TIMEOUT_SECONDS:g} s for a call's answer",
        "waitTimeout": f"{context.wait_timeout:g} s for a task"
        if context.wait_timeout
        else "none: a task is followed to its end",
        "missing": ", ".join(context.missing) or "none",
    }
    out.fields(
        [(LABELS.get(key, key), "" if value is None else value) for key, value in shown.items()]
    )


def _check_name(name: str, read: str | None) -> None:
    """Refuse the context name config init was given: an empty one, or one other than the
    root's ``--context`` (``read``), which names the context commands read."""
    if not name:  # no --context, no default_context could ever pick it
        raise CliUsageError(
            "--name is empty: a context named '' can never be picked; give it a name, e.g. "
            "--name default."
        )
    if read is not None and read != name:
        # left to --name's default, config init would write (with --replace: overwrite) the
        # context 'default', not the one --context named
        raise CliUsageError(
            f"--context {read} names the context commands read; config init writes the "
            f"context --name names ('{name}'): jobferry config init --name {shlex.quote(read)} …"
        )


@app.command("init")
def init_context(
    ctx: typer.Context,
    credentials: Annotated[
        Path | None,
        typer.Option(
            "--from",
            metavar="FILE",
            help="The credentials file a jobferry server wrote on its first start (default: "
            "admin-credentials.json in JOBFERRY_DATA_DIR, else in ./data).",
        ),
    ] = None,
    name: Annotated[
        str, typer.Option("--name", metavar="NAME", help="The context's name.")
    ] = "default",
    endpoint: Annotated[
        str, typer.Option("--endpoint", metavar="URL", help="The server's URL.")
    ] = "http://127.0.0.1:8000",
    workspace: Annotated[
        str,
        typer.Option(
            "--workspace", "-w", metavar="WORKSPACE", help="The workspace commands use by default."
        ),
    ] = "default",
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace the context of that name (a server started again on an empty data "
            "folder has a new project and new keys); the file's other contexts stay as written.",
        ),
    ] = False,
    json_mode: JsonOption = False,
) -> None:
    """Write a context from the credentials a server generated (no key copied by hand): the
    project id, access key and secret key of its admin-credentials.json (in JOBFERRY_DATA_DIR,
    else ./data) go into the config
    file (owner-readable only), with the endpoint and default workspace. An existing context of
    that name is overwritten only with --replace."""
    s = session(ctx, json_mode)
    _check_name(name, s.context_name)
    path = s.config or default_config_path()
    found = _credentials(credentials or _default_credentials())
    existing = _existing(path)
    if name in existing.get("contexts", {}) and not replace:
        again = "" if replace else "replace it with --replace, "
        raise CliUsageError(
            f"Context '{name}' already exists in {path}; {again}choose another name with "
            f"--name, or remove its [contexts.{name}] table first."
        )
    contexts = existing.get("contexts", {})
    replaced = name in contexts
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if replaced:
        text = _without_context(text, path, existing, name)
    table = {
        "endpoint": endpoint,
        "project_id": found["projectId"],
        "workspace": workspace,
        "ak": found["accessKey"],
        "sk": found["secretKey"],
    }
    # the file's default stays the default: its default_context, else its [contexts.default]
    held = "default_context" in existing or (name != "default" and "default" in contexts)
    _write(path, _with_context(text, name, table, set_default=not held))
    view = {
        "context": name,
        "configFile": str(path),
        "endpoint": endpoint,
        "projectId": table["project_id"],
        "workspace": workspace,
        "accessKey": table["ak"],
        "replaced": replaced,
    }
    if s.output.json_mode:
        s.output.emit(view)
        return
    _say_written(s, view)


def _say_written(s: Session, view: dict[str, Any]) -> None:
    """The context ``config init`` wrote, in words, and the command that shows it as remote
    commands will read it (from the file written: ``--config`` when it is not the default)."""
    s.output.fields(
        [(LABELS.get(key, key), value) for key, value in view.items() if key != "replaced"]
    )
    name = str(view["context"])
    if view["replaced"]:
        s.output.line(f"Replaced the context '{name}' the file held.")
    given = ["--config", str(s.config)] if s.config is not None else []  # not the default file
    tried = shlex.join(["jobferry", *given, "--context", name, "config", "show"])
    s.output.line(f"Try it: {tried}")


def _credentials(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise CliUsageError(
            f"{path} does not exist; start the server once (make run) in this folder, or name "
            "its credentials file with --from. A server given its admin's keys "
            "(JOBFERRY_ADMIN_AK, JOBFERRY_ADMIN_SK) writes no such file: give the command line "
            "the same keys as JOBFERRY_PROJECT_ID, JOBFERRY_AK and JOBFERRY_SK instead "
            "(docs/cli.md)."
        ) from exc
    except (OSError, ValueError) as exc:
        raise CliUsageError(f"{path} cannot be read as a credentials file: {exc}.") from exc
    wanted = ("projectId", "accessKey", "secretKey")
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in wanted):
        raise CliUsageError(
            f"{path} is not a jobferry credentials file (it needs {', '.join(wanted)})."
        )
    return {k: data[k] for k in wanted}


def _existing(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CliUsageError(
            f"Config file {path} cannot be read ({exc}); fix it before adding a context."
        ) from exc
    if "profiles" in data:  # a [contexts.…] table added would make the file refused
        raise CliUsageError(
            f"Config file {path} still has [profiles.…] tables (connection profiles are now "
            "contexts); rename them to [contexts.…] (and default_profile to default_context), "
            "then run config init again."
        )
    if not isinstance(data.get("contexts", {}), dict):
        raise CliUsageError(
            f"Config file {path}: 'contexts' must be a table of [contexts.<name>] tables; fix "
            "it before adding a context."
        )
    return data


def _without_context(text: str, path: Path, before: dict[str, Any], name: str) -> str:
    """The file's text without its ``[contexts.NAME]`` table, every other line kept as
    written; refused, the file untouched, unless what is left reads as the file did without
    it."""
    kept: list[str] = []
    dropping = False
    for line in text.splitlines(keepends=True):
        header = _table_of(line)
        if header is not None:
            dropping = header == ("contexts", name)
        if not dropping:
            kept.append(line)
    others = {k: v for k, v in before["contexts"].items() if k != name}
    expected = {k: v for k, v in before.items() if k != "contexts"}
    if others:
        expected["contexts"] = others
    try:
        left = tomllib.loads("".join(kept))
    except tomllib.TOMLDecodeError:
        left = None
    if left != expected:
        raise CliUsageError(
            f"Context '{name}' in {path} cannot be replaced without changing more of the file; "
            f"remove its [contexts.{name}] table by hand, then run config init again."
        )
    return "".join(kept)


def _table_of(line: str) -> tuple[str, ...] | None:
    """The key path of a TOML table header line (``[contexts."a"]`` → contexts, a), or
    ``None`` for any other line (an array of tables is a header too, of no context)."""
    stripped = line.strip()
    if not stripped.startswith("["):
        return None
    if stripped.startswith("[["):
        return ()
    try:
        parsed: Any = tomllib.loads(stripped + "\n")
    except tomllib.TOMLDecodeError:
        return None  # a line of a multi-line value that opens with "["
    path: list[str] = []
    while isinstance(parsed, dict) and len(parsed) == 1:
        key = next(iter(parsed))
        path.append(key)
        parsed = parsed[key]
    return tuple(path)


def _write(path: Path, text: str) -> None:
    """The config file's new text, readable by its owner only, in one step: written whole
    beside it first, then put in its place (a failed write leaves the file as it was)."""
    path = Path(os.path.realpath(path))  # a link to the file stays one
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, part = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:  # mkstemp: mode 0600
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, path)
    except BaseException:
        Path(part).unlink(missing_ok=True)
        raise


def _with_context(text: str, name: str, table: dict[str, str], *, set_default: bool) -> str:
    """``text`` with ``[contexts.NAME]`` added, everything it holds kept as written (a TOML
    table may be appended after any other; ``default_context`` goes first, where a top-level
    key must be)."""
    lines = [f"[contexts.{json.dumps(name)}]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    if set_default:
        text = f"default_context = {json.dumps(name)}\n" + text
    if text and not text.endswith("\n"):
        text += "\n"
    return text + ("\n" if text else "") + "\n".join(lines) + "\n"
