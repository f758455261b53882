"""What a job's page says its workspace lacks (``services/definitions/presence.py``), found by
the generated definition stories."""

from __future__ import annotations

from jobferry.services.container import Services
from support.builders import make_job
from support.console import admin_scope


def test_a_job_of_its_own_workspace_named_as_another_s_is_said_missing(
    services: Services,
) -> None:
    scope = admin_scope(services)
    job = make_job("jb")
    own = [{"workSpace": scope.workspace.name, "jobName": "ja"}]
    job["schedule"]["cron"]["dependJobs"] = {"jobs": [], "otherWorkSpaceJobs": own}
    services.jobs.create(scope, job)

    missing = services.jobs.detail(scope, "jb").missing

    assert ("job", "ja") in missing
