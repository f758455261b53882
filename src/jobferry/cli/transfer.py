"""``jobferry plan`` and ``jobferry import``: a package into a remote workspace.

They call the documented API and add no logic the server has: the plan, the check and the
apply all happen on the server. A local file is uploaded first (``POST /packages``, or OBS when
the context says ``upload = "obs"``); then the plan is asked for (``POST /jobs/import/plan``)
and shown, and — ``import`` only, after confirmation — the import starts with the plan's id, so
the server refuses it if the target changed in between. Endpoints without the plan call (the
real DataArts) get ``POST /jobs/check-file`` shown instead.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.text import Text

from jobferry.cli import obs
from jobferry.cli.asking import (
    import_question,
    last_line,
    rollback_command_line,
    rollback_question,
    written,
)
from jobferry.cli.client import ApiClient, ApiError, segment
from jobferry.cli.exits import CliUsageError, CommandError, ExitCode
from jobferry.cli.output import mapping
from jobferry.cli.planview import has_changes, show_plan, show_task
from jobferry.cli.promotion import (
    KeepInstantOption,
    KeepWallClockOption,
    SourceZoneOption,
    TimezoneOption,
    profile_reference,
    time_zone_block,
)
from jobferry.cli.session import JsonOption, Session, WorkspaceOption, session
from jobferry.cli.tasks import task_exit, wait_for
from jobferry.domain.enums import TargetStatus

REMOTE_SCHEMES = ("obs://", "s3://", "upload://")


class Policy(StrEnum):
    """``sameNamePolicy``."""

    SKIP = "skip"
    OVERWRITE = "overwrite"


# ``--status``: the domain's ``targetStatus`` values in lower case. The choices are built from
# the enum at run time; the type checker sees a plain string.
if TYPE_CHECKING:
    StatusName = str
else:
    StatusName = Literal[tuple(status.lower() for status in TargetStatus)]


class Mode(StrEnum):
    """Import mode: all or nothing, or whatever passes the check."""

    ATOMIC = "atomic"
    PER_OBJECT = "per-object"


def stdin_is_terminal() -> bool:
    """Whether a person can answer a confirmation prompt."""
    return sys.stdin.isatty()


SourceArg = Annotated[
    str,
    typer.Argument(
        metavar="FILE|obs://…",
        help="A local package file, or obs://bucket/key (or an upload:// path).",
    ),
]
PolicyOption = Annotated[
    Policy, typer.Option("--policy", help="Objects that exist already: skip or overwrite them.")
]
StatusOption = Annotated[
    StatusName | None,
    typer.Option("--status", help="Save only, or also submit a version (default: submitted)."),
]
TargetDirOption = Annotated[
    str | None,
    typer.Option("--target-dir", metavar="FOLDER", help="Folder for new jobs, e.g. /release/42."),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        metavar="NAME=VALUE",
        help="NAME=VALUE: set a job parameter the jobs declare (repeat).",
    ),
]
ReplaceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--replace",
        metavar="TYPE:NAME=NEW",
        help="TYPE:NAME=NEW: map an environment object, e.g. DWS_CONNECTION:dws_test=dws_prod "
        "(DataArts 'resources'; repeat).",
    ),
]
ExecuteUserOption = Annotated[
    str | None,
    typer.Option(
        "--execute-user", metavar="USER", help="Set basicConfig.executeUser of every job."
    ),
]
ModeOption = Annotated[
    Mode, typer.Option("--mode", help="atomic: all or nothing; per-object: what passes.")
]
ProfileMapOption = Annotated[
    str | None,
    typer.Option(
        "--profile-map",
        metavar="NAME|FILE",
        help="Environment profile: the name of a profile stored in the target workspace, or a "
        "JSON/YAML file sent inline.",
    ),
]


def target_status(name: str | None) -> TargetStatus | None:
    """The ``targetStatus`` a ``--status`` choice names."""
    return None if name is None else TargetStatus(name.upper())


def _pairs(values: list[str] | None, what: str, example: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values or []:
        key, equals, item = value.partition("=")
        if not equals or not key.strip():
            raise CliUsageError(f"{what} {value!r} is not NAME=VALUE (e.g. {example}).")
        found[key.strip()] = item
    return found


@dataclass(frozen=True)
class ImportOptions:
    """The options ``plan`` and ``import`` share, as given on the command line."""

    policy: Policy = Policy.SKIP
    status: TargetStatus | None = None
    target_dir: str | None = None
    params: list[str] | None = None
    replaces: list[str] | None = None
    execute_user: str | None = None
    mode: Mode = Mode.ATOMIC
    profile_map: str | None = None
    timezone: str | None = None
    keep_instant: bool = False
    keep_wall_clock: bool = False
    source_zone: str | None = None

    def body(self) -> dict[str, Any]:
        """The ImportFileReq (without ``path``) the options describe."""
        body: dict[str, Any] = {"sameNamePolicy": self.policy.value.upper()}
        if self.status is not None:
            body["targetStatus"] = self.status.value
        if self.target_dir:
            body["targetDirectory"] = self.target_dir
        if self.params:
            body["params"] = _pairs(self.params, "--param", "env=prod")
        if self.replaces:
            body["resources"] = _resources(self.replaces)
        if self.execute_user:
            body["executeUser"] = self.execute_user
        if self.mode is Mode.PER_OBJECT:
            body["mode"] = "PER_OBJECT"
        choice = profile_reference(self.profile_map)
        if choice is not None:
            body["profile"] = choice.reference
        block = time_zone_block(
            self.timezone, self.keep_instant, self.keep_wall_clock, self.source_zone
        )
        if block is not None:
            body["timeZone"] = block
        return body


def _resources(replaces: list[str]) -> list[dict[str, str]]:
    resources = []
    for source, new in _pairs(replaces, "--replace", "DWS_CONNECTION:dws_test=dws_prod").items():
        kind, colon, name = source.partition(":")
        if not colon or not kind or not name:
            raise CliUsageError(
                f"--replace {source}={new} needs TYPE:NAME=NEW, e.g. "
                "DWS_CONNECTION:dws_test=dws_prod."
            )
        resources.append({"name": name, "type": kind, "replace": new})
    return resources


def package_path(s: Session, source: str) -> str:
    """The path the import call names: remote as given, local files uploaded first."""
    if source.startswith(REMOTE_SCHEMES):
        return source
    file = Path(source).expanduser()
    if not file.is_file():
        raise CliUsageError(
            f"{source} is not a file; give a local package or an obs://bucket/key path."
        )
    context = s.context()
    if context.upload == "obs":
        assert context.obs is not None
        with s.output.progress(f"Uploading to OBS {context.obs.bucket}", transfer=True) as bar:
            return obs.upload_package(context.obs, file, bar.bytes)
    with s.output.progress("Uploading", transfer=True) as bar:
        answer = s.client().upload(file, bar.bytes)
    return str(answer["path"])


def make_plan(s: Session, body: dict[str, Any]) -> dict[str, Any] | None:
    """The plan of an import (``None`` when the endpoint has no plan call)."""
    client = s.client()
    try:
        answer: dict[str, Any] = client.call("POST", "/jobs/import/plan", body)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    if "objects" not in answer and answer.get("taskId"):
        task = wait_for(s, str(answer["taskId"]), "Planning")
        result = mapping(task.get("result"))
        plan = result.get("plan")
        if not isinstance(plan, dict):
            raise CommandError(f"Planning task {answer['taskId']}: {task.get('message')}")
        return plan
    return answer


def _show_contents(s: Session, client: ApiClient, path: str) -> dict[str, Any]:
    s.output.warn(
        "the endpoint has no plan call (POST /jobs/import/plan: a jobferry extension); the "
        "import is checked by the endpoint only when it runs. Package contents:"
    )
    info: dict[str, Any] = client.call("POST", "/jobs/check-file", {"path": path})
    s.output.table(
        ("kind", "name", "folder"),
        [("job", j.get("name"), j.get("path")) for j in info.get("jobs", [])]
        + [("script", x.get("name"), x.get("path")) for x in info.get("scripts", [])],
    )
    return info


def plan_command(
    ctx: typer.Context,
    source: SourceArg,
    policy: PolicyOption = Policy.SKIP,
    status: StatusOption = None,
    target_dir: TargetDirOption = None,
    param: ParamOption = None,
    replace: ReplaceOption = None,
    execute_user: ExecuteUserOption = None,
    mode: ModeOption = Mode.ATOMIC,
    profile_map: ProfileMapOption = None,
    timezone: TimezoneOption = None,
    keep_instant: KeepInstantOption = False,
    keep_wall_clock: KeepWallClockOption = False,
    source_zone: SourceZoneOption = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show what importing the package would do, with field diffs; exit 3 on problems."""
    s = session(ctx, json_mode, workspace)
    options = ImportOptions(
        policy=policy,
        status=target_status(status),
        target_dir=target_dir,
        params=param,
        replaces=replace,
        execute_user=execute_user,
        mode=mode,
        profile_map=profile_map,
        timezone=timezone,
        keep_instant=keep_instant,
        keep_wall_clock=keep_wall_clock,
        source_zone=source_zone,
    )
    _plan_only(s, source, options.body())


