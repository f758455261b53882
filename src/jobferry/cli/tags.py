"""``jobferry tags …``: a workspace's tags, the labels jobs carry (``jobs list --tags`` finds
them by one), and whether each is locked: a locked tag's jobs cannot change until it is
unlocked.

``lock`` and ``unlock`` read the workspace's tags first: a tag already so changes nothing (and
writes no audit entry), and a name the workspace has no tag of is refused, naming the tag
nearest to it (a mistyped name must not make a tag unseen), unless ``lock --new`` asks to make
it, locked, so that no job takes it until it is unlocked. ``delete`` asks first, naming the
workspace and the endpoint, as ``jobs delete`` does; the server refuses a tag jobs carry or a
locked one, and the refusal is said with jobferry's commands.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jobferry.cli import terminal
from jobferry.cli.client import ApiError, segment
from jobferry.cli.exits import CommandError
from jobferry.cli.fix_terms import in_workspace, quoted
from jobferry.cli.output import epoch_ms, mapping, objects_under
from jobferry.cli.session import (
    Column,
    JsonOption,
    Session,
    WorkspaceOption,
    YesOption,
    list_answer,
    session,
)
from jobferry.domain.names import nearest_among

app = typer.Typer(
    help="Tags of a workspace (the labels jobs carry), locked or not.", no_args_is_help=True
)

TagArg = Annotated[str, typer.Argument(metavar="NAME", help="The tag's name.")]

IN_USE = "DLF.9013"
LOCKED_TAG = "DLF.9091"
NOT_FOUND = "DLF.3051"

_Shown = tuple[bool, str | None]
"""A command's ``--json`` and ``--workspace``, as :func:`session` takes them."""


def _yes_no(value: Any) -> str:
    return "yes" if value else "no"


