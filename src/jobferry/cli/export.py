"""``jobferry export``: jobs into a package, by the call that fits the selection.

One job → ``POST /jobs/{name}/export`` and several → ``POST /jobs/batch-export`` (both DataArts
calls, answered at once with the zip); ``--names-file``, ``--workspace-all`` or
``--changed-since`` → ``POST /exports`` (a jobferry task, polled with a progress bar), then the
package is fetched from the download center. ``--obs-path`` leaves the package in object
storage instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from jobferry.cli.asking import own_command_line
from jobferry.cli.choices import choice_type, from_kebab
from jobferry.cli.client import segment
from jobferry.cli.download_names import Downloaded
from jobferry.cli.exits import CliUsageError, CommandError
from jobferry.cli.files import file_text
from jobferry.cli.output import size_text
from jobferry.cli.session import JsonOption, Session, WorkspaceOption, session
from jobferry.cli.tasks import wait_for
from jobferry.domain.enums import ExportChanges, ExportMode, ExportStatus, ObjectKind, TaskStatus
from jobferry.domain.routes import carried_words
from jobferry.package.manifest import deleted_objects
from jobferry.package.reader import PackageReader

# ``--status``: the domain's ``exportStatus`` values in lower case. The choices are built from
# the enum at run time; the type checker sees a plain string.
if TYPE_CHECKING:
    StatusName = str
else:
    StatusName = choice_type(ExportStatus)


def _read_names(path: Path) -> list[str]:
    text = file_text(path, "the names file")
    names = [line.strip() for line in text.splitlines()]
    names = [n for n in names if n and not n.startswith("#")]
    if not names:
        raise CliUsageError(f"The names file {path} lists no job name (one per line).")
    return names


def export_command(
    ctx: typer.Context,
    jobs: Annotated[
        list[str] | None,
        typer.Argument(metavar="JOB", help="Job names (one: DLF_<job>.zip; several: jobs.zip)."),
    ] = None,
    names_file: Annotated[
        Path | None,
        typer.Option(
            "--names-file", metavar="FILE", help="A file with one job name per line (# comments)."
        ),
    ] = None,
    workspace_all: Annotated[
        bool, typer.Option("--workspace-all", help="Every job of the workspace.")
    ] = False,
    changed_since: Annotated[
        str | None,
        typer.Option(
            "--changed-since",
            metavar="TIME|last",
            help="Jobs changed since an ISO time with zone (2026-11-01T00:00:00+08:00), epoch "
            "ms, or 'last' (since the last workspace export).",
        ),
    ] = None,
    with_upstream: Annotated[
        bool, typer.Option("--with-upstream", help="Add every job the selection depends on.")
    ] = False,
    status: Annotated[
        StatusName,
        typer.Option("--status", help="Development state or latest submitted version."),
    ] = ExportStatus.DEVELOP.lower(),
    no_depend: Annotated[
        bool, typer.Option("--no-depend", help="Leave the scripts and resources out.")
    ] = False,
    no_manifest: Annotated[
        bool, typer.Option("--no-manifest", help="Strictly DataArts-shaped: no manifest.json.")
    ] = False,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE|DIR",
            help="File or folder to write (default: ./<name>.zip).",
        ),
    ] = None,
    obs_path: Annotated[
        str | None,
        typer.Option(
            "--obs-path",
            metavar="obs://BUCKET/KEY",
            help="Write to object storage (obs://bucket/key) instead.",
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--for",
            metavar="TARGET",
            help="The package is for TARGET (a label, e.g. prod): it carries what the "
            "workspace deleted since the last export for TARGET (all it ever deleted, the first "
            "time), so importing it with --propagate-deletes deletes them there too.",
        ),
    ] = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Export jobs into a package: one, several, a names file, or the (changed) workspace.

    --changed-since carries what the workspace deleted since the same moment; --for TARGET
    carries what it deleted since the last export for TARGET."""
    s = session(ctx, json_mode, workspace)
    sources = sum(bool(x) for x in (jobs, names_file, workspace_all, changed_since))
    if sources != 1:
        raise CliUsageError(
            "Say what to export, in exactly one way: job names, --names-file, --workspace-all "
            "or --changed-since."
        )
    options = _export_options(
        status,
        depend=not no_depend,
        upstream=with_upstream,
        manifest=not no_manifest,
        obs_path=obs_path,
        target=target,
    )
    if jobs:
        result = _export_now(s, jobs, options, output, obs_path)
    else:
        body = dict(options) | _task_selection(names_file, changed_since)
        result = export_task(s, body, output, obs_path)
    out = s.output
    where = result.get("path") or result.get("file")
    counted = ""
    if "deletions" in result:  # its scripts and resources too (None: a server not counting them)
        jobs_in = int(result.get("jobCount", result.get("jobs")) or 0)
        scripts, resources = result.get("scripts"), result.get("resources")
        counted = f"{carried_words(jobs_in, int(result['deletions']), scripts, resources)}, "
    out.result(result, f"Exported to {where} ({counted}{size_text(result.get('size'))}).")
    if not out.json_mode and result.get("sha256"):
        out.note(f"sha256 {result['sha256']}")


