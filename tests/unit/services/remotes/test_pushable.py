"""What a push would refuse is said by the plan into the remote's shadow
(``services/remotes/pushable.py``): a PER_OBJECT import (the remote is written all or nothing)
and renames that swap names in one import are the plan's problems, each with its fix; the
import still refuses them, and nothing reaches the remote."""

from __future__ import annotations

from pathlib import Path

from jobferry.domain.enums import ProblemReason, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from support.builders import make_job, make_resource, make_script
from support.planning import (
    import_package,
    jobs_with_dependencies,
    run_import,
    uid_of,
    upload,
    write_objects,
)
from support.standin import DataArtsStandin, held


def _plan(services: Services, shadow: Scope, package: Path, **options: str) -> Plan:
    remote = services.imports.deliveries.remote
    assert remote is not None
    remote.refresh_seconds = 3600  # planned at once, on the last refresh
    body = {"path": upload(services, shadow, package), "sameNamePolicy": "OVERWRITE", **options}
    plan = services.imports.plan(shadow, parse_import_request(body))
    assert isinstance(plan, Plan)
    return plan


def _swapped(tmp_path: Path) -> Path:
    """daily_sales and weekly_sales, each renamed in the source to the other's name."""
    uids = {
        "daily_sales": uid_of("job", "weekly_sales"),
        "weekly_sales": uid_of("job", "daily_sales"),
    }
    jobs = jobs_with_dependencies(make_job("daily_sales"), make_job("weekly_sales"))
    return write_objects(tmp_path / "swapped.zip", jobs, uids=uids)


def test_a_plan_that_swaps_two_job_names_in_a_remote_shows_each_rename_as_a_problem(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    jobs = jobs_with_dependencies(make_job("daily_sales"), make_job("weekly_sales"))
    import_package(services, shadow, write_objects(tmp_path / "first.zip", jobs))
    before = held(standin)
    plan = _plan(services, shadow, _swapped(tmp_path))
    problems = {(p.kind, p.name): p for p in plan.problems if p.reason is ProblemReason.REMOTE}
    assert set(problems) == {("job", "daily_sales"), ("job", "weekly_sales")}
    swap = problems[("job", "weekly_sales")]
    assert "the rename of job 'daily_sales' to 'weekly_sales'" in swap.detail
    assert "push the renames one import at a time" in swap.fix
    task = run_import(services, shadow, upload(services, shadow, _swapped(tmp_path)))
    assert task.status == TaskStatus.FAILED  # the import keeps its refusal
    assert held(standin) == before
    assert standin.refused() == []


def test_a_per_object_plan_into_a_remote_is_a_problem_of_the_package(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    before = held(standin)
    package = write_objects(tmp_path / "one.zip", jobs_with_dependencies(make_job("new_job")))
    plan = _plan(services, shadow, package, mode="PER_OBJECT")
    (problem,) = [p for p in plan.problems if p.reason is ProblemReason.REMOTE]
    assert problem.kind == "package"
    assert "remote 'prod' is written all or nothing" in problem.detail
    assert (problem.fix, problem.rule) == ("import with mode ATOMIC", "remote.atomic")
    assert not [p for p in _plan(services, shadow, package).problems]  # ATOMIC: none
    task = run_import(services, shadow, upload(services, shadow, package), mode="PER_OBJECT")
    assert task.status == TaskStatus.FAILED  # the import keeps its refusal
    assert "import with mode ATOMIC" in task.message
    assert held(standin) == before


def test_a_saved_only_plan_into_a_remote_is_a_problem_of_the_package(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """DataArts' job calls carry no target status: a push submits every job it writes (a
    scheduled job there would run the new version), so the shadow cannot keep it saved only."""
    before = held(standin)
    package = write_objects(tmp_path / "one.zip", jobs_with_dependencies(make_job("new_job")))
    plan = _plan(services, shadow, package, targetStatus="SAVED")
    (problem,) = [p for p in plan.problems if p.reason is ProblemReason.REMOTE]
    assert (problem.kind, problem.rule) == ("package", "remote.submits")
    assert "remote 'prod' submits every job a push writes" in problem.detail
    assert problem.fix == "import with targetStatus SUBMITTED (the default)"
    assert not [p for p in _plan(services, shadow, package).problems]  # SUBMITTED: none
    task = run_import(services, shadow, upload(services, shadow, package), targetStatus="SAVED")
    assert task.status == TaskStatus.FAILED  # the import keeps its refusal
    assert held(standin) == before
    assert standin.refused() == []


def test_a_plan_that_renames_a_script_and_a_resource_in_a_remote_shows_each_as_a_problem(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """DataArts' public API renames only jobs: the plan says so of each script and resource
    the source renamed, with the fix, and the import stops before any call to the remote."""
    jobs = jobs_with_dependencies(make_job("daily_sales"))
    import_package(services, shadow, write_objects(tmp_path / "first.zip", jobs))
    before = held(standin)
    uids = {
        "renamed_sql": uid_of("script", "daily_sales_sql"),
        "renamed_jar": uid_of("resource", "udf_jar"),
    }
    renamed = [
        ("script", "renamed_sql", make_script("renamed_sql")),
        ("resource", "renamed_jar", make_resource("renamed_jar")),
    ]
    package = write_objects(tmp_path / "renamed.zip", renamed, uids=uids)
    plan = _plan(services, shadow, package)
    problems = {(p.kind, p.name): p for p in plan.problems if p.reason is ProblemReason.REMOTE}
    assert set(problems) == {("script", "renamed_sql"), ("resource", "renamed_jar")}
    script = problems[("script", "renamed_sql")]
    assert "the rename of script 'daily_sales_sql' to 'renamed_sql' cannot be pushed" in (
        script.detail
    )
    assert "DataArts' public API renames only jobs" in script.detail
    assert script.fix.startswith("rename script 'daily_sales_sql' to 'renamed_sql' in DataArts")
    assert "rename resource 'udf_jar' to 'renamed_jar'" in problems[("resource", "renamed_jar")].fix
    standin.reset()
    task = run_import(services, shadow, upload(services, shadow, package))
    assert task.status == TaskStatus.FAILED
    assert "cannot be pushed" in task.message, task.message
    assert standin.writes() == []  # refused by its plan: no call written to the remote
    assert held(standin) == before
    assert standin.refused() == []
