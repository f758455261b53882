"""``jobferry policies …``: the rules every plan into a workspace, or along a route, keeps.

A policy (``/policies/workspace``, ``/policies/routes/{name}``) holds a deletion limit,
protected connections, naming and owner rules and freeze windows; each ``put`` saves a new
version (checked with the server's own parser before it is sent), and ``history`` lists them
all. Without ``--route`` a command means the policy of the workspace (``-w``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry.cli.client import segment
from jobferry.cli.documents import read_document
from jobferry.cli.output import mapping
from jobferry.cli.session import (
    VERSIONS,
    Column,
    JsonOption,
    Session,
    VersionOption,
    WorkspaceOption,
    list_answer,
    session,
)
from jobferry.domain.policies import parse_policy

app = typer.Typer(
    help="Policies: the rules every plan into the workspace, or along a route, keeps.",
    no_args_is_help=True,
)
RouteOption = Annotated[
    str | None,
    typer.Option("--route", metavar="ROUTE", help="A route's policy (default: the workspace's)."),
]


def _path(route: str | None) -> str:
    return "/policies/workspace" if route is None else f"/policies/routes/{segment(route)}"


def _whose(s: Session, route: str | None) -> str:
    return f"route '{route}'" if route is not None else s.workspace_label()


def _saved_for(s: Session, route: str | None, answer: dict[str, Any]) -> str:
    """Whose policy a put saved: on a production side, its development workspace's, which
    it keeps (the answer names it)."""
    holder = answer.get("holder")
    found = s.target_workspace() if route is None else None
    if found is None or found.development is None or not isinstance(holder, dict):
        return _whose(s, route)
    return f"workspace '{holder.get('name')}', which its production side {found.label} keeps"


def _holder(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    return f"{value.get('kind', '')} {value.get('name', '')}"


@app.command("list")
def policies_list(
    ctx: typer.Context, json_mode: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """List the workspace's policy and every route's (newest version of each)."""
    columns: list[Column] = [("of", "holder", _holder), *VERSIONS]
    list_answer(
        session(ctx, json_mode, workspace), "/policies", "policies", columns, "No policies."
    )


@app.command("show")
def policies_show(
    ctx: typer.Context,
    route: RouteOption = None,
    version: VersionOption = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show a policy's document (the newest version unless --version)."""
    s = session(ctx, json_mode, workspace)
    answer = mapping(s.client().get(_path(route), version=version))
    s.output.document(
        answer, [("of", _holder(answer.get("holder"))), ("version", answer.get("version"))]
    )


@app.command("history")
def policies_history(
    ctx: typer.Context,
    route: RouteOption = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List every version of a policy, newest first (show one with --version)."""
    s = session(ctx, json_mode, workspace)
    list_answer(s, f"{_path(route)}/versions", "versions", VERSIONS, "No versions.")


@app.command("put")
def policies_put(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Option("--file", "-f", help="The policy document (JSON or YAML).", metavar="FILE"),
    ],
    route: RouteOption = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Save a new version of a policy from a file (workspace admins; a route's: project
    admins). An empty document lifts every rule; older versions stay."""
    s = session(ctx, json_mode, workspace)
    path = file.expanduser()
    # an empty document: no rules
    policy = read_document(path, "policy", lambda doc: parse_policy({} if doc is None else doc))
    answer = mapping(s.client().call("PUT", _path(route), dict(policy.document)))
    s.output.result(
        answer,
        f"Saved the policy of {_saved_for(s, route, answer)}, version {answer.get('version')}.",
    )
