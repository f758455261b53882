"""Since when a route's next package carries the source's changes (``carried_until``): the
newest applied promotion's snapshot, unless a promotion rolled back or failed carried changes
no later applied one carried again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from jobferry.domain.enums import TaskStatus
from jobferry.services.container import Services
from jobferry.services.routes.promote import Promotion, carried_until
from jobferry.storage import remotes as remote_repo
from support.builders import make_job, make_script
from support.console import admin_scope
from support.console import seed as seed_workspace
from support.planning import workspace
from support.standin import DataArtsStandin, remote_shadow


def promotion(since: int | None, snapshot: int, status: str = "ok") -> Promotion:
    """A promotion carrying the changes after ``since`` up to ``snapshot``: applied ("ok"),
    rolled back ("rolled back") or whose import failed ("failed")."""
    task = TaskStatus.FAILED if status == "failed" else TaskStatus.SUCCESSFUL
    return Promotion(
        id=f"p{snapshot}",
        route="test-prod",
        route_version=1,
        snapshot_at=snapshot,
        since=since,
        package_path=f"upload://{snapshot}",
        package_sha256="0" * 64,
        jobs=1,
        deletions=0,
        scripts=0,
        resources=0,
        plan_id="plan",
        task_id=f"t{snapshot}",
        task_status=task,
        rolled_back_at=snapshot + 1 if status == "rolled back" else None,
        rolled_back_by="admin" if status == "rolled back" else None,
        created_at=snapshot,
        created_by="admin",
    )


def test_nothing_applied_yet_carries_everything() -> None:
    assert carried_until([]) is None
    assert carried_until([promotion(None, 10, "failed")]) is None


def test_the_newest_applied_snapshot_when_every_promotion_took() -> None:
    assert carried_until([promotion(20, 30), promotion(10, 20), promotion(None, 10)]) == 30


def test_the_newest_promotion_rolled_back_goes_back_to_the_one_before() -> None:
    chain = [promotion(20, 30, "rolled back"), promotion(10, 20), promotion(None, 10)]
    assert carried_until(chain) == 20


def test_an_older_promotion_rolled_back_after_later_ones_travels_again() -> None:
    chain = [promotion(30, 40), promotion(20, 30), promotion(10, 20, "rolled back")]
    assert carried_until([*chain, promotion(None, 10)]) == 10


def test_a_later_promotion_that_carried_its_changes_again_closes_the_gap() -> None:
    again = promotion(10, 50)  # made after the rollback: from before the rolled-back one
    chain = [again, promotion(30, 40), promotion(20, 30), promotion(10, 20, "rolled back")]
    assert carried_until([*chain, promotion(None, 10)]) == 50


def test_a_failed_import_is_carried_by_the_next_package() -> None:
    chain = [promotion(10, 30), promotion(10, 20, "failed"), promotion(None, 10)]
    assert carried_until(chain) == 30


def test_the_first_promotion_rolled_back_carries_everything_again() -> None:
    assert carried_until([promotion(10, 20), promotion(None, 10, "rolled back")]) is None


def test_a_source_that_is_a_remotes_shadow_is_refreshed_before_the_package_is_cut(
    services: Services,
) -> None:
    # DataArts to DataArts: the source is the shadow of one DataArts workspace, the target the
    # shadow of another; nobody refreshed the source by hand
    standin = DataArtsStandin()
    standin.workspace.put_job(make_job("daily_sales"))
    standin.workspace.put_script(make_script("daily_sales_sql"))
    remote_shadow(services, standin, "prod", workspace="prod-ws")
    test = remote_shadow(services, standin, "test")
    standin.workspace.put_job(make_job("weekly_sales"))  # after the shadow's last refresh
    admin = admin_scope(services)
    route = {"source": {"workspace": "test"}, "target": {"workspace": "prod"}}
    services.routes.put(admin, "test-prod", route)
    standin.reset()

    cut = services.promotions.package(admin, "test-prod")

    assert "list_jobs" in standin.calls()  # the source read first
    assert cut.promotion is not None
    assert cut.promotion.jobs == 2  # weekly_sales, made in DataArts since, is carried too
    with services.db.transaction(readonly=True) as tx:
        assert set(remote_repo.job_statuses(tx, test.workspace.id)) == {
            "daily_sales",
            "weekly_sales",
        }


def _selects(services: Services, read: Callable[[], object]) -> int:
    """How many SELECT statements ``read`` sends."""
    sent: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    sa.event.listen(services.db.engine, "before_cursor_execute", note)
    try:
        read()
    finally:
        sa.event.remove(services.db.engine, "before_cursor_execute", note)
    return len(sent)


def test_a_routes_history_is_read_in_as_many_queries_however_long_it_is(
    services: Services,
) -> None:
    # Every plan of a route reads its history: two queries a promotion made the hundredth
    # promotion plan slower than the first.
    dev = admin_scope(services)
    seed_workspace(services, dev)
    workspace(services, "prod")
    route = {"source": {"workspace": "default"}, "target": {"workspace": "prod"}}
    services.routes.put(dev, "test-prod", route)
    counts = []
    for n in range(4):
        services.scripts.update(
            dev, "daily_sales_sql", make_script("daily_sales_sql", content=f"select {n};")
        )
        planned = services.route_plans.plan(dev, "test-prod", {})
        assert planned.plan is not None
        services.imports.run(
            services.route_plans.apply(dev, "test-prod", planned.plan.plan_id).prepared
        )
        counts.append(_selects(services, lambda: services.promotions.history(dev, "test-prod")))
    listed = services.promotions.history(dev, "test-prod")
    assert len(listed) == 4
    assert counts[0] == counts[-1]
    # a page of it, and how many there are in all
    assert services.promotions.history(dev, "test-prod", 2, 1) == listed[1:3]
    assert services.promotions.listed(dev, "test-prod") == 4
