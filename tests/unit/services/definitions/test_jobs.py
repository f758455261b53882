"""The job calls of the definitions service (``services/definitions/jobs.py``): a scheduled
job's state across an update, what keeps a job from being deleted; found by the generated
definition stories."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

from jobferry.console.deleting import deletion_said
from jobferry.domain.definitions import locked_by_names, locked_by_value
from jobferry.domain.dependents import dependents_named
from jobferry.domain.enums import JobStatus, LockPolicy, ObjectKind, Role
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    InUseError,
    LockedError,
    LockedTagError,
    ScheduleInvalidError,
    ValidationFailedError,
    VersionNotFoundError,
)
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.workspaces.settings import WorkspaceSettings
from jobferry.storage import jobs as job_repo
from jobferry.storage import tables
from support.builders import make_job, make_script
from support.console import admin_scope
from support.definition_stories import ELSEWHERE, elsewhere_body
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


def test_a_job_calling_itself_as_a_sub_job_is_not_saved(services: Services) -> None:
    """A SubJob node calls another job: the job it is in would call itself for ever."""
    scope = admin_scope(services)
    with pytest.raises(ValidationFailedError) as refused:
        services.jobs.create(scope, _calling("ja", "ja"))
    assert refused.value.code == "DLF.3051"
    assert "'again' calls job 'ja', the job it is in" in str(refused.value)
    assert ("job", "ja") not in workspace_state(services, scope.workspace.id)

    services.jobs.create(scope, _calling("ja", "jb"))
    with pytest.raises(ValidationFailedError):
        services.jobs.update(scope, "ja", _calling("ja", "ja"))
    with pytest.raises(ScheduleInvalidError) as renamed:  # renamed 'jb', it would call itself
        services.jobs.rename(scope, "ja", "jb")
    assert "nodes[2].properties[0].value" in str(renamed.value)
    assert services.jobs.show(scope, "ja").document == _calling("ja", "jb")


def test_a_job_calling_itself_as_a_sub_job_can_be_deleted(services: Services) -> None:
    """Only *other* jobs depending on a job keep it from being deleted: one saved calling
    itself before saves refused that (written here as the database held it) may go."""
    scope = admin_scope(services)
    services.jobs.create(scope, _calling("ja", "jz"))
    itself = json.dumps(_calling("ja", "ja"))
    with services.db.transaction() as tx:
        jobs = tables.jobs
        tx.conn.execute(sa.update(jobs).where(jobs.c.name == "ja").values(document=itself))

    services.jobs.delete(scope, "ja")

    assert ("job", "ja") not in workspace_state(services, scope.workspace.id)


def test_a_delete_refused_names_each_dependent_with_its_workspace_and_each_way_it_depends(
    services: Services,
) -> None:
    """A job another job depends on (its schedule's dependencies, or a sub job node) in this
    workspace or another is not deleted; the refusal names each dependent, the workspace of
    one elsewhere, and both ways a dependency is removed."""
    scope = admin_scope(services)
    admin = scope.actor
    other = admin_scope(
        services, services.accounts.create_workspace(admin, admin.project_id, "ops")
    )
    services.jobs.create(scope, make_job("ja"))
    services.jobs.create(scope, _calling("jb", "ja"))
    services.jobs.create(other, elsewhere_body(scope.workspace.name, "ja"))

    with pytest.raises(InUseError) as refused:
        services.jobs.delete(scope, "ja")

    message = refused.value.message
    assert "job 'jb'" in message
    assert f"job '{ELSEWHERE}' of workspace 'ops'" in message
    assert "schedule's dependencies" in message
    assert "sub job node" in message
    assert sorted(refused.value.context["dependents"]) == sorted(["jb", ELSEWHERE])
    here = scope.workspace.name
    assert refused.value.context["workspace"] == here
    assert sorted(refused.value.context["dependent_jobs"], key=str) == sorted(
        [{"workspace": here, "job_name": "jb"}, {"workspace": "ops", "job_name": ELSEWHERE}],
        key=str,
    )
    # The CLI reads the envelope the API answers; the console, the error itself.
    for said in (
        dependents_named(refused.value.envelope()),
        deletion_said(refused.value),
    ):
        assert "jb" in said
        assert f"{ELSEWHERE} (workspace 'ops')" in said
        assert f"jb (workspace '{here}')" not in said
    assert ("job", "ja") in workspace_state(services, scope.workspace.id)


def _calling(name: str, job: str) -> dict[str, Any]:
    """Job ``name`` with a sub job node running ``job``."""
    doc = make_job(name)
    doc["nodes"].append(
        {
            "name": "again",
            "type": "SubJob",
            "location": {"x": "300", "y": "20"},
            "preNodeName": ["report"],
            "properties": [{"name": "subJobName", "value": job}],
        }
    )
    return doc


def test_a_deleted_job_s_id_is_never_given_to_another(services: Services) -> None:
    """The newest job deleted, another made: it takes a new id, on SQLite as on PostgreSQL (a
    rollback and a job's history tell objects apart by id as well as by name)."""
    scope = admin_scope(services)
    for name in ("ja", "jb"):
        services.jobs.create(scope, make_job(name))
    with services.db.transaction(readonly=True) as tx:
        gone = job_repo.get_job(tx, scope.workspace.id, "jb")
    assert gone is not None
    services.jobs.delete(scope, "jb")

    services.jobs.create(scope, make_job("jc"))

    with services.db.transaction(readonly=True) as tx:
        made = job_repo.get_job(tx, scope.workspace.id, "jc")
    assert made is not None
    assert made.id > gone.id


def test_a_job_carrying_a_locked_tag_is_not_saved_deleted_or_renamed_until_it_is_unlocked(
    services: Services,
) -> None:
    """The flag's promise (objects with the tag cannot change), which an import keeps with
    its ``locked_tag`` problem: the job calls keep it too, for admins as well."""
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("daily_sales"))  # tagged daily
    services.governance.put_tag(scope, "daily", True)
    before = workspace_state(services, scope.workspace.id)
    untagged = make_job("daily_sales", basicConfig={"owner": "alice", "tags": []})

    refusals = [
        lambda: services.jobs.update(scope, "daily_sales", untagged),
        lambda: services.jobs.delete(scope, "daily_sales"),
        lambda: services.jobs.rename(scope, "daily_sales", "weekly_sales"),
        lambda: services.jobs.create(scope, make_job("weekly_sales")),
    ]
    for refused in refusals:
        with pytest.raises(LockedTagError) as caught:
            refused()
        assert caught.value.code == "DLF.9091"
        assert "tag(s) 'daily', locked in workspace" in caught.value.message
        assert caught.value.context["tags"] == ["daily"]
    assert caught.value.message.endswith("unlock the tag first, or leave it out of the job's tags.")
    assert workspace_state(services, scope.workspace.id) == before

    services.governance.put_tag(scope, "daily", False)
    services.jobs.update(scope, "daily_sales", untagged)
    services.governance.put_tag(scope, "daily", True)
    services.jobs.rename(scope, "daily_sales", "weekly_sales")  # carries it no more


def test_start_refuses_a_cron_schedule_without_expression_as_a_schedule_rule(
    services: Services,
) -> None:
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("jc", schedule={"type": "CRON"}))

    with pytest.raises(ScheduleInvalidError) as refused:
        services.jobs.start(scope, "jc")

    assert refused.value.code == "DLF.3025"
    assert "'jc'" in refused.value.problem
    assert "schedule.cron.expression" in refused.value.problem
    assert refused.value.remedy == Remedy.SUBMIT_JOB
    assert refused.value.message != refused.value.problem  # the fix is said apart
    assert services.jobs.status(scope, "jc").status is JobStatus.STOPPED


