"""``jobferry apply -f DIR``: make a workspace match a folder of definitions, through the one
import pipeline.

The folder (format: :mod:`jobferry.package.folder`) is read and checked first; one problem in
any file and nothing is sent (exit 3, every problem named with its file). Then it is packed
into a temporary package (the same files always give the same bytes), named for the folder
(:func:`package_name`: the task's title and the audit log say ``folder examples``), and imported as
``jobferry import`` imports a package (:func:`jobferry.cli.transfer.import_package`): uploaded,
planned with ``sameNamePolicy`` OVERWRITE (the files win) in ATOMIC mode, the plan's own actions
shown, the import started with the plan's id after confirmation, and its task id printed with
the command that rolls it back. A plan with problems imports nothing (exit 3); a plan with
nothing to change says so and exits 0. Objects of the workspace that the folder does not hold
are left alone: a folder has no source identity to tell a deleted object from one never there.
With ``--prune`` the folder is the whole workspace: it is packed saying it holds every job,
script and resource (``inventory``) and imported with ``propagateDeletes``, so the plan shows
every object of the workspace the folder lacks as a DELETE (with its problems: a scheduled job,
one another remaining job uses) before anything is applied.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from jobferry.cli import terminal, transfer
from jobferry.cli.choices import from_kebab
from jobferry.cli.exits import CheckProblemsError, CliUsageError
from jobferry.cli.import_options import (
    DEFAULT_SCHEDULING,
    AllObjectsOption,
    ImportOptions,
    SchedulingOption,
    StatusOption,
    target_status,
)
from jobferry.cli.session import JsonOption, WorkspaceOption, YesOption, session
from jobferry.domain.enums import SameNamePolicy, SchedulingPolicy
from jobferry.package.folder import FolderObject, pack, read_folder

MAX_SHOWN = 20
NAME_BYTES = 255
"""The longest file name most file systems take: the package is written under its name here
before it is uploaded."""


def load_folder(root: Path) -> tuple[FolderObject, ...]:
    """Every definition under ``root``; refused (exit 3, ``--json``'s ``error.code``
    ``problems``) with every problem of every file, so that nothing is sent when one file is
    wrong."""
    if not root.exists():
        raise CliUsageError(f"{root} does not exist; give a definition file or a folder of them.")
    read = read_folder(root)
    problems = list(read.problems)
    if problems:
        listed = "\n  ".join(problems[:MAX_SHOWN])
        more = f"\n  … and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
        raise CheckProblemsError(
            f"{len(problems)} problem(s) in the definition files; nothing was applied:\n  "
            f"{listed}{more}",
            problems=problems,  # error.code "problems", as every exit 3 of the command line
        )
    if not read.objects:
        raise CliUsageError(
            f"{root} holds no definition (*.job, *.script, *.resource, or *.json under jobs/, "
            "scripts/ or resources/)."
        )
    return read.objects


def package_name(root: Path) -> str:
    """What the import calls the package packed from ``root`` (its upload's file name, which
    the server titles the task and names in the audit log with): the folder's own name
    (``folder examples``) or the one file's (``daily_sales.job``), never a path of this
    machine nor a zip the person never had; a folder's cut at a character to what a file name
    holds (``folder `` and 249 bytes), as the server cuts an upload's name."""
    name = root.resolve().name or "root"  # "/" has no name
    if root.is_file():
        return name
    return f"folder {name}".encode()[:NAME_BYTES].decode(errors="ignore")


def apply_command(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Option(
            "--file",
            "-f",
            help="A folder of definitions (read recursively), or one definition file.",
            metavar="DIR",
        ),
    ],
    status: StatusOption = None,
    scheduling: SchedulingOption = DEFAULT_SCHEDULING,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan and stop (nothing is imported).")
    ] = False,
    yes: YesOption = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Delete the jobs, scripts and resources of the workspace that the folder does "
            "not hold (the plan shows each DELETE first).",
        ),
    ] = False,
    all_objects: AllObjectsOption = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Make a workspace match a folder of definitions: pack, plan, confirm, import atomically."""
    session(ctx, json_mode, workspace)  # --json holds for a refusal before the import too
    root = path.expanduser()
    if prune and root.is_file():
        raise CliUsageError(
            f"--prune makes the workspace hold only what the folder holds, and {root} is one "
            "file: give the folder of every definition (-f DIR), or leave --prune out."
        )
    objects = load_folder(root)
    if not yes and not dry_run:
        terminal.require_person("apply", "apply", instead=" (or --dry-run to see the plan)")
    with tempfile.TemporaryDirectory(prefix="jobferry-apply-") as work:
        package = Path(work) / package_name(root)  # the upload's name: the task's title
        with package.open("wb") as out:
            pack(objects, out, whole=prune)
        options = ImportOptions(
            policy=SameNamePolicy.OVERWRITE,
            status=target_status(status),
            scheduling=from_kebab(SchedulingPolicy, scheduling),
            propagate_deletes=prune,
        )
        transfer.import_package(
            ctx,
            str(package),
            options,
            dry_run=dry_run,
            yes=yes,
            all_objects=all_objects,
            json_mode=json_mode,
            workspace=workspace,
        )