def _export_options(
    status: str,
    *,
    depend: bool,
    upstream: bool,
    manifest: bool,
    obs_path: str | None,
    target: str | None,
) -> dict[str, Any]:
    """The export body's options the command line chose (defaults left out)."""
    options: dict[str, Any] = {"exportStatus": str(from_kebab(ExportStatus, status))}
    if not depend:
        options["exportDepend"] = False
    if upstream:
        options["withUpstream"] = True
    if not manifest:
        options["withManifest"] = False
    if obs_path:
        options["obsPath"] = obs_path
    if target is not None:
        options["deletionsFor"] = target
    return options


def _task_selection(names_file: Path | None, changed_since: str | None) -> dict[str, Any]:
    """What a background export (``POST /exports``) selects: a names file or the workspace,
    all of it or what changed since a time."""
    if names_file is not None:
        return {"mode": ExportMode.NAMES.value, "names": _read_names(names_file)}
    body: dict[str, Any] = {"mode": ExportMode.WORKSPACE.value}
    if changed_since == "last":
        body["changed"] = ExportChanges.SINCE_LAST_EXPORT.value
    elif changed_since:
        body["changed"] = ExportChanges.SINCE.value
        since = changed_since.strip()
        body["since"] = int(since) if since.isdigit() else since
    return body


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
    done = {"file": str(got.path), "size": got.size, "sha256": got.sha256, "jobs": jobs}
    return done | _counts(got.path)


def _counts(path: Path) -> dict[str, int]:
    """How many jobs the package written holds (with those it brought along) and, when it has
    a manifest, how many deletions it carries: the counts the background exports print."""
    with PackageReader(path) as reader:
        jobs = sum(item.kind == ObjectKind.JOB for item in reader.objects())
        manifest = reader.manifest
    counts = {"jobCount": jobs}
    if manifest is not None:
        counts["deletions"] = len(deleted_objects(manifest))
    return counts


def export_task(
    s: Session,
    body: dict[str, Any],
    output: Path | None,
    obs_path: str | None,
    *,
    then: str | None = None,
) -> dict[str, Any]:
    """Export as ``body`` asks, follow the task and fetch its package (to ``output``) or say
    where object storage holds it. Ctrl-C while following says ``then`` (by default, where the
    package will be)."""
    client = s.client()
    task_id = client.call("POST", "/exports", body)["taskId"]
    where = obs_path or f"the download center: {own_command_line(s, 'downloads', 'list')}"
    task = wait_for(
        s, task_id, "Exporting", "export", then or f"Once it has ended, its package is in {where}"
    )
    if task.get("status") != TaskStatus.SUCCESSFUL:
        raise CommandError(f"Export task {task_id} {task.get('status')}: {task.get('message')}")
    result = task.get("result") or {}
    if obs_path:
        return {
            "taskId": task_id,
            **(result.get("obs") or {}),
            "downloadId": result.get("downloadId"),
        }
    download_id = str(result.get("downloadId"))
    got = fetch_download(s, download_id, output, str(result.get("fileName") or "package.zip"))
    return {
        "file": str(got.path),
        "size": got.size,
        "sha256": got.sha256,
        "taskId": task_id,
        "downloadId": download_id,
        "jobs": result.get("jobs"),
        "scripts": result.get("scripts"),
        "resources": result.get("resources"),
        "deletions": result.get("deletions", 0),
    }


def fetch_download(s: Session, download_id: str, output: Path | None, name: str) -> Downloaded:
    """Stream a package of the download center (of the session's workspace) to ``output``."""
    with s.output.progress("Downloading", transfer=True) as bar:
        return s.client().download(
            "GET",
            f"/downloads/{segment(download_id)}/content",
            output,
            progress=bar.bytes,
            default_name=name,
        )
