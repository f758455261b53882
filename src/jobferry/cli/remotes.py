"""``jobferry remotes add|edit|list|show|test|refresh|remove``: DataArts workspaces reached through
their public API, each mirrored on the server by a shadow workspace of the same name.

The secret key is read from a file (``@FILE``), standard input (``-``) or an environment
variable (``env:NAME``) as ``env put`` reads secrets, never from the command line, and never
printed: the server keeps it encrypted and answers only that it is set.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import typer

from jobferry.cli import terminal
from jobferry.cli.client import RESPOND_ASYNC, WORK_SECONDS, ApiError, segment
from jobferry.cli.exits import CliUsageError, ExitCode
from jobferry.cli.fix_terms import quoted
from jobferry.cli.output import epoch_ms, mapping
from jobferry.cli.secrets import SOURCES, secret_value
from jobferry.cli.session import Column, JsonOption, Session, YesOption, list_answer, session
from jobferry.cli.tasks import follow_accepted
from jobferry.cli.uploads import package_path
from jobferry.cli.workspaces import Workspace
from jobferry.domain.enums import RefreshAction, RemoteReach

app = typer.Typer(
    help="Remotes: DataArts workspaces reached through their public API, each with a shadow "
    "workspace here.",
    no_args_is_help=True,
)

RemoteName = Annotated[str, typer.Argument(metavar="NAME", help="The remote's name.")]
ACTIONS = tuple(action.value for action in RefreshAction)


def _path(name: str | None = None, action: str | None = None) -> str:
    path = "/remotes" if name is None else f"/remotes/{segment(name)}"
    return path if action is None else f"{path}/{action}"


FLAGS = {
    "name": "NAME",
    "endpoint": "--endpoint",
    "studioEndpoint": "--studio-endpoint",
    "projectId": "--project-id",
    "workspace": "--workspace",
    "accessKey": "--access-key",
    "secretKey": "--secret-key",
}
"""The argument or option of ``add``/``edit`` giving each field a refused remote's problem
names first."""
_LEADING_FIELD = re.compile(r"^(\w+)(?= )")


def _in_flags(problem: str) -> str:
    """A problem with the option it is about in place of the field it names first
    (``studioEndpoint 'x' is not…`` → ``--studio-endpoint 'x' is not…``)."""
    found = _LEADING_FIELD.match(problem)
    flag = FLAGS.get(found.group(1)) if found else None
    return flag + problem[found.end() :] if found and flag else problem


def _changed(s: Session, method: str, path: str, body: dict[str, Any]) -> Any:
    """``add``'s or ``edit``'s call (about the project: no workspace), a refused remote's
    problems said with this command's options."""
    try:
        return s.client().call(method, path, body, scoped=False)
    except ApiError as exc:
        problems = exc.body.get("problems")
        if not isinstance(problems, list) or not problems:
            raise
        worded = [_in_flags(str(problem)) for problem in problems]
        message = exc.message
        for problem, said in zip(problems, worded, strict=True):
            message = message.replace(str(problem), said)
        raise ApiError(exc.status, exc.code, message, {**exc.body, "problems": worded}) from exc


def _counts(refresh: Any) -> str:
    """``created 3, updated 1, deleted 0, unchanged 12`` over every kind, then the submitted
    versions written (``…; 2 submitted version(s) written``) when any were."""
    counts = dict(mapping(mapping(refresh).get("counts")))
    versions = mapping(counts.pop("submitted", None))  # the answer's key, as every other
    totals = {a: sum(int(mapping(c).get(a) or 0) for c in counts.values()) for a in ACTIONS}
    said = ", ".join(f"{action} {totals[action]}" for action in ACTIONS)
    written = sum(int(versions.get(a) or 0) for a in ACTIONS if a != RefreshAction.UNCHANGED)
    return said + (f"; {written} submitted version(s) written" if written else "")


