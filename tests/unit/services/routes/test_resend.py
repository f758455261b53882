"""A route's profile or selection changed since its newest applied promotion (``resend``): its
next package carries every selected job again, so the target takes the new profile's values,
and the jobs the route now selects, for jobs that did not change in the source, instead of
``promote`` saying "nothing changed"."""

from __future__ import annotations

from typing import Any

from jobferry.domain.enums import PlanAction, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.console import admin_scope
from support.console import seed as seed_workspace
from support.planning import workspace

ROUTE = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}


def _promote(services: Services, scope: Scope) -> dict[tuple[str, str], str]:
    """Plan test-prod's promotion and import it; (kind, name) → action of what it changed."""
    planned = services.route_plans.plan(scope, "test-prod", {})
    if planned.package.promotion is None:
        return {}
    assert planned.plan is not None
    assert planned.plan.problems == ()
    applied = services.route_plans.apply(scope, "test-prod", planned.plan.plan_id)
    services.imports.run(applied.prepared)
    task = services.tasks.show(applied.prepared.scope, applied.task_id)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    return {
        (str(line.kind), line.name): str(line.action)
        for line in planned.plan.lines
        if line.action is not PlanAction.UNCHANGED
    }


def _nothing_changed(services: Services, scope: Scope) -> bool:
    """Whether the route's next package is empty (not every job again, all unchanged)."""
    return services.route_plans.plan(scope, "test-prod", {}).package.promotion is None


def _params(services: Services, prod: Scope) -> dict[str, Any]:
    document = services.jobs.show(prod, "daily_sales").document
    return {p["name"]: p["value"] for p in document.get("params") or []}


def _profile(batch: str) -> dict[str, Any]:
    return {"jobParams": {"daily_sales": {"batch": batch}}}


def test_a_new_version_of_the_routes_profile_reaches_jobs_unchanged_in_the_source(
    services: Services,
) -> None:
    dev = admin_scope(services)
    seed_workspace(services, dev)
    prod = workspace(services, "prod")
    services.profiles.put(prod, "prod", _profile("100"))
    services.routes.put(dev, "test-prod", {**ROUTE, "profile": "prod"})
    assert _promote(services, dev)[("job", "daily_sales")] == "CREATE"
    assert _params(services, prod)["batch"] == "100"
    assert _promote(services, dev) == {}  # nothing changed

    services.profiles.put(prod, "prod", _profile("500"))  # daily_sales unchanged in default

    assert _promote(services, dev) == {("job", "daily_sales"): "OVERWRITE"}
    assert _params(services, prod)["batch"] == "500"
    assert _nothing_changed(services, dev)  # carried once: the next one has nothing again


def test_a_route_given_another_profile_carries_its_jobs_again(services: Services) -> None:
    dev = admin_scope(services)
    seed_workspace(services, dev)
    prod = workspace(services, "prod")
    services.routes.put(dev, "test-prod", {**ROUTE, "profile": _profile("100")})
    _promote(services, dev)

    services.routes.put(dev, "test-prod", {**ROUTE, "profile": _profile("200")})

    assert _promote(services, dev) == {("job", "daily_sales"): "OVERWRITE"}
    assert _params(services, prod)["batch"] == "200"
    assert _nothing_changed(services, dev)


def test_a_route_given_more_folders_carries_the_jobs_it_now_selects(services: Services) -> None:
    dev = admin_scope(services)
    seed_workspace(services, dev, ("daily_sales", "weekly_sales"))
    weekly = services.jobs.show(dev, "weekly_sales").document
    services.jobs.update(dev, "weekly_sales", {**weekly, "directory": "/weekly"})
    prod = workspace(services, "prod")
    route = {**ROUTE, "selection": {"kind": "FOLDERS", "values": ["/weekly"]}}
    services.routes.put(dev, "test-prod", route)
    assert ("job", "weekly_sales") in _promote(services, dev)
    assert _promote(services, dev) == {}

    wider = {"kind": "FOLDERS", "values": ["/weekly", "/sales"], "withUpstream": True}
    services.routes.put(dev, "test-prod", {**route, "selection": wider})

    assert _promote(services, dev)[("job", "daily_sales")] == "CREATE"
    assert services.jobs.show(prod, "daily_sales").name == "daily_sales"
    assert _nothing_changed(services, dev)
