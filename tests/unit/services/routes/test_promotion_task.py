"""What a promotion task keeps of its call and ends with (``services/routes/promotion_task.py``):
enough of the call to run it queued, by another process or after a restart, and an end that
names the route, the promotion and its plan, or says that nothing changed."""

from __future__ import annotations

from jobferry.services.container import Services
from jobferry.services.routes.promotion_task import (
    PACKAGE,
    PLAN,
    left_running,
    plan_result,
    task_request,
)
from support.clients import SignedClient
from support.console import admin_scope
from support.exporting import seed
from support.importing import connected_workspace

ROUTE = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}


def test_a_task_keeps_the_step_route_settings_and_the_workspace_its_caller_named(
    services: Services,
) -> None:
    scope = admin_scope(services)
    kept = task_request(scope, PLAN, "test-prod", {"onDrift": "KEEP_TARGET"}, "upload://p")
    assert kept == {
        "step": "plan",
        "route": "test-prod",
        "overrides": {"onDrift": "KEEP_TARGET"},
        "path": "upload://p",
        "from": scope.workspace.id,
    }
    assert task_request(scope, PACKAGE, "test-prod", {}, None)["step"] == "package"


def test_a_promotion_ends_naming_its_plan_then_that_nothing_changed(
    api: SignedClient, services: Services
) -> None:
    seed(api)
    connected_workspace(api)
    assert api.call("PUT", "/routes/test-prod", ROUTE).status_code == 200
    scope = admin_scope(services)

    planned = services.route_plans.plan(scope, "test-prod", {})
    said, result = plan_result(planned)
    assert planned.plan is not None
    assert planned.package.promotion is not None
    promotion = planned.package.promotion.id
    assert (
        said == f"Planned promotion {promotion} of route 'test-prod': plan {planned.plan.plan_id}."
    )
    assert result["planId"] == planned.plan.plan_id
    assert result["promotionId"] == promotion
    assert result["source"] == {"workspaceId": scope.workspace.id, "name": "default"}

    services.imports.run(
        services.route_plans.apply(scope, "test-prod", planned.plan.plan_id).prepared
    )
    said, result = plan_result(services.route_plans.plan(scope, "test-prod", {}))
    assert said == "Nothing changed in workspace 'default' to promote along route 'test-prod'."
    assert result["promotionId"] is None
    assert result["planId"] is None


def test_a_promotion_left_by_a_stopping_process_names_the_task_making_its_plan() -> None:
    said = left_running("0123abcd")
    assert "task 0123abcd" in said
    assert "follow that task" in said
