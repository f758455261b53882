"""A scheduled job the import pauses and starts again (``services/importing/restarts.py``):
not when the version the import would submit has a schedule that could never run (a CRON one
without its cron expression, which a stopped job may be saved with, as DataArts saves it):
a problem of the plan, so that nothing is imported and the job runs on as it ran."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobferry.domain.enums import JobStatus, ObjectKind, PlanAction, ProblemReason, TargetStatus
from jobferry.services.container import Services
from jobferry.services.importing.model import PlannedObject
from jobferry.services.importing.request import ImportRequest, parse_import_request
from jobferry.services.importing.restarts import restart_problems
from jobferry.storage.importing.target import TargetObject
from support.builders import make_job, make_script
from support.console import add_connections, admin_scope
from support.packages import write_package

PAUSED = ImportRequest(path="upload://p")


def _paused(document: dict[str, Any]) -> PlannedObject:
    target = TargetObject("1", document["name"], "{}", "SCHEDULING", 1, 0, "uid-1")
    item = PlannedObject(ObjectKind.JOB, document["name"], "jobs/x.job", document,
                         action=PlanAction.OVERWRITE, target=target)  # fmt: skip
    item.pause = True
    return item


def test_a_paused_job_given_a_schedule_that_never_runs_is_a_problem_naming_the_field() -> None:
    unschedulable = _paused(make_job("daily_sales", schedule={"type": "CRON"}))

    [problem] = restart_problems(unschedulable, PAUSED, "prod")

    assert problem.reason is ProblemReason.INVALID_DEFINITION
    assert problem.detail.startswith("schedule.cron.expression: ")
    assert "'daily_sales' is scheduled in workspace 'prod'" in problem.detail
    assert "stop the job" in problem.fix
    saved = ImportRequest(path="upload://p", target_status=TargetStatus.SAVED)
    assert restart_problems(unschedulable, saved, "prod") == []  # the version it runs stays
    assert restart_problems(_paused(make_job("daily_sales")), PAUSED, "prod") == []


def test_an_import_does_not_start_a_job_again_on_a_schedule_that_never_runs(
    services: Services, tmp_path: Path
) -> None:
    scope = add_connections(services, admin_scope(services), "dws_conn", "ssh_conn")
    services.scripts.create(scope, make_script("daily_sales_sql"))
    services.jobs.create(scope, make_job("daily_sales"))
    services.jobs.start(scope, "daily_sales")
    package = write_package(
        tmp_path / "p.zip", [make_job("daily_sales", schedule={"type": "CRON"})]
    )
    with package.open("rb") as handle:
        path = services.imports.upload(scope, handle, package.name).path
    body = {"path": path, "sameNamePolicy": "OVERWRITE", "scheduling": "PAUSE_AND_RESTORE"}

    prepared = services.imports.prepare(scope, parse_import_request(body))
    services.imports.run(prepared)

    task = services.tasks.show(scope, prepared.task_id, subtasks=100)
    assert task.status == "FAILED", task.message
    assert "schedule.cron.expression" in str(task.outcome), task.outcome
    assert services.jobs.status(scope, "daily_sales").status is JobStatus.NORMAL  # runs on
    assert [
        v.version for v in services.comparisons.versions(scope, ObjectKind.JOB, "daily_sales")
    ] == [1]
    assert "cron" in services.jobs.show(scope, "daily_sales").document["schedule"]
