"""``jobferry promote ROUTE``: the hundredth promotion as one remembered command.

The server packages what changed in the route's source since its last promotion (with the
deletions since), keeps it in the target and says which import settings the route gives; this
command plans that package against the target with those settings (options given here override
them for this run, and the output says so), shows every difference, and exits like Terraform's
``-detailed-exitcode``: 0 when nothing would change, 4 when changes are pending (objects the plan
skips although they differ, and deletions it leaves out, are pending too), 3 when the plan has
problems; the closing hint repeats this run's options. ``--apply`` imports exactly that plan
(its plan id), records the import on the route and prints the task id and the rollback command.
``jobferry routes history ROUTE`` lists the promotions, with what each overrode of the route.

Across an air gap: ``--out FILE`` on the source server (the route's target is carried) cuts
what changed since the route's last package carried out (``--full``: every selected job), with
the deletions since and the route's identity, and downloads it to FILE; when the route's target
is a remote's shadow refreshed from a carried snapshot, ``--out FILE`` cuts what a promotion
here would carry, with the basis it was planned against (the snapshot and each object's hash
in it), for the remote's side, whose import refuses what changed there since (exit 3).
``--in FILE`` on the target server (the route's source is carried) uploads FILE into the
route's target workspace, where the server checks it continues the route, and from there it is
planned, shown and imported as a local promotion is, with the same exit codes. A refused
package exits 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jobferry.cli import terminal
from jobferry.cli.asking import last_line, own_command_line, rollback_command_line, written
from jobferry.cli.client import ApiError, segment
from jobferry.cli.exits import CliUsageError, CommandError, ExitCode
from jobferry.cli.export import fetch_download
from jobferry.cli.import_options import said_setting, settings_given
from jobferry.cli.output import mapping, moment
from jobferry.cli.planview import show_plan
from jobferry.cli.planwork import already_held, has_changes, nothing_done, pending
from jobferry.cli.promotion_task import planned_promotion
from jobferry.cli.route_history import (
    PROMOTED_MEANWHILE,
    carried_text,
    promoted_meanwhile,
    said_imported,
    said_meanwhile,
    say_kept,
    say_under_way,
    taken_in_before,
    under_way_task,
)
from jobferry.cli.routes import (
    DriftOption,
    ModeOption,
    PolicyOption,
    PropagateOption,
    RouteName,
    SchedulingOption,
)
from jobferry.cli.session import JsonOption, Session, session
from jobferry.cli.tasks import follow_import, task_exit
from jobferry.cli.taskview import show_task
from jobferry.cli.transfer import planned_by_task
from jobferry.cli.uploads import package_path
from jobferry.errors import PlanStaleError

OVERRIDES = ("policy", "propagate_deletes", "on_drift", "scheduling", "mode")
"""This command's options that override the route's import settings (``SETTING_FLAGS``)."""


def _said(planned: dict[str, Any]) -> list[str]:
    """One line per setting this run overrides, in this command's flags."""
    lines = []
    for change in planned.get("overrides") or []:
        setting, run = str(change.get("setting")), change.get("run")
        if setting == "propagateDeletes":
            route = "propagates deletes" if change.get("route") else "keeps deletes"
            lines.append(f"this run: {said_setting(setting, run)} (the route {route})")
        else:
            route = said_setting(setting, change.get("route")).split(" ", 1)[-1]
            lines.append(f"this run: {said_setting(setting, run)} (the route says {route})")
    return lines


OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        metavar="FILE",
        help="The route's target is on another server, or is a remote's shadow refreshed from a "
        "snapshot: write its signed package (with its basis) to FILE.",
    ),
]
InOption = Annotated[
    Path | None,
    typer.Option(
        "--in",
        metavar="FILE",
        help="The route's source is on another server: plan (and --apply) the package FILE.",
    ),
]
FullOption = Annotated[
    bool,
    typer.Option("--full", help="With --out: every selected job, whatever was carried before."),
]
PlanOption = Annotated[
    str | None,
    typer.Option(
        "--plan",
        metavar="PLAN_ID",
        help="The plan an earlier promote showed (the one the route's approvers signed): show "
        "it again, and with --apply import it as it is, without planning again.",
    ),
]


