"""The import planner, called directly (no HTTP): actions, problems and the apply order.

Each test streams a package written by jobferry's own writer and plans it into a workspace of
the ``services`` fixture's database (SQLite and PostgreSQL), inside one read transaction, as
the import service does; the plan's lines are read back from its working set in plan order.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from jobferry.domain.enums import (
    EnvironmentKind,
    ImportMode,
    ObjectKind,
    PlanAction,
    ProblemReason,
    SameNamePolicy,
    TargetStatus,
)
from jobferry.domain.profile import parse_time_zone_move
from jobferry.errors import UnknownJobsParamError
from jobferry.package.folder import FolderObject, pack
from jobferry.package.reader import read_package
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.request import ImportRequest
from jobferry.services.importing.transform import Transform, transform_object
from support.builders import make_job, make_script
from support.console import add_connections, admin_scope
from support.packages import objects_for, write_package
from support.planning import create_what_jobs_use, plan_of


@pytest.fixture
def scope(services: Services) -> Scope:
    """The default workspace, with the connections the package's jobs use."""
    return add_connections(services, admin_scope(services), "dws_conn", "ssh_conn")


def test_an_empty_workspace_gets_everything_created_dependencies_first(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    upstream = make_job("load_orders")
    downstream = make_job("daily_sales")
    downstream["schedule"]["cron"]["dependJobs"] = {
        "jobs": ["load_orders"],
        "dependPeriod": "SAME_PERIOD",
    }
    package = write_package(tmp_path / "p.zip", [downstream, upstream])

    plan = plan_of(services, scope, package)

    assert plan.problems == []
    assert plan.actions() == [
        ("script", "daily_sales_sh", "CREATE"),
        ("script", "daily_sales_sql", "CREATE"),
        ("script", "load_orders_sh", "CREATE"),
        ("script", "load_orders_sql", "CREATE"),
        ("resource", "udf_jar", "CREATE"),
        ("job", "load_orders", "CREATE"),
        ("job", "daily_sales", "CREATE"),
    ]
    assert plan.counts() == {
        "CREATE": 7,
        "OVERWRITE": 0,
        "SKIP": 0,
        "UNCHANGED": 0,
        "RENAME": 0,
        "DELETE": 0,
    }


def test_the_same_definitions_plan_unchanged_and_a_changed_one_overwrites_with_its_diff(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    package = write_package(tmp_path / "p.zip")
    create_what_jobs_use(services, scope, package)
    services.jobs.create(scope, make_job("daily_sales", description="as in the target"))

    plan = plan_of(services, scope, package, same_name_policy=SameNamePolicy.OVERWRITE)

    assert plan.line("daily_sales_sql")["action"] == PlanAction.UNCHANGED
    assert plan.line("udf_jar")["action"] == PlanAction.UNCHANGED
    job = plan.line("daily_sales")
    assert job["action"] == PlanAction.OVERWRITE
    assert [c["path"] for c in job["diff"]] == ["description"]
    assert job["diff"][0]["before"] == "as in the target"


def test_skip_policy_keeps_what_differs(services: Services, scope: Scope, tmp_path: Path) -> None:
    services.scripts.create(scope, make_script("daily_sales_sql", content="select 2"))
    package = write_package(tmp_path / "p.zip")

    plan = plan_of(services, scope, package, same_name_policy=SameNamePolicy.SKIP)

    assert ("script", "daily_sales_sql", "SKIP") in plan.actions()
    assert plan.problems == []


def test_jobs_param_naming_a_job_the_package_lacks_is_refused_naming_it(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    package = write_package(tmp_path / "p.zip")
    asked = {"daily_sales": {"day": "mon"}, "daily_sale": {"day": "tue"}, "zz": {}}

    with pytest.raises(UnknownJobsParamError) as refused:
        plan_of(services, scope, package, jobs_param=asked)

    assert refused.value.code == "DLF.9092"
    assert refused.value.context["jobs"] == ["daily_sale", "zz"]
    assert "jobsParam names 'daily_sale', 'zz'" in refused.value.message


def test_a_scheduled_target_job_is_a_problem_naming_how_to_stop_it(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    package = write_package(tmp_path / "p.zip")
    create_what_jobs_use(services, scope, package)
    services.jobs.create(scope, make_job("daily_sales", description="older"))
    services.jobs.start(scope, "daily_sales")

    plan = plan_of(services, scope, package, same_name_policy=SameNamePolicy.OVERWRITE)

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
    # what the manifest says the source's connection is: a fix registers one so
    by_name = {p.name: p for p in missing}
    assert by_name["dws_conn"].needs == ("DWS", ("password",))
    assert by_name["ssh_conn"].needs is None  # the manifest says neither type nor secrets
    renamed = plan_of(
        services, bare, package, renames={(EnvironmentKind.CONNECTION, "dws_conn"): "dws_prod"}
    )
    [prod] = [p for p in renamed.problems if p.name == "dws_prod"]
    assert prod.needs == ("DWS", ("password",))  # the name the import writes, the source's type


def _folder_package(path: Path, job: dict[str, Any]) -> Path:
    """The package ``apply -f`` packs of a folder holding ``job`` and what it uses."""
    objects = [
        FolderObject(ObjectKind(kind), name, f"{kind}s/{name}.json", document)
        for kind, name, document in objects_for(job)
    ]
    with path.open("wb") as out:
        pack(objects, out)
    return path


def test_a_folder_a_package_without_manifest_and_an_exported_one_give_the_same_problems(
    services: Services, tmp_path: Path
) -> None:
    """A script's connection is checked from the script, not from the manifest's
    requirements, which a folder's package and ``export --no-manifest`` leave empty: the
    missing connection is used by the job and by both scripts whatever the package."""
    admin = admin_scope(services)
    bare = admin_scope(
        services, services.accounts.create_workspace(admin.actor, admin.actor.project_id, "bare")
    )
    exported = write_package(tmp_path / "exported.zip")
    bare_zip = write_package(tmp_path / "bare.zip", with_manifest=False)
    folder = _folder_package(tmp_path / "folder.zip", make_job("daily_sales"))

    planned = [plan_of(services, bare, p).problems for p in (exported, bare_zip, folder)]

    # the same problems, but for what the exported package's manifest says its connection is
    assert [replace(p, needs=None) for p in planned[0]] == list(planned[1]) == list(planned[2])
    by_name = {p.name: p for p in planned[0]}
    assert set(by_name) == {"dws_conn", "ssh_conn"}
    dws = by_name["dws_conn"]
    assert dws.reason is ProblemReason.MISSING_REFERENCE
    assert dws.used_by == (
        ("script", "daily_sales_sh"),
        ("script", "daily_sales_sql"),
        ("job", "daily_sales"),
    )
    assert "3 object(s) use it" in dws.detail
    assert by_name["ssh_conn"].used_by == (("job", "daily_sales"),)


def test_an_invalid_definition_and_a_dependency_cycle_are_both_found(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    a, b = make_job("job_a"), make_job("job_b")
    a["schedule"]["cron"]["dependJobs"] = {"jobs": ["job_b"], "dependPeriod": "SAME_PERIOD"}
    b["schedule"]["cron"]["dependJobs"] = {"jobs": ["job_a"], "dependPeriod": "SAME_PERIOD"}
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

    assert plan.line("daily_sales")["action"] == PlanAction.CREATE
    stored = plan.records["daily_sales"].text
    assert stored is not None
    assert orjson.loads(stored)["directory"] == "/prod"


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


def test_a_job_read_before_the_scripts_it_uses_still_finds_them_in_the_package(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    # jobs/ sorts before scripts/: every script reference is pending until the package is read.
    package = write_package(tmp_path / "p.zip", [make_job(f"job_{i}") for i in range(3)])

    plan = plan_of(services, scope, package)

    assert plan.problems == []
    assert plan.counts()["CREATE"] == 10


def test_a_reference_neither_the_package_nor_the_target_has_is_found_at_the_end(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    job = make_job("orphan")
    job["nodes"][0]["properties"][0]["value"] = "no_such_sql"
    package = write_package(tmp_path / "p.zip", [job])

    plan = plan_of(services, scope, package)

    [problem] = plan.problems
    assert problem.reason is ProblemReason.MISSING_REFERENCE
    assert problem.reference == ("script", "no_such_sql")
    assert "problems" in plan.line("orphan")


def test_per_object_mode_fails_a_job_with_its_invalid_upstream_and_keeps_the_rest(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    broken = make_job("upstream", processType="SOMETIMES")
    downstream = make_job("downstream")
    downstream["schedule"]["cron"]["dependJobs"] = {
        "jobs": ["upstream"],
        "dependPeriod": "SAME_PERIOD",
    }
    package = write_package(tmp_path / "p.zip", [downstream, broken, make_job("alone")])

    plan = plan_of(services, scope, package, mode=ImportMode.PER_OBJECT)

    failing = {
        plan.lines[plan.outcome.order.index(seq)]["name"]: why
        for seq, why in plan.outcome.failing.items()
    }
    assert set(failing) == {"upstream", "downstream"}
    assert "it needs job 'upstream' of the package" in failing["downstream"]


def test_a_cycle_through_a_job_the_package_leaves_unchanged_is_found(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    package = write_package(tmp_path / "p.zip", [make_job("a_job"), make_job("b_job")])
    create_what_jobs_use(services, scope, package)
    unchanged = make_job("b_job")
    unchanged["schedule"]["cron"]["dependJobs"] = {"jobs": ["a_job"], "dependPeriod": "SAME_PERIOD"}
    services.jobs.create(scope, make_job("a_job", description="older"))
    services.jobs.create(scope, unchanged)
    looping = make_job("a_job")
    looping["schedule"]["cron"]["dependJobs"] = {"jobs": ["b_job"], "dependPeriod": "SAME_PERIOD"}
    package = write_package(tmp_path / "q.zip", [looping, unchanged])

    plan = plan_of(services, scope, package, same_name_policy=SameNamePolicy.OVERWRITE)

    assert plan.line("b_job")["action"] == PlanAction.UNCHANGED
    [problem] = plan.problems
    assert problem.reason is ProblemReason.DEPENDENCY_CYCLE
    assert problem.name == "a_job"
    assert "a_job → b_job" in problem.detail or "b_job → a_job" in problem.detail


def test_jobs_upstream_of_the_target_s_own_still_go_upstream_first(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    outside = make_job("kept_job")
    package = write_package(tmp_path / "p.zip", [outside])
    create_what_jobs_use(services, scope, package)
    services.jobs.create(scope, outside)
    alpha, zeta = make_job("alpha_job"), make_job("zeta_job")
    alpha["schedule"]["cron"]["dependJobs"] = {"jobs": ["zeta_job"], "dependPeriod": "SAME_PERIOD"}
    zeta["schedule"]["cron"]["dependJobs"] = {"jobs": ["kept_job"], "dependPeriod": "SAME_PERIOD"}
    package = write_package(tmp_path / "q.zip", [alpha, zeta])

    plan = plan_of(services, scope, package)

    assert plan.problems == []
    jobs = [name for kind, name, _ in plan.actions() if kind == "job"]
    assert jobs == ["zeta_job", "alpha_job"]  # by name alone it would be the other way round


def test_the_problems_a_plan_lists_stop_at_a_thousand_but_every_one_is_counted(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    jobs = [make_job(f"bad_{i:04d}", processType="SOMETIMES") for i in range(1100)]
    package = write_package(tmp_path / "p.zip", jobs)

    plan = plan_of(services, scope, package)

    assert plan.outcome.problems_total >= 1100
    assert len(plan.problems) == 1000
    assert plan.head()["problemsShown"] == 1000
