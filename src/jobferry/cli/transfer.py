"""``jobferry plan`` and ``jobferry import``: a package into a workspace of the server.

They call the documented API and add no logic the server has: the plan, the check and the
apply all happen on the server. A local file is uploaded first (``POST /packages``, or OBS when
the context says ``upload = "obs"``); then the plan is asked for (``POST /jobs/import/plan``)
and shown, and — ``import`` only, after confirmation — the import starts with the plan's id, so
the server refuses it if the target changed in between. Endpoints without the plan call (the
real DataArts) get ``POST /jobs/check-file`` shown instead.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from jobferry.cli import terminal
from jobferry.cli.asking import (
    cannot_roll_back,
    import_question,
    last_line,
    own_command_line,
    rollback_command_line,
    rollback_question,
    written,
)
from jobferry.cli.client import RESPOND_ASYNC, WORK_SECONDS, ApiClient, ApiError, segment
from jobferry.cli.exits import CheckProblemsError, CommandError, ExitCode
from jobferry.cli.import_options import (
    DEFAULT_SCHEDULING,
    AllObjectsOption,
    ImportOptions,
    SourceArg,
    import_settings,
)
from jobferry.cli.optionsets import takes
from jobferry.cli.output import mapping, moment, objects_under
from jobferry.cli.planview import show_plan
from jobferry.cli.planwork import has_changes, nothing_done, pending
from jobferry.cli.session import JsonOption, Session, WorkspaceOption, YesOption, session
from jobferry.cli.tasks import follow_accepted, follow_import, refused_by_check, task_exit, wait_for
from jobferry.cli.taskview import rolled_back_table, show_task
from jobferry.cli.uploads import package_path
from jobferry.domain.enums import ImportMode, TargetStatus


def _where(s: Session, problems: Any) -> str | None:
    """The target as ``-w`` names it in the fixes a person reads: asked of the endpoint only
    when there are fixes to say (none in --json mode, none without problems)."""
    return None if s.output.json_mode or not problems else s.workspace_arg()


def make_plan(s: Session, body: dict[str, Any]) -> dict[str, Any] | None:
    """The plan of an import (``None`` when the endpoint has no plan call)."""
    client = s.client()
    try:
        answer: dict[str, Any] = client.call("POST", "/jobs/import/plan", body)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise
    if "objects" not in answer and answer.get("taskId"):
        return planned_by_task(s, str(answer["taskId"]))
    return answer


def planned_by_task(s: Session, task_id: str) -> dict[str, Any]:
    """The plan a planning task made (followed to its end); its failure as the command's."""
    task = wait_for(s, task_id, "Planning", "plan")
    result = mapping(task.get("result"))
    plan = result.get("plan")
    if not isinstance(plan, dict):
        failed = CheckProblemsError if refused_by_check(result) else CommandError
        raise failed(
            f"Planning task {task_id}: {task.get('message')}", code=result.get("errorCode")
        )
    return plan


def _show_contents(s: Session, client: ApiClient, path: str) -> dict[str, Any]:
    s.output.warn(
        "the endpoint cannot plan an import (a jobferry extension: it is not a jobferry "
        "server); the import is checked by the endpoint only when it runs. Package contents:"
    )
    client.extensions = False  # a DataArts endpoint: its task is asked without ``wait``
    info: dict[str, Any] = client.call("POST", "/jobs/check-file", {"path": path})
    s.output.table(
        ("kind", "name", "folder"),
        [("job", j.get("name"), j.get("path")) for j in info.get("jobs", [])]
        + [("script", x.get("name"), x.get("path")) for x in info.get("scripts", [])],
    )
    return info


