"""A job or script asked by a name the workspace does not hold (``services/definitions/
lookup.py``): DataArts' "does not exist" error names the workspace's nearest name when one is
near enough, a case or a letter amiss, and none otherwise."""

from __future__ import annotations

import pytest

from jobferry.errors import JobNotFoundError, ScriptNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job, make_script
from support.console import admin_scope


@pytest.fixture
def scope(services: Services) -> Scope:
    scope = admin_scope(services)
    for name in ("daily_sales", "daily_costs", "weekly_sales"):
        services.jobs.create(scope, make_job(name))
    services.scripts.create(scope, make_script("load_orders_sql"))
    return scope


def _job_refusal(services: Services, scope: Scope, name: str) -> str:
    with pytest.raises(JobNotFoundError) as refused:
        services.jobs.show(scope, name)
    with pytest.raises(JobNotFoundError) as answered:  # the API's one-statement read
        services.jobs.show_answer(scope, name, lambda shown: b"")
    assert answered.value.message == refused.value.message
    return refused.value.message


@pytest.mark.parametrize(
    ("asked", "meant"),
    [("daily_sale", "daily_sales"), ("Daily_Sales", "daily_sales"), ("daily_cost", "daily_costs")],
)
def test_a_job_a_letter_or_a_case_amiss_is_refused_naming_the_one_meant(
    services: Services, scope: Scope, asked: str, meant: str
) -> None:
    said = _job_refusal(services, scope, asked)
    assert said == (
        f"The job does not exist: no job '{asked}' in workspace '{scope.workspace.name}'. "
        f"Did you mean '{meant}'? Check the name (names are case-sensitive) and the workspace."
    )


@pytest.mark.parametrize("asked", ["monthly_sales", "da%", "d_ily_sales_backfill_old", "日报"])
def test_a_name_near_none_is_refused_as_it_was(
    services: Services, scope: Scope, asked: str
) -> None:
    said = _job_refusal(services, scope, asked)
    assert "Did you mean" not in said
    assert said.endswith("Check the name (names are case-sensitive) and the workspace.")


def test_a_script_a_letter_amiss_is_refused_naming_the_one_meant(
    services: Services, scope: Scope
) -> None:
    with pytest.raises(ScriptNotFoundError) as refused:
        services.scripts.show(scope, "load_order_sql")
    assert "no script 'load_order_sql' in workspace" in refused.value.message
    assert "Did you mean 'load_orders_sql'?" in refused.value.message


def test_a_script_refusal_says_what_to_check_as_a_jobs_does(
    services: Services, scope: Scope
) -> None:
    with pytest.raises(ScriptNotFoundError) as refused:
        services.scripts.show(scope, "Load_Orders_SQL")
    assert refused.value.message == (
        f"The script does not exist: no script 'Load_Orders_SQL' in workspace "
        f"'{scope.workspace.name}'. Did you mean 'load_orders_sql'? Check the name (names are "
        "case-sensitive) and the workspace."
    )


def test_a_write_to_a_job_a_letter_amiss_names_the_one_meant_and_changes_nothing(
    services: Services, scope: Scope
) -> None:
    with pytest.raises(JobNotFoundError, match="Did you mean 'weekly_sales'"):
        services.jobs.update(scope, "weekly_sale", make_job("weekly_sale"))
    assert services.jobs.show(scope, "weekly_sales").document["name"] == "weekly_sales"
