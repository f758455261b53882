"""``jobferry pull -w WS DIR``: a workspace written as the folder ``jobferry apply -f`` reads.

The workspace is exported whole as ``jobferry export --workspace-all`` exports it (every job,
script and resource: ``POST /exports``, then the download), the package is read with the
server's own reader, and each object is written as one file (:mod:`jobferry.package.folder`):
``jobs/<name>.json``, ``scripts/<name>.json``, ``resources/<name>.json`` (a dot first written
``%2E``), keys sorted, the fields the server owns left out. Pulling twice writes the same
bytes; applying an unchanged pulled folder to the same workspace plans every object UNCHANGED
(but one saved and not submitted since, which the apply submits, unless ``--status saved``).
Definition files under those three folders of objects the workspace no longer has are removed,
each named; one of an object the workspace has, at another path than its own, is said moved.
A file edited since the last pull that this one would lose refuses the pull before it writes
anything (:mod:`jobferry.package.pulled`; ``--force`` writes anyway).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry.cli.asking import own_command_line
from jobferry.cli.client import ApiError, ConnectionProblemError, segment
from jobferry.cli.exits import CliUsageError, CommandError
from jobferry.cli.export import export_task
from jobferry.cli.session import JsonOption, Session, WorkspaceOption, session
from jobferry.domain.enums import ExportMode, ExportStatus
from jobferry.errors import PackageError
from jobferry.package.folder import write_folder
from jobferry.package.model import PackageObject
from jobferry.package.pulled import (
    LocalEdit,
    in_the_way,
    lost_edits,
    read_record,
    write_record,
)
from jobferry.package.reader import read_package


def exported_objects(package: Path) -> tuple[PackageObject, ...]:
    """The objects of the workspace's export; none for an empty workspace, whose package the
    reader refuses as one to import (rule ``package.empty``), not as a broken one."""
    try:
        return read_package(package).objects
    except PackageError as exc:
        if exc.context.get("rule") != "package.empty":
            raise
        return ()


def pull_command(
    ctx: typer.Context,
    folder: Annotated[
        Path,
        typer.Argument(metavar="DIR", help="The folder to write (created when missing)."),
    ],
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Write over and remove the files edited since the last pull too."
        ),
    ] = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Write a workspace into a folder, one file per job, script and resource (for apply -f)."""
    s = session(ctx, json_mode, workspace)
    root = folder.expanduser()
    if root.exists() and not root.is_dir():
        raise CliUsageError(f"{root} is a file; give a folder to pull into.")
    body = {"mode": ExportMode.WORKSPACE.value, "exportStatus": ExportStatus.DEVELOP.value}
    with tempfile.TemporaryDirectory(prefix="jobferry-pull-") as work:
        again = own_command_line(s, "pull", str(folder))
        then = f"Nothing was written to {root}; to pull it, run again: {again}"
        exported = export_task(s, body, Path(work) / "workspace.zip", None, then=then)
        try:
            objects = exported_objects(Path(exported["file"]))
        finally:
            _discard(s, str(exported.get("downloadId")))
    record = None if force else read_record(root)

    def before_writing(present: set[str], files: Mapping[str, bytes]) -> None:
        blocked = in_the_way(root, files)
        if blocked:
            raise CommandError(
                f"Cannot write the workspace into {root}: {', '.join(blocked[:10])} stands where "
                "a folder or a definition file goes; move it away and pull again. Nothing was "
                "written.",
                code="file",
            )
        lost = lost_edits(root, record or {}, present, files) if record is not None else []
        if lost:
            raise _edits_refusal(root, lost)

    done = write_folder(root, objects, before_writing)
    out = s.output
    if done.problems:
        raise CommandError(
            f"{len(done.problems)} object(s) cannot be written as files; nothing was written:"
            "\n  " + "\n  ".join(done.problems),
            problems=done.problems,
        )
    write_record(root, done.hashes)
    for relative in done.written:
        out.line(f"written  {relative}")
    for relative in done.removed:
        out.line(f"removed  {relative}  (no longer in the workspace)")
    for relative, now in done.moved.items():
        out.line(f"moved    {relative} → {now}")
    if done.skipped:
        out.warn(
            f"not written (environment objects, not definitions): {', '.join(done.skipped)}; "
            "'jobferry env' manages them."
        )
    result: dict[str, Any] = {
        "folder": str(root),
        "written": done.written,
        "unchanged": done.unchanged,
        "removed": done.removed,
        "moved": done.moved,
        "skipped": done.skipped,
        "taskId": exported.get("taskId"),
    }
    out.finish(
        result,
        0,
        f"Pulled {s.workspace_label()} into {root}: {len(done.written)} written, "
        f"{len(done.unchanged)} unchanged, {len(done.removed)} removed"
        + (f", {len(done.moved)} moved." if done.moved else "."),
    )


def _discard(s: Session, download_id: str) -> None:
    """Delete the pull's package from the download center once it is read: it is the pull's
    means, not a package anyone asked for, and a pull an hour would otherwise keep a whole
    workspace's package an hour there until they expire. A package that cannot be deleted
    is said, and expires as any other."""
    try:
        s.client().call("DELETE", f"/downloads/{segment(download_id)}")
    except (ApiError, ConnectionProblemError) as exc:
        said = exc.message if isinstance(exc, ApiError) else str(exc)
        s.output.warn(
            f"the export's package {download_id} stays in the download center until it "
            f"expires: {said}"
        )


def _edits_refusal(root: Path, lost: list[LocalEdit]) -> CommandError:
    """The refusal of a pull that would lose the edits ``lost``, each named."""
    shown = "\n  ".join(f"{edit.edit.value:<8} {edit.path}" for edit in lost[:20])
    more = f"\n  … and {len(lost) - 20} more" if len(lost) > 20 else ""
    return CommandError(
        f"{len(lost)} file(s) in {root} were edited since the last pull, and this pull would "
        f"write over them, remove them or write them again; nothing was written:\n  {shown}"
        f"{more}\nApply them first (jobferry apply -f {root}), or pull with --force to drop "
        "them.",
        code="local_edits",
        edits=[{"path": edit.path, "edit": edit.edit.value} for edit in lost],
    )
