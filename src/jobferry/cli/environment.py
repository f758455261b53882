"""``jobferry env …`` and ``jobferry profiles …``: what a workspace holds about its environment.

Environment objects (``/environment/{kind}/{name}``) are the data connections, queues,
clusters… jobs reference by name. Their secrets are write-only: the server reports them as
``set``, and the CLI takes them from a file (``KEY=@FILE``), standard input (``KEY=-``) or an
environment variable (``KEY=env:NAME``), never from the command line itself (it would stay in
the shell's history), and never prints them.

Environment profiles (``/profiles/{name}``) are the renames and parameters an import applies
when a package moves from one environment to the next; ``put`` checks the file with the
server's own parser before it sends it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from jobferry.cli.client import segment
from jobferry.cli.exits import CliUsageError, ExitCode
from jobferry.cli.files import file_bytes
from jobferry.cli.fixes import profile_check_fix
from jobferry.cli.import_options import SourceArg
from jobferry.cli.output import epoch_ms, mapping, objects_under
from jobferry.cli.profile_options import profile_reference, read_profile_file
from jobferry.cli.secrets import secret_value
from jobferry.cli.session import (
    SAVED,
    VERSIONS,
    Column,
    JsonOption,
    VersionOption,
    WorkspaceOption,
    list_answer,
    session,
)
from jobferry.cli.uploads import package_path
from jobferry.domain.connections import is_secret_key
from jobferry.domain.enums import EnvironmentKind
from jobferry.domain.environment_types import TYPE_EXAMPLES

env_app = typer.Typer(
    help="Environment objects of a workspace (connections, queues, clusters…).",
    no_args_is_help=True,
)
profiles_app = typer.Typer(
    help="Environment profiles of a workspace (what an import renames and sets).",
    no_args_is_help=True,
)

KindArg = Annotated[EnvironmentKind, typer.Argument(help="What kind of object.")]
NameArg = Annotated[str, typer.Argument(help="The object's name.")]
ProfileArg = Annotated[str, typer.Argument(help="The profile's name.")]


def _path(kind: EnvironmentKind, name: str | None = None) -> str:
    base = f"/environment/{segment(kind.value)}"
    return base if name is None else f"{base}/{segment(name)}"


def _secret(spec: str, stdin_used: list[bool]) -> tuple[str, str]:
    """``KEY=@FILE``, ``KEY=-`` or ``KEY=env:NAME`` → (key, value)."""
    key, equals, source = spec.partition("=")
    key = key.strip()
    if not equals or not key:
        raise CliUsageError(
            f"--secret {key or spec!r} needs KEY=@FILE, KEY=- (standard input) or "
            "KEY=env:VARIABLE, e.g. --secret password=@dws.pw."
        )
    if source == "-" or source.startswith(("@", "env:")):
        return key, secret_value(source, f"--secret {key}", stdin_used)
    raise CliUsageError(
        f"--secret {key}=… gives the secret on the command line, where it stays in the shell's "
        f"history; use {key}=@FILE, {key}=- (standard input) or {key}=env:VARIABLE."
    )


def _config(
    kind: EnvironmentKind, pairs: list[str] | None, file: Path | None
) -> tuple[str | None, dict[str, Any]]:
    """The type and settings from ``--from-file`` (JSON ``{type, config}``) and ``--config``;
    a connection's secret given as ``--config password=…`` is refused as ``--secret`` refuses
    one written on the command line (the server would keep it encrypted, the shell's history
    would keep it in plain text)."""
    type_: str | None = None
    config: dict[str, Any] = {}
    if file is not None:
        try:
            document = orjson.loads(file_bytes(file, "--from-file"))
        except orjson.JSONDecodeError as exc:
            raise CliUsageError(f"{file} is not valid JSON: {exc}.") from exc
        unknown = sorted(set(mapping(document)) - {"type", "config"})
        if not isinstance(document, dict) or unknown or "secrets" in document:
            raise CliUsageError(
                f"{file} must be a JSON object with type and config only (not "
                f"{', '.join(unknown) or type(document).__name__}); give secrets with --secret."
            )
        type_ = document.get("type")
        config = dict(mapping(document.get("config")))
    config.update(_setting(kind, pair) for pair in pairs or [])
    return type_, config


def _setting(kind: EnvironmentKind, pair: str) -> tuple[str, str]:
    """``--config KEY=VALUE`` → (key, value); a connection's secret is refused (see _config)."""
    key, equals, value = pair.partition("=")
    key = key.strip()
    if not equals or not key:
        raise CliUsageError(f"--config {pair!r} is not KEY=VALUE (e.g. host=10.0.0.2).")
    if kind is EnvironmentKind.CONNECTION and is_secret_key(key):
        raise CliUsageError(
            f"--config {key}=… gives a secret on the command line, where it stays in the "
            f"shell's history; give it with --secret {key}=@FILE, --secret {key}=- "
            f"(standard input) or --secret {key}=env:VARIABLE."
        )
    return key, value