def last_refresh(answer: dict[str, Any]) -> str:
    """When the remote was last refreshed and what it did; never: the command that fills it."""
    refresh = answer.get("lastRefresh")
    if not refresh:
        return f"never (jobferry remotes refresh {quoted(answer.get('name') or 'NAME')})"
    last = mapping(refresh)
    snapshot = mapping(last.get("snapshot"))
    read = (
        f"from snapshot {snapshot.get('fileName')} (sha256 {snapshot.get('sha256')})"
        if snapshot
        else f"{last.get('calls')} call(s) in {last.get('seconds')} s"
    )
    return f"{epoch_ms(last.get('refreshTime'))} UTC: {_counts(last)}; {read}"


def refreshing_line(answer: dict[str, Any]) -> list[tuple[str, str]]:
    """The refresh running now, with the command that follows it (none: no line)."""
    running = mapping(answer.get("refreshing"))
    task_id = running.get("taskId")
    if not task_id:
        return []
    shadow = mapping(answer.get("shadowWorkspace")).get("name")
    said = running_text(running)
    follow = f"jobferry tasks show {task_id} --wait -w {shadow}"
    return [("refreshing", f"now{said}: task {task_id} ({follow})")]


def failed_line(answer: dict[str, Any]) -> list[tuple[str, str]]:
    """The newest refresh that failed since the last that succeeded, with the command that
    shows why (none: no line)."""
    failed = mapping(answer.get("lastRefreshFailed"))
    if not failed.get("taskId"):
        return []
    shadow = mapping(answer.get("shadowWorkspace")).get("name")
    task_id = failed["taskId"]
    said = f"{epoch_ms(failed.get('endTime'))} UTC: {failed.get('message')}"
    return [("refresh failed", f"{said} (jobferry tasks show {task_id} -w {shadow})")]


def running_text(running: dict[str, Any]) -> str:
    """A running refresh's last report, as ``, 40 %: Read 2,000 jobs`` ("" from a server
    older than the report)."""
    if "progress" not in running:
        return ""
    message = running.get("message")
    return f", {running.get('progress')} %" + (f": {message}" if message else "")


