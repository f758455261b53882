"""The one place the console reads an import plan's parts: the plan a planning task left, and
the plan's objects.

A plan's view lists its first objects (``objectsTotal`` says how many it has; the import keeps
the rest as rows, paged by ``GET /jobs/import/plans/{planId}/objects``): the plan step lists
from those and counts the rest by action from the plan's summary.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from jobferry.console.fixes import console_problems
from jobferry.domain.enums import PlanAction, SkipReason
from jobferry.services.tasks import Task

LISTED = 500
"""Objects the plan step lists at most: a plan of 4,001 objects would be a page of megabytes."""


@dataclass(frozen=True)
class PlanObjects:
    """The objects the plan step lists, and how many of each action it leaves out."""

    shown: list[dict[str, Any]]
    more: dict[str, int]
    total: int


def task_plan(task: Task) -> dict[str, Any] | None:
    """The plan a finished planning task left (None while it runs, or when it left none)."""
    if not task.done:
        return None
    plan = task.outcome.get("plan")
    return dict(plan) if isinstance(plan, dict) else None


def plan_objects(plan: dict[str, Any], workspace: str, listed: int = LISTED) -> PlanObjects:
    """At most ``listed`` of the plan's objects, in apply order: every one with a problem or
    a field change first, then the others; each problem's fix in the console's terms."""
    objects: list[dict[str, Any]] = list(plan.get("objects") or [])
    telling = [i for i, o in enumerate(objects) if o.get("problems") or o.get("diff")]
    plain = [i for i, o in enumerate(objects) if not (o.get("problems") or o.get("diff"))]
    chosen = set(telling[:listed]) | set(plain[: max(0, listed - len(telling))])
    shown = [
        {**o, "problems": console_problems(o["problems"], workspace)} if o.get("problems") else o
        for i, o in enumerate(objects)
        if i in chosen
    ]
    more = Counter(str(o.get("action")) for i, o in enumerate(objects) if i not in chosen)
    total = int(plan.get("objectsTotal") or len(objects))
    if total > len(objects):  # the view lists the first objects only: count the rest by action
        more.update(_unlisted(plan, objects))
    return PlanObjects(shown, dict(sorted(more.items())), total)


def _unlisted(plan: dict[str, Any], objects: list[dict[str, Any]]) -> Counter[str]:
    """By action, the plan's objects its view does not list."""
    listed = Counter(str(o.get("action")) for o in objects)
    rest: Counter[str] = Counter()
    for action, count in (plan.get("summary") or {}).items():
        if action != "problems" and int(count) > listed.get(action, 0):
            rest[action] = int(count) - listed.get(action, 0)
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
}


def pending(plan: dict[str, Any]) -> list[str]:
    """What the plan leaves undone that a person should know before calling it clean: the
    objects it skips although they differ (by reason), the deletions it does not apply."""
    out: list[str] = []
    objects: list[dict[str, Any]] = list(plan.get("objects") or [])
    skipped = int((plan.get("summary") or {}).get(PlanAction.SKIP) or 0)
    reasons = Counter(
        str((o.get("reason") or {}).get("code") or SkipReason.SAME_NAME_POLICY)
        for o in objects
        if o.get("action") == PlanAction.SKIP
    )
    for code, count in sorted(reasons.items()):
        why, option = _SKIPPED.get(SkipReason(code), _SKIPPED[SkipReason.SAME_NAME_POLICY])
        out.append(
            f"{count} object(s) differ from this workspace's and will be skipped: {why}. "
            f"To write them, go back to the options and {option}."
        )
    if skipped > sum(reasons.values()):
        out.append(f"{skipped} object(s) are skipped in all (the plan lists the first ones).")
    gone: list[dict[str, Any]] = list(plan.get("deletionsNotApplied") or [])
    total = int(plan.get("deletionsNotAppliedTotal") or len(gone))
    if gone:
        names = ", ".join(f"{d['kind']} {d['name']}" for d in gone[:10])
        more = f" and {total - 10} more" if total > 10 else ""
        out.append(
            f"{total} deletion(s) not applied: {names}{more} (the source no longer has them). "
            "To delete them here, go back to the options and tick “Delete what the source "
            "deleted”."
        )
    return out
