"""``jobferry workspaces settings``: a workspace's own settings (the lock policy, whether a
job's submit waits for approval, whether imports take signed packages only), shown, or changed
by the options named (``PUT /workspaces/{id}``, workspace admins); ``--enterprise`` switches it
to enterprise mode with DataArts' own call (``update_work_space_old``, ``mode`` "1"), once
confirmed: DataArts has no way back, and neither has jobferry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from jobferry.cli import terminal
from jobferry.cli.choices import choice_type, from_kebab
from jobferry.cli.client import ApiClient, segment
from jobferry.cli.exits import CliUsageError
from jobferry.cli.fix_terms import as_released
from jobferry.cli.output import mapping
from jobferry.cli.session import JsonOption, Session, YesOption, session
from jobferry.cli.workspaces import Workspace, find_by_name, is_workspace_id
from jobferry.cli.workspaces import listed as known_workspaces
from jobferry.domain.enums import LockPolicy
from jobferry.domain.releases import ENTERPRISE, PRODUCTION_SUFFIX

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
    enterprise: Annotated[
        bool,
        typer.Option(
            "--enterprise",
            help="Switch it to enterprise mode: it gets a production side, changed only by "
            "release packages. Cannot be undone; asks first unless --yes.",
        ),
    ] = False,
    yes: YesOption = False,
    json_mode: JsonOption = False,
) -> None:
    """Show a workspace's settings, or change the ones named (workspace admins): its lock
    policy, approval of submits, signed packages only, enterprise mode. Its mode says whether
    it is in enterprise mode (a development workspace with a production side)."""
    s = session(ctx, json_mode)
    client = s.client()
    ws_id = _workspace_id(s, workspace)
    if enterprise and approval:
        raise CliUsageError(
            "--enterprise and --approval do not go together: enterprise mode has no approval "
            "of submits (its changes are approved by releasing them); leave --approval out."
        )
    change: dict[str, Any] = {
        "lockPolicy": from_kebab(LockPolicy, lock_policy).value if lock_policy else None,
        "approvalEnabled": approval,
        "requireSigned": require_signed,
    }
    change = {key: value for key, value in change.items() if value is not None}
    answer = {}
    if change:
        answer = mapping(client.call("PUT", f"/workspaces/{segment(ws_id)}", change, scoped=False))
    if enterprise and not _to_enterprise(s, ws_id, yes):
        return
    if enterprise or not change:
        answer = _settings(client, ws_id)
    _show(s, answer, saved=bool(change), switched=enterprise)


def _show(s: Session, answer: dict[str, Any], *, saved: bool, switched: bool) -> None:
    """The settings (``--json``: as the server answers them), and what was changed."""
    out = s.output
    if out.json_mode:
        out.emit(answer)
        return
    out.fields(_lines(answer, {w.id: w for w in known_workspaces(s.client())}))
    if saved:
        out.line(f"Saved the settings of workspace '{answer.get('name')}'.")
    if switched:
        out.line(_switched(answer))


def _settings(client: ApiClient, ws_id: str) -> dict[str, Any]:
    """The workspace's settings as the workspace list has them (just its id for a production
    side, which the list leaves out)."""
    listed = mapping(client.call("GET", "/workspaces", scoped=False))
    found = [mapping(w) for w in listed.get("workspaces") or [] if mapping(w).get("id") == ws_id]
    return found[0] if found else {"id": ws_id}


def _to_enterprise(s: Session, ws_id: str, yes: bool) -> bool:
    """Switch the workspace to enterprise mode once the person at the terminal confirmed it
    (or ``--yes``; refused, exit 2, with no terminal to ask); declined, it says nothing
    changed and ``False``. One in enterprise mode already is not asked about."""
    client = s.client()
    known = {w.id: w for w in known_workspaces(client)}
    current = _settings(client, ws_id)
    if current.get("productionWorkspaceId"):
        return True
    side = known.get(ws_id)
    if side is not None and side.development is not None:
        raise CliUsageError(
            f"Workspace '{side.name}' is the production side of enterprise workspace "
            f"{known[side.development].label}, which is in enterprise mode already; there is "
            "nothing to switch."
        )
    name = str(current.get("name") or (known[ws_id].name if ws_id in known else ws_id))
    if not yes:
        terminal.require_person("workspaces settings --enterprise", "switch it")
        question = (
            f"Switch workspace {name} ({ws_id}) at {client.endpoint} to enterprise mode? It "
            f"creates its production side '{name}{PRODUCTION_SUFFIX}', which changes only by "
            "release packages, and cannot be undone: there is no way back to simple mode."
        )
        s.output.confirm_or_end(question, {"cancelled": True}, "Cancelled; nothing changed.")
    body = {"name": name, "mode": ENTERPRISE}
    path = f"/{segment(_instance_id(client))}/workspace/{segment(ws_id)}"
    client.call("PUT", path, body, scoped=False)
    return True


def _instance_id(client: ApiClient) -> str:
    """The DataArts Studio instance holding the caller's workspaces (jobferry has one per
    project)."""
    answer = mapping(client.call("GET", "/instances", scoped=False))
    ids = [str(mapping(o).get("resource_id")) for o in answer.get("commodity_orders") or []]
    if len(ids) != 1:
        raise CliUsageError(
            f"{client.endpoint} has {len(ids)} DataArts Studio instances, and this command "
            "switches a workspace of a jobferry server, which has one."
        )
    return ids[0]


def _switched(ws: dict[str, Any]) -> str:
    """What the switch did: the production side it created."""
    name = str(ws.get("name"))
    return (
        f"Workspace '{name}' is in enterprise mode: its production side is "
        f"'{name}{PRODUCTION_SUFFIX}', created empty. What is submitted in '{name}' from now on "
        "waits as a pending item until a release package holding it is deployed (jobferry "
        "releases create, jobferry releases deploy). What it held before has no pending item: "
        f"bring what it submitted into production as released ({as_released(name)})."
    )


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