def test_a_scheduled_job_is_not_submitted_a_cron_schedule_without_expression(
    services: Services,
) -> None:
    """Started, the job runs its latest submitted version: one whose CRON schedule has no
    expression could never run, so it is refused as a start of it is, and the job keeps
    running the version it ran; the development state alone may be saved."""
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("jc"))
    services.jobs.start(scope, "jc")
    before = workspace_state(services, scope.workspace.id)
    unschedulable = make_job("jc", schedule={"type": "CRON"})

    for target in ({}, {"targetStatus": "SUBMITTED"}):
        with pytest.raises(ScheduleInvalidError) as refused:
            services.jobs.update(scope, "jc", {**unschedulable, **target})
        assert refused.value.code == "DLF.3025"
        assert "'jc'" in refused.value.problem
        assert "schedule.cron.expression" in refused.value.problem
        assert refused.value.context["field"] == "schedule.cron.expression"
        assert refused.value.remedy == Remedy.SCHEDULABLE_VERSION
        assert "/stop" in refused.value.message  # the fix, said apart
        assert workspace_state(services, scope.workspace.id) == before  # nothing saved

    assert services.jobs.status(scope, "jc").status is JobStatus.NORMAL  # still scheduled
    services.jobs.update(scope, "jc", {**unschedulable, "targetStatus": "SAVED"})
    assert services.jobs.show(scope, "jc").document["schedule"] == {"type": "CRON"}
    assert (
        services.comparisons.versions(scope, ObjectKind.JOB, "jc")[0].version == 1
    )  # still the one it runs
    services.jobs.stop(scope, "jc")
    services.jobs.update(scope, "jc", unschedulable)  # stopped: saved, as DataArts saves it
    assert services.comparisons.versions(scope, ObjectKind.JOB, "jc")[0].version == 2


