"""A deploy that starts its new batch jobs (``startup_mode`` 1) and would start one whose
released version has a CRON schedule without its cron expression (DataArts saves it, but it
could never run): refused before any write, naming the job and the field, as a start of
such a job is; deployed without starting, the job is released and left stopped."""

from __future__ import annotations

import pytest

from jobferry.cli.remedies import refusal_text
from jobferry.domain.enums import JobStatus, TaskKind
from jobferry.domain.releases import DeployStatus, StartupMode
from jobferry.domain.remedies import Remedy
from jobferry.errors import JobNotFoundError, ScheduleInvalidError
from jobferry.services.container import Services
from jobferry.services.releases.records import DeployRequest
from jobferry.storage import tasks as task_repo
from support.releases import (
    Team,
    connected_team,
    make_package,
    production_of,
    run_release,
    signed_release,
    submit_job,
    take_in,
    trusting_team,
)

NEVER = {"type": "CRON"}


def test_a_deploy_to_start_a_new_job_that_could_never_run_is_refused_naming_it(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    submit_job(services, team.developer, "hourly", schedule=NEVER)
    submit_job(services, team.developer, "clicks", processType="REAL_TIME", schedule=NEVER)
    package = make_package(services, team)
    before = services.releases.show(team.developer, package)

    with pytest.raises(ScheduleInvalidError) as refused:
        services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.START))

    error = refused.value
    assert error.code == "DLF.3025"
    assert "job 'hourly'" in error.message
    assert "schedule.cron.expression" in error.message
    assert "'daily'" not in error.message  # its schedule runs
    assert "'clicks'" not in error.message  # real-time: a deploy does not start it
    assert error.context["field"] == "schedule.cron.expression"
    assert error.context["jobs"] == ["hourly"]
    assert error.context["package_id"] == str(package)
    assert error.remedy == Remedy.DEPLOY_WITHOUT_START
    assert "startup_mode 0" in error.message
    said = refusal_text(error.message, error.envelope())
    assert f"jobferry releases deploy {package} --no-start" in said
    assert "startup_mode" not in said
    # A refusal changes nothing: the package waits, no task, production holds nothing.
    shown = services.releases.show(team.developer, package)
    assert shown.status is DeployStatus.PENDING
    assert shown.record == before.record
    assert shown.items == before.items
    with services.db.transaction(readonly=True) as tx:
        assert not task_repo.has_queued(tx, [TaskKind.IMPORT])
    with pytest.raises(JobNotFoundError):
        services.jobs.show(production_of(services, team), "hourly")


def test_deployed_without_starting_the_job_that_could_never_run_is_released_stopped(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "hourly", schedule=NEVER)
    package = make_package(services, team)

    services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.LEAVE))
    run_release(services)

    assert services.releases.show(team.developer, package).status is DeployStatus.SUCCESS
    prod = production_of(services, team)
    assert services.jobs.status(prod, "hourly").status is JobStatus.STOPPED


def test_a_deploy_to_start_a_changed_job_that_could_never_run_is_not_refused(
    services: Services, team: Team
) -> None:
    """Only the new jobs are started by a deploy: a job production holds stopped already
    stays stopped, whatever its schedule."""
    submit_job(services, team.developer, "hourly")
    services.releases.deploy(
        team.deployer, DeployRequest((make_package(services, team),), StartupMode.LEAVE)
    )
    run_release(services)
    submit_job(services, team.developer, "hourly", schedule=NEVER)
    package = make_package(services, team)

    services.releases.deploy(team.deployer, DeployRequest((package,), StartupMode.START))
    run_release(services)

    assert services.releases.show(team.developer, package).status is DeployStatus.SUCCESS
    prod = production_of(services, team)
    assert services.jobs.status(prod, "hourly").status is JobStatus.STOPPED


def test_a_signed_release_taken_in_to_start_a_job_that_could_never_run_is_refused(
    services: Services,
) -> None:
    """A signed release taken in to start its new batch jobs, one of them on a CRON schedule
    without its expression: refused as the deploy is, nothing taken in; taken in without
    starting, the job is released stopped."""
    sales = connected_team(services, "sales")
    data, pair = signed_release(services, sales, "hourly", schedule=NEVER)
    ops = trusting_team(services, pair.public_key)

    with pytest.raises(ScheduleInvalidError) as refused:
        take_in(services, ops.admin, data, StartupMode.START)

    error = refused.value
    assert "job 'hourly'" in error.message
    assert error.context["jobs"] == ["hourly"]
    assert error.context["field"] == "schedule.cron.expression"
    assert error.remedy == Remedy.TAKE_IN_WITHOUT_START
    said = refusal_text(error.message, error.envelope())
    assert "without --start" in said
    with services.db.transaction(readonly=True) as tx:
        assert not task_repo.has_queued(tx, [TaskKind.IMPORT])
    assert not services.ledger.ledger(ops.admin).entries

    take_in(services, ops.admin, data, StartupMode.LEAVE)
    run_release(services)
    prod = production_of(services, ops)
    assert services.jobs.status(prod, "hourly").status is JobStatus.STOPPED
