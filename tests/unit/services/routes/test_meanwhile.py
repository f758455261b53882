"""Two promotions of a route at the same moment (``meanwhile``): the run that applies second
is refused, naming the import of the same changes the other one recorded (who, when, its
task), and nothing is recorded twice; an import of them that was rolled back does not count.
A run that cut other changes while another run's import along the route is under way is told
of that import too."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import TaskKind
from jobferry.errors import PromotedMeanwhileError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.routes import plans
from support.builders import make_job
from support.clients import SignedClient
from support.console import admin_scope
from support.exporting import seed
from support.importing import connected_workspace

ROUTE = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}

# Each test shows an import while it is queued, then runs it itself.
pytestmark = pytest.mark.usefixtures("held_tasks")


def _route(api: SignedClient, services: Services) -> Scope:
    """A route from the default workspace (one job) to a new workspace ``prod``; the admin."""
    seed(api)
    connected_workspace(api)
    assert api.call("PUT", "/routes/test-prod", ROUTE).status_code == 200
    return admin_scope(services)


def test_a_second_run_promoting_the_same_changes_is_told_who_promoted_them(
    api: SignedClient, services: Services
) -> None:
    # The second run plans while the first one's import is queued (not applied yet), so it
    # cuts the same package; its apply names the first import and records nothing.
    scope = _route(api, services)
    first = services.route_plans.plan(scope, "test-prod", {})
    assert first.plan is not None
    applied = services.route_plans.apply(scope, "test-prod", first.plan.plan_id)
    assert first.meanwhile is None
    second = services.route_plans.plan(scope, "test-prod", {})
    assert second.plan is not None
    assert second.package.promotion is not None
    assert second.package.promotion.package_sha256 == applied.promotion.package_sha256
    # Its plan says so already, before anyone asks to import it.
    said = second.meanwhile
    assert said is not None
    assert (said.task_id, said.task_status, said.promoted_by) == (
        applied.task_id,
        "RUNNING",
        "admin",
    )
    assert (said.promotion_id, said.plan_id) == (applied.promotion.id, first.plan.plan_id)
    assert said.problem.endswith(f"(task {applied.task_id}, still running)")
    services.imports.run(applied.prepared)
    kept = services.route_plans.kept(scope, "test-prod", second.plan.plan_id)
    assert kept.meanwhile is not None
    assert (kept.meanwhile.task_id, kept.meanwhile.task_status) == (applied.task_id, "SUCCESSFUL")
    with pytest.raises(PromotedMeanwhileError) as refused:
        services.route_plans.apply(scope, "test-prod", second.plan.plan_id)
    assert refused.value.problem.startswith(
        "Route 'test-prod': these changes (package "
        f"{applied.promotion.package_sha256[:12]}) were promoted meanwhile by admin at "
    )
    assert f"(task {applied.task_id}, SUCCESSFUL); nothing was imported" in refused.value.problem
    body = refused.value.envelope()
    assert body["error_code"] == "DLF.9088"
    assert (body["rule"], body["task_id"], body["promoted_by"]) == (
        "route.promoted_meanwhile",
        applied.task_id,
        "admin",
    )
    assert body["promotion_id"] == applied.promotion.id
    listed = services.promotions.history(scope, "test-prod")
    assert [p.task_id for p in listed] == [applied.task_id]


def test_a_run_whose_plan_another_run_imported_is_told_who_did(
    api: SignedClient, services: Services
) -> None:
    # Both runs planned the same package before either applied: the first apply imports the
    # newest promotion (its plan is of the same package), the second finds it taken.
    scope = _route(api, services)
    first = services.route_plans.plan(scope, "test-prod", {})
    second = services.route_plans.plan(scope, "test-prod", {})
    assert first.plan is not None
    assert second.plan is not None
    applied = services.route_plans.apply(scope, "test-prod", first.plan.plan_id)
    with pytest.raises(PromotedMeanwhileError, match=rf"task {applied.task_id}, still running"):
        services.route_plans.apply(scope, "test-prod", second.plan.plan_id)
    services.imports.run(applied.prepared)
    listed = services.promotions.history(scope, "test-prod")
    assert [p.task_id for p in listed] == [applied.task_id]


def test_the_same_changes_promote_again_once_their_import_was_rolled_back(
    api: SignedClient, services: Services
) -> None:
    scope = _route(api, services)
    first = services.route_plans.plan(scope, "test-prod", {})
    assert first.plan is not None
    applied = services.route_plans.apply(scope, "test-prod", first.plan.plan_id)
    services.imports.run(applied.prepared)
    services.rollback.rollback(applied.prepared.scope, applied.task_id)
    again = services.route_plans.plan(scope, "test-prod", {})
    assert again.plan is not None
    assert again.meanwhile is None  # a rolled-back import does not stand
    assert again.package.promotion is not None
    assert again.package.promotion.package_sha256 == applied.promotion.package_sha256
    redone = services.route_plans.apply(scope, "test-prod", again.plan.plan_id)
    assert redone.promotion.task_id == redone.task_id


def test_two_applies_at_the_same_moment_the_second_meets_the_lock_and_is_told_who(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The second apply read nothing recorded (the first one's transaction had not committed
    # yet), then met the import lock the first one took: said as the same changes promoted.
    scope = _route(api, services)
    first = services.route_plans.plan(scope, "test-prod", {})
    assert first.plan is not None
    applied = services.route_plans.apply(scope, "test-prod", first.plan.plan_id)
    second = services.route_plans.plan(scope, "test-prod", {})
    assert second.plan is not None
    monkeypatch.setattr(plans, "promoted_meanwhile", lambda tx, project, item: None)
    with pytest.raises(PromotedMeanwhileError, match=rf"task {applied.task_id}, still running"):
        services.route_plans.apply(scope, "test-prod", second.plan.plan_id)
    services.imports.run(applied.prepared)
    listed = services.promotions.history(scope, "test-prod")
    assert [p.task_id for p in listed] == [applied.task_id]


def test_the_plan_answered_names_the_import_of_the_same_changes_still_running(
    api: SignedClient, services: Services
) -> None:
    scope = _route(api, services)
    first = api.call("POST", "/routes/test-prod/plans", {})
    assert first.status_code == 200, first.text
    assert first.json()["promotedMeanwhile"] is None
    plan_id = first.json()["plan"]["planId"]
    applied = services.route_plans.apply(scope, "test-prod", plan_id)  # queued, not run
    second = api.call("POST", "/routes/test-prod/plans", {})
    assert second.status_code == 200, second.text
    said = second.json()["promotedMeanwhile"]
    assert {k: said[k] for k in ("promotionId", "planId", "taskId", "taskStatus")} == {
        "promotionId": applied.promotion.id,
        "planId": plan_id,
        "taskId": applied.task_id,
        "taskStatus": "RUNNING",
    }
    assert said["promotedBy"] == "admin"
    assert said["message"].startswith("Route 'test-prod': these changes (package ")
    assert said["message"].endswith(f"(task {applied.task_id}, still running).")
    services.imports.run(applied.prepared)


def test_a_plan_of_other_changes_names_the_import_along_the_route_still_under_way(
    api: SignedClient, services: Services
) -> None:
    # The source changed after the first run cut its package: the second run's package is
    # another one, which carries the first one's changes again (not applied yet). Its plan
    # names that import, queued, then running; once it ended, a plan names none.
    scope = _route(api, services)
    first = services.route_plans.plan(scope, "test-prod", {})
    assert first.plan is not None
    applied = services.route_plans.apply(scope, "test-prod", first.plan.plan_id)  # queued
    job = make_job("daily_sales", description="changed since the first run cut its package")
    assert api.call("PUT", "/jobs/daily_sales", job).status_code == 204
    second = services.route_plans.plan(scope, "test-prod", {})
    assert second.package.promotion is not None
    assert second.package.promotion.package_sha256 != applied.promotion.package_sha256
    assert second.meanwhile is None
    under = second.under_way
    assert under is not None
    assert (under.task_id, under.queued, under.promoted_by) == (applied.task_id, True, "admin")
    assert (under.promotion_id, under.plan_id) == (applied.promotion.id, first.plan.plan_id)
    assert under.problem.startswith(
        f"Route 'test-prod': another run's import along it is still queued (task "
        f"{applied.task_id}, started by admin at "
    )
    assert second.plan is not None
    kept = api.call("GET", f"/routes/test-prod/plans/{second.plan.plan_id}")
    assert kept.status_code == 200, kept.text
    said = kept.json()["importUnderWay"]
    assert (said["taskId"], said["queued"], said["planId"]) == (
        applied.task_id,
        True,
        first.plan.plan_id,
    )
    assert said["message"].endswith("Wait for that task to end, then promote again.")
    assert kept.json()["promotedMeanwhile"] is None
    claimed = services.tasks.claim([TaskKind.IMPORT])  # a task thread takes it: running
    assert claimed is not None
    running = services.route_plans.plan(scope, "test-prod", {}).under_way
    assert running is not None
    assert (running.task_id, running.queued) == (applied.task_id, False)
    assert "still running (task " in running.problem

    services.imports.run(services.imports.resume(claimed))
    third = api.call("POST", "/routes/test-prod/plans", {})
    assert third.status_code == 200, third.text
    assert third.json()["importUnderWay"] is None
