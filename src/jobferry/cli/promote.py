"""``jobferry promote ROUTE``: the hundredth promotion as one remembered command.

The server packages what changed in the route's source since its last promotion (with the
deletions since), keeps it in the target and says which import settings the route gives; this
command plans that package against the target with those settings (options given here override
them for this run, and the output says so), shows every difference, and exits like Terraform's
``-detailed-exitcode``: 0 when nothing would change, 4 when changes are pending, 3 when the plan
has problems. ``--apply`` imports exactly that plan (its plan id), records the import on the
route and prints the task id and the rollback command. ``jobferry routes history ROUTE`` lists
the promotions.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jobferry.cli.asking import last_line, rollback_command_line, written
from jobferry.cli.choices import from_kebab, kebab
from jobferry.cli.client import segment
from jobferry.cli.exits import CliUsageError, ExitCode
from jobferry.cli.output import epoch_ms, mapping
from jobferry.cli.planview import has_changes, show_plan, show_task
from jobferry.cli.routes import (
    DriftOption,
    ModeOption,
    PolicyOption,
    PropagateOption,
    RouteName,
    SchedulingOption,
)
from jobferry.cli.routes import (
    app as routes_app,
)
from jobferry.cli.session import Column, JsonOption, Session, list_answer, session
from jobferry.cli.tasks import task_exit, wait_for
from jobferry.cli.transfer import make_plan, stdin_is_terminal
from jobferry.domain.enums import DriftPolicy, ImportMode, SameNamePolicy, SchedulingPolicy

OVERRIDES = (
    ("sameNamePolicy", "policy", SameNamePolicy),
    ("onDrift", "on_drift", DriftPolicy),
    ("scheduling", "scheduling", SchedulingPolicy),
    ("mode", "mode", ImportMode),
)


def _overridden(route: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """The import settings for this run: the route's, with the options given on top."""
    chosen = dict(route)
    for key, option, enum in OVERRIDES:
        if options[option] is not None:
            chosen[key] = str(from_kebab(enum, options[option]))
    if options["propagate_deletes"] is not None:
        chosen["propagateDeletes"] = options["propagate_deletes"]
    return chosen


def _said(route: dict[str, Any], chosen: dict[str, Any]) -> list[str]:
    """One line per setting this run overrides, in this command's flags."""
    lines = []
    for key, option, enum in OVERRIDES:
        if chosen.get(key) != route.get(key):
            lines.append(
                f"this run: --{option.replace('_', '-')} {kebab(enum(str(chosen[key])))} "
                f"(the route says {kebab(enum(str(route.get(key))))})"
            )
    if chosen.get("propagateDeletes") != route.get("propagateDeletes"):
        lines.append(
            "this run: --propagate-deletes (the route keeps deletes)"
            if chosen["propagateDeletes"]
            else "this run: --keep-deletes (the route propagates deletes)"
        )
    return lines


def promote_command(
    ctx: typer.Context,
    name: RouteName,
    apply: Annotated[
        bool, typer.Option("--apply", help="Import the plan shown (after confirmation).")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="With --apply: do not ask (scripts, CI).")
    ] = False,
    policy: PolicyOption = None,
    propagate_deletes: PropagateOption = None,
    on_drift: DriftOption = None,
    scheduling: SchedulingOption = None,
    mode: ModeOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Plan (and with --apply import) what changed in the route's source since its last
    promotion; exit 0 nothing to do, 4 changes pending, 3 problems."""
    if apply and not yes and not stdin_is_terminal():
        raise CliUsageError(
            "promote --apply asks for confirmation, but standard input is not a terminal; "
            "pass --yes to import without asking."
        )
    s = session(ctx, json_mode)
    made = mapping(s.client().call("POST", f"/routes/{segment(name)}/package"))
    target, source = mapping(made.get("target")), mapping(made.get("source"))
    route_options = mapping(made.get("importOptions"))
    chosen = _overridden(route_options, locals())
    out = s.output
    for line in _said(route_options, chosen):
        out.warn(line)
    promotion = made.get("promotion")
    if not isinstance(promotion, dict):
        since = made.get("since")
        what = f"since the last promotion ({epoch_ms(since)})" if since else "to promote"
        out.finish(
            {**made, "plan": None, "task": None},
            ExitCode.OK,
            f"Nothing changed in workspace '{source.get('name')}' {what}.",
        )
        return
    s = session(ctx, json_mode, str(target.get("workspaceId")))
    body = {"path": promotion["path"], **chosen}
    plan = make_plan(s, body)
    if plan is None:
        raise CliUsageError("The endpoint has no plan call; promote needs a jobferry server.")
    where = s.workspace_arg() if plan.get("problems") and not json_mode else None
    show_plan(out, plan, where, route=name)
    result = {**made, "plan": plan, "task": None}
    if not _go_on(s, name, result, apply):
        return
    if not yes and not out.confirm(f"Import this plan into workspace '{target.get('name')}'?"):
        out.finish(result, ExitCode.FAILED, "Cancelled; nothing was imported.")
        return
    _import(s, name, promotion, {**body, "planId": plan["planId"]}, result)


def _go_on(s: Session, name: str, result: dict[str, Any], apply: bool) -> bool:
    """Finish with the plan's verdict unless the plan is to be imported: 3 problems, 0
    nothing would change, 4 changes pending (without ``--apply``)."""
    out, plan = s.output, result["plan"]
    problems = plan.get("problems") or []
    if problems:
        out.finish(result, ExitCode.PROBLEMS, f"{len(problems)} problem(s); nothing imported.")
    elif not has_changes(plan):
        target = mapping(result.get("target")).get("name")
        out.finish(result, ExitCode.OK, f"Nothing would change in '{target}'.")
    elif not apply:
        out.finish(
            result,
            ExitCode.PENDING,
            f"Changes pending; import them with: jobferry promote {name} --apply",
        )
    else:
        return True
    return False


def _import(
    s: Session, name: str, promotion: dict[str, Any], body: dict[str, Any], result: dict[str, Any]
) -> None:
    client, out = s.client(), s.output
    task_id = str(client.call("POST", "/jobs/import", body)["taskId"])
    client.call(
        "POST",
        f"/routes/{segment(name)}/promotions/{segment(promotion['id'])}",
        {"taskId": task_id},
    )
    task = wait_for(s, task_id, "Importing")
    show_task(out, task)
    result["task"] = task
    if sum(written(task)) > 0:
        result["rollback"] = rollback_command_line(s, task_id)
    code = task_exit(task)
    out.result(result)
    if not out.json_mode:
        out.line(last_line(s, task))
    if code:
        raise typer.Exit(int(code))


@routes_app.command("history")
def route_history(ctx: typer.Context, name: RouteName, json_mode: JsonOption = False) -> None:
    """A route's promotions, newest first: what each carried, its import, whether it was
    rolled back."""
    columns: list[Column] = [
        ("when (UTC)", "createTime", epoch_ms),
        ("by", "createUser", None),
        ("jobs", "jobs", None),
        ("deletions", "deletions", None),
        ("package", "packageSha256", lambda sha: str(sha)[:12]),
        ("import task", "taskId", lambda task: task or "not imported"),
        ("state", "taskStatus", lambda status: status or ""),
        ("rolled back", "rolledBack", _rolled_back),
    ]
    s = session(ctx, json_mode)
    list_answer(s, f"/routes/{segment(name)}/promotions", "promotions", columns, "No promotions.")


def _rolled_back(value: Any) -> str:
    undone = mapping(value)
    return f"{epoch_ms(undone.get('at'))} by {undone.get('by')}" if undone else ""