@app.command("add")
def add_remote(
    ctx: typer.Context,
    name: RemoteName,
    endpoint: Annotated[
        str, typer.Option("--endpoint", metavar="URL", help="The DataArts endpoint.")
    ],
    project_id: Annotated[
        str, typer.Option("--project-id", metavar="ID", help="The remote's project id.")
    ],
    remote_workspace: Annotated[
        str, typer.Option("--workspace", metavar="ID", help="The remote workspace's id.")
    ],
    access_key: Annotated[
        str, typer.Option("--access-key", metavar="AK", help="The access key to sign with.")
    ],
    secret_key: Annotated[
        str,
        typer.Option("--secret-key", metavar="SOURCE", help=f"Its secret key: {SOURCES}."),
    ],
    studio_endpoint: Annotated[
        str | None,
        typer.Option(
            "--studio-endpoint",
            metavar="URL",
            help="The DataArts Studio endpoint the connection and environment variable reads "
            "and the push's job renames go to, e.g. https://dayu.REGION.myhuaweicloud.com "
            "(default: --endpoint).",
        ),
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Add a remote and its shadow workspace NAME (project admins); the secret key is never
    taken from the command line nor printed."""
    s = session(ctx, json_mode)
    body = {
        "name": name,
        "endpoint": endpoint,
        "projectId": project_id,
        "workspace": remote_workspace,
        "accessKey": access_key,
        "secretKey": secret_value(secret_key, "--secret-key", []),
    }
    if studio_endpoint is not None:
        body["studioEndpoint"] = studio_endpoint
    answer = mapping(_changed(s, "POST", _path(), body))
    s.output.result(
        answer,
        f"Added remote '{name}' ({endpoint}, workspace {remote_workspace}) with its shadow "
        f"workspace '{name}'; fill it with: jobferry remotes refresh {name}.",
    )


@app.command("edit")
def edit_remote(
    ctx: typer.Context,
    name: RemoteName,
    endpoint: Annotated[
        str | None,
        typer.Option("--endpoint", metavar="URL", help="The DataArts endpoint it moved to."),
    ] = None,
    studio_endpoint: Annotated[
        str | None,
        typer.Option(
            "--studio-endpoint",
            metavar="URL",
            help="The DataArts Studio endpoint it moved to; 'default' sends those calls to the "
            "endpoint again.",
        ),
    ] = None,
    access_key: Annotated[
        str | None,
        typer.Option(
            "--access-key", metavar="AK", help="A new access key (with --secret-key: its secret)."
        ),
    ] = None,
    secret_key: Annotated[
        str | None,
        typer.Option("--secret-key", metavar="SOURCE", help=f"A new secret key: {SOURCES}."),
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Change a remote in place (project admins): rotate its key pair or its secret key, or
    move its endpoints; its shadow workspace, routes and history stay."""
    s = session(ctx, json_mode)
    body: dict[str, Any] = {}
    if endpoint is not None:
        body["endpoint"] = endpoint
    if studio_endpoint is not None:
        body["studioEndpoint"] = None if studio_endpoint == "default" else studio_endpoint
    if access_key is not None:
        body["accessKey"] = access_key
    if secret_key is not None:
        body["secretKey"] = secret_value(secret_key, "--secret-key", [])
    if not body:
        raise CliUsageError(
            "Nothing to change: give --endpoint, --studio-endpoint, --access-key with "
            "--secret-key, or --secret-key."
        )
    if access_key is not None and secret_key is None:
        raise CliUsageError(
            "--access-key comes with its secret key: give --secret-key too (@FILE, - or "
            "env:VARIABLE)."
        )
    answer = mapping(_changed(s, "PATCH", _path(name), body))
    changed = ", ".join(_CHANGED[key] for key in body)
    s.output.result(
        answer,
        f"Changed remote '{name}' ({changed}); its shadow workspace and routes are as they "
        f"were. Check it with: jobferry remotes test {name}",
    )


_CHANGED = {
    "endpoint": "endpoint",
    "studioEndpoint": "Studio endpoint",
    "accessKey": "access key",
    "secretKey": "secret key",
}


@app.command("list")
def list_remotes(ctx: typer.Context, json_mode: JsonOption = False) -> None:
    """List the project's remotes."""
    columns: list[Column] = [
        ("remote", "name", None),
        ("endpoint", "endpoint", None),
        ("workspace", "workspace", None),
        ("access key", "accessKey", None),
        ("refreshed (UTC)", "lastRefresh", lambda r: epoch_ms(mapping(r).get("refreshTime"))),
        (
            "refreshing",
            "refreshing",
            lambda r: (
                f"now{running_text(mapping(r))}: task {mapping(r).get('taskId')}" if r else ""
            ),
        ),
    ]
    list_answer(session(ctx, json_mode), _path(), "remotes", columns, "No remotes.")


@app.command("show")
def show_remote(ctx: typer.Context, name: RemoteName, json_mode: JsonOption = False) -> None:
    """Show a remote and its last refresh (never its secret key)."""
    s = session(ctx, json_mode)
    answer = mapping(s.client().get(_path(name)))
    if s.output.json_mode:
        s.output.emit(answer)
        return
    s.output.fields(
        [
            ("remote", answer.get("name")),
            ("endpoint", answer.get("endpoint")),
            ("studio endpoint", answer.get("studioEndpoint")),
            ("project id", answer.get("projectId")),
            ("workspace", answer.get("workspace")),
            ("access key", answer.get("accessKey")),
            ("secret key", answer.get("secretKey")),
            ("shadow workspace", mapping(answer.get("shadowWorkspace")).get("name")),
            ("last refresh", last_refresh(answer)),
            *refreshing_line(answer),
            *failed_line(answer),
            *(
                ("note", str(note))
                for note in mapping(answer.get("lastRefresh")).get("notes") or []
            ),
        ]
    )


@app.command("test")
def probe_remote(ctx: typer.Context, name: RemoteName, json_mode: JsonOption = False) -> None:
    """One cheap signed read: reachable, credentials refused, or not found; exit 1 unless
    reachable."""
    s = session(ctx, json_mode)
    answer = mapping(s.client().call("POST", _path(name, "test")))
    reachable = answer.get("reach") == RemoteReach.REACHABLE.value
    # the verdict is the result asked for, on standard output whichever it is; a call that
    # fails (the server unreachable, the remote unknown) is an error, on standard error
    s.output.line(str(answer.get("message")), style="green" if reachable else "red")
    s.output.finish(answer, ExitCode.OK if reachable else ExitCode.FAILED)


@app.command("refresh")
def refresh_remote(
    ctx: typer.Context,
    name: RemoteName,
    snapshot: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="FILE",
            help="Refresh from a whole-workspace export made on the remote's side (jobferry's "
            "or a DataArts batch export) instead of reading the remote: a local zip (uploaded "
            "first) or an obs:// path.",
        ),
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Read the remote in bulk (or a snapshot carried from it) and bring its shadow workspace
    to exactly that state."""
    s = session(ctx, json_mode)
    body = None
    if snapshot is not None:
        s.workspace = name  # the snapshot is uploaded into the shadow workspace
        body = {"path": package_path(s, snapshot)}
    answer = mapping(
        s.client().call(
            "POST",
            _path(name, "refresh"),
            body,
            timeout=WORK_SECONDS,
            unanswered=f"the server may still be refreshing remote '{name}': jobferry remotes "
            f"show {name} says when its last refresh ended; do not start another before.",
            headers=RESPOND_ASYNC,
        )
    )
    if "workspace" in answer:  # a task of the shadow workspace (named as the remote)
        s.act_in(Workspace(str(answer["workspace"]), name))
        answer = mapping(follow_accepted(s, str(answer.get("taskId")), "refresh").get("refresh"))
    s.output.result(answer, _refreshed(name, answer))


def _refreshed(name: str, answer: dict[str, Any]) -> str:
    """What a refresh did, in words: counts, then what it read and what it could not."""
    done = f"Refreshed remote '{name}': {_counts(answer)}"
    snapshot = mapping(answer.get("snapshot"))
    if snapshot:
        made = snapshot.get("madeTime")
        when = f", made {epoch_ms(made)} UTC" if made else ""
        done += f" from snapshot {snapshot.get('fileName')} (sha256 {snapshot.get('sha256')}{when})"
    else:
        done += f" ({answer.get('calls')} call(s), {answer.get('seconds')} s)"
    notes = [str(note) for note in answer.get("notes") or []]
    return done + "." + "".join(f"\nNote: {note}." for note in notes)


@app.command("remove")
def remove_remote(
    ctx: typer.Context, name: RemoteName, yes: YesOption = False, json_mode: JsonOption = False
) -> None:
    """Forget a remote (project admins), after asking; its shadow workspace stays, as an
    ordinary one."""
    s = session(ctx, json_mode)
    if not yes:
        terminal.require_person("remotes remove", "remove it")
        question = (
            f"Remove remote '{name}' at {s.client().endpoint}? The server forgets its address "
            f"and keys (the DataArts workspace itself is not changed); workspace '{name}' stays "
            "as an ordinary one, whose imports no longer reach DataArts."
        )
        s.output.confirm_or_end(question, {"removed": None}, "Cancelled; nothing was removed.")
    s.client().call("DELETE", _path(name))
    s.output.result(
        {"removed": name},
        f"Removed remote '{name}'; workspace '{name}' stays, holding the last refresh's copy.",
    )