@takes("options", import_settings)
def plan_command(
    ctx: typer.Context,
    source: SourceArg,
    options: ImportOptions,
    all_objects: AllObjectsOption = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Show what importing the package would do, with field diffs; exit 0 nothing would
    change, 4 changes pending (skipped differences and deletions left out too), 3 problems."""
    import_package(
        ctx,
        source,
        options,
        dry_run=True,
        all_objects=all_objects,
        json_mode=json_mode,
        workspace=workspace,
    )


PLAN_PAGE = 1000
"""Objects of a plan read at once (the most the server answers)."""


def _command(ctx: typer.Context) -> str:
    """The command that runs (``plan``, ``import`` or ``apply``, which runs import's steps):
    the fixes it prints name only its flags."""
    name = ctx.info_name or ""
    return name if name in ("plan", "apply") else "import"


def every_object(s: Session, plan: dict[str, Any]) -> dict[str, Any]:
    """The plan with every one of its objects: the plan answers the first page of a large
    plan's objects, the rest are read a page at a time."""
    objects = list(plan.get("objects") or [])
    total = plan.get("objectsTotal")
    path = f"/jobs/import/plans/{segment(str(plan.get('planId')))}/objects"
    while isinstance(total, int) and len(objects) < total:
        page = mapping(s.client().get(path, offset=len(objects), limit=PLAN_PAGE))
        more = objects_under(page, "objects")
        if not more:
            break
        objects.extend(more)
    return {**plan, "objects": objects}


def _into(s: Session, body: dict[str, Any]) -> str | None:
    """The target in words for the plan's header (human output only: no call for --json):
    an import as released into an enterprise workspace writes its production side."""
    if s.output.json_mode:
        return None
    label = s.workspace_label()
    target = s.target_workspace()
    production = target.production_label if target is not None else None
    if body.get("targetStatus") != TargetStatus.PRODUCTION.value or production is None:
        return label
    return f"{production}, as released from {label}"


def shown_plan(
    s: Session, plan: dict[str, Any], command: str, every: bool, body: dict[str, Any]
) -> dict[str, Any]:
    """Show the plan of the import ``body`` asks (``every``: all its objects, read a page at
    a time); the plan shown."""
    if every and not s.output.json_mode:
        plan = every_object(s, plan)
    where = _where(s, plan.get("problems"))
    show_plan(s.output, plan, where, command=command, every=every, into=_into(s, body))
    return plan


def _importing_line(ctx: typer.Context, s: Session, source: str, options: ImportOptions) -> str:
    """What imports the changes a plan showed, as this run would run it: ``import SOURCE``
    with the plan's options, or for ``apply --dry-run`` the apply of its folder (its package
    is a file of its own, gone once it ends)."""
    if _command(ctx) != "apply":
        return "import them with: " + own_command_line(s, "import", source, *options.flags())
    given = ctx.params
    words = ["apply", "-f", str(given["path"])]
    words += ["--status", str(given["status"])] if given.get("status") else []
    if given.get("scheduling") not in (None, DEFAULT_SCHEDULING):
        words += ["--scheduling", str(given["scheduling"])]
    words += ["--prune"] if given.get("prune") else []
    return "apply them with: " + own_command_line(s, *words)


def _plan_only(
    s: Session,
    source: str,
    body: dict[str, Any],
    command: str,
    every: bool = False,
    then: str | None = None,
) -> None:
    """Plan and show it; ``then``: what to run to import the changes it shows."""
    path = package_path(s, source)
    plan = make_plan(s, {"path": path, **body})
    out = s.output
    if plan is None:
        info = _show_contents(s, s.client(), path)
        out.finish({"path": path, "plan": None, "contents": info}, ExitCode.OK, None)
        return
    plan = shown_plan(s, plan, command, every, body)
    problems = plan.get("problems") or []
    left = pending(plan)
    if problems:
        code, message = (
            ExitCode.PROBLEMS,
            f"{len(problems)} problem(s) found; the import would be refused.",
        )
    elif left is not None and then is not None and has_changes(plan):
        code, message = ExitCode.PENDING, f"Changes pending: {left}; {then}"
    elif left is not None:
        code, message = ExitCode.PENDING, f"Changes pending: {left}."
    else:
        code, message = ExitCode.OK, "Nothing would change: the target matches the package."
    out.finish({"path": path, "plan": plan}, code, message)


def import_package(
    ctx: typer.Context,
    source: SourceArg,
    options: ImportOptions,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan and stop (like 'jobferry plan').")
    ] = False,
    yes: YesOption = False,
    all_objects: AllObjectsOption = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Import a package: upload, plan, confirm, import atomically, follow the task."""
    s = session(ctx, json_mode, workspace)
    body = options.body()
    if dry_run:
        then = _importing_line(ctx, s, source, options)
        _plan_only(s, source, body, _command(ctx), all_objects, then)
        return
    if not yes:
        terminal.require_person("import", "import", instead=" (or --dry-run to see the plan)")
    out, client = s.output, s.client()
    path = package_path(s, source)
    body = {"path": path, **body}
    plan = make_plan(s, body)
    contents: dict[str, Any] = {}
    if plan is None:
        contents = _show_contents(s, client, path)
    else:
        plan = shown_plan(s, plan, _command(ctx), all_objects, body)
        problems = plan.get("problems") or []
        # A problem of the package itself (its signature) refuses the import in every mode.
        of_package = any(p.get("kind") == "package" for p in problems if isinstance(p, dict))
        if problems and (options.mode is ImportMode.ATOMIC or of_package):
            out.finish(
                {"path": path, "plan": plan, "task": None},
                ExitCode.PROBLEMS,
                f"The check found {len(problems)} problem(s); nothing was imported.",
            )
            return
        if not has_changes(plan):
            out.finish({"path": path, "plan": plan, "task": None}, ExitCode.OK, nothing_done(plan))
            return
        body["planId"] = plan["planId"]
    if not yes and not out.confirm(import_question(s, plan, contents)):
        out.finish(
            {"path": path, "plan": plan, "task": None},
            ExitCode.FAILED,
            "Cancelled; nothing was imported.",
        )
        return
    task_id = client.call("POST", "/jobs/import", body)["taskId"]
    task = follow_import(s, str(task_id))
    where = _where(s, mapping(task.get("result")).get("problems"))
    show_task(out, task, where, summarise=plan is not None, refused_in=s.fix_workspace())
    _end_import(s, {"path": path, "plan": plan, "task": task}, rollback=plan is not None)


import_command = takes("options", import_settings)(import_package)
"""``jobferry import``: :func:`import_package` taking the import's options (cli.optionsets)."""


def _end_import(s: Session, result: dict[str, Any], *, rollback: bool) -> None:
    """The result, then (last) the task id and the command that rolls the import back."""
    out, task = s.output, result["task"]
    code = task_exit(task)
    can_undo = rollback and sum(written(task)) > 0
    if can_undo:
        result["rollback"] = rollback_command_line(s, str(task.get("id")))
    out.result(result)
    if not out.json_mode:
        if not code:
            out.line("Imported.", style="green")
        out.line(last_line(s, task) if rollback else f"Task {task.get('id')}.")
    if code:
        raise typer.Exit(int(code))


# -- rollback ---------------------------------------------------------------------------


def rollback_command(
    ctx: typer.Context,
    task_id: Annotated[
        str, typer.Argument(metavar="TASK", help="The task id of the import to undo.")
    ],
    yes: YesOption = False,
    json_mode: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Undo an import in one transaction (refused, listing them, if objects changed since)."""
    s = session(ctx, json_mode, workspace)
    out = s.output
    # no terminal to ask at: refused before any call (a pipeline passes --yes, and with it an
    # import rolled back already is said, exit 0: its rollback step can run again)
    if not yes and not _confirmed(s, task_id):
        return
    try:
        answer, rollback_task = _rolled_back(s, task_id)
    except ApiError as exc:
        if exc.code != "DLF.9016" or not _said_rolled_back(s, task_id):
            raise
        return
    if rollback_task:  # the rollback's own task, beside the import's (``taskId``)
        answer = {**answer, "rollbackTaskId": rollback_task}
    every = f"jobferry tasks show {rollback_task}" if rollback_task else "--json"
    rolled_back_table(out, answer, every)
    out.finish(answer, ExitCode.OK, f"Rolled back {answer.get('rolledBack', 0)} object(s).")


NOT_SERVED = (404, 405, 501)
"""What a server without ``GET …/rollback`` answers it (an older jobferry: 405)."""


def _confirmed(s: Session, task_id: str) -> bool:
    """Whether the person at the terminal says yes to rolling import ``task_id`` back, asked
    only once the server said it would (the refusal it would meet is raised before anything is
    asked: objects changed since, an import running…), with the counts it gave; ``False`` once
    what ends the command is said (rolled back already meanwhile). Declined, the command ends
    here (exit 1)."""
    terminal.require_person("rollback", "roll back")
    task = mapping(s.client().get(f"/system-tasks/{segment(task_id)}"))
    if cannot_roll_back(task):
        return True  # the rollback says why (rolled back already: exit 0)
    try:
        foreseen = _foreseen(s, task_id)
    except ApiError as exc:
        if exc.code != "DLF.9016" or not _said_rolled_back(s, task_id):
            raise
        return False
    question = rollback_question(s, task_id, task, foreseen)
    s.output.confirm_or_end(
        question, {"taskId": task_id, "rolledBack": 0}, "Cancelled; nothing changed."
    )
    return True


def _foreseen(s: Session, task_id: str) -> dict[str, Any] | None:
    """What rolling import ``task_id`` back would undo, as the server tells it without writing
    (its refusal raised as the rollback's would be); ``None`` from a server that does not tell
    (then the question counts what the import's task says it wrote)."""
    try:
        answer = s.client().call(
            "GET",
            f"/system-tasks/{segment(task_id)}/rollback",
            timeout=WORK_SECONDS,  # it reads every change the import made, as the rollback does
            unanswered=f"the server did not say whether import {task_id} can be rolled back; "
            "nothing was rolled back.",
        )
        return mapping(answer)
    except ApiError as exc:
        if exc.status in NOT_SERVED:
            return None
        raise


def _said_rolled_back(s: Session, task_id: str) -> bool:
    """Whether import ``task_id`` was rolled back already (the refusal a rollback run again
    meets, a pipeline's step retried): then that is said, exit 0, nothing to do."""
    task = mapping(s.client().get(f"/system-tasks/{segment(task_id)}"))
    undone = task.get("rolledBack")
    if not isinstance(undone, dict):
        return False
    s.output.finish(
        {"taskId": task_id, "rolledBack": 0, "rolledBackBefore": undone},
        ExitCode.OK,
        f"Nothing to do: import {task_id} was rolled back already "
        f"({moment(undone.get('at'))} by {undone.get('by')}).",
    )
    return True


def _rolled_back(s: Session, task_id: str) -> tuple[dict[str, Any], str | None]:
    """Roll import ``task_id`` back, as a task of its own followed to its end (a server that
    answers the rollback itself, ignoring ``Prefer``, is taken at its word); what the rollback
    answers, and its task (``None``: answered in the request). A rollback task that fails is
    its refusal, as the server would have answered it."""
    answer = mapping(
        s.client().call(
            "POST",
            f"/system-tasks/{segment(task_id)}/rollback",
            timeout=WORK_SECONDS,
            unanswered=f"the server may still be rolling import {task_id} back: jobferry tasks "
            f"show {task_id} says when it is rolled back; do not start it again before.",
            headers=RESPOND_ASYNC,
        )
    )
    if "rollbackOf" not in answer:
        return answer, None
    rollback_task = str(answer.get("taskId"))
    return follow_accepted(s, rollback_task, "rollback"), rollback_task
