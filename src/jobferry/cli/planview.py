"""Human rendering of import plans (JSON is printed as is); tasks are ``cli/taskview.py``."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text

from jobferry.cli.changeview import change_line
from jobferry.cli.fixes import cli_fix
from jobferry.cli.output import Output, mapping
from jobferry.domain.enums import (
    PlanAction,
    SameNamePolicy,
    SkipReason,
)
from jobferry.domain.snapshots import snapshot_basis

ACTION_STYLES: dict[str, str] = {
    PlanAction.CREATE: "green",
    PlanAction.OVERWRITE: "yellow",
    PlanAction.RENAME: "yellow",
    PlanAction.DELETE: "red",
    PlanAction.SKIP: "dim",
    PlanAction.UNCHANGED: "dim",
}
SCREENFUL = 40
"""Past this many objects, a plan or an import's result (``cli/taskview.py``) is summarised:
the first ones, and how many more (a plan of 2,000 jobs printed 4,022 lines, each object
twice)."""
# The option of this CLI that writes what a plan skips, by why it skips it.
_SKIP_FIX: dict[str, str] = {
    SkipReason.SAME_NAME_POLICY: "--policy overwrite",
    SkipReason.FIRST_IMPORT: "--policy overwrite",
    SkipReason.KEPT_DRIFT: "--on-drift take-package",
    SkipReason.KEPT_NEWER: "--on-drift take-package",
    SkipReason.KEPT_DELETED: "--on-drift take-package",
}


def problem_lines(
    out: Output,
    problems: list[dict[str, Any]],
    workspace: str | None = None,
    signature: str | None = None,
    route: str | None = None,
    command: str = "plan",
    remote: str | None = None,
) -> None:
    """Every problem with its fix, said with jobferry's commands and flags (:mod:`.fixes`;
    ``workspace`` as ``-w`` names the target, ``signature`` the plan's signature state,
    ``route`` the route ``promote`` planned, ``command`` the command that planned, ``remote``
    the remote whose shadow the target is)."""
    for problem in problems:
        out.line(
            Text.assemble(
                ("  ✗ ", "red bold"),
                (f"{problem.get('reason', 'problem')} ", "red"),
                f"{problem.get('kind', '')} '{problem.get('name', '')}': ",
                str(problem.get("detail") or problem.get("message") or ""),
            )
        )
        fix = cli_fix(problem, workspace, signature, route, command, remote) or problem.get("fix")
        if fix:
            out.line(Text.assemble(("      fix: ", "cyan"), str(fix)))


def without_fix(message: str) -> str:
    """A subtask's message without the fix the server words for API clients (``detail — fix:
    …``): the plan said the fix already, in this CLI's flags."""
    return "; ".join(part.split(" — fix: ", 1)[0] for part in message.split("; "))


def summary_text(summary: dict[str, Any]) -> str:
    """``2 to create, 1 to overwrite, 0 skipped, 3 unchanged; 1 problem(s)`` (renames and
    deletes too, when there are)."""
    moved = [
        f"{summary[action]} to {verb}"
        for action, verb in ((PlanAction.RENAME, "rename"), (PlanAction.DELETE, "delete"))
        if summary.get(action)
    ]
    return (
        f"{summary.get(PlanAction.CREATE, 0)} to create, "
        f"{summary.get(PlanAction.OVERWRITE, 0)} to overwrite, "
        + "".join(f"{m}, " for m in moved)
        + f"{summary.get(PlanAction.SKIP, 0)} skipped, {summary.get(PlanAction.UNCHANGED, 0)} "
        f"unchanged; {summary.get('problems', 0)} problem(s)"
    )


def _name_cell(obj: dict[str, Any]) -> str:
    """The object's name (``old → new`` for a rename; ``held (the package's name)`` for an
    object skipped that this workspace holds by another name), with drift and pause marks."""
    name = str(obj.get("name", ""))
    if obj.get("previousName") and obj.get("action") == PlanAction.SKIP:
        name = f"{obj['previousName']} (the package's {name})"
    elif obj.get("previousName"):
        name = f"{obj['previousName']} → {name}"
    marks = [m for m, on in (("drift", obj.get("drift")), ("paused", obj.get("pause"))) if on]
    if obj.get("lockedBy"):
        marks.append(f"locked by {obj['lockedBy']}")
    return f"{name} ({', '.join(marks)})" if marks else name