def promote_command(
    ctx: typer.Context,
    name: RouteName,
    out_file: OutOption = None,
    in_file: InOption = None,
    full: FullOption = False,
    plan_id: PlanOption = None,
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
    promotion; exit 0 nothing to do, 4 changes pending, 3 problems. Across servers: --out FILE
    on the source side, --in FILE on the target side."""
    options = locals()
    _check_options(options)
    s = session(ctx, json_mode)
    if out_file is not None:
        _carry_out(ctx, s, name, out_file, full)
        return
    if plan_id is not None:  # the plan kept by an earlier promote, as it is
        _promote_kept(ctx, s, name, plan_id, options)
        return
    body = settings_given(options)
    if in_file is not None:
        s, body["path"] = _carried_in(ctx, s, name, in_file)
    try:
        planned = planned_promotion(ctx, s, name, body)
    except ApiError as exc:
        if in_file is None or exc.body.get("rule") != "route.repeated":
            raise
        taken_in_before(s, name, exc.body)
        return
    if in_file is not None:
        _say_carried(s, planned)
    _promote(ctx, s, name, planned, options)


def _check_options(options: dict[str, Any]) -> None:
    """Options that do not fit together: usage errors (exit 2)."""
    if options["out_file"] is not None and options["in_file"] is not None:
        raise CliUsageError("Give --out FILE (source side) or --in FILE (target side), not both.")
    if options["full"] and options["out_file"] is None:
        raise CliUsageError("--full is for --out FILE: it cuts a package of every selected job.")
    if options["out_file"] is not None and (
        options["apply"] or any(options[key] is not None for key in OVERRIDES)
    ):
        raise CliUsageError(
            "--out only writes the package; the target's route settings decide its import: "
            "give --apply and the import options to jobferry promote ROUTE --in FILE there."
        )
    _check_kept(options)
    if options["apply"] and not options["yes"]:
        terminal.require_person("promote --apply", "import")


def _check_kept(options: dict[str, Any]) -> None:
    """``--plan`` takes a kept plan as it was made: nothing that would plan another."""
    others = (options["out_file"], options["in_file"], *(options[key] for key in OVERRIDES))
    if options["plan_id"] is not None and any(other is not None for other in others):
        raise CliUsageError(
            "--plan shows (and with --apply imports) a plan as it was made, with the settings "
            "it was planned with: give no --in, --out or import options with it, or plan again "
            "without --plan."
        )


def _carry_out(ctx: typer.Context, s: Session, name: str, file: Path, full: bool) -> None:
    """Cut the route's package on the source server and download it to ``file``."""
    made = mapping(
        s.client().call("POST", f"/routes/{segment(name)}/package", {"out": True, "full": full})
    )
    out, source = s.output, mapping(made.get("source"))
    promotion = made.get("promotion")
    if not isinstance(promotion, dict):
        since, workspace = made.get("since"), source.get("name")
        message = (
            f"Nothing changed in workspace '{workspace}' since the last package carried out "
            f"({moment(since)}); no package written. What the target server's import left "
            "behind (kept as the target had it, or skipped) is not carried again from here: "
            f"jobferry promote {name} --out {file} --full carries every selected job."
            if since
            else f"The route selects no job of workspace '{workspace}'; no package written."
        )
        out.finish({**made, "file": None}, ExitCode.OK, message)
        return
    download = mapping(made.get("download"))
    s = session(ctx, s.output.json_mode, str(source.get("workspaceId")))
    got = fetch_download(s, str(download.get("id")), file, str(download.get("fileName")))
    if got.sha256 != download.get("sha256"):
        raise CommandError(
            f"The package downloaded to {got.path} has sha256 {got.sha256}, the server kept "
            f"{download.get('sha256')}; run jobferry promote {name} --out {file} --full again."
        )
    since = promotion.get("since")
    cut = f"changes since {moment(since)}" if since else "every selected job (a full package)"
    out.result(
        {**made, "file": str(got.path), "size": got.size, "sha256": got.sha256},
        f"Wrote {got.path}: {carried_text(promotion)}, {cut}, cut at "
        f"{moment(promotion.get('snapshotTime'))}.",
    )
    if not out.json_mode:
        out.note(f"sha256 {got.sha256}")
        out.note(f"On the target server: jobferry promote {name} --in {got.path.name}")
        if not promotion.get("since"):  # the first package: the target side may lack the route
            source = mapping(made.get("source"))
            out.note(
                f"(the first time, make the route there: jobferry routes create {name} "
                f"--from-carried --from-id {source.get('workspaceId')} --to WORKSPACE)"
            )


def _carried_in(ctx: typer.Context, s: Session, name: str, file: Path) -> tuple[Session, str]:
    """Upload ``file`` into the route's target workspace: the session there, and its path."""
    route = mapping(s.client().get(f"/routes/{segment(name)}"))
    target = mapping(route.get("target")).get("workspace")
    if not isinstance(target, str) or not target:
        raise CliUsageError(
            f"Route '{name}' sends its packages to another server: cut them here with "
            f"jobferry promote {name} --out FILE."
        )
    s = session(ctx, s.output.json_mode, target)
    return s, package_path(s, str(file))


def _promote_kept(
    ctx: typer.Context, s: Session, name: str, plan_id: str, options: dict[str, Any]
) -> None:
    """``--plan PLAN_ID``: that kept plan, shown (and imported) as it is; once its import
    stands, that it was imported already (exit 0: a pipeline's step run again), whether a
    promotion waits no more or a newer one, planned since, does."""
    try:
        kept = s.client().get(f"/routes/{segment(name)}/plans/{segment(plan_id)}")
    except ApiError as exc:
        if exc.code == PROMOTED_MEANWHILE:  # this very plan's import said as before
            if exc.body.get("plan_id") != plan_id or not said_imported(ctx, s, name, plan_id):
                promoted_meanwhile(s, {"route": name, "promotion": None, "plan": None}, exc)
        elif exc.code not in ("DLF.3051", PlanStaleError.code) or not said_imported(
            ctx, s, name, plan_id
        ):
            raise
        return
    _promote(ctx, s, name, mapping(kept), options)


def _say_carried(s: Session, planned: dict[str, Any]) -> None:
    """Where a package taken in was cut, and what it carries."""
    source, promotion = mapping(planned.get("source")), mapping(planned.get("promotion"))
    if not s.output.json_mode:
        since = promotion.get("since")
        s.output.note(
            f"Package cut at {moment(promotion.get('snapshotTime'))} from workspace "
            f"'{source.get('name')}' ("
            + (f"changes since {moment(since)}" if since else "a full package")
            + ")."
        )


def _promote(
    ctx: typer.Context, s: Session, name: str, planned: dict[str, Any], options: dict[str, Any]
) -> None:
    """Show the plan the server made of the route's promotion (the route's settings, the
    options given on top), and with --apply import it."""
    target, source = mapping(planned.get("target")), mapping(planned.get("source"))
    out = s.output
    for line in _said(planned):
        out.warn(line)
    promotion = planned.get("promotion")
    if not isinstance(promotion, dict):
        since = planned.get("since")
        what = f"since the last promotion ({moment(since)})" if since else "to promote"
        out.finish(
            {**planned, "plan": None, "task": None},
            ExitCode.OK,
            f"Nothing changed in workspace '{source.get('name')}' {what}.",
        )
        return
    json_mode = out.json_mode
    s = session(ctx, json_mode, str(target.get("workspaceId")))
    plan = planned.get("plan")
    if not isinstance(plan, dict):
        plan = planned_by_task(s, str(planned.get("taskId")))
    where = s.workspace_arg() if plan.get("problems") and not json_mode else None
    show_plan(out, plan, where, route=name, into=None if json_mode else s.workspace_label())
    say_under_way(s, planned)
    result = {**planned, "plan": plan, "task": None}
    if _ends_here(s, name, planned, result, options):
        return
    if (
        has_changes(plan)
        and not options["yes"]
        and not out.confirm(f"Import this plan into workspace '{target.get('name')}'?")
    ):
        out.finish(result, ExitCode.FAILED, "Cancelled; nothing was imported.")
        return
    _import(s, name, str(plan["planId"]), result)


def _ends_here(
    s: Session, name: str, planned: dict[str, Any], result: dict[str, Any], options: dict[str, Any]
) -> bool:
    """Whether the run ends with the plan shown: another run imports (or imported) these very
    changes (said, with its task, exit 0), or ``_go_on`` finished with the plan's verdict."""
    meanwhile = planned.get("promotedMeanwhile")
    if isinstance(meanwhile, dict):
        said_meanwhile(s, result, meanwhile, str(meanwhile.get("message")))
        return True
    say_kept(s, name, planned, str(result["plan"].get("planId", "")), options)
    return not _go_on(s, name, result, options)


def _go_on(s: Session, name: str, result: dict[str, Any], options: dict[str, Any]) -> bool:
    """Finish with the plan's verdict unless the plan is to be imported: 3 problems, 0
    nothing would change, 4 changes pending without ``--apply`` (objects it skips although
    they differ, and deletions it leaves out, are pending too).

    With ``--apply``, a plan whose objects the target already holds, all unchanged, is
    imported too (it writes nothing, asks nothing): the route records it as applied, so its
    next promotion carries only what changes after this one, not everything again. A plan
    that writes nothing but skips or leaves out differences is not imported: it would record
    nothing new, and the deletions it leaves out would not travel again (the objects it skips
    do: every promotion offers what earlier ones left behind)."""
    out, plan, apply = s.output, result["plan"], options["apply"]
    problems = plan.get("problems") or []
    again = own_command_line(s, "promote", name, *this_run(options), "--apply", scoped=False)
    left = pending(plan)
    if problems:
        out.finish(result, ExitCode.PROBLEMS, f"{len(problems)} problem(s); nothing imported.")
    elif apply and already_held(plan):
        out.note(
            "Nothing would change: the import writes nothing and records this promotion on "
            f"the route, so '{name}' promotes only what changes after it.",
            style="green",
        )
        return True
    elif left is None:
        target = mapping(result.get("target")).get("name")
        said = f"Nothing would change in '{target}'."
        if already_held(plan):
            said += (
                f" Record this promotion, so the next one carries only later changes, with: {again}"
            )
        out.finish(result, ExitCode.OK, said)
    elif not has_changes(plan) and apply:
        said = (
            f"{nothing_done(plan)} They stay pending: promote again with the options named above."
        )
        out.finish(result, ExitCode.OK, said)
    elif not has_changes(plan):
        said = (
            f"Changes pending: {left} (the lines above say why, and the option that carries each)."
        )
        out.finish(result, ExitCode.PENDING, said)
    elif not apply:
        under = under_way_task(result)
        then = f"once task {under} has ended, promote again" if under else "import them"
        out.finish(result, ExitCode.PENDING, f"Changes pending ({left}); {then} with: {again}")
    else:
        return True
    return False


def this_run(options: dict[str, Any]) -> list[str]:
    """This run's options as they were given (``--in FILE`` and the overrides), to repeat in
    the command a message suggests: without them, following it would plan something else."""
    said = [] if options.get("in_file") is None else ["--in", str(options["in_file"])]
    if options.get("plan_id") is not None:
        said += ["--plan", str(options["plan_id"])]
    for option in OVERRIDES:
        if options.get(option) is None:
            continue
        if option == "propagate_deletes":
            said.append("--propagate-deletes" if options[option] else "--keep-deletes")
        else:
            said += [f"--{option.replace('_', '-')}", str(options[option])]
    return said


def _import(s: Session, name: str, plan_id: str, result: dict[str, Any]) -> None:
    """Apply the plan: one call, which imports it and records the import on the route."""
    client, out = s.client(), s.output
    try:
        answer = client.call("POST", f"/routes/{segment(name)}/plans/{segment(plan_id)}/apply")
    except ApiError as exc:
        if exc.code != PROMOTED_MEANWHILE:
            raise
        promoted_meanwhile(s, result, exc)
        return
    applied = mapping(answer)
    task_id = str(applied["taskId"])
    task = follow_import(s, task_id)
    show_task(out, task)
    # The answer names the import, and the promotion as the route keeps it now it ended.
    result.update(taskId=task_id, task=task, promotion=_recorded(s, name, applied, result))
    if sum(written(task)) > 0:
        result["rollback"] = rollback_command_line(s, task_id)
    code = task_exit(task)
    out.result(result)
    if not out.json_mode:
        if not code:  # the verdict, as an import's: then the task and its rollback
            out.line("Imported.", style="green")
        out.line(last_line(s, task))
    if code:
        raise typer.Exit(int(code))


def _recorded(s: Session, name: str, applied: dict[str, Any], result: dict[str, Any]) -> Any:
    """The promotion the import was recorded on, read again after its task ended (whether it
    applied), as the route's history lists it."""
    promotion = mapping(applied.get("promotion") or result.get("promotion"))
    history = mapping(s.client().get(f"/routes/{segment(name)}/promotions"))
    found = [
        p for p in history.get("promotions") or [] if mapping(p).get("id") == promotion.get("id")
    ]
    return found[0] if found else promotion
