"""The one place the console reads an import plan's parts: the plan a planning task left, and
the plan's objects.

The import pipeline is moving a large plan's objects out of the task result into stored rows
read page by page; when it does, only these two functions change, not the wizard's handlers
or templates.
"""

from __future__ import annotations

from typing import Any

from jobferry.console.fixes import console_problems


def task_plan(task: dict[str, Any]) -> dict[str, Any] | None:
    """The plan a finished planning task left (None while it runs, or when it left none)."""
    if task.get("status") == "RUNNING":
        return None
    plan = (task.get("result") or {}).get("plan")
    return dict(plan) if isinstance(plan, dict) else None


def plan_objects(plan: dict[str, Any], workspace: str) -> list[dict[str, Any]]:
    """The plan's objects in apply order, each problem's fix in the console's terms."""
    objects = plan.get("objects") or []
    return [
        {**o, "problems": console_problems(o["problems"], workspace)} if o.get("problems") else o
        for o in objects
    ]
