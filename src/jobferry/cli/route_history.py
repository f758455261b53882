"""``jobferry routes history ROUTE``: a route's promotions, newest first, in words: what each
carried, its package and import, where the import stands, and what it overrode of the route's
settings; and how ``promote`` says that what it would import was imported already (a plan
imported before, a package taken in before, the same changes promoted meanwhile by another
run, another run's import along the route still under way), and what stays of a plan it shows
without importing it."""

from __future__ import annotations

import shlex
from typing import Annotated, Any

import typer

from jobferry.cli.asking import own_command_line, rollback_command_line
from jobferry.cli.client import ApiError, segment
from jobferry.cli.exits import ExitCode
from jobferry.cli.import_options import said_setting
from jobferry.cli.output import epoch_ms, mapping, moment
from jobferry.cli.routes import RouteName
from jobferry.cli.session import JsonOption, Session, session
from jobferry.cli.taskpages import page_note, task_page
from jobferry.domain.enums import TaskStatus
from jobferry.domain.routes import carried_words

PROMOTED_MEANWHILE = "DLF.9088"
"""The same changes were promoted by another run meanwhile (``PromotedMeanwhileError``)."""

HISTORY_COLUMNS = (
    "when (UTC)",
    "by",
    "jobs",
    "scripts",
    "resources",
    "deletions",
    "package",
    "import",
    "state",
    "overrode",
)
"""``routes history``'s columns (scripts and resources blank for a promotion recorded before
they were counted)."""


def route_history(
    ctx: typer.Context,
    name: RouteName,
    limit: Annotated[
        int,
        typer.Option(
            "--limit", min=1, max=100, metavar="N", help="How many of the newest promotions."
        ),
    ] = 20,
    page: Annotated[
        int, typer.Option("--page", min=1, metavar="K", help="Which page (1: the newest).")
    ] = 1,
    json_mode: JsonOption = False,
) -> None:
    """A route's promotions, newest first, a page at a time: what each carried, its import,
    whether it was rolled back."""
    s = session(ctx, json_mode)
    listed = (f"/routes/{segment(name)}/promotions", "promotions")
    answer = task_page(s.client(), {}, limit, page, listed)
    out = s.output
    items = out.items(answer, "promotions")
    if items is None:
        return
    out.table(
        HISTORY_COLUMNS,
        [
            (
                epoch_ms(item.get("createTime")),
                item.get("createUser"),
                item.get("jobs"),
                item.get("scripts"),
                item.get("resources"),
                item.get("deletions"),
                str(item.get("packageSha256"))[:12],
                _import_of(item),
                _state_of(item),
                _overrode(mapping(item.get("overrides"))),
            )
            for item in items
        ],
        empty="No promotions.",
    )
    total = answer.get("total", len(items))
    if isinstance(total, int):
        again = f"routes history {shlex.quote(name)}" + (f" --limit {limit}" if limit != 20 else "")
        said = page_note("Promotions", total, len(items), (page, limit), again)
        if said:
            out.note(said)


def carried_text(promotion: dict[str, Any]) -> str:
    """What a promotion's package carried, in words (``promote --out``): its jobs, scripts,
    resources and deletions."""
    counts = [promotion.get(key) for key in ("jobs", "deletions", "scripts", "resources")]
    jobs, deletions, scripts, resources = (int(n) if n is not None else None for n in counts)
    return carried_words(jobs or 0, deletions or 0, scripts, resources)


def _overrode(overrides: dict[str, Any]) -> str:
    """What a promotion's import changed of the route's settings, in this command's flags,
    who ran it, and the objects it wrote over changes made in the target."""
    if not overrides:
        return ""
    said = [
        said_setting(str(change.get("setting")), change.get("run"))
        for change in overrides.get("settings") or []
    ]
    text = f"{' '.join(said)} by {overrides.get('by')}"
    drifted = overrides.get("driftOverwritten") or []
    if drifted:
        total = int(overrides.get("driftOverwrittenTotal") or len(drifted))
        names = ", ".join(f"{d.get('kind')} {d.get('name')}" for d in drifted[:5])
        more = f" and {total - 5} more" if total > 5 else ""
        text += f"; overwrote target changes to {names}{more}"
    return text


def _import_of(item: dict[str, Any]) -> str:
    """The import task of a promotion, or why it has none."""
    if item.get("taskId"):
        return str(item["taskId"])
    return "carried out" if item.get("carried") == "out" else "not imported"


def _state_of(item: dict[str, Any]) -> str:
    """Where its import stands: the task's status, or when and by whom it was rolled back."""
    status = str(item.get("taskStatus") or "")
    notes = ["carried in"] if status and item.get("carried") == "in" else []
    undone = mapping(item.get("rolledBack"))
    if undone:
        notes.append(f"rolled back {moment(undone.get('at'))} by {undone.get('by')}")
    return f"{status} ({'; '.join(notes)})" if notes else status


IMPORTED = (TaskStatus.SUCCESSFUL, TaskStatus.WARNING)
"""An import's ends that imported (with warnings: some objects, per object), as the server
counts a standing import."""


