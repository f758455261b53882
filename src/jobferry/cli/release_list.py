"""``jobferry releases list``: a workspace's release packages, newest first, a page at a time,
filtered by state, name and when they were made, with the command of the next page."""

from __future__ import annotations

import shlex
from typing import Annotated, Any

import typer

from jobferry.cli.audit import WHEN_HELP, when
from jobferry.cli.output import epoch_ms, mapping
from jobferry.cli.package_state import deployer, state
from jobferry.cli.releases import factory_call, user_names
from jobferry.cli.session import JsonOption, WorkspaceOption, release_session
from jobferry.cli.taskpages import page_note


def list_packages(
    ctx: typer.Context,
    status: Annotated[
        list[int] | None,
        typer.Option(
            "--status",
            metavar="N",
            help="Only packages in this state (1 waiting, 2 released, 3 failed, 5 releasing).",
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", metavar="TEXT", help="Only packages named with TEXT.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            metavar="WHEN", help=f"Only packages made at or after this time: {WHEN_HELP}."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=100, metavar="N", help="Packages a page.")
    ] = 20,
    page: Annotated[
        int, typer.Option("--page", min=1, metavar="K", help="Which page (1: the newest).")
    ] = 1,
    workspace: WorkspaceOption = None,
    json_mode: JsonOption = False,
) -> None:
    """The workspace's release packages, newest first, a page at a time."""
    s = release_session(ctx, json_mode, workspace)
    body: dict[str, Any] = {"limit": limit, "offset": page - 1}  # offset: a page number
    if status:
        body["deploy_status_filter"] = status
    if name:
        body["key_word"] = name
    if since is not None:
        body["apply_begin_time"] = when(since, "--since")
    answer = mapping(factory_call(s.client(), "POST", "/release-packages", body))
    if s.output.json_mode:
        s.output.emit(answer)
        return
    rows = [
        (
            p.get("package_id"),
            p.get("package_name"),
            state(p),
            p.get("apply_user_name"),
            epoch_ms(p.get("apply_timestamp")),
            user_names(p.get("package_approvers")),
            deployer(p),
        )
        for p in answer.get("data") or []
    ]
    columns = ("package", "name", "state", "applicant", "applied (UTC)", "approvers", "deployer")
    s.output.table(columns, rows, empty="No release packages.")
    total = answer.get("total")
    if isinstance(total, int):
        asked = _asked(status, name, since, limit, workspace)
        said = page_note("Packages", total, len(rows), (page, limit), f"releases list{asked}")
        if said:
            s.output.note(said)


def _asked(
    status: list[int] | None, name: str | None, since: str | None, limit: int, workspace: str | None
) -> str:
    """The options of a ``releases list`` that the next page's command repeats."""
    given: list[tuple[str, str | None]] = [("--status", str(n)) for n in status or []]
    given += [
        ("--name", name),
        ("--since", since),
        ("--limit", None if limit == 20 else str(limit)),
    ]
    given.append(("-w", workspace))
    return "".join(f" {option} {shlex.quote(value)}" for option, value in given if value)
