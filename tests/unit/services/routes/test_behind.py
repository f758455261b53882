"""What a route left behind (``services.routes.behind``): an object a promotion kept as the
target had it is offered again by every later promotion, shown as kept and why, until one
writes it; then the route says nothing changed. An object saved again as it was, or one whose
source version the target holds already, is not left behind, until the promotion that found
it so is rolled back."""

from __future__ import annotations

from typing import Any

from jobferry.domain.enums import ObjectKind, PlanAction, SkipReason, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.routes.behind import left_behind
from jobferry.services.routes.plans import RoutePlan
from jobferry.storage import exports as export_repo
from support.builders import make_script
from support.console import admin_scope
from support.console import seed as seed_workspace
from support.planning import workspace

ROUTE = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}


def _apply(services: Services, scope: Scope, planned: RoutePlan) -> dict[str, str]:
    """Import the planned promotion; job name → its action (unchanged ones left out)."""
    assert planned.plan is not None
    assert planned.plan.problems == ()
    applied = services.route_plans.apply(scope, "dev-prod", planned.plan.plan_id)
    services.imports.run(applied.prepared)
    task = services.tasks.show(applied.prepared.scope, applied.task_id)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    return _jobs(planned)


def _jobs(planned: RoutePlan) -> dict[str, str]:
    assert planned.plan is not None
    return {
        line.name: str(line.action)
        for line in planned.plan.lines
        if line.kind is ObjectKind.JOB and line.action is not PlanAction.UNCHANGED
    }


def _edit(services: Services, scope: Scope, name: str, **fields: Any) -> None:
    document = services.jobs.show(scope, name).document
    services.jobs.update(scope, name, {**document, **fields})


def _behind(services: Services, dev: Scope, prod: Scope) -> set[str]:
    with services.db.transaction(readonly=True) as tx:
        return left_behind(tx, dev.workspace.id, prod.workspace.id, ObjectKind.JOB)


def _sieved(services: Services, dev: Scope, prod: Scope) -> set[str]:
    """The jobs the sieve passes on to be compared: changed since their version landed."""
    with services.db.transaction(readonly=True) as tx:
        found = export_repo.unlanded(tx, dev.workspace.id, prod.workspace.id, ObjectKind.JOB)
    return {name for name, _, never in found if not never}


def _kept_in_prod(services: Services) -> tuple[Scope, Scope]:
    """dev-prod (every job, onDrift KEEP_TARGET) promoted once; then daily_sales hot-fixed in
    prod and both jobs changed in dev, and promoted again: prod kept its daily_sales (it
    drifted) and took weekly_sales."""
    dev = admin_scope(services)
    seed_workspace(services, dev, ("daily_sales", "weekly_sales"))
    prod = workspace(services, "prod")
    services.routes.put(dev, "dev-prod", {**ROUTE, "onDrift": "KEEP_TARGET"})
    _apply(services, dev, services.route_plans.plan(dev, "dev-prod", {}))
    assert _behind(services, dev, prod) == set()
    _edit(services, prod, "daily_sales", description="hot-fix in prod")
    _edit(services, dev, "daily_sales", description="v2")
    _edit(services, dev, "weekly_sales", description="v2")
    second = services.route_plans.plan(dev, "dev-prod", {})
    assert _apply(services, dev, second) == {"daily_sales": "SKIP", "weekly_sales": "OVERWRITE"}
    return dev, prod


def test_an_object_the_target_kept_is_offered_again_until_a_promotion_writes_it(
    services: Services,
) -> None:
    dev, prod = _kept_in_prod(services)
    assert _behind(services, dev, prod) == {"daily_sales"}

    # Nothing changed in dev since: the route still offers what prod kept, and says why.
    again = services.route_plans.plan(dev, "dev-prod", {})
    assert again.package.promotion is not None
    assert again.plan is not None
    [line] = [line for line in again.plan.lines if line.name == "daily_sales"]
    assert line.action is PlanAction.SKIP
    assert line.skip is not None
    assert line.skip.reason is SkipReason.KEPT_DRIFT
    assert _jobs(again) == {"daily_sales": "SKIP"}  # weekly_sales landed: not offered

    # Taking the package's version lands it; then nothing is left and nothing changed.
    taken = services.route_plans.plan(dev, "dev-prod", {"onDrift": "TAKE_PACKAGE"})
    assert _apply(services, dev, taken) == {"daily_sales": "OVERWRITE"}
    assert services.jobs.show(prod, "daily_sales").document["description"] == "v2"
    assert _behind(services, dev, prod) == set()
    assert services.route_plans.plan(dev, "dev-prod", {}).package.promotion is None


