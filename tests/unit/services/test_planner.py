"""The import planner, called directly (no HTTP): actions, problems and the apply order.

Each test reads a package written by jobferry's own writer and plans it into a workspace of
the ``services`` fixture's database (SQLite and PostgreSQL), inside one read transaction, as
the import service does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.enums import ObjectKind, PlanAction, ProblemReason, TargetStatus
from jobferry.domain.profile import parse_time_zone_move
from jobferry.package.reader import read_package
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.model import Plan
from jobferry.services.importing.planner import build_plan
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.transform import Transform, transform_object
from support.builders import make_job, make_script
from support.console import admin_scope
from support.packages import write_package


@pytest.fixture
def scope(services: Services) -> Scope:
    """The default workspace, with the connections the package's jobs use."""
    target = admin_scope(services)
    for name in ("dws_conn", "ssh_conn"):
        body = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
        services.environment.put(target, "connection", name, body)
    return target


def plan_of(
    services: Services,
    scope: Scope,
    package: Path,
    **options: Any,
) -> Plan:
    """Plan ``package`` into the scope's workspace with an import request of ``options``."""
    read = read_package(package)
    request = ImportRequest(path="upload://test", **options)
    with services.db.transaction(readonly=True) as tx:
        return build_plan(tx, scope, list(read.objects), request, max_nodes=200, package=read)


def create_what_jobs_use(services: Services, scope: Scope, package: Path) -> None:
    """The package's scripts and resources, created in the scope's workspace as they are."""
    for obj in read_package(package).objects:
        if obj.kind == ObjectKind.SCRIPT:
            services.scripts.create(scope, dict(obj.document))
        elif obj.kind == ObjectKind.RESOURCE:
            services.resources.create(scope, dict(obj.document))


def actions(plan: Plan) -> list[tuple[str, str, str]]:
    """(kind, name, action) of every planned object, in the plan's order."""
    return [(str(o.kind), o.name, str(o.action)) for o in plan.objects]


def test_an_empty_workspace_gets_everything_created_dependencies_first(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    upstream = make_job("load_orders")
    downstream = make_job("daily_sales")
    downstream["schedule"]["cron"]["dependJobs"] = {"jobs": ["load_orders"], "dependPeriod": "SAME"}
    package = write_package(tmp_path / "p.zip", [downstream, upstream])

    plan = plan_of(services, scope, package)

    assert plan.problems == []
    assert actions(plan) == [
        ("script", "daily_sales_sh", "CREATE"),
        ("script", "daily_sales_sql", "CREATE"),
        ("script", "load_orders_sh", "CREATE"),
        ("script", "load_orders_sql", "CREATE"),
        ("resource", "udf_jar", "CREATE"),
        ("job", "load_orders", "CREATE"),
        ("job", "daily_sales", "CREATE"),
    ]
    assert plan.counts() == {"CREATE": 7, "OVERWRITE": 0, "SKIP": 0, "UNCHANGED": 0}


def test_the_same_definitions_plan_unchanged_and_a_changed_one_overwrites_with_its_diff(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    package = write_package(tmp_path / "p.zip")
    create_what_jobs_use(services, scope, package)
    services.jobs.create(scope, make_job("daily_sales", description="as in the target"))

    plan = plan_of(services, scope, package, same_name_policy="OVERWRITE")

    by_name = {o.name: o for o in plan.objects}
    assert by_name["daily_sales_sql"].action is PlanAction.UNCHANGED
    assert by_name["udf_jar"].action is PlanAction.UNCHANGED
    job = by_name["daily_sales"]
    assert job.action is PlanAction.OVERWRITE
    assert [c.path for c in job.changes] == ["description"]
    assert job.as_json()["diff"][0]["before"] == "as in the target"


def test_skip_policy_keeps_what_differs(services: Services, scope: Scope, tmp_path: Path) -> None:
    services.scripts.create(scope, make_script("daily_sales_sql", content="select 2"))
    package = write_package(tmp_path / "p.zip")

    plan = plan_of(services, scope, package, same_name_policy="SKIP")

    assert ("script", "daily_sales_sql", "SKIP") in actions(plan)
    assert plan.problems == []


def test_a_scheduled_target_job_is_a_problem_naming_how_to_stop_it(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    package = write_package(tmp_path / "p.zip")
    create_what_jobs_use(services, scope, package)
    services.jobs.create(scope, make_job("daily_sales", description="older"))
    services.jobs.start(scope, "daily_sales")

    plan = plan_of(services, scope, package, same_name_policy="OVERWRITE")

    [problem] = plan.problems
    assert problem.reason is ProblemReason.SCHEDULED
    assert (problem.kind, problem.name) == ("job", "daily_sales")
    assert "stop it" in problem.fix


def test_a_missing_connection_is_reported_with_the_reference_to_map(
    services: Services, tmp_path: Path
) -> None:
    bare = services.accounts.scope(
        admin_scope(services).actor,
        admin_scope(services).actor.project_id,
        services.accounts.create_workspace(
            admin_scope(services).actor, admin_scope(services).actor.project_id, "bare"
        ),
    )
    package = write_package(tmp_path / "p.zip")

    plan = plan_of(services, bare, package)

    missing = [p for p in plan.problems if p.reason is ProblemReason.MISSING_REFERENCE]
    assert {p.reference for p in missing} >= {("connection", "dws_conn")}
    assert all(p.fix for p in missing)


def test_an_invalid_definition_and_a_dependency_cycle_are_both_found(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    a, b = make_job("job_a"), make_job("job_b")
    a["schedule"]["cron"]["dependJobs"] = {"jobs": ["job_b"], "dependPeriod": "SAME"}
    b["schedule"]["cron"]["dependJobs"] = {"jobs": ["job_a"], "dependPeriod": "SAME"}
    broken = make_job("job_c", processType="SOMETIMES")
    package = write_package(tmp_path / "p.zip", [a, b, broken])

    plan = plan_of(services, scope, package)

    reasons = {(str(p.reason), p.name) for p in plan.problems}
    assert ("invalid_definition", "job_c") in reasons
    assert any(reason == "dependency_cycle" for reason, _ in reasons)


def test_target_status_and_directory_do_not_change_actions_but_directory_lands_on_creates(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    package = write_package(tmp_path / "p.zip")

    plan = plan_of(
        services, scope, package, target_status=TargetStatus.SAVED, target_directory="/prod"
    )

    job = next(o for o in plan.objects if o.kind is ObjectKind.JOB)
    assert job.action is PlanAction.CREATE
    assert job.document["directory"] == "/prod"


def test_the_transform_is_pure_and_moves_schedules_with_their_firings(tmp_path: Path) -> None:
    package = read_package(write_package(tmp_path / "p.zip"))
    job = next(o for o in package.objects if o.kind == ObjectKind.JOB)
    problems: list[str] = []
    move = parse_time_zone_move({"zone": "Asia/Tokyo", "mode": "keepWallClock"}, "tz", problems)
    assert problems == []
    transform = Transform(ImportRequest(path="(offline)", time_zone=move), None)

    item = transform_object(transform, job)

    assert item.kind is ObjectKind.JOB
    assert item.problems == []
    assert item.document["schedule"]["cron"]["expressionTimeZone"] == "Asia/Tokyo"
    assert [s.field for s in item.schedule] == ["schedule.cron"]
