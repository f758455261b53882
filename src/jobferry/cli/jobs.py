"""``jobferry jobs list|show|start|stop|rename|delete`` and ``jobferry workspaces list``:
reading a workspace of the server, and the scheduling, names and deletion of its jobs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

import typer

from jobferry.cli.choices import choice_type, from_kebab, kebab
from jobferry.cli.client import ApiClient, ApiError, segment
from jobferry.cli.deleting import LOCKED_TAG, delete_definition, locked_tags, rename_locks_passed
from jobferry.cli.exits import CliUsageError, CommandError
from jobferry.cli.listings import Listing, show_listed
from jobferry.cli.listwalk import walk
from jobferry.cli.output import epoch_ms, mapping, objects_under
from jobferry.cli.session import (
    JsonOption,
    SubmittedOption,
    WorkspaceOption,
    YesOption,
    session,
)
from jobferry.domain.enums import ObjectKind, ProcessType
from jobferry.domain.releases import PRODUCTION_SUFFIX

app = typer.Typer(help="Jobs of a workspace.", no_args_is_help=True)
JobName = Annotated[str, typer.Argument(help="Job name.")]
workspaces_app = typer.Typer(help="Workspaces of the server's project.", no_args_is_help=True)

# ``--type``: list_jobs' ``jobType`` (the domain's ProcessType) in kebab case.
if TYPE_CHECKING:
    JobType = str
else:
    JobType = choice_type(ProcessType)


def all_jobs(
    client: ApiClient, name: str | None, tags: str | None, job_type: str
) -> tuple[int, list[dict[str, Any]]]:
    """Every job matching the filters, in order (its pages asked side by side: ``walk``)."""
    return walk(client, "/jobs", "jobs", {"jobName": name, "tags": tags, "jobType": job_type})


JOBS = Listing(
    "jobs",
    "jobName",
    ("name", "status", "version", "directory", "owner", "updated (UTC)"),
    lambda job: (
        job.get("name"),
        job.get("status"),
        job.get("version", ""),
        job.get("path", ""),
        job.get("owner", ""),
        epoch_ms(job.get("lastUpdateTime")),
    ),
)


@app.command("list")
def list_jobs(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="TEXT", help="Only jobs whose name contains this text."),
    ] = None,
    tags: Annotated[
        str | None,
        typer.Option(
            "--tags", metavar="TAG,…", help="Comma-separated tags; jobs with any of them."
        ),
    ] = None,
    job_type: Annotated[JobType, typer.Option("--type", help="Batch or real-time jobs.")] = kebab(
        ProcessType.BATCH
    ),
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List the jobs of the workspace (every page)."""
    s = session(ctx, json_mode, workspace)
    wire_type = str(from_kebab(ProcessType, job_type))
    total, jobs = all_jobs(s.client(), name, tags, wire_type)
    show_listed(s.output, JOBS, total, jobs)


_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")


def _cron_fields(cron: dict[str, Any]) -> list[tuple[str, Any]]:
    """The cron line, saying in which zone it runs (DataArts' region's when none is set), and
    its start and end, a time without an offset said to be read in that zone."""
    if not cron:
        return []
    zone = cron.get("expressionTimeZone")
    said = (
        f"in time zone {zone}"
        if zone
        else "with no time zone: DataArts reads it in its region's time zone"
    )
    fields: list[tuple[str, Any]] = [("cron", f"{cron.get('expression')} {said}")]
    for label, key in (("from", "startTime"), ("until", "endTime")):
        value = cron.get(key)
        if isinstance(value, str) and value.strip():
            local = zone and not _OFFSET.search(value.strip())
            fields.append((label, f"{value} ({zone} time)" if local else value))
    return fields


def _version_asked(version: int | None, submitted: bool) -> dict[str, Any]:
    """The query of ``jobs show``: one version asked for at most, and the job's provenance."""
    if version is not None and submitted:
        raise CliUsageError(
            "--version and --submitted each name the version to show; give one of them."
        )
    return {
        "version": version,
        "getJobSubmitVersion": True if submitted else None,
        "provenance": True,
    }


