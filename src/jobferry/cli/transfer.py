"""Remote transfer commands: export, import, plan, tasks and the download center.

They call the documented API (DataArts v1 plus jobferry's extensions) and add no logic the
server has: the plan, the check and the apply all happen on the server.

* ``export`` picks the call from the selection: one job → ``POST /jobs/{name}/export``,
  several → ``POST /jobs/batch-export`` (both DataArts calls, answered at once with the zip);
  ``--names-file``, ``--workspace-all`` or ``--changed-since`` → ``POST /exports`` (a jobferry
  task, polled with a progress bar), then the package is fetched from the download center.
* ``import`` and ``plan`` upload a local file first (``POST /packages``, or OBS when the
  profile says ``upload = "obs"``), then ask for the plan (``POST /jobs/import/plan``), show it,
  and — ``import`` only, after confirmation — start the import with the plan's id, so the
  server refuses it if the target changed in between. Endpoints without the plan call (the
  real DataArts) get ``POST /jobs/check-file`` shown instead.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry.cli import obs
from jobferry.cli.client import ApiClient, ApiError, segment
from jobferry.cli.exits import CliUsageError, CommandError, ExitCode
from jobferry.cli.output import epoch_ms, mapping, size_text
from jobferry.cli.planview import has_changes, show_plan, show_task
from jobferry.cli.session import JsonOption, Session, WorkspaceOption, session

tasks_app = typer.Typer(help="System tasks (exports, imports) of a remote workspace.")
downloads_app = typer.Typer(help="The download center of a remote workspace (jobferry).")

REMOTE_SCHEMES = ("obs://", "s3://", "upload://")


class ExportStatus(StrEnum):
    """``exportStatus``: the development state or the latest submitted version."""

    DEVELOP = "develop"
    SUBMIT = "submit"


class Policy(StrEnum):
    """``sameNamePolicy``."""

    SKIP = "skip"
    OVERWRITE = "overwrite"


class TargetStatus(StrEnum):
    """``targetStatus`` of imported objects."""

    SAVED = "saved"
    SUBMITTED = "submitted"
    PRODUCTION = "production"


class Mode(StrEnum):
    """Import mode: all or nothing, or whatever passes the check."""

    ATOMIC = "atomic"
    PER_OBJECT = "per-object"


# -- shared helpers ---------------------------------------------------------------------


def wait_for(s: Session, task_id: str, description: str) -> dict[str, Any]:
    """Poll a task to its end behind a progress bar."""
    with s.output.progress(description) as bar:
        return s.client().wait_task(task_id, bar.task)


def task_exit(task: dict[str, Any]) -> ExitCode:
    """The exit code a finished task stands for (see ``jobferry.cli.exits``)."""
    status = task.get("status")
    result = mapping(task.get("result"))
    if status == "WARNING" or (status == "FAILED" and result.get("problems")):
        return ExitCode.PROBLEMS
    if status == "FAILED":
        return ExitCode.FAILED
    return ExitCode.OK


def stdin_is_terminal() -> bool:
    """Whether a person can answer a confirmation prompt."""
    return sys.stdin.isatty()


def _read_names(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CliUsageError(f"Cannot read the names file {path}: {exc.strerror or exc}.") from exc
    names = [line.strip() for line in text.splitlines()]
    names = [n for n in names if n and not n.startswith("#")]
    if not names:
        raise CliUsageError(f"The names file {path} lists no job name (one per line).")
    return names


# -- export -----------------------------------------------------------------------------


def export_command(
    ctx: typer.Context,
    jobs: Annotated[
        list[str] | None, typer.Argument(help="Job names (one: DLF_<job>.zip; several: jobs.zip).")
    ] = None,
    names_file: Annotated[
        Path | None,
        typer.Option("--names-file", help="A file with one job name per line (# comments)."),
    ] = None,
    workspace_all: Annotated[
        bool, typer.Option("--workspace-all", help="Every job of the workspace.")
    ] = False,
    changed_since: Annotated[
        str | None,
        typer.Option(
            "--changed-since",
            help="Jobs changed since an ISO time with zone (2026-11-01T00:00:00+08:00), epoch "
            "ms, or 'last' (since the last workspace export).",
        ),
    ] = None,
    with_upstream: Annotated[
        bool, typer.Option("--with-upstream", help="Add every job the selection depends on.")
    ] = False,
    status: Annotated[
        ExportStatus,
        typer.Option("--status", help="Development state or latest submitted version."),
    ] = ExportStatus.DEVELOP,
    no_depend: Annotated[
        bool, typer.Option("--no-depend", help="Leave the scripts and resources out.")
    ] = False,
    no_manifest: Annotated[
        bool, typer.Option("--no-manifest", help="Strictly DataArts-shaped: no manifest.json.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File or folder to write (default: ./<name>.zip)."),
    ] = None,
    obs_path: Annotated[
        str | None,
        typer.Option("--obs-path", help="Write to object storage (obs://bucket/key) instead."),
    ] = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Export jobs into a package: one, several, a names file, or the (changed) workspace."""
    s = session(ctx, json_mode, workspace)
    sources = sum(bool(x) for x in (jobs, names_file, workspace_all, changed_since))
    if sources != 1:
        raise CliUsageError(
            "Say what to export, in exactly one way: job names, --names-file, --workspace-all "
            "or --changed-since."
        )
    options: dict[str, Any] = {"exportStatus": status.value.upper()}
    if no_depend:
        options["exportDepend"] = False
    if with_upstream:
        options["withUpstream"] = True
    if no_manifest:
        options["withManifest"] = False
    if obs_path:
        options["obsPath"] = obs_path
    if jobs:
        result = _export_now(s, jobs, options, output, obs_path)
    else:
        body: dict[str, Any] = dict(options)
        if names_file is not None:
            body.update(mode="names", names=_read_names(names_file))
        else:
            body["mode"] = "workspace"
            if changed_since == "last":
                body["changed"] = "sinceLastExport"
            elif changed_since:
                body["changed"] = "since"
                since = changed_since.strip()
                body["since"] = int(since) if since.isdigit() else since
        result = _export_task(s, body, output, obs_path)
    out = s.output
    where = result.get("path") or result.get("file")
    out.result(result, f"Exported to {where} ({size_text(result.get('size'))}).")
    if not out.json_mode and result.get("sha256"):
        out.note(f"sha256 {result['sha256']}")


