"""``jobferry drift``: what was changed in a workspace since promotions wrote it.

The server compares every job, script and resource an import from another workspace wrote with
what that import wrote, as a promotion's plan does for the objects of its package (``GET
…/drift``); this prints each changed object with who changed it last and when, then its field
changes. Exit 4 when anything drifted, so that a script can stop before a promotion into a
workspace someone changed by hand.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.text import Text

from jobferry.cli.changeview import change_line
from jobferry.cli.exits import ExitCode
from jobferry.cli.output import Output, mapping, moment, objects_under
from jobferry.cli.planview import SCREENFUL
from jobferry.cli.session import JsonOption, WorkspaceOption, session


def drift_command(
    ctx: typer.Context, json_mode: JsonOption = False, workspace: WorkspaceOption = None
) -> None:
    """What was changed in the workspace since the promotions that wrote it: each job, script
    and resource, who changed it last and when, field by field; exit 4 when anything was."""
    s = session(ctx, json_mode, workspace)
    answer = mapping(s.client().get("/drift"))
    out = s.output
    objects = objects_under(answer, "objects")
    total, compared = int(answer.get("total") or 0), int(answer.get("compared") or 0)
    if not total:
        out.finish(
            answer,
            ExitCode.OK,
            f"Nothing in {s.workspace_label()} changed since the imports that wrote it "
            f"({compared} object(s) compared).",
        )
        return
    for item in objects[:SCREENFUL]:
        _drifted(out, item)
    if total > SCREENFUL:
        out.line(
            f"Showing {min(SCREENFUL, len(objects))} of {total} changed object(s); --json "
            f"lists {'each one' if total == len(objects) else f'the first {len(objects)}'}.",
            style="dim",
        )
    out.finish(
        answer,
        ExitCode.PENDING,
        f"{total} of the {compared} object(s) that imports wrote into {s.workspace_label()} "
        "changed since; a promotion that would write over a changed field stops on it "
        f"(--on-drift chooses otherwise){_unstopped(objects)}.",
    )


def _unstopped(objects: list[dict[str, Any]]) -> str:
    """What a promotion does without stopping to the objects listed: makes one deleted here
    again, renames one only renamed here back (neither is a drift problem of its plan)."""
    deleted = sum(1 for item in objects if item.get("deleted"))
    renamed = sum(
        1
        for item in objects
        if not item.get("deleted")
        and {c.get("path") for c in objects_under(item, "changes")} == {"name"}
    )
    said = [f"makes the {deleted} deleted here again"] if deleted else []
    said += [f"renames the {renamed} only renamed here back"] if renamed else []
    return f"; one that holds them {' and '.join(said)} without stopping" if said else ""


def _drifted(out: Output, item: dict[str, Any]) -> None:
    """One changed object: what, who changed it last and when, the import, then each field (a
    deleted one: who deleted it and when, when a tombstone says)."""
    imported = f"imported by task {item.get('importTaskId')} {moment(item.get('importedAt'))}"
    if item.get("deleted"):
        by = item.get("updateUser")
        how = f"deleted by {by} {moment(item.get('updateTime'))}" if by else "deleted"
        head, said = ("DELETED ", "red"), f"  {how} since it was {imported}"
    else:
        changed = f"changed by {item.get('updateUser')} {moment(item.get('updateTime'))}"
        head, said = ("DRIFTED ", "magenta"), f"  {changed}, {imported}"
    out.line(Text.assemble(head, (f"{item.get('kind')} {item.get('name')}", "bold"), (said, "dim")))
    for change in objects_under(item, "changes"):
        out.line(change_line(change))