def show_plan(
    out: Output,
    plan: dict[str, Any],
    workspace: str | None = None,
    route: str | None = None,
    command: str = "plan",
    *,
    every: bool = False,
    into: str | None = None,
) -> None:
    """The plan: one table line per object (a screenful of them unless ``every``, then how
    many more and how to list them), field diffs of overwrites, then every problem
    (``workspace``: the target as ``-w`` names it, for the fixes' commands; ``route``: the
    route ``promote`` planned, whose fixes name its flags and the route's settings; ``into``:
    the target in words, said under the plan's id)."""
    if out.json_mode:
        return
    objects = plan.get("objects", [])
    shown = objects if every else screenful(objects)
    _plan_header(out, plan, into, made_here=MADE_HERE.get(command))
    out.table(
        ("action", "kind", "name", "problems"),
        [
            (o.get("action"), o.get("kind"), _name_cell(o), len(o.get("problems") or []) or "")
            for o in shown
        ],
    )
    for obj in shown:
        if obj.get("diff") or obj.get("schedule") or obj.get("driftDiff") or resubmitted(obj):
            _object_details(out, obj)
    _notes_left_out(out, plan, shown, route is None, command)
    _paused(out, objects)
    _locked(out, plan, objects)
    _jobs(out, plan, "referencesRewritten", "referencesRewrittenTotal", REWRITTEN)
    _jobs(out, plan, "descriptionsNotSent", "descriptionsNotSentTotal", UNSENT)
    _more(out, plan, len(shown), route is None, command)
    out.line(summary_text(plan.get("summary") or {}), style="bold")
    _pending(out, plan, route)
    _plan_problems(out, plan, workspace, route, command)