def _export_now(
    s: Session, jobs: list[str], options: dict[str, Any], output: Path | None, obs_path: str | None
) -> dict[str, Any]:
    client = s.client()
    if len(jobs) == 1:
        path, body, default = f"/jobs/{segment(jobs[0])}/export", options, f"DLF_{jobs[0]}.zip"
    else:
        path, body, default = "/jobs/batch-export", {"jobList": jobs, **options}, "jobs.zip"
    if obs_path:
        uploaded: dict[str, Any] = client.call("POST", path, body)
        return uploaded
    with s.output.progress("Exporting", transfer=True) as bar:
        got = client.download(
            "POST", path, output, body=body, progress=bar.bytes, default_name=default
        )
    return {"file": str(got.path), "size": got.size, "sha256": got.sha256, "jobs": jobs}


def _export_task(
    s: Session, body: dict[str, Any], output: Path | None, obs_path: str | None
) -> dict[str, Any]:
    client = s.client()
    task_id = client.call("POST", "/exports", body)["taskId"]
    task = wait_for(s, task_id, "Exporting")
    if task.get("status") != "SUCCESSFUL":
        raise CommandError(f"Export task {task_id} {task.get('status')}: {task.get('message')}")
    result = task.get("result") or {}
    if obs_path:
        return {
            "taskId": task_id,
            **(result.get("obs") or {}),
            "downloadId": result.get("downloadId"),
        }
    download_id = str(result.get("downloadId"))
    with s.output.progress("Downloading", transfer=True) as bar:
        got = client.download(
            "GET",
            f"/downloads/{segment(download_id)}/content",
            output,
            progress=bar.bytes,
            default_name=str(result.get("fileName") or "package.zip"),
        )
    return {
        "file": str(got.path),
        "size": got.size,
        "sha256": got.sha256,
        "taskId": task_id,
        "downloadId": download_id,
        "jobs": result.get("jobs"),
    }


# -- import and plan --------------------------------------------------------------------

SourceArg = Annotated[
    str,
    typer.Argument(help="A local package file, or obs://bucket/key (or an upload:// path)."),
]
PolicyOption = Annotated[
    Policy, typer.Option("--policy", help="Objects that exist already: skip or overwrite them.")
]
StatusOption = Annotated[
    TargetStatus | None,
    typer.Option("--status", help="Save only, or also submit a version (default: submitted)."),
]
TargetDirOption = Annotated[
    str | None, typer.Option("--target-dir", help="Folder for new jobs, e.g. /release/42.")
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option("--param", help="NAME=VALUE: set a job parameter the jobs declare (repeat)."),
]
ReplaceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--replace",
        help="TYPE:NAME=NEW: map an environment object, e.g. DWS_CONNECTION:dws_test=dws_prod "
        "(DataArts 'resources'; repeat).",
    ),
]
ExecuteUserOption = Annotated[
    str | None, typer.Option("--execute-user", help="Set basicConfig.executeUser of every job.")
]
ModeOption = Annotated[
    Mode, typer.Option("--mode", help="atomic: all or nothing; per-object: what passes.")
]


