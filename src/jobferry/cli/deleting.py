"""``jobferry jobs delete`` and ``jobferry scripts delete``: one definition deleted through the
API's own delete call, so with its checks (a scheduled job, jobs that depend on the job or use
the script, another user's lock), after a question naming the workspace and the endpoint.

A refusal the CLI can say better than the API's message (the job is scheduled, others use it)
is said with jobferry's commands; any other is the endpoint's own, as every command reports it.
"""

from __future__ import annotations

import typer

from jobferry.cli import terminal
from jobferry.cli.client import ApiError, segment
from jobferry.cli.exits import CommandError, ExitCode
from jobferry.cli.session import Session, session
from jobferry.domain.dependents import dependents_named
from jobferry.domain.enums import ObjectKind

SCHEDULED = "DLF.9011"
IN_USE = "DLF.9013"


def delete_definition(
    ctx: typer.Context,
    kind: ObjectKind,
    name: str,
    *,
    yes: bool,
    json_mode: bool,
    workspace: str | None,
) -> None:
    """Ask (unless ``yes``), delete one job or script, say what was done."""
    s = session(ctx, json_mode, workspace)
    out = s.output
    if not yes:
        terminal.require_person(f"{kind}s delete", "delete")
        question = (
            f"Delete {kind} '{name}' from {s.workspace_label()} at {s.client().endpoint}? "
            f"Its definition is not kept (keep a copy first with: jobferry export …)."
        )
        if not out.confirm(question):
            out.finish({"deleted": None}, ExitCode.FAILED, "Cancelled; nothing was deleted.")
            return
    try:
        s.client().call("DELETE", f"/{kind}s/{segment(name)}")
    except ApiError as exc:
        raise _refusal(s, kind, name, exc) or exc from None
    result = {"deleted": name, "kind": str(kind)}
    out.result(result, f"Deleted {kind} '{name}' from {s.workspace_label()}.")


def _refusal(s: Session, kind: ObjectKind, name: str, exc: ApiError) -> CommandError | None:
    """A refusal said with jobferry's commands (``None``: the endpoint's own words do)."""
    where = s.workspace_arg()
    ws = f" -w {where}" if where else ""
    if exc.code == SCHEDULED:
        message = (
            f"Job '{name}' is scheduled, and a scheduled job is not deleted; stop it with: "
            f"jobferry jobs stop {name}{ws} — then delete it again. Nothing was deleted."
        )
    elif exc.code == IN_USE and kind is ObjectKind.JOB:
        users = dependents_named(exc.body)
        message = (
            f"Job '{name}' is an upstream job of {users}: change those jobs so they no longer "
            "depend on it (or delete them first), then delete it again. Nothing was deleted."
        )
    elif exc.code == IN_USE and kind is ObjectKind.SCRIPT:
        users = ", ".join(str(j) for j in exc.body.get("jobs") or [])
        message = (
            f"Script '{name}' is used by job(s) {users}: change or delete those jobs first, then "
            "delete it again. Nothing was deleted."
        )
    else:
        return None
    return CommandError(message, code=exc.code, status=exc.status)