def imported_as(answer: dict[str, Any], plan_id: str) -> list[dict[str, Any]]:
    """The promotions of a route's history page ``answer`` whose import of plan ``plan_id``
    imported and stands (not rolled back)."""
    return [
        found
        for found in map(mapping, answer.get("promotions") or [])
        if found.get("planId") == plan_id
        and found.get("taskStatus") in IMPORTED
        and not found.get("rolledBack")
    ]


def said_imported(ctx: typer.Context, s: Session, name: str, plan_id: str) -> bool:
    """Whether route ``name``'s plan ``plan_id`` was imported and its import stands (it
    succeeded and was not rolled back; among the route's newest 100 promotions): then that is
    said, with the import's task and its rollback in the route's target workspace, exit 0."""
    answer = mapping(s.client().get(f"/routes/{segment(name)}/promotions", limit=100, offset=0))
    done = imported_as(answer, plan_id)
    if not done:
        return False
    route = mapping(s.client().get(f"/routes/{segment(name)}"))
    target = mapping(route.get("target")).get("workspace")
    s = session(ctx, s.output.json_mode, target if isinstance(target, str) else None)
    task = str(done[0].get("taskId"))
    s.output.finish(
        {"route": name, "promotion": done[0], "taskId": task, "importedBefore": True},
        ExitCode.OK,
        f"Nothing to do: plan {plan_id} of route '{name}' was imported already (task "
        f"{task}); to undo it: {rollback_command_line(s, task)}",
    )
    return True


def taken_in_before(s: Session, name: str, refused: dict[str, Any]) -> None:
    """A package taken in and imported already: nothing would change, said with the fix (the
    rollback as this invocation would run it, in the route's target workspace: ``s``'s)."""
    task = str(refused.get("task_id"))
    s.output.finish(
        {"route": name, "promotion": None, "task": None, "takenInBefore": refused},
        ExitCode.OK,
        f"Nothing would change: package sha256 {refused.get('package_sha256')} was taken "
        f"in and imported already (task {task}); to import it again, roll that import "
        f"back first: {rollback_command_line(s, task)}",
    )


def promoted_meanwhile(s: Session, result: dict[str, Any], refused: ApiError) -> None:
    """Another run (another operator, or this one retried) promoted the same changes while
    this one planned: nothing to do, said with who, when and the task to follow (exit 0)."""
    body = refused.body
    meanwhile = {
        "promotionId": body.get("promotion_id"),
        "planId": body.get("plan_id"),
        "taskId": body.get("task_id"),
        "taskStatus": body.get("task_status"),
        "promotedBy": body.get("promoted_by"),
        "promotedAt": body.get("promoted_at"),
    }
    said_meanwhile(s, result, meanwhile, refused.message)


def said_meanwhile(
    s: Session, result: dict[str, Any], meanwhile: dict[str, Any], message: str
) -> None:
    """Nothing to do, as another run's import of the same changes (``meanwhile``, as the
    plan's ``promotedMeanwhile`` says it) is queued, running or done: ``message``, and the
    command that follows that import (exit 0)."""
    s.output.finish(
        {**result, "task": None, "promotedMeanwhile": meanwhile},
        ExitCode.OK,
        f"Nothing to do: {message} Follow that import with: "
        f"{own_command_line(s, 'tasks', 'show', str(meanwhile.get('taskId')))}",
    )


def say_under_way(s: Session, planned: dict[str, Any]) -> None:
    """Another run's import along the route, of other changes, still queued or running (the
    plan's ``importUnderWay``): who started it, when, and the command that follows it; this
    plan carries its changes too (``--json`` answers the field)."""
    under = planned.get("importUnderWay")
    if not isinstance(under, dict) or s.output.json_mode:
        return
    task = str(under.get("taskId"))
    state = "queued" if under.get("queued") else "running"
    s.output.warn(
        f"another run's import along this route is still {state} (task {task}, started by "
        f"{under.get('promotedBy')} at {moment(under.get('promotedAt'))}); its changes are not "
        "applied yet, so this plan carries them too. Follow it with: "
        f"{own_command_line(s, 'tasks', 'show', task, '--wait')}"
    )


def under_way_task(planned: dict[str, Any]) -> str | None:
    """The task of another run's import along the route still under way, if any."""
    under = planned.get("importUnderWay")
    return str(under.get("taskId")) if isinstance(under, dict) else None


def say_kept(
    s: Session, name: str, planned: dict[str, Any], plan_id: str, options: dict[str, Any]
) -> None:
    """Without ``--apply``: what stays of the plan shown, until when, and what may use it (the
    route's approvers sign it, and the console imports it as it is; ``--apply`` plans again).
    ``--json`` answers ``keptUntil`` instead."""
    until = moment(planned.get("keptUntil"))
    if options["apply"] or s.output.json_mode or not plan_id or not until:
        return
    if options["plan_id"] is not None:
        s.output.note(f"Plan {plan_id} and its package are kept until {until}, then removed.")
        return
    if planned.get("approvalsRequired"):
        s.output.note(
            f"Plan {plan_id} and its package are kept until {until}: the route's approvers sign "
            f"it (jobferry routes approve {name} {plan_id} --key FILE), and the route's "
            "approvals page in the console imports it as it is. promote --apply plans again "
            "(their approvals count for that plan while the target has not moved)."
        )
        return
    s.output.note(
        f"Plan {plan_id} and its package are kept until {until}, then removed; promote --apply "
        "plans again."
    )
