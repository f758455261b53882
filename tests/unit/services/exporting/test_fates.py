"""What became of a job a name no longer finds (``services.exporting.fates``), read from a real
workspace's audit log and tombstones after real renames and deletions (SQLite and
PostgreSQL): renamed (following a chain of renames), deleted, renamed and then deleted, or
nothing for a name that never was."""

from __future__ import annotations

from jobferry.services.container import Services
from jobferry.services.exporting.fates import job_fates
from support.builders import make_job
from support.clock import dated, during
from support.console import admin_scope, seed


def fates(services: Services, *names: str) -> dict[str, str]:
    scope = admin_scope(services)
    with services.db.transaction(readonly=True) as tx:
        return job_fates(tx, scope.workspace.id, names)


def test_a_renamed_job_names_its_new_name_and_a_chain_is_followed(services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("daily_sales", "weekly_sales"))
    with during() as days:
        services.jobs.rename(scope, "daily_sales", "sales_daily")
        services.jobs.rename(scope, "sales_daily", "customers_daily")
    found = fates(services, "daily_sales", "sales_daily", "weekly_sales", "never_was")
    assert found.keys() == {"daily_sales", "sales_daily"}
    assert found["daily_sales"] in dated("renamed to customers_daily on {}", days)
    assert found["sales_daily"] == found["daily_sales"]


def test_a_deleted_job_says_when_and_a_renamed_then_deleted_one_says_both(
    services: Services,
) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("daily_sales", "weekly_sales"))
    with during() as days:
        services.jobs.delete(scope, "weekly_sales")
        services.jobs.rename(scope, "daily_sales", "customers_daily")
        services.jobs.delete(scope, "customers_daily")
    found = fates(services, "weekly_sales", "daily_sales")
    assert found.keys() == {"weekly_sales", "daily_sales"}
    assert found["weekly_sales"] in dated("deleted on {}", days)
    assert found["daily_sales"] in dated("renamed to customers_daily on {}, deleted on {}", days)


def test_the_latest_event_of_a_name_wins(services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("daily_sales",))
    with during() as days:
        services.jobs.rename(scope, "daily_sales", "customers_daily")
        # the old name is taken again by a new job, which is then deleted: that is its fate now
        services.jobs.create(scope, make_job("daily_sales"))
        services.jobs.delete(scope, "daily_sales")
    found = fates(services, "daily_sales")
    assert found.keys() == {"daily_sales"}
    assert found["daily_sales"] in dated("deleted on {}", days)


def test_no_names_ask_nothing(services: Services) -> None:
    assert fates(services) == {}


def test_a_chain_follows_the_job_not_a_later_job_of_the_same_name(services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("x_job", "c_job"))
    with during() as days:
        services.jobs.rename(scope, "x_job", "a_job")  # the job first named x_job
        services.jobs.rename(scope, "a_job", "b_job")  # … is b_job from now on
        services.jobs.rename(scope, "c_job", "a_job")  # another job takes the name a_job
        services.jobs.rename(scope, "a_job", "d_job")  # … and leaves it
    found = fates(services, "x_job", "c_job", "a_job")
    assert found["x_job"] in dated("renamed to b_job on {}", days)
    assert found["c_job"] in dated("renamed to d_job on {}", days)
    assert found["a_job"] in dated("renamed to d_job on {}", days)
