"""The job calls of the definitions service (``services/definitions/jobs.py``): a scheduled
job's state across an update, what keeps a job from being deleted; found by the generated
definition stories."""

from __future__ import annotations

from jobferry.domain.enums import JobStatus
from jobferry.services.container import Services
from support.builders import make_job
from support.console import admin_scope
from support.workspace_state import workspace_state


def test_a_scheduled_job_updated_to_real_time_is_reported_normal(services: Services) -> None:
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("ja"))
    services.jobs.start(scope, "ja")

    services.jobs.update(scope, "ja", make_job("ja", processType="REAL_TIME"))

    _, listed = services.jobs.list_jobs(
        scope, job_type="REAL_TIME", job_name=None, tags=None, limit=10, offset=0
    )
    assert [(job.name, job.status) for job in listed] == [("ja", JobStatus.NORMAL)]
    assert services.jobs.status(scope, "ja").status is JobStatus.NORMAL


def test_a_scheduled_real_time_job_updated_to_batch_is_reported_scheduling(
    services: Services,
) -> None:
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("ja", processType="REAL_TIME"))
    services.jobs.start(scope, "ja")

    services.jobs.update(scope, "ja", make_job("ja"))

    _, listed = services.jobs.list_jobs(
        scope, job_type="BATCH", job_name=None, tags=None, limit=10, offset=0
    )
    assert [(job.name, job.status) for job in listed] == [("ja", JobStatus.SCHEDULING)]


def test_a_job_calling_itself_as_a_sub_job_can_be_deleted(services: Services) -> None:
    """Only *other* jobs depending on a job keep it from being deleted."""
    scope = admin_scope(services)
    job = make_job("ja")
    job["nodes"].append(
        {
            "name": "again",
            "type": "SubJob",
            "location": {"x": "300", "y": "20"},
            "preNodeName": ["report"],
            "properties": [{"name": "subJobName", "value": "ja"}],
        }
    )
    services.jobs.create(scope, job)

    services.jobs.delete(scope, "ja")

    assert ("job", "ja") not in workspace_state(services, scope.workspace.id)