def screenful(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The objects a summarised plan lists: those it changes (or has problems with) first, in
    plan order, then unchanged ones, a screenful in all (the plan answers its changes and
    problems first, so they are among its objects however large it is). A plan of a few
    changes among many unchanged objects (a promotion, ``apply -f`` of a whole folder) listed
    the first 40 unchanged ones and left out what it changes."""
    moving = [o for o in objects if o.get("action") != PlanAction.UNCHANGED or o.get("problems")]
    still = [
        o for o in objects if o.get("action") == PlanAction.UNCHANGED and not o.get("problems")
    ]
    return (moving + still)[:SCREENFUL]


def _more(out: Output, plan: dict[str, Any], shown: int, listable: bool, command: str) -> None:
    """How many objects a summarised plan left out, and (``listable``) the option that lists
    every one."""
    objects = len(plan.get("objects") or [])
    total = plan.get("objectsTotal")
    total = total if isinstance(total, int) and total > objects else objects
    if total <= shown:
        return
    every_one = f"; jobferry {command} … --all-objects lists every one" if listable else ""
    out.line(
        f"Showing {shown} of {total} objects, those to change first (the summary below "
        f"counts them all){every_one}.",
        style="dim",
    )


RESUBMITTED = "no field changes: written again as a new submitted version"
"""An overwrite that changes no field: the import submits what the target only saved."""


def resubmitted(obj: dict[str, Any]) -> bool:
    """Whether a plan's object is written only to be submitted (an overwrite of no field)."""
    return obj.get("action") == "OVERWRITE" and not obj.get("diff") and not obj.get("driftDiff")


def _noted(obj: dict[str, Any]) -> bool:
    return any(mapping(move).get("note") for move in obj.get("schedule") or [])


def _notes_left_out(
    out: Output, plan: dict[str, Any], shown: list[dict[str, Any]], listable: bool, command: str
) -> None:
    """How many objects past the summarised ones have a schedule note (a firing in the hour a
    daylight-saving change skips or repeats): a move of 2,000 jobs showed the notes of its
    first 40 and said nothing of the rest. The plan lists its first objects (changes first);
    past them the count is a lower bound."""
    objects = plan.get("objects") or []
    listed = {id(obj) for obj in shown}
    noted = sum(1 for obj in objects if id(obj) not in listed and _noted(obj))
    if not noted:
        return
    total = plan.get("objectsTotal")
    at_least = "At least " if isinstance(total, int) and total > len(objects) else ""
    every_one = f"; jobferry {command} … --all-objects shows them" if listable else ""
    out.line(
        f"{at_least}{noted} more object(s) not shown have a schedule note{every_one}.",
        style="yellow",
    )


def skip_why(obj: dict[str, Any]) -> str:
    """Why a plan skips an object, in this CLI's flags (the server's ``reason.detail`` names
    the API's fields: "onDrift is KEEP_TARGET"); a reason it has no words for keeps the
    server's."""
    reason = mapping(obj.get("reason"))
    label = f"{obj.get('kind')} '{obj.get('name')}'"
    if obj.get("previousName"):  # this workspace holds it by another name
        label = f"{obj.get('kind')} '{obj['previousName']}' (the package's '{obj.get('name')}')"
    code = reason.get("code")
    if code == SkipReason.KEPT_DRIFT:
        return f"{label} changed in the target since the last import, and --on-drift is keep-target"
    if code == SkipReason.KEPT_NEWER:
        return (
            f"{label} was last written by a newer package of the same source, and --on-drift "
            "is keep-target"
        )
    if code == SkipReason.KEPT_DELETED:
        return (
            f"{label} was deleted by the import of a newer package of the same source, and "
            "--on-drift is keep-target (it stays deleted)"
        )
    if code == SkipReason.FIRST_IMPORT:
        return (
            f"{label} differs from the target's, and this is the first import from the "
            "package's source into this workspace (--policy auto keeps the target's)"
        )
    if code == SkipReason.SAME_NAME_POLICY:
        return f"{label} differs from the target's, and --policy is skip"
    return str(reason.get("detail", ""))


def _policy_chosen(out: Output, plan: dict[str, Any]) -> None:
    """The same-name policy AUTO chose and why, when the plan has an object of the same name
    to overwrite or skip (else it chose nothing)."""
    policy = plan.get("sameNamePolicy") or {}
    summary = plan.get("summary") or {}
    chose = any(summary.get(str(a)) for a in (PlanAction.OVERWRITE, PlanAction.SKIP))
    if policy.get("asked") == SameNamePolicy.AUTO and chose:
        out.line(
            f"--policy auto: {str(policy.get('applied', '')).lower()} "
            f"({policy.get('reason', '')}).",
            style="dim",
        )


def _pending(out: Output, plan: dict[str, Any], route: str | None) -> None:
    """The policy AUTO chose, each skipped object with why and the option that writes it,
    and the deletions not applied with the option that applies them (and, for ``promote``, the
    route's setting that applies them on every run)."""
    _policy_chosen(out, plan)
    skipped = [
        o
        for o in plan.get("objects") or []
        if o.get("action") == PlanAction.SKIP and isinstance(o.get("reason"), dict)
    ]
    for obj in skipped[:SCREENFUL]:
        fix = _SKIP_FIX.get(str(obj["reason"].get("code")), "--policy overwrite")
        out.line(Text.assemble(("  skipped ", "yellow"), f"{skip_why(obj)}; to write it: {fix}"))
    if len(skipped) > SCREENFUL:
        out.line(f"  … and {len(skipped) - SCREENFUL} more skipped", style="yellow")
    gone = plan.get("deletionsNotApplied") or []
    total = plan.get("deletionsNotAppliedTotal") or len(gone)
    if gone:
        every = "" if route is None else f"; jobferry routes edit {route} --propagate-deletes"
        out.line(
            f"{total} deletion(s) not applied (--propagate-deletes applies them{every}):",
            style="yellow",
        )
        for item in gone:
            out.line(f"  {item.get('kind')} '{item.get('name')}': {item.get('reason')}")


def _paused(out: Output, objects: list[dict[str, Any]]) -> None:
    paused = [o for o in objects if o.get("pause")]
    written = [str(o.get("name")) for o in paused if o.get("action") != PlanAction.DELETE]
    deleted = [str(o.get("name")) for o in paused if o.get("action") == PlanAction.DELETE]
    if written:
        out.line(
            f"Scheduled jobs the import stops, writes and starts again: {', '.join(written)}.",
            style="yellow",
        )
    if deleted:
        out.line(
            f"Scheduled jobs the import stops, then deletes: {', '.join(deleted)}.",
            style="yellow",
        )


def _locked(out: Output, plan: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    """The plan's objects and the jobs it rewrites for a rename that another user holds a
    lock on (:func:`locked_line`)."""
    rewritten = [{**mapping(j), "rewritten": True} for j in plan.get("referencesRewritten") or []]
    locked_line(out, objects + rewritten)


def locked_line(out: Output, objects: list[dict[str, Any]]) -> None:
    """The objects the import changes (a plan's) or changed (an import's result) though
    another user holds a lock on them, the jobs a plan rewrites for a rename (``rewritten``)
    among them: the workspace's soft lock policy only warns (under the hard one each is a
    problem)."""
    locked = [o for o in objects if o.get("lockedBy")]
    if not locked:
        return
    said = ", ".join(
        f"{o.get('kind')} '{o.get('name')}' (locked by {o['lockedBy']}"
        + (", deleted" if o.get("action") == PlanAction.DELETE else "")
        + (", references rewritten)" if o.get("rewritten") else ")")
        for o in locked
    )
    out.line(
        f"Locked by another user, changed anyway (this workspace's locks only warn): {said}.",
        style="yellow",
    )


REWRITTEN = "Jobs of this workspace rewritten to the new names of what the import renames"
UNSENT = (
    "Jobs whose description DataArts will not get (its job API has no field for one: a job"
    " created has none, one updated may lose its own)"
)


def _jobs(out: Output, plan: dict[str, Any], listed: str, total: str, said: str) -> None:
    """The jobs the plan lists under ``listed`` (how many: ``total``) after ``said``: jobs the
    import rewrites, or whose description cannot reach a remote."""
    jobs = [_name_cell(mapping(j)) for j in plan.get(listed) or []]
    if jobs:
        count = plan.get(total) or len(jobs)
        more = f" and {count - len(jobs)} more" if count > len(jobs) else ""
        out.line(f"{said}: {', '.join(jobs)}{more}.", style="yellow")


MADE_HERE = {
    "apply": "packed here from the folder's files, which no workspace signs",
    "releases restore": "written here from production's own definitions in the release "
    "ledger, which no workspace signs",
}
"""The commands whose package this server made itself, and where from: their signature is
not asked for, and an unsigned one says so rather than asking to sign it."""


def _plan_header(
    out: Output, plan: dict[str, Any], into: str | None, *, made_here: str | None
) -> None:
    """The plan id, the package hash, the target (``into``, in words), and the signature and
    profile checks when there are (``made_here``: where a package made here came from, which
    no workspace signs: its signature is not asked for)."""
    out.line(
        Text.assemble(
            ("Plan ", "bold"),
            str(plan.get("planId", "")),
            (f"  package sha256 {str(plan.get('packageSha256', ''))[:16]}…", "dim"),
        )
    )
    if into:
        out.line(Text.assemble(("into: ", "bold"), into))
    signature = mapping(plan.get("signature"))
    if signature:
        key = f" (key {signature['keyId']})" if signature.get("keyId") else ""
        said = f"{signature.get('state')}{key}: {signature.get('detail')}"
        if made_here and signature.get("state") == "unsigned":
            said = f"unsigned: {made_here}"
        out.line(Text.assemble(("signature: ", "bold"), said))
    profile = mapping(plan.get("profile"))
    if profile:
        said = f"{profile.get('name')}, version {profile.get('version')}"
        out.line(Text.assemble(("profile: ", "bold"), said))
    state = mapping(plan.get("remoteState"))
    basis = snapshot_basis(state, int(time.time() * 1000))
    if basis is not None:
        again = f"jobferry remotes refresh {state.get('remote')}"
        out.line(f"{basis} {again} reads the remote itself when it can be reached.", style="yellow")


def _object_details(out: Output, obj: dict[str, Any]) -> None:
    """One object's field diff and schedule moves under its action."""
    out.line(
        Text.assemble(
            (f"{obj.get('action')} ", ACTION_STYLES.get(str(obj.get("action")), "")),
            (f"{obj.get('kind')} {_name_cell(obj)}", "bold"),
        )
    )
    for change in obj.get("diff") or []:
        out.line(change_line(change))
    if resubmitted(obj):
        out.line(f"    {RESUBMITTED}", style="dim")
    if obj.get("driftDiff"):
        out.line("    changed in this workspace since the last import:", style="magenta")
        for change in obj["driftDiff"]:
            out.line(change_line(change))
    for move in obj.get("schedule") or []:
        out.line(schedule_line(move))
        if move.get("note"):
            out.line(Text.assemble(("      note: ", "yellow"), str(move["note"])))


def schedule_line(move: dict[str, Any]) -> Text:
    """``⏱ field (mode): expression zone → expression zone`` of a time-zone move."""
    before, after = move.get("before") or {}, move.get("after") or {}
    return Text.assemble(
        ("    ⏱ ", "cyan"),
        (f"{move.get('field', 'schedule')} ({move.get('mode', '')})", "bold"),
        f": {before.get('expression')} {before.get('timeZone')} → "
        f"{after.get('expression')} {after.get('timeZone')}",
    )


def _plan_problems(
    out: Output, plan: dict[str, Any], workspace: str | None, route: str | None, command: str
) -> None:
    """Every problem of the plan with its fix (a missing environment object is one problem,
    naming the objects that use it; a target that is a remote's shadow changes in DataArts)."""
    problems = plan.get("problems") or []
    if not problems:
        return
    again = "promote" if route is not None else command
    out.line(f"Problems (fix them, then {again} again):", style="red bold")
    signature = mapping(plan.get("signature")).get("state")
    remote = mapping(plan.get("remoteState")).get("remote")
    signed, shadow_of = (str(signature) if signature else None), (str(remote) if remote else None)
    problem_lines(out, problems, workspace, signed, route, command, shadow_of)