def _plan_only(s: Session, source: str, body: dict[str, Any]) -> None:
    path = package_path(s, source)
    plan = make_plan(s, {"path": path, **body})
    out = s.output
    if plan is None:
        info = _show_contents(s, s.client(), path)
        out.finish({"path": path, "plan": None, "contents": info}, ExitCode.OK, None)
        return
    show_plan(out, plan)
    problems = plan.get("problems") or []
    code = ExitCode.PROBLEMS if problems else ExitCode.OK
    message = (
        f"{len(problems)} problem(s) found; the import would be refused." if problems else None
    )
    out.finish({"path": path, "plan": plan}, code, message)


def import_command(
    ctx: typer.Context,
    source: SourceArg,
    policy: PolicyOption = Policy.SKIP,
    status: StatusOption = None,
    target_dir: TargetDirOption = None,
    param: ParamOption = None,
    replace: ReplaceOption = None,
    execute_user: ExecuteUserOption = None,
    mode: ModeOption = Mode.ATOMIC,
    profile_map: ProfileMapOption = None,
    timezone: TimezoneOption = None,
    keep_instant: KeepInstantOption = False,
    keep_wall_clock: KeepWallClockOption = False,
    source_zone: SourceZoneOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan and stop (like 'jobferry plan').")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (scripts, CI).")
    ] = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Import a package: upload, plan, confirm, import atomically, follow the task."""
    s = session(ctx, json_mode, workspace)
    options = ImportOptions(
        policy=policy,
        status=target_status(status),
        target_dir=target_dir,
        params=param,
        replaces=replace,
        execute_user=execute_user,
        mode=mode,
        profile_map=profile_map,
        timezone=timezone,
        keep_instant=keep_instant,
        keep_wall_clock=keep_wall_clock,
        source_zone=source_zone,
    )
    body = options.body()
    if dry_run:
        _plan_only(s, source, body)
        return
    if not yes and not stdin_is_terminal():
        raise CliUsageError(
            "import asks for confirmation, but standard input is not a terminal; pass --yes to "
            "import without asking (or --dry-run to see the plan)."
        )
    out, client = s.output, s.client()
    path = package_path(s, source)
    body = {"path": path, **body}
    plan = make_plan(s, body)
    contents: dict[str, Any] = {}
    if plan is None:
        contents = _show_contents(s, client, path)
    else:
        show_plan(out, plan)
        problems = plan.get("problems") or []
        if problems and mode is Mode.ATOMIC:
            out.finish(
                {"path": path, "plan": plan, "task": None},
                ExitCode.PROBLEMS,
                f"The check found {len(problems)} problem(s); nothing was imported.",
            )
            return
        if not has_changes(plan):
            out.finish(
                {"path": path, "plan": plan, "task": None}, ExitCode.OK, "Nothing to import."
            )
            return
        body["planId"] = plan["planId"]
    if not yes and not out.confirm(import_question(s, plan, contents)):
        out.finish(
            {"path": path, "plan": plan, "task": None},
            ExitCode.FAILED,
            "Cancelled; nothing was imported.",
        )
        return
    task_id = client.call("POST", "/jobs/import", body)["taskId"]
    task = wait_for(s, str(task_id), "Importing")
    show_task(out, task)
    _end_import(s, {"path": path, "plan": plan, "task": task}, rollback=plan is not None)


def _end_import(s: Session, result: dict[str, Any], *, rollback: bool) -> None:
    """The result, then (last) the task id and the command that rolls the import back."""
    out, task = s.output, result["task"]
    code = task_exit(task)
    can_undo = rollback and sum(written(task)) > 0
    if can_undo:
        result["rollback"] = rollback_command_line(s, str(task.get("id")))
    out.result(result)
    if not out.json_mode:
        if not code:
            out.err.print(Text("Imported.", style="green"))
        out.line(last_line(s, task) if rollback else f"Task {task.get('id')}.")
    if code:
        raise typer.Exit(int(code))


# -- rollback ---------------------------------------------------------------------------


def rollback_command(
    ctx: typer.Context,
    task_id: Annotated[
        str, typer.Argument(metavar="TASK", help="The task id of the import to undo.")
    ],
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (scripts, CI).")
    ] = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Undo an import in one transaction (refused, listing them, if objects changed since)."""
    s = session(ctx, json_mode, workspace)
    out = s.output
    if not yes:
        if not stdin_is_terminal():
            raise CliUsageError(
                "rollback asks for confirmation, but standard input is not a terminal; pass "
                "--yes to roll back without asking."
            )
        task = mapping(s.client().get(f"/system-tasks/{segment(task_id)}"))
        if not out.confirm(rollback_question(s, task_id, task)):
            out.finish(
                {"taskId": task_id, "rolledBack": 0}, ExitCode.FAILED, "Cancelled; nothing changed."
            )
            return
    answer = s.client().call("POST", f"/system-tasks/{segment(task_id)}/rollback")
    objects = [o for o in mapping(answer).get("objects") or [] if isinstance(o, dict)]
    out.table(
        ("kind", "name", "action", "version"),
        [(o.get("kind"), o.get("name"), o.get("action"), o.get("version") or "") for o in objects],
    )
    out.finish(
        answer, ExitCode.OK, f"Rolled back {mapping(answer).get('rolledBack', 0)} object(s)."
    )
