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