@env_app.command("list")
def env_list(
    ctx: typer.Context,
    kind: Annotated[
        EnvironmentKind | None,
        typer.Argument(help="What kind of object (default: every kind, by kind and name)."),
    ] = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List the workspace's environment objects: of every kind, or of one."""
    columns: list[Column] = [
        ("name", "name", None),
        ("type", "type", None),
        ("secrets", "secrets", lambda secrets: ", ".join(sorted(mapping(secrets)))),
        *SAVED,
    ]
    s = session(ctx, json_mode, workspace)
    if kind is None:
        every: list[Column] = [("kind", "kind", None), *columns]
        list_answer(s, "/environment", "objects", every, "No environment objects.")
        return
    list_answer(s, _path(kind), "objects", columns, f"No {kind.value} objects.")


def _show_object(s: Any, answer: dict[str, Any]) -> None:
    out = s.output
    config = mapping(answer.get("config"))
    out.fields(
        [
            ("kind", answer.get("kind")),
            ("name", answer.get("name")),
            ("type", answer.get("type")),
            ("secrets", ", ".join(f"{k} ({v})" for k, v in mapping(answer.get("secrets")).items())),
            ("updated (UTC)", epoch_ms(answer.get("updateTime"))),
            ("by", answer.get("updateUser")),
        ]
    )
    out.table(("setting", "value"), [(k, orjson.dumps(v).decode()) for k, v in config.items()])


@env_app.command("show")
def env_show(
    ctx: typer.Context,
    kind: KindArg,
    name: NameArg,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show one object: type, settings, which secrets are set (never their values)."""
    s = session(ctx, json_mode, workspace)
    answer = mapping(s.client().get(_path(kind, name)))
    if s.output.json_mode:
        s.output.emit(answer)
        return
    _show_object(s, answer)


@env_app.command("put")
def env_put(
    ctx: typer.Context,
    kind: KindArg,
    name: NameArg,
    type_: Annotated[
        str | None,
        typer.Option(
            "--type",
            metavar="TYPE",
            help="The object's type: e.g. DWS or HIVE for a connection, DLI for a dli_queue.",
        ),
    ] = None,
    config: Annotated[
        list[str] | None,
        typer.Option("--config", help="KEY=VALUE: one setting (repeat).", metavar="KEY=VALUE"),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from-file",
            "-f",
            help='JSON with type and config ({"type", "config"}).',
            metavar="FILE",
        ),
    ] = None,
    secret: Annotated[
        list[str] | None,
        typer.Option(
            "--secret",
            help="KEY=@FILE, KEY=- (standard input) or KEY=env:VARIABLE: one secret (repeat); "
            "without --secret the stored secrets are kept.",
            metavar="KEY=SOURCE",
        ),
    ] = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Create or replace an object (workspace admins); secrets are never echoed."""
    s = session(ctx, json_mode, workspace)
    file_type, settings = _config(kind, config, from_file)
    chosen = type_ or file_type
    if not chosen:
        raise CliUsageError(
            f"{kind.value} '{name}' needs a type: pass --type (e.g. {TYPE_EXAMPLES[kind]}) or "
            "put it in --from-file."
        )
    body: dict[str, Any] = {"type": chosen, "config": settings}
    if secret:
        stdin_used: list[bool] = []
        body["secrets"] = dict(_secret(spec, stdin_used) for spec in secret)
    answer = mapping(s.client().call("PUT", _path(kind, name), body))
    set_keys = ", ".join(sorted(mapping(answer.get("secrets")))) or "none"
    s.output.result(
        answer, f"Saved {kind.value} '{name}' in {s.workspace_label()} (secrets set: {set_keys})."
    )


@env_app.command("delete")
def env_delete(
    ctx: typer.Context,
    kind: KindArg,
    name: NameArg,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Remove an object no job references (workspace admins)."""
    s = session(ctx, json_mode, workspace)
    s.client().call("DELETE", _path(kind, name))
    s.output.result(
        {"deleted": {"kind": kind.value, "name": name}},
        f"Deleted {kind.value} '{name}' from {s.workspace_label()}.",
    )


# -- environment profiles -----------------------------------------------------------------


@profiles_app.command("list")
def profiles_list(
    ctx: typer.Context, json_mode: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """List the workspace's environment profiles (newest version of each)."""
    columns: list[Column] = [("name", "name", None), *VERSIONS]
    list_answer(
        session(ctx, json_mode, workspace),
        "/profiles",
        "profiles",
        columns,
        "No environment profiles.",
    )


@profiles_app.command("show")
def profiles_show(
    ctx: typer.Context,
    name: ProfileArg,
    version: VersionOption = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show a profile's document (the newest version unless --version)."""
    s = session(ctx, json_mode, workspace)
    answer = mapping(s.client().get(f"/profiles/{segment(name)}", version=version))
    s.output.document(answer, [("name", answer.get("name")), ("version", answer.get("version"))])


@profiles_app.command("put")
def profiles_put(
    ctx: typer.Context,
    name: ProfileArg,
    file: Annotated[
        Path,
        typer.Option("--file", "-f", help="The profile document (JSON or YAML).", metavar="FILE"),
    ],
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Save a new version of a profile from a file (workspace admins)."""
    s = session(ctx, json_mode, workspace)
    choice = read_profile_file(file.expanduser())
    document = mapping(choice.reference)  # a file's profile is its document
    answer = mapping(s.client().call("PUT", f"/profiles/{segment(name)}", document))
    s.output.result(
        answer,
        f"Saved profile '{name}' version {answer.get('version')} in {s.workspace_label()}.",
    )


@profiles_app.command("delete")
def profiles_delete(
    ctx: typer.Context,
    name: ProfileArg,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Remove a profile and all its versions (workspace admins)."""
    s = session(ctx, json_mode, workspace)
    s.client().call("DELETE", f"/profiles/{segment(name)}")
    s.output.result({"deleted": name}, f"Deleted profile '{name}' from {s.workspace_label()}.")


@profiles_app.command("check")
def profiles_check(
    ctx: typer.Context,
    profile: Annotated[
        str, typer.Argument(help="A profile stored in the workspace, or a JSON/YAML file.")
    ],
    source: SourceArg,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Is this profile enough for this package here? Every environment object the package's
    jobs and scripts use, mapped or present, and every secret set; exit 3 when not."""
    s = session(ctx, json_mode, workspace)
    choice = profile_reference(profile)
    assert choice is not None
    path = package_path(s, source)
    answer = mapping(
        s.client().call("POST", "/profiles/check", {"path": path, "profile": choice.reference})
    )
    out = s.output
    missing = objects_under(answer, "missing")
    secrets = objects_under(answer, "secrets")
    target = None if out.json_mode or not missing else s.workspace_arg()
    out.table(
        ("kind", "name", "used by", "fix"),
        [(m.get("kind"), m.get("name"), _users(m), _missing_fix(m, target)) for m in missing],
        title="Missing environment objects",
    )
    unset = [x.get("name") for x in secrets if x.get("state") != "set"]
    if unset:
        out.line(f"Connections without their secrets: {', '.join(map(str, unset))}.")
    if answer.get("complete"):
        out.finish(answer, ExitCode.OK, f"Profile {profile} is enough for {source} here.")
        return
    out.finish(
        answer,
        ExitCode.PROBLEMS,
        f"Profile {profile} is not enough for {source} in {s.workspace_label()}: "
        f"{len(missing)} environment object(s) missing, {len(unset)} secret(s) unset; map "
        "them in the profile or register them (jobferry env put).",
    )


def _missing_fix(missing: dict[str, Any], workspace: str | None) -> Any:
    """A missing object's fix in this command line's terms (the server's names API calls)."""
    kind, name = missing.get("kind"), missing.get("name")
    if not kind or name is None:
        return missing.get("fix")
    return profile_check_fix(str(kind), str(name), workspace)


def _users(missing: dict[str, Any]) -> str:
    """The jobs and the scripts that use a missing environment object."""
    jobs = [f"job {name}" for name in missing.get("jobs") or []]
    return ", ".join(jobs + [f"script {name}" for name in missing.get("scripts") or []])