def test_a_never_submitted_jobs_submitted_version_is_refused_with_its_fix_apart(
    services: Services,
) -> None:
    """The problem in plain words, the API's fix (its query parameter) apart with its remedy,
    which the command line and the console say with their own commands and pages."""
    scope = admin_scope(services)
    services.jobs.create(scope, make_job("jd", targetStatus="SAVED"))
    with pytest.raises(VersionNotFoundError) as refused:
        services.jobs.show(scope, "jd", submitted=True)
    assert refused.value.code == "DLF.0100"
    assert refused.value.remedy == Remedy.SHOW_DEVELOPMENT_STATE
    assert refused.value.problem == "Job 'jd' has never been submitted: it has no version to show."
    assert "getJobSubmitVersion=false" in refused.value.message  # the fix, said apart
    assert refused.value.context["job_name"] == "jd"
    with pytest.raises(VersionNotFoundError) as numbered:  # a version asked by its number
        services.jobs.show(scope, "jd", version=1)
    assert numbered.value.remedy == Remedy.SHOW_DEVELOPMENT_STATE
    assert "no submitted version 1" in numbered.value.problem
    assert "getJobSubmitVersion" not in numbered.value.problem


def test_a_change_passing_over_another_user_s_soft_lock_names_its_holder(
    services: Services,
) -> None:
    """The soft lock policy only warns: a save, rename or delete of a job or script another
    user holds a lock on goes through and says whose lock it passed over (the API's
    ``X-Jobferry-Locked-By``); the holder's own change, or an object nobody locked, says
    nothing."""
    scope = admin_scope(services)  # holds the locks
    other = replace(scope, actor=replace(scope.actor, user_id=scope.actor.user_id + 1000))
    services.scripts.create(scope, make_script())
    for name in ("ja", "jb"):
        services.jobs.create(scope, make_job(name))
        services.governance.acquire(scope, "job", name)
    services.governance.acquire(scope, "script", "daily_sales_sql")
    holder = scope.actor.name

    assert services.jobs.update(scope, "ja", make_job("ja", description="own")) is None
    assert services.jobs.update(other, "ja", make_job("ja", description="x")) == holder
    assert services.jobs.rename(other, "ja", "jz").locked_by == holder
    assert services.jobs.delete(other, "jz") == holder
    assert services.jobs.rename(other, "jb", "jb").locked_by is None  # nothing changed
    changed = make_script(content="select 2;")
    assert services.scripts.update(other, "daily_sales_sql", changed) == holder
    assert services.scripts.delete(other, "daily_sales_sql") == holder
    services.jobs.create(scope, make_job("jc"))
    assert services.jobs.delete(other, "jc") is None  # nobody's lock


def _member(services: Services, scope: Scope, name: str) -> Scope:
    """A developer of the scope's workspace: their scope."""
    accounts, boss = services.accounts, scope.actor
    accounts.create_user(boss, boss.project_id, name, False)
    accounts.set_role(boss, boss.project_id, name, scope.workspace.id, Role.DEVELOPER)
    actor = accounts.actor_for(accounts.issue_credential(boss, boss.project_id, name).access_key)
    return accounts.scope(actor, actor.project_id, scope.workspace.id)


def _depending_on(name: str, upstream: str) -> dict[str, Any]:
    job = make_job(name)
    job["schedule"]["cron"]["dependJobs"] = {"jobs": [upstream], "dependPeriod": "SAME_PERIOD"}
    return job


def test_a_rename_names_the_holders_of_the_dependents_it_rewrote_over_their_locks(
    services: Services,
) -> None:
    # Under the soft policy the rename said only the renamed job's own holder: the dependents
    # it rewrote over other users' locks went unsaid (the hard policy refuses them).
    scope = admin_scope(services)
    services.scripts.create(scope, make_script())
    services.jobs.create(scope, make_job("ja"))
    for name in ("jd", "je", "jf"):
        services.jobs.create(scope, _depending_on(name, "ja"))
    dana, erik = _member(services, scope, "dana"), _member(services, scope, "erik")
    services.governance.acquire(dana, ObjectKind.JOB, "ja")
    services.governance.acquire(erik, ObjectKind.JOB, "jf")
    services.governance.acquire(dana, ObjectKind.JOB, "jd")

    renamed = services.jobs.rename(scope, "ja", "jz")

    assert renamed.locked_by == "dana"
    assert renamed.dependents_locked == (("jd", "dana"), ("jf", "erik"))
    assert renamed.holders == ("dana", "erik")  # the job's own first, each once
    assert locked_by_names(locked_by_value(("dana", "é, f"))) == ("dana", "é, f")
    back = services.jobs.rename(dana, "jz", "ja")  # her own locks say nothing
    assert (back.locked_by, back.dependents_locked, back.holders) == (
        None,
        (("jf", "erik"),),
        ("erik",),
    )
    change = WorkspaceSettings(lock_policy=LockPolicy.HARD)
    boss = scope.actor
    services.accounts.update_workspace(boss, boss.project_id, scope.workspace.id, change)
    hard = services.accounts.scope(dana.actor, dana.actor.project_id, scope.workspace.id)
    with pytest.raises(LockedError, match="'jf' is locked by 'erik'"):
        services.jobs.rename(hard, "ja", "jy")
    assert services.jobs.show(scope, "ja").name == "ja"