@app.command("show")
def show_job(
    ctx: typer.Context,
    name: JobName,
    version: SubmittedOption = None,
    submitted: Annotated[
        bool, typer.Option("--submitted", help="The latest submitted version.")
    ] = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show one job: its definition (development state unless a version is asked for) and
    where it came from (the import from another workspace that wrote it)."""
    s = session(ctx, json_mode, workspace)
    job = s.client().get(f"/jobs/{segment(name)}", **_version_asked(version, submitted))
    out = s.output
    if out.json_mode:
        out.emit(job)
        return
    schedule = mapping(job.get("schedule"))
    cron = mapping(schedule.get("cron"))
    basic = mapping(job.get("basicConfig"))
    out.fields(
        [
            ("name", job.get("name")),
            ("directory", job.get("directory")),
            ("process type", job.get("processType")),
            ("version", job.get("version", "never submitted")),
            ("owner", basic.get("owner") or "not named (its creator owns it; jobs list shows who)"),
            ("schedule", schedule.get("type")),
            *_cron_fields(cron),
            (
                "params",
                ", ".join(
                    f"{p.get('name')}={p.get('value')}"
                    for p in job.get("params") or []
                    if isinstance(p, dict)
                ),
            ),
        ]
    )
    nodes = objects_under(job, "nodes")
    out.table(
        ("node", "type", "after"),
        [(n.get("name"), n.get("type"), ", ".join(n.get("preNodeName") or [])) for n in nodes],
    )
    if "provenance" in job:  # a server without the extension (DataArts) says nothing of it
        out.fields(provenance_lines(job["provenance"]))


def provenance_lines(came_from: Any) -> list[tuple[str, Any]]:
    """``jobs show``'s lines of where a job came from (show_job's ``provenance``)."""
    if not isinstance(came_from, dict):
        return [("came from", "not imported from another workspace")]
    workspace = came_from.get("sourceWorkspace")
    source_ws = came_from.get("sourceWorkspaceId")
    where = f"workspace {workspace} ({source_ws})" if workspace else f"workspace {source_ws}"
    task = f"{came_from.get('importTaskId')} by {came_from.get('importedBy') or '?'}"
    when = epoch_ms(came_from.get("importedAt"))
    route = came_from.get("route")
    return [
        ("came from", f"job {came_from.get('sourceJobName')} of {where}"),
        *([("route", f"promoted along route {route}")] if route else []),
        ("source uid", came_from.get("sourceUid")),
        ("package", f"sha256 {came_from.get('packageSha256') or 'not recorded'}"),
        (
            "import task",
            f"{task}, {when} UTC" + (" (rolled back)" if came_from.get("rolledBack") else ""),
        ),
        (
            "drifted",
            "yes: changed in this workspace since that import"
            if came_from.get("drifted")
            else "no",
        ),
    ]


@workspaces_app.command("list")
def list_workspaces(ctx: typer.Context, json_mode: JsonOption = False) -> None:
    """List the workspaces you have a role in, with their ids, each enterprise one followed
    by its production side (jobferry extension)."""
    s = session(ctx, json_mode)
    answer = s.client().get("/workspaces")
    out = s.output
    if out.json_mode:
        out.emit(answer)
        return
    rows = []
    for w in answer.get("workspaces", []):
        production = w.get("productionWorkspaceId")
        mode = "enterprise" if production else "simple"
        rows.append(
            (w.get("id"), w.get("name"), w.get("role"), "yes" if w.get("isDefault") else "", mode)
        )
        if production:  # its production side, named as -w takes it
            side = f"{w.get('name')}{PRODUCTION_SUFFIX}"
            rows.append((production, side, w.get("role"), "", f"production of {w.get('name')}"))
    out.table(("id", "name", "your role", "default", "mode"), rows)


SCHEDULING: dict[str, tuple[str, str]] = {
    "start": (
        "Started",
        "Start a job's schedule (DataArts start_job: it must have a submitted version).",
    ),
    "stop": (
        "Stopped",
        "Stop a job's schedule (DataArts stop_job), e.g. before an import overwrites it.",
    ),
}
"""``jobs start`` and ``jobs stop``: what each says it did, and its help."""


def schedule_job(
    ctx: typer.Context,
    name: JobName,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Start or stop (the command's name) a job's schedule, and say so."""
    verb = str(ctx.command.name)
    done = SCHEDULING[verb][0]
    s = session(ctx, json_mode, workspace)
    s.client().call("POST", f"/jobs/{segment(name)}/{verb}")
    s.output.result({done.lower(): name}, f"{done} job '{name}' in {s.workspace_label()}.")


for _verb, (_, _help) in SCHEDULING.items():
    app.command(_verb, help=_help)(schedule_job)


@app.command("rename")
def rename_job(
    ctx: typer.Context,
    name: JobName,
    new_name: Annotated[str, typer.Argument(metavar="NEW_NAME", help="The job's new name.")],
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Rename a job (DataArts Studio's v2 rename): its id, versions and lock stay."""
    s = session(ctx, json_mode, workspace)
    path = f"/factory/jobs/{segment(name)}/rename"
    try:
        changed = s.client().change("PUT", path, {"name": new_name}, api="v2")
    except ApiError as exc:
        if exc.code != LOCKED_TAG or not exc.body.get("tags"):
            raise
        said = locked_tags(name, exc.body["tags"], "renamed", s.fix_workspace())
        raise CommandError(said, code=exc.code, status=exc.status) from None
    said = (
        f"Job '{name}' is named so already in {s.workspace_label()}; nothing changed."
        if new_name == name
        else f"Renamed job '{name}' to '{new_name}' in {s.workspace_label()}."
    )
    warned = rename_locks_passed(s, name, changed)
    s.output.result({"renamed": name, "name": new_name} | warned, said)


@app.command("delete")
def delete_job(
    ctx: typer.Context,
    name: JobName,
    yes: YesOption = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Delete a job (DataArts delete_job), after asking: refused while it is scheduled or other
    jobs depend on it."""
    delete_definition(ctx, ObjectKind.JOB, name, yes=yes, json_mode=json_mode, workspace=workspace)
