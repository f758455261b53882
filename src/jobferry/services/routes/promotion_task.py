"""A route's promotion as a task (``running``): what its task keeps of its call, enough to
run it queued, and what it ends with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobferry.services.context import Scope
from jobferry.services.routes.records import RoutePackage, RoutePlan

PLAN, PACKAGE = "plan", "package"
"""The steps a promotion task runs: ``RoutePlans.plan``, or ``RoutePromotions.package``."""


def planned(promotion_id: str, route: str, plan_id: str) -> str:
    """The end of a promotion task whose plan was made (by it, or by the task it followed)."""
    return f"Planned promotion {promotion_id} of route '{route}': plan {plan_id}."


def left_running(planning: str) -> str:
    """The end of a promotion whose process stopped while another made its plan."""
    return (
        f"The server process stopped while task {planning}, queued or on another server "
        f"process, made the plan of this promotion: follow that task; once it has ended, its "
        f"plan is the route's waiting one."
    )


def task_request(
    scope: Scope, step: str, name: str, overrides: Mapping[str, object], path: str | None
) -> dict[str, Any]:
    """What a promotion task keeps of its call, enough to run it queued (``step``: a plan, or
    the console's package; ``from``: the workspace the caller named)."""
    return {
        "step": step,
        "route": name,
        "overrides": dict(overrides),
        "path": path,
        "from": scope.workspace.id,
    }


def plan_result(done: RoutePlan | RoutePackage) -> tuple[str, dict[str, Any]]:
    """A promotion task's end: its message, and its result (the route, the promotion, its
    plan or the task planning it, and, when nothing changed, the source and since when)."""
    made = done.package if isinstance(done, RoutePlan) else done
    route, promotion = made.route.name, made.promotion
    source, block = made.source, made.carried_from
    result: dict[str, Any] = {
        "route": route,
        "promotionId": promotion.id if promotion is not None else None,
        "planId": None,
        "planningTaskId": None,
        "since": made.since,
        "source": None,
    }
    if source is not None:
        result["source"] = {"workspaceId": source.workspace.id, "name": source.workspace.name}
    elif block is not None:  # cut on another server
        cut = {"workspaceId": block.source_workspace_id, "name": block.source_workspace}
        result["source"] = {**cut, "carried": True}
    if promotion is None:
        where = f"workspace '{source.workspace.name}'" if source is not None else "the source"
        return f"Nothing changed in {where} to promote along route '{route}'.", result
    if isinstance(done, RoutePlan) and done.plan is not None:
        result["planId"] = done.plan.plan_id
        return planned(promotion.id, route, done.plan.plan_id), result
    if isinstance(done, RoutePlan) and done.planning_task is not None:
        result["planningTaskId"] = done.planning_task
        return f"Packaged promotion {promotion.id} of route '{route}'.", result
    return f"Packaged promotion {promotion.id} of route '{route}'.", result
