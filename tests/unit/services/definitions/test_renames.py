"""A job's rename (``services/definitions/renames.py``): refusals found by the generated
definition stories."""

from __future__ import annotations

import pytest

from jobferry.errors import InUseError, ScheduleInvalidError
from jobferry.services.container import Services
from support.builders import make_job
from support.console import admin_scope
from support.definition_stories import ELSEWHERE, elsewhere_body
from support.workspace_state import definitions, workspace_state
from test_wording import api_terms


def test_a_rename_onto_the_name_of_a_job_it_depends_on_is_refused(services: Services) -> None:
    """Renamed 'jc', a job depending on 'jc' would depend on itself, which no save takes."""
    scope = admin_scope(services)
    job = make_job("jb")
    job["schedule"]["cron"]["dependJobs"] = {"jobs": ["jc"]}
    services.jobs.create(scope, job)
    before = definitions(workspace_state(services, scope.workspace.id))

    with pytest.raises(ScheduleInvalidError) as refused:
        services.jobs.rename(scope, "jb", "jc")

    assert refused.value.code == "DLF.3025"
    assert "Job 'jb' depends on job 'jc'" in str(refused.value)
    assert definitions(workspace_state(services, scope.workspace.id)) == before


def test_a_dependent_naming_its_own_workspace_as_another_follows_the_rename(
    services: Services,
) -> None:
    """jb depends on ja through the form for another workspace's jobs, naming its own: it is
    a job of the workspace depending on ja, so it follows, as the others do."""
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("ja"))
    jb = make_job("jb")
    own = [{"workSpace": scope.workspace.name, "jobName": "ja"}]
    jb["schedule"]["cron"]["dependJobs"] = {"jobs": [], "otherWorkSpaceJobs": own}
    services.jobs.create(scope, jb)

    assert services.jobs.rename(scope, "ja", "jz").dependents == ["jb"]

    depend = services.jobs.show(scope, "jb").document["schedule"]["cron"]["dependJobs"]
    assert depend["otherWorkSpaceJobs"] == [{"workSpace": scope.workspace.name, "jobName": "jz"}]
    shown = services.jobs.show(scope, "jz", dependencies=True)
    assert [d.job_name for d in shown.downstream or ()] == ["jb"]


def test_a_dependent_naming_its_own_workspace_by_id_follows_the_rename(
    services: Services,
) -> None:
    """jb names its own workspace by its id alone (``workSpaceId``): it follows too."""
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("ja"))
    jb = make_job("jb")
    own = [{"workSpaceId": scope.workspace.id, "jobName": "ja"}]
    jb["schedule"]["cron"]["dependJobs"] = {"jobs": [], "otherWorkSpaceJobs": own}
    services.jobs.create(scope, jb)

    assert services.jobs.rename(scope, "ja", "jz").dependents == ["jb"]

    depend = services.jobs.show(scope, "jb").document["schedule"]["cron"]["dependJobs"]
    assert depend["otherWorkSpaceJobs"] == [{"workSpaceId": scope.workspace.id, "jobName": "jz"}]
    shown = services.jobs.show(scope, "jz", dependencies=True)
    assert [d.job_name for d in shown.downstream or ()] == ["jb"]


def test_a_rename_of_a_job_other_workspaces_depend_on_names_them_in_plain_words(
    services: Services,
) -> None:
    """The refusal names each dependent with its workspace, and its fix is one the command
    line and the console print as it is: no API field in it."""
    scope = admin_scope(services)
    admin = scope.actor
    other = admin_scope(
        services, services.accounts.create_workspace(admin, admin.project_id, "ops")
    )
    services.jobs.create(scope, make_job("ja"))
    services.jobs.create(other, elsewhere_body(scope.workspace.name, "ja"))
    before = definitions(workspace_state(services, scope.workspace.id))

    with pytest.raises(InUseError) as refused:
        services.jobs.rename(scope, "ja", "jz")

    said = str(refused.value)
    assert f"ops/{ELSEWHERE}" in said
    assert "remove their dependency on it first" in said
    assert api_terms(said) == []
    assert definitions(workspace_state(services, scope.workspace.id)) == before