@app.command("list")
def list_tags(
    ctx: typer.Context, json_mode: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """List the workspace's tags: whether each is locked, and how many jobs carry it."""
    columns: list[Column] = [
        ("name", "name", None),
        ("locked", "locked", _yes_no),
        ("jobs", "jobCount", None),
        ("created (UTC)", "createTime", epoch_ms),
    ]
    list_answer(session(ctx, json_mode, workspace), "/tags", "tags", columns, "No tags.")


def _tags(s: Session) -> list[dict[str, Any]]:
    """The workspace's tags, as ``GET /tags`` lists them."""
    return list(objects_under(mapping(s.client().get("/tags")), "tags"))


def _unknown(s: Session, name: str, tags: list[dict[str, Any]], locked: bool) -> CommandError:
    """The refusal of ``lock`` (``locked``) or ``unlock`` of a tag the workspace does not
    have, naming the tag nearest to ``name`` (a mistyped name) and how to make it on purpose."""
    where = in_workspace(s.fix_workspace())
    near = nearest_among(name, [str(t.get("name")) for t in tags])
    meant = f" (did you mean '{near}'?)" if near else ""
    listed = f"jobferry tags list{where} lists the tags"
    said = (
        f"; nothing changed. {listed}; to make a new tag, locked, so that no job may take it: "
        f"jobferry tags lock {quoted(name)} --new{where}."
        if locked
        else f", so it is not locked; nothing changed ({listed})."
    )
    return CommandError(
        f"Tag '{name}' does not exist in {s.workspace_label()}{meant}{said}",
        code="not_found",
        tag=name,
        **({"nearest": near} if near else {}),
    )


def _set_lock(ctx: typer.Context, name: str, locked: bool, new: bool, opts: _Shown) -> None:
    """Lock or unlock tag ``name`` (``new``: ``lock`` makes it when the workspace has none),
    saying what changed."""
    s = session(ctx, *opts)
    tags = _tags(s)
    held = next((t for t in tags if t.get("name") == name), None)
    state = "locked" if locked else "unlocked"
    where = s.workspace_label()
    if held is None and not (locked and new):
        raise _unknown(s, name, tags, locked)
    result = {"name": name, "locked": locked, "changed": True, "created": held is None}
    if held is not None and bool(held.get("locked")) == locked:
        result["changed"] = False
        s.output.result(result, f"Tag '{name}' is {state} already in {where}; nothing changed.")
        return
    s.client().call("PUT", f"/tags/{segment(name)}", {"locked": locked})
    said = (
        f"Made tag '{name}' in {where}, locked: no job may take it until it is unlocked."
        if held is None
        else f"{state.capitalize()} tag '{name}' in {where}."
    )
    s.output.result(result, said)


@app.command("lock")
def lock_tag(
    ctx: typer.Context,
    name: TagArg,
    new: Annotated[
        bool,
        typer.Option(
            "--new",
            help="Make the tag, locked, when the workspace has none of that name (without it, "
            "such a name is refused: a mistyped name makes no tag).",
        ),
    ] = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Lock a tag (workspace admins): its jobs cannot change until it is unlocked; with --new,
    a name the workspace has no tag of is made a locked tag, which no job may take."""
    _set_lock(ctx, name, True, new, (json_mode, workspace))


@app.command("unlock")
def unlock_tag(
    ctx: typer.Context,
    name: TagArg,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Unlock a tag (workspace admins): its jobs can change again."""
    _set_lock(ctx, name, False, False, (json_mode, workspace))


@app.command("delete")
def delete_tag(
    ctx: typer.Context,
    name: TagArg,
    yes: YesOption = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Delete a tag, after asking (workspace admins): refused while jobs carry it or it is
    locked."""
    s = session(ctx, json_mode, workspace)
    out = s.output
    if not yes:
        terminal.require_person("tags delete", "delete")
        question = f"Delete tag '{name}' from {s.workspace_label()} at {s.client().endpoint}?"
        out.confirm_or_end(question, {"deleted": None}, "Cancelled; nothing was deleted.")
    try:
        s.client().call("DELETE", f"/tags/{segment(name)}")
    except ApiError as exc:
        raise _refusal(s, name, exc, s.workspace_label()) or exc from None
    out.result({"deleted": name}, f"Deleted tag '{name}' from {s.workspace_label()}.")


def _refusal(s: Session, name: str, exc: ApiError, label: str) -> CommandError | None:
    """A refusal of ``tags delete`` in ``label``'s workspace said with jobferry's commands
    (``None``: the endpoint's own words do)."""
    where = in_workspace(s.fix_workspace())
    if "tag" not in exc.body:  # not a refusal of the tag: of the call (a role, a bad request)
        return None
    if exc.code == IN_USE:
        message = _carried(name, exc.body, where)
    elif exc.code == LOCKED_TAG:
        message = (
            f"Tag '{name}' is locked, and a locked tag is not deleted; unlock it with: "
            f"jobferry tags unlock {quoted(name)}{where} — then delete it again. Nothing was "
            "deleted."
        )
    elif exc.code == NOT_FOUND:
        message = (
            f"Tag '{name}' does not exist in {label}; nothing was deleted "
            f"(jobferry tags list{where} lists the tags)."
        )
    else:
        return None
    said = {k: v for k, v in exc.body.items() if k not in ("error_code", "error_msg", "errors")}
    return CommandError(message, code=exc.code, **{"status": exc.status, **said})


def _carried(name: str, body: dict[str, Any], where: str) -> str:
    """The jobs carrying tag ``name``: the first (``jobs``) and how many in all
    (``jobs_total``)."""
    shown = [str(j) for j in body.get("jobs") or []]
    total = body.get("jobs_total")
    count = total if isinstance(total, int) else len(shown)
    rest = f" and {count - len(shown)} more" if count > len(shown) else ""
    return (
        f"Tag '{name}' is carried by {count} job(s): {', '.join(shown)}{rest}; take it out of "
        f"those jobs' tags (jobferry jobs list --tags {quoted(name)}{where} lists them), then "
        "delete it again. Nothing was deleted."
    )