def _pairs(values: list[str] | None, what: str, example: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values or []:
        key, equals, item = value.partition("=")
        if not equals or not key.strip():
            raise CliUsageError(f"{what} {value!r} is not NAME=VALUE (e.g. {example}).")
        found[key.strip()] = item
    return found


def import_body(
    policy: Policy,
    status: TargetStatus | None,
    target_dir: str | None,
    params: list[str] | None,
    replaces: list[str] | None,
    execute_user: str | None,
    mode: Mode,
) -> dict[str, Any]:
    """The ImportFileReq (without ``path``) the options describe."""
    body: dict[str, Any] = {"sameNamePolicy": policy.value.upper()}
    if status is not None:
        body["targetStatus"] = status.value.upper()
    if target_dir:
        body["targetDirectory"] = target_dir
    if params:
        body["params"] = _pairs(params, "--param", "env=prod")
    if replaces:
        resources = []
        for source, new in _pairs(
            replaces, "--replace", "DWS_CONNECTION:dws_test=dws_prod"
        ).items():
            kind, colon, name = source.partition(":")
            if not colon or not kind or not name:
                raise CliUsageError(
                    f"--replace {source}={new} needs TYPE:NAME=NEW, e.g. "
                    "DWS_CONNECTION:dws_test=dws_prod."
                )
            resources.append({"name": name, "type": kind, "replace": new})
        body["resources"] = resources
    if execute_user:
        body["executeUser"] = execute_user
    if mode is Mode.PER_OBJECT:
        body["mode"] = "PER_OBJECT"
    return body


def package_path(s: Session, source: str) -> str:
    """The path the import call names: remote as given, local files uploaded first."""
    if source.startswith(REMOTE_SCHEMES):
        return source
    file = Path(source).expanduser()
    if not file.is_file():
        raise CliUsageError(
            f"{source} is not a file; give a local package or an obs://bucket/key path."
        )
    profile = s.profile()
    if profile.upload == "obs":
        assert profile.obs is not None
        with s.output.progress(f"Uploading to OBS {profile.obs.bucket}", transfer=True) as bar:
            return obs.upload_package(profile.obs, file, bar.bytes)
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
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show what importing the package would do, with field diffs; exit 3 on problems."""
    s = session(ctx, json_mode, workspace)
    body = import_body(policy, status, target_dir, param, replace, execute_user, mode)
    _plan_only(s, source, body)


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
    body = import_body(policy, status, target_dir, param, replace, execute_user, mode)
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
    if plan is None:
        _show_contents(s, client, path)
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
    where = s.profile().workspace or "the default workspace"
    if not yes and not out.confirm(f"Import into {where}?"):
        out.finish(
            {"path": path, "plan": plan, "task": None},
            ExitCode.FAILED,
            "Cancelled; nothing was imported.",
        )
        return
    task_id = client.call("POST", "/jobs/import", body)["taskId"]
    task = wait_for(s, str(task_id), "Importing")
    show_task(out, task)
    code = task_exit(task)
    out.finish({"path": path, "plan": plan, "task": task}, code, None if code else "Imported.")


# -- tasks ------------------------------------------------------------------------------


@tasks_app.command("show")
def show_task_command(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(help="The task id an export or import answered.")],
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Follow the task to its end; the exit code tells how it went."),
    ] = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show a system task (status, progress, subtasks, problems)."""
    s = session(ctx, json_mode, workspace)
    client = s.client()
    task = (
        wait_for(s, task_id, "Waiting") if wait else client.get(f"/system-tasks/{segment(task_id)}")
    )
    show_task(s.output, task)
    s.output.finish(task, task_exit(task) if wait else ExitCode.OK, None)


# -- downloads --------------------------------------------------------------------------


@downloads_app.command("list")
def list_downloads(
    ctx: typer.Context, json_mode: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """List the packages in the download center (newest first)."""
    s = session(ctx, json_mode, workspace)
    answer = s.client().get("/downloads")
    out = s.output
    if out.json_mode:
        out.emit(answer)
        return
    items = [d for d in mapping(answer).get("downloads") or [] if isinstance(d, dict)]
    out.table(
        ("id", "file", "size", "created (UTC)", "expires (UTC)", "by"),
        [
            (
                d.get("id"),
                d.get("fileName"),
                size_text(d.get("size")),
                epoch_ms(d.get("createTime")),
                epoch_ms(d.get("expireTime")),
                d.get("createUser"),
            )
            for d in items
        ],
    )


@downloads_app.command("get")
def get_download(
    ctx: typer.Context,
    download_id: Annotated[str, typer.Argument(help="Download id (downloads list).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File or folder to write.")
    ] = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Download a package from the download center."""
    s = session(ctx, json_mode, workspace)
    with s.output.progress("Downloading", transfer=True) as bar:
        got = s.client().download(
            "GET", f"/downloads/{segment(download_id)}/content", output, progress=bar.bytes
        )
    result = {"file": str(got.path), "size": got.size, "sha256": got.sha256}
    s.output.result(result, f"Downloaded {got.path} ({size_text(got.size)}).")


@downloads_app.command("delete")
def delete_download(
    ctx: typer.Context,
    download_id: Annotated[str, typer.Argument(help="Download id (downloads list).")],
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Delete a package from the download center."""
    s = session(ctx, json_mode, workspace)
    s.client().call("DELETE", f"/downloads/{segment(download_id)}")
    s.output.result({"deleted": download_id}, f"Deleted {download_id}.")
