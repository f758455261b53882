"""``jobferry workspaces settings``: a workspace's own settings (the lock policy, whether a
job's submit waits for approval, whether imports take signed packages only), shown, or changed
by the options named (``PUT /workspaces/{id}``, workspace admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from jobferry.cli.choices import choice_type, from_kebab
from jobferry.cli.client import segment
from jobferry.cli.exits import CliUsageError
from jobferry.cli.output import mapping
from jobferry.cli.session import JsonOption, Session, session
from jobferry.cli.workspaces import Workspace, find_by_name, is_workspace_id
from jobferry.cli.workspaces import listed as known_workspaces
from jobferry.domain.enums import LockPolicy

if TYPE_CHECKING:
    LockPolicyName = str
else:
    LockPolicyName = choice_type(LockPolicy)


def workspace_settings(
    ctx: typer.Context,
    workspace: Annotated[
        str | None,
        typer.Argument(
            metavar="WORKSPACE", help="Its name or id (default: the context's workspace)."
        ),
    ] = None,
    lock_policy: Annotated[
        LockPolicyName | None,
        typer.Option(
            "--lock-policy",
            metavar="soft|hard",
            help="soft: another user's lock only warns; hard: it refuses their changes.",
        ),
    ] = None,
    approval: Annotated[
        bool | None,
        typer.Option(
            "--approval/--no-approval", help="Whether a job's submit waits for an approval."
        ),
    ] = None,
    require_signed: Annotated[
        bool | None,
        typer.Option(
            "--require-signed/--no-require-signed",
            help="Whether imports take only packages signed by a trusted key.",
        ),
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Show a workspace's settings, or change the ones named (workspace admins): its lock
    policy, approval of submits, signed packages only. Its mode says whether it is in
    enterprise mode (a development workspace with a production side)."""
    s = session(ctx, json_mode)
    client = s.client()
    ws_id = _workspace_id(s, workspace)
    change: dict[str, Any] = {
        "lockPolicy": from_kebab(LockPolicy, lock_policy).value if lock_policy else None,
        "approvalEnabled": approval,
        "requireSigned": require_signed,
    }
    change = {key: value for key, value in change.items() if value is not None}
    if change:
        answer = mapping(client.call("PUT", f"/workspaces/{segment(ws_id)}", change, scoped=False))
    else:
        listed = mapping(client.call("GET", "/workspaces", scoped=False))
        found = [
            mapping(w) for w in listed.get("workspaces") or [] if mapping(w).get("id") == ws_id
        ]
        answer = found[0] if found else {"id": ws_id}
    out = s.output
    if out.json_mode:
        out.emit(answer)
        return
    out.fields(_lines(answer, {w.id: w for w in known_workspaces(client)}))
    if change:
        out.line(f"Saved the settings of workspace '{answer.get('name')}'.")


def _workspace_id(s: Session, workspace: str | None) -> str:
    """The id of the workspace named (by name or id), else of the context's."""
    if workspace is None:
        found = s.target_workspace()
        chosen = found.id if found is not None else s.client().workspace
        if not chosen:
            raise CliUsageError("Name the workspace: jobferry workspaces settings WORKSPACE.")
        return str(chosen)
    if is_workspace_id(workspace):
        return workspace
    return find_by_name(s.client(), workspace).id


def _lines(ws: dict[str, Any], known: dict[str, Workspace]) -> list[tuple[str, Any]]:
    """The settings as lines; ``known``: the caller's workspaces and production sides by id,
    which name a production side (the workspace list leaves them out)."""
    production = ws.get("productionWorkspaceId")
    side = known.get(str(ws.get("id")))
    name = ws.get("name") or (side.name if side is not None else None)
    mode = "simple"
    if production:
        named = known.get(str(production))
        mode = f"enterprise (production side {named.label if named else production})"
    elif side is not None and side.development is not None:
        mode = f"production side of enterprise workspace {known[side.development].label}"
    lines: list[tuple[str, Any]] = [("workspace", f"{name} ({ws.get('id')})"), ("mode", mode)]
    if not ws.get("name") and side is not None:
        return lines  # a production side: the workspace list has no settings of it
    return [
        *lines,
        ("lock policy", ws.get("lockPolicy")),
        ("approval of submits", "on" if ws.get("approvalEnabled") else "off"),
        ("signed packages only", "yes" if ws.get("requireSigned") else "no"),
    ]
