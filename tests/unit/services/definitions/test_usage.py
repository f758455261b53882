"""Which jobs use an object (``services/definitions/usage.py``): by their development state or by
their latest submitted version alone, so that a script, resource or connection a scheduled job
still runs is not deleted from under it (DataArts counts job versions among a script's
references)."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.domain.enums import RefKind
from jobferry.errors import InUseError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.usage import SHOWN, users_of
from jobferry.storage import scripts as script_repo
from support.builders import make_job, make_resource, make_script
from support.console import admin_scope
from support.planning import workspace

SUBMITTED = {"targetStatus": "SUBMITTED"}
SAVED = {"targetStatus": "SAVED"}


def _scripts(services: Services, scope: Scope, *names: str) -> None:
    for name in names:
        services.scripts.create(scope, make_script(name))


def _job_running(services: Services, scope: Scope, name: str, script: str) -> dict[str, Any]:
    """A job submitted while its first node runs ``script``, then saved running another."""
    _scripts(services, scope, script, f"{name}_sh", f"{name}_new")
    job = make_job(name)
    job["nodes"][0]["properties"][0]["value"] = script
    services.jobs.create(scope, job | SUBMITTED)
    job["nodes"][0]["properties"][0]["value"] = f"{name}_new"
    services.jobs.update(scope, name, job | SAVED)
    return job


def _users(services: Services, scope: Scope, kind: str, name: str) -> tuple[list[str], list[str]]:
    with services.db.transaction(readonly=True) as tx:
        found = users_of(tx, scope.workspace.id, kind, name)
    return found.developed, found.submitted


def test_a_script_only_a_submitted_version_runs_is_not_deleted(services: Services) -> None:
    scope = admin_scope(services)
    _job_running(services, scope, "ja", "old_sql")

    with pytest.raises(InUseError) as refused:
        services.scripts.delete(scope, "old_sql")

    assert refused.value.context["jobs"] == []
    assert refused.value.context["submitted_jobs"] == ["ja"]
    assert "the submitted version of job(s) ja" in refused.value.message
    assert "submit ja again" in refused.value.message
    with services.db.transaction(readonly=True) as tx:
        assert script_repo.get_script(tx, scope.workspace.id, "old_sql") is not None


def test_a_script_is_deleted_once_the_job_is_submitted_again(services: Services) -> None:
    scope = admin_scope(services)
    job = _job_running(services, scope, "jb", "old_sql")
    services.jobs.update(scope, "jb", job | SUBMITTED)

    services.scripts.delete(scope, "old_sql")

    assert _users(services, scope, RefKind.SCRIPT.value, "jb_new") == (["jb"], [])


def test_a_job_using_it_both_ways_is_named_once_by_its_development_state(
    services: Services,
) -> None:
    scope = admin_scope(services)
    _scripts(services, scope, "shared_sql", "jc_sh")
    job = make_job("jc")
    job["nodes"][0]["properties"][0]["value"] = "shared_sql"
    services.jobs.create(scope, job | SUBMITTED)
    job["description"] = "saved since"
    services.jobs.update(scope, "jc", job | SAVED)

    assert _users(services, scope, RefKind.SCRIPT.value, "shared_sql") == (["jc"], [])


def test_names_json_may_write_escaped_are_found_by_reading_the_version(
    services: Services,
) -> None:
    scope = admin_scope(services)
    _job_running(services, scope, "jd", "销售_sql")

    assert _users(services, scope, RefKind.SCRIPT.value, "销售_sql") == ([], ["jd"])
    assert _users(services, scope, RefKind.SCRIPT.value, "销售") == ([], [])


def test_a_name_held_only_as_part_of_another_is_no_use(services: Services) -> None:
    scope = admin_scope(services)
    _job_running(services, scope, "je", "old_sql_v2")

    assert _users(services, scope, RefKind.SCRIPT.value, "old_sql") == ([], [])


def test_a_refusal_names_at_most_shown_jobs_of_each_use(services: Services) -> None:
    scope = admin_scope(services)
    _scripts(services, scope, "many_sql")
    for n in range(SHOWN + 2):
        job = make_job(f"jf{n:02}")
        job["nodes"] = job["nodes"][:1]
        job["nodes"][0]["properties"][0]["value"] = "many_sql"
        services.jobs.create(scope, job)

    developed, submitted = _users(services, scope, RefKind.SCRIPT.value, "many_sql")

    assert developed == [f"jf{n:02}" for n in range(SHOWN)]
    assert submitted == []


def test_a_resource_only_a_submitted_version_uses_is_neither_deleted_nor_renamed(
    services: Services,
) -> None:
    scope = admin_scope(services)
    res_id = services.resources.create(scope, make_resource("udf_jar"))
    _scripts(services, scope, "jg_sql", "jg_sh")
    job = make_job("jg")
    job["nodes"][1]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    services.jobs.create(scope, job | SUBMITTED)
    job["nodes"][1]["properties"].pop()
    services.jobs.update(scope, "jg", job | SAVED)

    with pytest.raises(InUseError) as deleting:
        services.resources.delete(scope, res_id)
    with pytest.raises(InUseError) as renaming:
        services.resources.update(scope, res_id, make_resource("udf_jar_2"))

    for refused in (deleting, renaming):
        assert refused.value.context["submitted_jobs"] == ["jg"]
    assert services.resources.show(scope, res_id).name == "udf_jar"


def test_a_connection_only_a_submitted_version_uses_is_not_removed(services: Services) -> None:
    scope = admin_scope(services)
    services.connections.create(scope, {"name": "ssh_old", "type": "HOST", "config": {}})
    _scripts(services, scope, "jh_sql", "jh_sh")
    job = make_job("jh")
    job["nodes"][1]["properties"][1]["value"] = "ssh_old"
    services.jobs.create(scope, job | SUBMITTED)
    job["nodes"][1]["properties"][1]["value"] = "ssh_conn"
    services.jobs.update(scope, "jh", job | SAVED)

    with pytest.raises(InUseError) as refused:
        services.connections.delete(scope, "ssh_old")

    assert refused.value.context["submitted_jobs"] == ["jh"]
    assert services.connections.get(scope, "ssh_old").name == "ssh_old"


def test_a_job_only_a_submitted_version_depends_on_is_not_deleted(services: Services) -> None:
    scope = admin_scope(services)
    _scripts(services, scope, "up_sql", "up_sh", "after_sql", "after_sh")
    services.jobs.create(scope, make_job("up"))
    after = make_job("after")
    after["schedule"]["cron"]["dependJobs"] = {"jobs": ["up"], "dependPeriod": "SAME_PERIOD"}
    services.jobs.create(scope, after | SUBMITTED)
    after["schedule"]["cron"]["dependJobs"] = {"jobs": [], "dependPeriod": "SAME_PERIOD"}
    services.jobs.update(scope, "after", after | SAVED)

    with pytest.raises(InUseError) as refused:
        services.jobs.delete(scope, "up")

    assert refused.value.context["submitted_jobs"] == ["after"]
    assert "Submit those jobs again" in refused.value.message
    services.jobs.update(scope, "after", after | SUBMITTED)
    services.jobs.delete(scope, "up")


def test_a_job_another_workspace_s_submitted_version_depends_on_is_not_deleted(
    services: Services,
) -> None:
    scope = admin_scope(services)
    _scripts(services, scope, "up_sql", "up_sh")
    services.jobs.create(scope, make_job("up"))
    other = workspace(services, "other")
    _scripts(services, other, "down_sql", "down_sh")
    down = make_job("down")
    upstream = [{"workSpace": scope.workspace.name, "jobName": "up"}]
    down["schedule"]["cron"]["dependJobs"] = {"jobs": [], "otherWorkSpaceJobs": upstream}
    services.jobs.create(other, down | SUBMITTED)
    down["schedule"]["cron"]["dependJobs"] = {"jobs": [], "otherWorkSpaceJobs": []}
    services.jobs.update(other, "down", down | SAVED)

    with pytest.raises(InUseError) as refused:
        services.jobs.delete(scope, "up")

    assert refused.value.context["submitted_dependent_jobs"] == [
        {"workspace": "other", "job_name": "down"}
    ]
    assert "the submitted version of job 'down' of workspace 'other'" in refused.value.message
    services.jobs.update(other, "down", down | SUBMITTED)
    services.jobs.delete(scope, "up")


def test_a_job_another_workspace_depends_on_by_its_id_is_not_deleted(services: Services) -> None:
    scope = admin_scope(services)
    _scripts(services, scope, "up_sql", "up_sh")
    services.jobs.create(scope, make_job("up"))
    other = workspace(services, "other")
    _scripts(services, other, "down_sql", "down_sh")
    down = make_job("down")
    upstream = [{"workSpaceId": scope.workspace.id, "jobName": "up"}]
    down["schedule"]["cron"]["dependJobs"] = {"jobs": [], "otherWorkSpaceJobs": upstream}
    services.jobs.create(other, down)

    shown = services.jobs.show(scope, "up", dependencies=True)
    with pytest.raises(InUseError) as refused:
        services.jobs.delete(scope, "up")

    assert [(d.workspace, d.job_name) for d in shown.downstream or ()] == [("other", "down")]
    assert refused.value.context["dependent_jobs"] == [{"workspace": "other", "job_name": "down"}]
    with pytest.raises(InUseError):
        services.jobs.rename(scope, "up", "up2")


def test_a_job_naming_its_upstream_twice_is_one_downstream_job(services: Services) -> None:
    scope = admin_scope(services)
    _scripts(services, scope, "up_sql", "up_sh", "down_sql", "down_sh")
    services.jobs.create(scope, make_job("up"))
    down = make_job("down")
    upstream = [{"workSpace": scope.workspace.name, "jobName": "up"}]
    down["schedule"]["cron"]["dependJobs"] = {"jobs": ["up"], "otherWorkSpaceJobs": upstream}
    services.jobs.create(scope, down)

    shown = services.jobs.show(scope, "up", dependencies=True)
    with pytest.raises(InUseError) as refused:
        services.jobs.delete(scope, "up")

    here = scope.workspace.name
    assert [(d.workspace, d.job_name) for d in shown.downstream or ()] == [(here, "down")]
    assert refused.value.context["dependents"] == ["down"]
