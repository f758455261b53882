"""The one place the console reads an import plan's parts: the plan a planning task left, and
the plan's objects.

A plan lists its first lines (``lines_total`` says how many it has; the import keeps the rest
as rows, paged by ``GET /jobs/import/plans/{planId}/objects``): the plan step lists from those
and counts the rest by action from the plan's summary.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from jobferry.console.fixes import console_problems
from jobferry.domain.enums import PlanAction, SkipReason
from jobferry.services.importing.plan import Plan, PlanLine, UnreadablePlanError
from jobferry.services.taskviews import Task

LISTED = 500
"""Objects the plan step lists at most: a plan of 4,001 objects would be a page of megabytes."""


@dataclass(frozen=True)
class ShownLine:
    """A plan line the plan step lists, with its problems' fixes in the console's terms."""

    line: PlanLine
    problems: list[dict[str, Any]]


@dataclass(frozen=True)
class PlanObjects:
    """The objects the plan step lists, and how many of each action it leaves out."""

    shown: list[ShownLine]
    more: dict[str, int]
    total: int


def task_plan(task: Task) -> Plan | None:
    """The plan a finished planning task left (None while it runs, or when it left none it
    can read)."""
    if not task.done or "plan" not in task.outcome:
        return None
    try:
        return Plan.of_stored(task.outcome["plan"])
    except UnreadablePlanError:
        return None


def _telling(line: PlanLine) -> bool:
    return bool(line.problems or line.diff or line.locked_by)


def plan_objects(plan: Plan, workspace: str, listed: int = LISTED) -> PlanObjects:
    """At most ``listed`` of the plan's objects, in the order the plan lists them (its changes
    and problems first): every one with a problem, a field change or another user's lock
    chosen first, then the others; each problem's fix in the console's terms."""
    lines = plan.lines
    telling = [i for i, line in enumerate(lines) if _telling(line)]
    plain = [i for i, line in enumerate(lines) if not _telling(line)]
    chosen = set(telling[:listed]) | set(plain[: max(0, listed - len(telling))])
    shown = [
        ShownLine(line, console_problems([p.as_json() for p in line.problems], workspace))
        for i, line in enumerate(lines)
        if i in chosen
    ]
    more = Counter(str(line.action) for i, line in enumerate(lines) if i not in chosen)
    if plan.lines_total > len(lines):  # the plan lists its first lines only: count the rest
        more.update(_unlisted(plan))
    return PlanObjects(shown, dict(sorted(more.items())), max(plan.lines_total, len(lines)))


def _unlisted(plan: Plan) -> Counter[str]:
    """By action, the plan's objects it does not list."""
    listed = Counter(line.action for line in plan.lines)
    rest: Counter[str] = Counter()
    for action, count in plan.summary.by_action():
        if count > listed.get(action, 0):
            rest[str(action)] = count - listed.get(action, 0)
    return rest


# Per reason a plan skips objects that differ: why, in the console's terms, and the option
# (as the options step labels it) that would write them.
_SKIPPED = {
    SkipReason.SAME_NAME_POLICY: (
        "you chose to skip objects of the same name",
        "choose “Overwrite it”",
    ),
    SkipReason.FIRST_IMPORT: (
        "this is the first import from the package's source workspace into this one, so the "
        "objects this workspace already has are kept",
        "choose “Overwrite it”",
    ),
    SkipReason.KEPT_DRIFT: (
        "they were changed here since the last import and you chose to keep this workspace's "
        "version",
        "choose “Overwrite the change with the package's”",
    ),
    SkipReason.KEPT_NEWER: (
        "a newer package from the same source wrote them last, and you chose to keep this "
        "workspace's version",
        "choose “Overwrite the change with the package's”",
    ),
    SkipReason.KEPT_DELETED: (
        "a newer package from the same source deleted them, and you chose to keep this "
        "workspace's version (they stay deleted)",
        "choose “Overwrite the change with the package's”",
    ),
}


def pending(plan: Plan) -> list[str]:
    """What the plan leaves undone that a person should know before calling it clean: the
    objects it skips although they differ (by reason), the deletions it does not apply."""
    out: list[str] = []
    skipped = plan.summary.skip
    reasons = Counter(
        line.skip.reason if line.skip is not None else SkipReason.SAME_NAME_POLICY
        for line in plan.lines
        if line.action is PlanAction.SKIP
    )
    for code, count in sorted(reasons.items()):
        why, option = _SKIPPED[code]
        out.append(
            f"{count} object(s) differ from this workspace's and will be skipped: {why}. "
            f"To write them, go back to the options and {option}."
        )
    if skipped > sum(reasons.values()):
        out.append(f"{skipped} object(s) are skipped in all (the plan lists the first ones).")
    gone = plan.not_applied
    total = max(plan.not_applied_total, len(gone))
    if gone:
        names = ", ".join(f"{d.kind} {d.name}" for d in gone[:10])
        more = f" and {total - 10} more" if total > 10 else ""
        out.append(
            f"{total} deletion(s) not applied: {names}{more} (the source no longer has them). "
            "To delete them here, go back to the options and tick “Delete what the source "
            "deleted”."
        )
    return out
