"""The jobs a rename rewrites, decided at plan time (``services.importing.rewrites``): the
target's own jobs using the old name and not written by the import are kept in the working set,
listed by the plan, rewritten by exactly that apply, and part of what the plan's fingerprint
covers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobferry.domain.enums import TaskStatus
from jobferry.package.reader import PackageReader
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.local import LocalWorkspace
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.planner import PlanContext, Planner
from jobferry.services.importing.request import parse_import_request
from jobferry.storage.importing.workset import Workset
from support.builders import make_job
from support.planning import (
    import_package,
    jobs_with_dependencies,
    overwriting,
    run_import,
    uid_of,
    upload,
    workspace,
    write_objects,
)


def _using_a_job(name: str) -> dict[str, Any]:
    """A job of the target's own that depends on ``a_job`` by name."""
    own = make_job(name)
    own["nodes"] = own["nodes"][:1]
    own["nodes"][0]["properties"][0]["value"] = "a_job_sql"
    own["schedule"]["cron"]["dependJobs"] = {"jobs": ["a_job"], "dependPeriod": "SAME_PERIOD"}
    return own


def _renamed(services: Services, tmp_path: Path) -> tuple[Scope, Path]:
    """A workspace holding a_job (imported) and two jobs of its own using it; the package
    that renames a_job to new_job."""
    scope = workspace(services, "prod")
    first = write_objects(tmp_path / "1.zip", jobs_with_dependencies(make_job("a_job")))
    import_package(services, scope, first)
    services.jobs.create(scope, _using_a_job("own_job"))
    services.jobs.create(scope, _using_a_job("another_job"))
    objects = jobs_with_dependencies(make_job("a_job"))
    objects[0] = ("job", "new_job", {**make_job("a_job"), "name": "new_job"})
    package = write_objects(tmp_path / "2.zip", objects, uids={"new_job": uid_of("job", "a_job")})
    return scope, package


def test_the_plan_keeps_the_target_s_own_jobs_using_a_renamed_job(
    services: Services, tmp_path: Path
) -> None:
    scope, package = _renamed(services, tmp_path)
    request = overwriting()
    with (
        PackageReader(package) as reader,
        Workset(None) as workset,
        services.db.transaction(readonly=True) as tx,
    ):
        target = LocalWorkspace(tx, scope).reader(lock_rows=False)
        outcome = Planner(PlanContext(target, scope, request, 200), reader, workset).run()
        kept = [name for users in workset.rewrites(1) for _, name in users]

    assert outcome.rewrites == 2
    assert kept == ["another_job", "own_job"]  # by name, a batch at a time


def test_the_kept_plan_lists_the_rewrites_and_the_apply_makes_exactly_them(
    services: Services, tmp_path: Path
) -> None:
    scope, package = _renamed(services, tmp_path)
    path = upload(services, scope, package)
    plan = services.imports.plan(
        scope, parse_import_request({"path": path, "sameNamePolicy": "OVERWRITE"})
    )
    assert isinstance(plan, Plan)
    assert (plan.rewrites, plan.rewrites_total) == (("another_job", "own_job"), 2)

    task = run_import(services, scope, path, planId=plan.plan_id)

    assert task.status is TaskStatus.SUCCESSFUL, task.message
    for name in ("own_job", "another_job"):
        depends = services.jobs.show(scope, name).document["schedule"]["cron"]["dependJobs"]
        assert depends["jobs"] == ["new_job"]


def test_a_job_to_rewrite_that_changed_since_the_plan_makes_it_stale(
    services: Services, tmp_path: Path
) -> None:
    scope, package = _renamed(services, tmp_path)
    path = upload(services, scope, package)
    plan = services.imports.plan(
        scope, parse_import_request({"path": path, "sameNamePolicy": "OVERWRITE"})
    )
    assert isinstance(plan, Plan)
    changed = {**_using_a_job("own_job"), "description": "changed since the plan"}
    services.jobs.update(scope, "own_job", changed)

    task = run_import(services, scope, path, planId=plan.plan_id)

    assert task.status is TaskStatus.FAILED
    assert "changed since plan" in task.message
    assert services.jobs.show(scope, "a_job").name == "a_job"  # nothing was imported


def test_a_plan_without_renames_rewrites_nothing(services: Services, tmp_path: Path) -> None:
    scope = workspace(services, "prod")
    path = upload(
        services, scope, write_objects(tmp_path / "1.zip", jobs_with_dependencies(make_job("a")))
    )
    plan = services.imports.plan(
        scope, parse_import_request({"path": path, "sameNamePolicy": "OVERWRITE"})
    )
    assert isinstance(plan, Plan)
    assert (plan.rewrites, plan.rewrites_total) == ((), 0)
