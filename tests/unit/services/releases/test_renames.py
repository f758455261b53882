"""A rename in development is a change to release (SQLite and PostgreSQL): renaming a
released job makes the pending item that renames it in production, where it keeps its
identity and versions; a rename back before any release, or a delete after the rename, leaves
the item the change still needs (or none)."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.domain.releases import DeployStatus, StartupMode, UpdateType
from jobferry.errors import BasisChangedError, JobNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.releases.records import DeployRequest
from jobferry.storage.releases import ItemFilter, ItemRecord
from support.builders import make_job
from support.releases import (
    Team,
    approve_package,
    make_package,
    register_key,
    run_release,
    submit_job,
)


def _jobs(services: Services, team: Team) -> list[ItemRecord]:
    found = services.releases.pending(team.developer, ItemFilter(), 100, 0)[1]
    return [i for i in found if i.kind == "job"]


def _production(services: Services, team: Team) -> Scope:
    actor = team.admin.actor
    return services.accounts.scope(actor, actor.project_id, team.admin.workspace.production_id)


def _release(services: Services, team: Team, name: str, mode: StartupMode) -> int:
    package = make_package(services, team, name)
    services.releases.deploy(team.deployer, DeployRequest((package,), mode))
    run_release(services)
    assert services.releases.show(team.admin, package).status is DeployStatus.SUCCESS
    return package


def _released(services: Services, team: Team, mode: StartupMode = StartupMode.LEAVE) -> None:
    submit_job(services, team.developer, "daily")
    _release(services, team, "first", mode)
    assert _jobs(services, team) == []


def test_renaming_a_released_job_makes_the_item_that_renames_it_in_production(
    services: Services, team: Team
) -> None:
    _released(services, team)
    prod = _production(services, team)
    released = services.jobs.show(prod, "daily")
    services.jobs.rename(team.developer, "daily", "nightly")

    [item] = _jobs(services, team)
    assert (item.name, item.update_type) == ("nightly", UpdateType.CHANGE)
    assert (item.pending_version, item.deployed_version) == (1, 1)
    assert item.submit_user_name == team.developer.actor.name
    _release(services, team, "renamed", StartupMode.LEAVE)

    renamed = services.jobs.show(prod, "nightly")
    assert renamed.id == released.id  # the same job, renamed
    assert renamed.document["name"] == "nightly"
    # Its history stays: the version the first release wrote, and the rename's.
    assert [v.version for v in services.comparisons.versions(prod, ObjectKind.JOB, "nightly")] == [
        2,
        1,
    ]
    with pytest.raises(JobNotFoundError):
        services.jobs.show(prod, "daily")
    assert _jobs(services, team) == []


def test_a_rename_of_a_job_production_runs_lands_and_keeps_it_running(
    services: Services, team: Team
) -> None:
    _released(services, team, StartupMode.START)
    prod = _production(services, team)
    running = services.jobs.status(prod, "daily").status
    assert running is not JobStatus.STOPPED
    services.jobs.rename(team.developer, "daily", "nightly")
    package = _release(services, team, "renamed", StartupMode.START)
    assert services.jobs.status(prod, "nightly").status is running  # paused and restored
    # The release says it left the job running, not that it started it.
    task_id = services.releases.show(team.admin, package).record.task_id
    assert task_id is not None
    said = services.tasks.show(prod, task_id).message
    assert said.endswith(
        f"Release package {package} released (1 item(s), 1 scheduled job(s) left running)."
    )
    assert "started" not in said


def test_a_rename_and_back_before_a_release_leaves_no_item(services: Services, team: Team) -> None:
    _released(services, team)
    services.jobs.rename(team.developer, "daily", "nightly")
    services.jobs.rename(team.developer, "nightly", "daily")
    assert _jobs(services, team) == []

    # A version submitted meanwhile is still to release, under the name it has now.
    services.jobs.rename(team.developer, "daily", "nightly")
    submit_job(services, team.developer, "nightly", description="v2")
    services.jobs.rename(team.developer, "nightly", "daily")
    [item] = _jobs(services, team)
    assert (item.name, item.update_type, item.pending_version) == ("daily", UpdateType.CHANGE, 2)


def test_a_rename_then_a_delete_before_a_release_deletes_the_released_job(
    services: Services, team: Team
) -> None:
    _released(services, team)
    services.jobs.rename(team.developer, "daily", "nightly")
    services.jobs.delete(team.developer, "nightly")
    [item] = _jobs(services, team)
    assert (item.name, item.update_type) == ("nightly", UpdateType.DELETE)
    _release(services, team, "deleted", StartupMode.LEAVE)
    prod = _production(services, team)
    for name in ("daily", "nightly"):
        with pytest.raises(JobNotFoundError):
            services.jobs.show(prod, name)


def test_a_rename_of_a_job_never_released_keeps_its_one_item(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    services.jobs.rename(team.developer, "daily", "nightly")
    [item] = _jobs(services, team)
    assert (item.name, item.update_type) == ("nightly", UpdateType.ADD)
    services.jobs.delete(team.developer, "nightly")
    assert _jobs(services, team) == []  # added and deleted again: nothing to release


def test_a_released_rename_rewrites_the_production_jobs_that_depend_on_it(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    schedule = make_job("report")["schedule"]
    schedule["cron"]["dependJobs"] = {"jobs": ["daily"]}
    submit_job(services, team.developer, "report", schedule=schedule)
    _release(services, team, "first", StartupMode.LEAVE)
    services.jobs.rename(team.developer, "daily", "nightly")
    # Only the rename is to release: the dependent's development state follows the name, and
    # production's follows it when the rename is released.
    assert [(i.name, i.update_type) for i in _jobs(services, team)] == [
        ("nightly", UpdateType.CHANGE)
    ]
    _release(services, team, "renamed", StartupMode.LEAVE)
    report = services.jobs.show(_production(services, team), "report").document
    assert report["schedule"]["cron"]["dependJobs"]["jobs"] == ["nightly"]


def test_a_renames_approvals_are_signed_over_what_production_holds_under_the_old_name(
    services: Services, team: Team
) -> None:
    """A package renaming ``daily`` to ``nightly`` changes production's ``daily``: its basis
    (what the approvers' plan hash binds) holds what production held under that name too, so
    a change to production's ``daily`` since (here a rollback) refuses the deploy naming it,
    and the package planned again has another plan hash: the approval of the first counts no
    more."""
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    submit_job(services, team.developer, "daily")
    _release_approved(services, team, "first")
    submit_job(services, team.developer, "daily", description="second cut")
    _release_approved(services, team, "second")
    services.jobs.rename(team.developer, "daily", "nightly")
    package = make_package(services, team, "renamed")
    pair = register_key(services, team.deployer)
    approve_package(services, team.deployer, package, pair)
    approved = services.release_approvals.approvals(team.admin, package).document()
    assert set(approved["plan"]["basis"]) == {"job/daily", "job/nightly"}

    services.release_rollback.rollback(team.deployer, None)  # production's daily moves back
    with pytest.raises(BasisChangedError) as refused:
        services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.LEAVE))
    assert refused.value.context["changed"] == [{"kind": "job", "name": "daily"}]
    assert "was planned: job 'daily'; nothing was deployed" in refused.value.message
    services.releases.replan(team.deployer, package)
    again = services.release_approvals.approvals(team.admin, package).document()
    assert again["planHash"] != approved["planHash"]
    assert (again["counted"], again["approvals"][0]["why"]) == (0, "signed an earlier plan")


def _release_approved(services: Services, team: Team, name: str) -> None:
    package = make_package(services, team, name)
    approve_package(services, team.deployer, package, register_key(services, team.deployer))
    _deployed(services, team, package)


def _deployed(services: Services, team: Team, package: int) -> None:
    services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.LEAVE))
    run_release(services)
    assert services.releases.show(team.admin, package).status is DeployStatus.SUCCESS
