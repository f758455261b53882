"""What became of a job a name no longer finds (``services.exporting.fates``), read from a real
workspace's audit log and tombstones after real renames and deletions (SQLite and
PostgreSQL): renamed (following a chain of renames), deleted, renamed and then deleted, or
nothing for a name that never was."""

from __future__ import annotations

from datetime import UTC, datetime

from jobferry.services.container import Services
from jobferry.services.exporting.fates import job_fates
from support.builders import make_job
from support.console import admin_scope, seed


def fates(services: Services, *names: str) -> dict[str, str]:
    scope = admin_scope(services)
    with services.db.transaction(readonly=True) as tx:
        return job_fates(tx, scope.workspace.id, names)


def today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_a_renamed_job_names_its_new_name_and_a_chain_is_followed(services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("daily_sales", "weekly_sales"))
    services.jobs.rename(scope, "daily_sales", "sales_daily")
    services.jobs.rename(scope, "sales_daily", "customers_daily")
    assert fates(services, "daily_sales", "sales_daily", "weekly_sales", "never_was") == {
        "daily_sales": f"renamed to customers_daily on {today()}",
        "sales_daily": f"renamed to customers_daily on {today()}",
    }


def test_a_deleted_job_says_when_and_a_renamed_then_deleted_one_says_both(
    services: Services,
) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("daily_sales", "weekly_sales"))
    services.jobs.delete(scope, "weekly_sales")
    services.jobs.rename(scope, "daily_sales", "customers_daily")
    services.jobs.delete(scope, "customers_daily")
    assert fates(services, "weekly_sales", "daily_sales") == {
        "weekly_sales": f"deleted on {today()}",
        "daily_sales": f"renamed to customers_daily on {today()}, deleted on {today()}",
    }


def test_the_latest_event_of_a_name_wins(services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("daily_sales",))
    services.jobs.rename(scope, "daily_sales", "customers_daily")
    # the old name is taken again by a new job, which is then deleted: that is its fate now
    services.jobs.create(scope, make_job("daily_sales"))
    services.jobs.delete(scope, "daily_sales")
    assert fates(services, "daily_sales") == {"daily_sales": f"deleted on {today()}"}


def test_no_names_ask_nothing(services: Services) -> None:
    assert fates(services) == {}
