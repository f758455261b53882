"""``jobferry locks list`` and ``jobferry jobs|scripts lock|unlock NAME``: locks on a
workspace's jobs and scripts, as DataArts' editor locks one for the person editing it.

A lock is its holder's: under the workspace's hard lock policy another user's change to the
object (a save, rename or delete, an import writing it) is refused; under the soft policy it
goes through with a warning naming the holder. ``lock`` of an object its caller holds already
changes nothing; one another user holds is refused, naming them. ``unlock`` releases the
caller's own lock, or (workspace admins) anyone's: the way out of a refusal that names a
holder who has gone.
"""

from __future__ import annotations

from typing import Annotated

import typer

from jobferry.cli.client import segment
from jobferry.cli.output import epoch_ms, mapping
from jobferry.cli.session import Column, JsonOption, Session, WorkspaceOption, list_answer, session
from jobferry.domain.enums import ObjectKind

app = typer.Typer(
    help="Locks on a workspace's jobs and scripts: who holds each.", no_args_is_help=True
)

JobName = Annotated[str, typer.Argument(help="Job name.")]
ScriptName = Annotated[str, typer.Argument(help="Script name.")]


@app.command("list")
def list_locks(
    ctx: typer.Context, json_mode: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """List the workspace's locks: each locked job or script, who holds it and since when."""
    columns: list[Column] = [
        ("kind", "kind", None),
        ("name", "name", None),
        ("held by", "holder", None),
        ("since (UTC)", "acquireTime", epoch_ms),
    ]
    empty = "No locks: no job or script of the workspace is locked."
    list_answer(session(ctx, json_mode, workspace), "/locks", "locks", columns, empty)


def _lock(s: Session, kind: ObjectKind, name: str) -> None:
    answer = mapping(s.client().call("POST", f"/locks/{kind}/{segment(name)}"))
    s.output.result(
        answer,
        f"Locked {kind} {name} for {answer.get('holder')}: under the workspace's hard lock "
        "policy other users' changes to it are refused, under the soft one they are warned.",
    )


def _unlock(s: Session, kind: ObjectKind, name: str) -> None:
    s.client().call("DELETE", f"/locks/{kind}/{segment(name)}")
    s.output.result({"unlocked": name, "kind": str(kind)}, f"Unlocked {kind} {name}.")


def job_lock(
    ctx: typer.Context,
    name: JobName,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Lock a job for yourself (developers and admins), as DataArts' editor does."""
    _lock(session(ctx, json_mode, workspace), ObjectKind.JOB, name)


def job_unlock(
    ctx: typer.Context,
    name: JobName,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Release a job's lock: your own, or (workspace admins) anyone's."""
    _unlock(session(ctx, json_mode, workspace), ObjectKind.JOB, name)


def script_lock(
    ctx: typer.Context,
    name: ScriptName,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Lock a script for yourself (developers and admins), as DataArts' editor does."""
    _lock(session(ctx, json_mode, workspace), ObjectKind.SCRIPT, name)


def script_unlock(
    ctx: typer.Context,
    name: ScriptName,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Release a script's lock: your own, or (workspace admins) anyone's."""
    _unlock(session(ctx, json_mode, workspace), ObjectKind.SCRIPT, name)
