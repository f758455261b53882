"""Promotion as one use case (``RoutePlans``): ``plan`` packages what changed and plans it
with the route's settings and the run's overrides; ``apply`` imports exactly that plan and
records the import on the promotion in the transaction that queues its task. Promoted again
and again, a route of every job carries each change of a script no job uses."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import DriftPolicy, PlanAction, SameNamePolicy, TaskStatus
from jobferry.errors import InvalidRequestError, PlanStaleError, PromotedMeanwhileError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.request import ImportRequest
from jobferry.storage import routes as route_repo
from support.builders import make_script
from support.clients import SignedClient
from support.clock import held_clock
from support.console import admin_scope
from support.console import seed as seed_workspace
from support.exporting import seed
from support.importing import connected_workspace
from support.planning import run_import, workspace

ROUTE = {
    "source": {"workspace": "default"},
    "target": {"workspace": "prod"},
    "scheduling": "PAUSE_AND_RESTORE",
}


def _route(api: SignedClient, services: Services) -> Scope:
    """A route from the default workspace (one job) to a new workspace ``prod``; the admin."""
    seed(api)
    connected_workspace(api)
    assert api.call("PUT", "/routes/test-prod", ROUTE).status_code == 200
    return admin_scope(services)


def test_plan_packages_and_plans_with_the_routes_settings(
    api: SignedClient, services: Services
) -> None:
    scope = _route(api, services)
    planned = services.route_plans.plan(scope, "test-prod", {})
    assert planned.package.promotion is not None
    assert planned.settings == planned.package.route.settings
    assert planned.changes == ()
    assert planned.plan is not None
    assert planned.planning_task is None
    assert planned.plan.summary.create >= 1


def test_plan_takes_the_runs_overrides_and_says_what_they_change(
    api: SignedClient, services: Services
) -> None:
    scope = _route(api, services)
    planned = services.route_plans.plan(
        scope, "test-prod", {"onDrift": "TAKE_PACKAGE", "sameNamePolicy": "OVERWRITE"}
    )
    assert planned.settings.on_drift is DriftPolicy.TAKE_PACKAGE
    assert [(c.setting.wire, c.route, c.run) for c in planned.changes] == [
        ("sameNamePolicy", SameNamePolicy.AUTO, SameNamePolicy.OVERWRITE),
        ("onDrift", DriftPolicy.FAIL, DriftPolicy.TAKE_PACKAGE),
    ]


def test_bad_overrides_are_refused_before_a_package_is_made(
    api: SignedClient, services: Services
) -> None:
    scope = _route(api, services)
    with pytest.raises(InvalidRequestError) as refused:
        services.route_plans.plan(scope, "test-prod", {"onDrift": "NEVER", "colour": "red"})
    problems = refused.value.context["problems"]
    assert any("onDrift must be one of FAIL" in p for p in problems)
    assert any("colour is no import setting" in p for p in problems)
    assert services.promotions.waiting(scope, "test-prod") is None


def test_apply_imports_the_plan_and_records_it_on_the_promotion(
    api: SignedClient, services: Services
) -> None:
    scope = _route(api, services)
    planned = services.route_plans.plan(scope, "test-prod", {"onDrift": "KEEP_TARGET"})
    assert planned.plan is not None
    applied = services.route_plans.apply(scope, "test-prod", planned.plan.plan_id)
    # Recorded with the task's queueing, before the import ran: never a task without it.
    assert applied.promotion.task_id == applied.task_id
    assert applied.promotion.plan_id == planned.plan.plan_id
    overrides = applied.promotion.overrides
    assert overrides is not None
    assert [tuple(s.wire().values()) for s in overrides.settings] == [
        ("onDrift", "FAIL", "KEEP_TARGET")
    ]
    task = services.tasks.show(applied.prepared.scope, applied.task_id)
    sha = applied.promotion.package_sha256[:12]
    promotion = applied.promotion
    assert (promotion.jobs, promotion.scripts, promotion.resources) == (1, 2, 1)
    assert task.name == (  # the route and what it carries, not the package's file name
        "Promote along route test-prod: 1 job(s), 2 script(s), 1 resource(s), 0 deletion(s) "
        f"(package {sha})."
    )
    services.imports.run(applied.prepared)
    listed = services.promotions.history(scope, "test-prod")
    assert [(p.task_id, p.applied) for p in listed] == [(applied.task_id, True)]
    # Imported once: its apply is refused now, naming that import, and the next plan carries
    # nothing.
    with pytest.raises(PromotedMeanwhileError, match=f"task {applied.task_id}, SUCCESSFUL"):
        services.route_plans.apply(scope, "test-prod", planned.plan.plan_id)
    again = services.route_plans.plan(scope, "test-prod", {})
    assert again.package.promotion is None
    assert again.plan is None


def test_apply_refuses_a_plan_of_other_settings(api: SignedClient, services: Services) -> None:
    scope = _route(api, services)
    first = services.route_plans.plan(scope, "test-prod", {"onDrift": "TAKE_PACKAGE"})
    assert first.plan is not None
    services.route_plans.plan(scope, "test-prod", {})  # a newer promotion, other settings
    stale = r"is not the plan of promotion \w+ of route 'test-prod'"
    with pytest.raises(PlanStaleError, match=stale):
        services.route_plans.apply(scope, "test-prod", first.plan.plan_id)
    assert services.promotions.history(scope, "test-prod") == []


def test_apply_without_a_plan_is_refused(api: SignedClient, services: Services) -> None:
    scope = _route(api, services)
    with pytest.raises(InvalidRequestError, match="no planned promotion waiting"):
        services.route_plans.apply(scope, "test-prod", "0" * 32)


def test_kept_answers_the_waiting_plan_as_plan_answered_it(
    api: SignedClient, services: Services
) -> None:
    """What the route's approvers signed, read again by its id: the same plan, package and
    settings, kept until the uploads expire; then applied as it is."""
    scope = _route(api, services)
    planned = services.route_plans.plan(scope, "test-prod", {"onDrift": "KEEP_TARGET"})
    assert planned.plan is not None
    assert planned.kept_until is not None
    kept = services.route_plans.kept(scope, "test-prod", planned.plan.plan_id)
    assert kept.plan is not None
    assert kept.plan.plan_id == planned.plan.plan_id
    assert kept.plan.summary == planned.plan.summary
    assert kept.settings == planned.settings
    assert [c.wire() for c in kept.changes] == [c.wire() for c in planned.changes]
    assert kept.package.promotion == planned.package.promotion
    assert kept.package.source is not None
    assert kept.package.source.workspace.name == "default"
    assert kept.package.target is not None
    assert kept.package.target.workspace.name == "prod"
    assert abs(kept.kept_until - planned.kept_until) < 60_000  # kept_until: from its making
    applied = services.route_plans.apply(scope, "test-prod", planned.plan.plan_id)
    services.imports.run(applied.prepared)
    with pytest.raises(PromotedMeanwhileError, match=f"task {applied.task_id}, SUCCESSFUL"):
        services.route_plans.kept(scope, "test-prod", planned.plan.plan_id)


def test_kept_refuses_a_plan_that_is_not_the_waiting_promotions(
    api: SignedClient, services: Services
) -> None:
    scope = _route(api, services)
    first = services.route_plans.plan(scope, "test-prod", {"onDrift": "TAKE_PACKAGE"})
    assert first.plan is not None
    services.route_plans.plan(scope, "test-prod", {})  # a newer promotion: the first is gone
    with pytest.raises(PlanStaleError, match="is not the plan of promotion"):
        services.route_plans.kept(scope, "test-prod", first.plan.plan_id)
    with pytest.raises(PlanStaleError, match="is not the plan of promotion"):
        services.route_plans.kept(scope, "test-prod", "0" * 32)


def test_the_planned_request_is_kept_with_the_promotion(
    api: SignedClient, services: Services
) -> None:
    scope = _route(api, services)
    planned = services.route_plans.plan(scope, "test-prod", {"mode": "PER_OBJECT"})
    assert planned.package.promotion is not None
    with services.db.transaction(readonly=True) as tx:
        item = route_repo.promotion(
            tx, scope.actor.project_id, "test-prod", planned.package.promotion.id
        )
    assert item is not None
    assert item.request is not None
    assert '"mode":"PER_OBJECT"' in item.request
    assert '"scheduling":"PAUSE_AND_RESTORE"' in item.request


def test_replan_plans_the_promotion_with_a_whole_request_that_apply_then_imports(
    api: SignedClient, services: Services
) -> None:
    scope = _route(api, services)
    first = services.route_plans.plan(scope, "test-prod", {})
    promotion = first.package.promotion
    assert promotion is not None
    request = ImportRequest(promotion.package_path, target_directory="/promoted").with_settings(
        first.settings
    )
    again = services.route_plans.replan(scope, "test-prod", promotion.id, request)
    assert again.plan is not None
    assert first.plan is not None
    assert again.plan.plan_id != first.plan.plan_id
    with pytest.raises(PlanStaleError):  # the first plan was made for another request
        services.route_plans.apply(scope, "test-prod", first.plan.plan_id)
    applied = services.route_plans.apply(scope, "test-prod", again.plan.plan_id)
    services.imports.run(applied.prepared)
    prod = admin_scope(services, applied.prepared.scope.workspace.id)
    assert services.jobs.show(prod, "daily_sales").directory.startswith("/promoted")


def test_replan_refuses_another_package(api: SignedClient, services: Services) -> None:
    scope = _route(api, services)
    promotion = services.route_plans.plan(scope, "test-prod", {}).package.promotion
    assert promotion is not None
    other = ImportRequest("upload://elsewhere")
    with pytest.raises(InvalidRequestError, match="plan that package"):
        services.route_plans.replan(scope, "test-prod", promotion.id, other)


def test_the_waiting_plan_is_the_newest_plan_of_the_waiting_promotion(
    api: SignedClient, services: Services
) -> None:
    scope = _route(api, services)
    assert services.route_plans.waiting_plan(scope, "test-prod") is None  # nothing planned
    first = services.route_plans.plan(scope, "test-prod", {})
    assert first.plan is not None
    assert services.route_plans.waiting_plan(scope, "test-prod") == first.plan.plan_id
    other = services.route_plans.plan(scope, "test-prod", {"onDrift": "KEEP_TARGET"})
    assert other.plan is not None
    assert services.route_plans.waiting_plan(scope, "test-prod") == other.plan.plan_id

    applied = services.route_plans.apply(scope, "test-prod", other.plan.plan_id)

    assert services.route_plans.waiting_plan(scope, "test-prod") is None  # imported
    services.imports.run(applied.prepared)


def test_a_waiting_plan_with_problems_is_no_importable_plan(
    api: SignedClient, services: Services
) -> None:
    scope = _route(api, services)
    clean = services.route_plans.plan(scope, "test-prod", {})
    assert clean.plan is not None
    assert services.route_plans.waiting_plan(scope, "test-prod", importable=True) == (
        clean.plan.plan_id
    )
    promotion = clean.package.promotion
    assert promotion is not None
    waiting = services.route_plans.waiting_plan(scope, "test-prod", promotion=promotion.id)
    assert waiting == clean.plan.plan_id
    assert services.route_plans.waiting_plan(scope, "test-prod", promotion="another") is None
    services.accounts.create_workspace(scope.actor, scope.actor.project_id, "bare")
    bare = {**ROUTE, "target": {"workspace": "bare"}}
    assert api.call("PUT", "/routes/test-bare", bare).status_code == 200
    lacking = services.route_plans.plan(scope, "test-bare", {})  # no connections there
    assert lacking.plan is not None
    assert lacking.plan.summary.problems
    assert services.route_plans.waiting_plan(scope, "test-bare") == lacking.plan.plan_id
    assert services.route_plans.waiting_plan(scope, "test-bare", importable=True) is None


def _promote(services: Services, scope: Scope, name: str) -> dict[tuple[str, str], str]:
    """Plan the route's promotion and import it; (kind, name) → action of what it changed
    (empty: nothing changed in the source, nothing planned)."""
    planned = services.route_plans.plan(scope, name, {})
    if planned.package.promotion is None:
        assert planned.plan is None
        return {}
    assert planned.plan is not None
    assert planned.plan.problems == ()
    applied = services.route_plans.apply(scope, name, planned.plan.plan_id)
    services.imports.run(applied.prepared)
    task = services.tasks.show(applied.prepared.scope, applied.task_id)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    return {
        (str(line.kind), line.name): str(line.action)
        for line in planned.plan.lines
        if line.action is not PlanAction.UNCHANGED
    }


def test_a_route_of_every_job_promotes_scripts_no_job_uses_each_time_they_change(
    services: Services,
) -> None:
    """dev-prod (ALL): the first promotion carries the unused script with the workspace; an
    edit of it, a new unused script and its deletion each travel in the next promotion,
    rather than "nothing changed" while the two workspaces differ."""
    dev = admin_scope(services)
    seed_workspace(services, dev)
    services.scripts.create(dev, make_script("orphan_sql"))
    prod = workspace(services, "prod")
    route = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}
    services.routes.put(dev, "dev-prod", {**route, "propagateDeletes": True})
    assert _promote(services, dev, "dev-prod")[("script", "orphan_sql")] == "CREATE"

    services.scripts.update(dev, "orphan_sql", make_script("orphan_sql", content="select 2;"))
    assert _promote(services, dev, "dev-prod") == {("script", "orphan_sql"): "OVERWRITE"}
    assert services.scripts.show(prod, "orphan_sql").document["content"] == "select 2;"

    services.scripts.create(dev, make_script("new_sql"))
    assert _promote(services, dev, "dev-prod") == {("script", "new_sql"): "CREATE"}

    services.scripts.delete(dev, "orphan_sql")
    assert _promote(services, dev, "dev-prod") == {("script", "orphan_sql"): "DELETE"}
    assert _promote(services, dev, "dev-prod") == {}  # now nothing changed


def test_a_promotion_of_scripts_alone_counts_them_not_zero_jobs(services: Services) -> None:
    dev = admin_scope(services)
    seed_workspace(services, dev)
    workspace(services, "prod")
    services.routes.put(dev, "dev-prod", {"source": {"workspace": "default"},
                                          "target": {"workspace": "prod"}})  # fmt: skip
    _promote(services, dev, "dev-prod")
    services.scripts.create(dev, make_script("orphan_sql"))  # no job uses them
    services.scripts.create(dev, make_script("orphan_sh", type="Shell", content="echo hi"))

    planned = services.route_plans.plan(dev, "dev-prod", {})
    promotion = planned.package.promotion
    assert promotion is not None
    assert (promotion.jobs, promotion.scripts, promotion.resources) == (0, 2, 0)
    assert planned.plan is not None
    applied = services.route_plans.apply(dev, "dev-prod", planned.plan.plan_id)
    task = services.tasks.show(applied.prepared.scope, applied.task_id)
    assert task.name.startswith("Promote along route dev-prod: 2 script(s), 0 deletion(s) ")
    services.imports.run(applied.prepared)
    [listed, _] = services.promotions.history(dev, "dev-prod")
    assert (listed.jobs, listed.scripts, listed.resources) == (0, 2, 0)


def test_apply_refuses_a_plan_past_its_kept_until_saying_to_plan_the_route_again(
    api: SignedClient, services: Services
) -> None:
    scope = _route(api, services)
    planned = services.route_plans.plan(scope, "test-prod", {})
    assert planned.plan is not None
    assert planned.kept_until is not None
    with held_clock(planned.kept_until + 1), pytest.raises(PlanStaleError) as refused:
        services.route_plans.apply(scope, "test-prod", planned.plan.plan_id)
    error = refused.value
    assert f"of route 'test-prod' expired: it was kept until {error.context['kept_until']}" in (
        error.message
    )
    assert abs(error.context["kept_until"] - planned.kept_until) < 60_000
    assert "POST /v1/{project_id}/routes/test-prod/plans" in error.message
    assert services.promotions.history(scope, "test-prod") == []


def test_a_promotion_whose_import_is_recorded_is_not_recorded_again(
    api: SignedClient, services: Services
) -> None:
    scope = _route(api, services)
    planned = services.route_plans.plan(scope, "test-prod", {})
    assert planned.plan is not None
    assert planned.package.promotion is not None
    applied = services.route_plans.apply(scope, "test-prod", planned.plan.plan_id)
    services.imports.run(applied.prepared)
    target = applied.prepared.scope
    # The same upload imported again by hand (nothing to write): recording that task on the
    # promotion would hide the import that wrote its jobs from the route's history and from
    # their provenance.
    again = run_import(services, target, planned.package.promotion.package_path)
    promotion_id = planned.package.promotion.id
    with pytest.raises(PromotedMeanwhileError, match=f"task {applied.task_id}, SUCCESSFUL"):
        services.promotions.record(scope, "test-prod", promotion_id, again.id)
    listed = services.promotions.history(scope, "test-prod")
    assert [(p.task_id, p.applied) for p in listed] == [(applied.task_id, True)]
    came_from = services.jobs.provenance(target, "daily_sales")
    assert came_from is not None
    assert came_from.route == "test-prod"
    # Its own import recorded again changes nothing.
    recorded = services.promotions.record(scope, "test-prod", promotion_id, applied.task_id)
    assert (recorded.task_id, recorded.plan_id) == (applied.task_id, planned.plan.plan_id)
    # Rolled back, it stays the promotion's import: promote again instead.
    services.rollback.rollback(target, applied.task_id)
    with pytest.raises(InvalidRequestError, match="has its import recorded already") as refused:
        services.promotions.record(scope, "test-prod", promotion_id, again.id)
    assert refused.value.context["task_id"] == applied.task_id
    listed = services.promotions.history(scope, "test-prod")
    assert [(p.task_id, p.rolled_back_at is not None) for p in listed] == [(applied.task_id, True)]