def test_an_object_saved_again_as_it_landed_is_not_left_behind(services: Services) -> None:
    dev, prod = _kept_in_prod(services)
    # weekly_sales saved again unchanged: newer than what landed, the same definition.
    assert "weekly_sales" not in _sieved(services, dev, prod)
    _edit(services, dev, "weekly_sales")
    assert "weekly_sales" in _sieved(services, dev, prod)  # compared, found as it landed
    assert _behind(services, dev, prod) == {"daily_sales"}
    # dev takes prod's hot-fix: the next promotion finds it unchanged and records that it
    # landed, so it is not offered again.
    _edit(services, dev, "daily_sales", description="hot-fix in prod")
    landed = services.route_plans.plan(dev, "dev-prod", {})
    assert _apply(services, dev, landed) == {}
    assert _behind(services, dev, prod) == set()
    assert services.route_plans.plan(dev, "dev-prod", {}).package.promotion is None


def test_a_route_of_names_offers_again_a_script_its_job_uses_and_no_other(
    services: Services,
) -> None:
    """dev-prod selects daily_sales: the script it uses, kept as prod hot-fixed it, is offered
    again although the job did not change since; weekly_sales's scripts, which never went to
    prod, are not the route's."""
    dev = admin_scope(services)
    seed_workspace(services, dev, ("daily_sales", "weekly_sales"))
    prod = workspace(services, "prod")
    selection = {"kind": "NAMES", "values": ["daily_sales"]}
    route = {**ROUTE, "selection": selection, "onDrift": "KEEP_TARGET"}
    services.routes.put(dev, "dev-prod", route)
    _apply(services, dev, services.route_plans.plan(dev, "dev-prod", {}))
    services.scripts.update(prod, "daily_sales_sql", make_script("daily_sales_sql", content="1;"))
    services.scripts.update(dev, "daily_sales_sql", make_script("daily_sales_sql", content="2;"))
    kept = services.route_plans.plan(dev, "dev-prod", {})
    _apply(services, dev, kept)
    assert _lines(kept) == {("script", "daily_sales_sql"): "SKIP"}  # weekly_sales's: not

    again = services.route_plans.plan(dev, "dev-prod", {})

    assert again.package.promotion is not None
    assert again.package.promotion.jobs == 0
    assert _lines(again) == {("script", "daily_sales_sql"): "SKIP"}


def _lines(planned: RoutePlan) -> dict[tuple[str, str], str]:
    assert planned.plan is not None
    return {
        (str(line.kind), line.name): str(line.action)
        for line in planned.plan.lines
        if line.action is not PlanAction.UNCHANGED
    }


def test_a_rolled_back_promotion_leaves_behind_again_what_it_found_landed(
    services: Services,
) -> None:
    """dev takes prod's hot-fix: the next promotion finds daily_sales unchanged and records
    that this version landed (its ledger row relinked); rolled back, the row names the version
    before again, so the route offers daily_sales again, as it did before that promotion
    (and weekly_sales, which the rollback put back to v2)."""
    dev, prod = _kept_in_prod(services)
    _edit(services, dev, "daily_sales", description="hot-fix in prod")
    _edit(services, dev, "weekly_sales", description="v3")
    planned = services.route_plans.plan(dev, "dev-prod", {})
    assert planned.plan is not None
    applied = services.route_plans.apply(dev, "dev-prod", planned.plan.plan_id)
    services.imports.run(applied.prepared)
    assert _jobs(planned) == {"weekly_sales": "OVERWRITE"}
    assert _behind(services, dev, prod) == set()

    services.rollback.rollback(prod, applied.task_id)

    assert _behind(services, dev, prod) == {"daily_sales", "weekly_sales"}
