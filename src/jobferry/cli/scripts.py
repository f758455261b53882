"""``jobferry scripts list|show|delete`` and ``jobferry resources list|show``: the scripts and
resources of a workspace, read as ``jobs list`` and ``jobs show`` read its jobs (every page;
one object whole with ``--json``)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jobferry.cli.client import ApiClient, ApiError, segment
from jobferry.cli.deleting import delete_definition
from jobferry.cli.exits import CommandError
from jobferry.cli.fix_terms import in_workspace
from jobferry.cli.listings import Listing, show_listed
from jobferry.cli.listwalk import walk
from jobferry.cli.output import epoch_ms, mapping
from jobferry.cli.session import (
    JsonOption,
    Session,
    SubmittedOption,
    WorkspaceOption,
    YesOption,
    session,
)
from jobferry.domain.enums import ObjectKind

scripts_app = typer.Typer(help="Scripts of a workspace.", no_args_is_help=True)
resources_app = typer.Typer(
    help="Resources of a workspace (jar, file, archive…).", no_args_is_help=True
)
NameFilter = Annotated[
    str | None,
    typer.Option("--name", metavar="TEXT", help="Only those whose name contains this text."),
]


SCRIPTS = Listing(
    "scripts",
    "scriptName",
    ("name", "type", "version", "directory", "connection", "updated (UTC)"),
    lambda item: (
        item.get("name"),
        item.get("type"),
        item.get("version", ""),
        item.get("directory", ""),
        item.get("connectionName", ""),
        epoch_ms(item.get("modifyTime")),
    ),
)
RESOURCES = Listing(
    "resources",
    "resourceName",
    ("name", "type", "directory", "location", "id"),
    lambda r: (
        r.get("name"),
        r.get("type"),
        r.get("directory", ""),
        r.get("location"),
        r.get("id"),
    ),
)


def listed(s: Session, listing: Listing, name: str | None) -> None:
    """Every item of the listing (every page), named ``name`` in part when given: a table
    (``--json``: the total and the items, as the server lists them)."""
    key = listing.key
    total, items = walk(s.client(), f"/{key}", key, {listing.name_filter: name})
    show_listed(s.output, listing, total, items)


@scripts_app.command("list")
def list_scripts(
    ctx: typer.Context,
    name: NameFilter = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List the scripts of the workspace (every page)."""
    listed(session(ctx, json_mode, workspace), SCRIPTS, name)


@scripts_app.command("show")
def show_script(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Script name.")],
    version: SubmittedOption = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show one script: its settings, then its content (its development state, or with
    --version N a submitted version)."""
    s = session(ctx, json_mode, workspace)
    script = mapping(s.client().get(f"/scripts/{segment(name)}", version=version))
    out = s.output
    if out.json_mode:
        out.emit(script)
        return
    settings = ", ".join(
        f"{key}={value}" for key, value in mapping(script.get("configuration")).items()
    )
    said = [
        ("database", script.get("database")),
        ("queue", script.get("queueName")),
        ("settings", settings),
        ("description", script.get("description")),
    ]
    out.fields(
        [
            ("name", script.get("name")),
            ("type", script.get("type")),
            ("directory", script.get("directory") or "/"),
            ("version", script.get("version", "never submitted")),
            ("connection", script.get("connectionName") or "none"),
            *[(label, value) for label, value in said if value],  # those it has
            ("updated", f"{epoch_ms(script.get('modifyTime'))} UTC"),
        ]
    )
    out.line("")  # the content as it is, whole lines, below a blank line
    out.line(str(script.get("content") or ""))


@scripts_app.command("delete")
def delete_script(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Script name.")],
    yes: YesOption = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Delete a script (DataArts delete_script), after asking: refused while jobs use it."""
    delete_definition(
        ctx, ObjectKind.SCRIPT, name, yes=yes, json_mode=json_mode, workspace=workspace
    )


@resources_app.command("list")
def list_resources(
    ctx: typer.Context,
    name: NameFilter = None,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """List the resources of the workspace (every page)."""
    listed(session(ctx, json_mode, workspace), RESOURCES, name)


@resources_app.command("show")
def show_resource(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME|ID", help="Resource name or id.")],
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show one resource (by name, else by id): where its file is and the jobs using it."""
    s = session(ctx, json_mode, workspace)
    resource = _resource(s, name)
    out = s.output
    if out.json_mode:
        out.emit(resource)
        return
    users = [
        str(use.get("taskName"))
        for use in resource.get("jobRelation") or []
        if isinstance(use, dict)
    ]
    out.fields(
        [
            ("name", resource.get("name")),
            ("id", resource.get("id")),
            ("type", resource.get("type")),
            ("location", resource.get("location")),
            ("directory", resource.get("directory") or "/"),
            *[("depends on", f) for f in resource.get("dependFiles") or []],
            *[("description", d) for d in [resource.get("desc")] if d],
            ("used by", ", ".join(f"job {u}" for u in users) or "no job"),
        ]
    )


def _resource(s: Session, name: str) -> dict[str, Any]:
    """The resource called ``name``, else of id ``name``; refused naming the list when
    neither is."""
    client = s.client()
    try:
        return mapping(client.get(f"/resources/{segment(_resource_id(client, name))}"))
    except ApiError as exc:
        if exc.code != "DLF.6241":
            raise
        raise CommandError(
            f"No resource of {s.workspace_label()} is called '{name}' or has that id; "
            f"jobferry resources list{in_workspace(s.workspace_arg())} lists them.",
            code=exc.code,
        ) from None


def _resource_id(client: ApiClient, name: str) -> str:
    """The id of the resource called ``name`` (a resource is shown by id); ``name`` itself
    when none is called so (it may be an id)."""
    _, found = walk(client, "/resources", "resources", {"resourceName": name})
    named = [r for r in found if r.get("name") == name]
    if len(named) > 1:  # names are unique in a workspace; a server that allows more: say so
        ids = ", ".join(str(r.get("id")) for r in named)
        raise CommandError(f"{len(named)} resources are called '{name}' ({ids}); show one by id.")
    return str(named[0].get("id")) if named else name
