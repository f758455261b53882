"""A release rollback and production's scheduling (SQLite and PostgreSQL): refused, naming
each job and how the release left it, while a job the release changed or created runs
otherwise than the release left it (started or stopped by hand since); a job it deleted comes
back scheduled or stopped as it was before the release; once each job runs as the release
left it, the rollback goes and leaves each as it was before the release."""

from __future__ import annotations

import pytest

from jobferry.cli.remedies import refusal_text
from jobferry.domain.enums import JobStatus
from jobferry.domain.releases import StartupMode
from jobferry.domain.remedies import Remedy
from jobferry.errors import RollbackRefusedError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.releases import Team, production_of, release, submit_job


def _status(services: Services, prod: Scope, name: str) -> JobStatus:
    return services.jobs.status(prod, name).status


def _refused(services: Services, team: Team) -> RollbackRefusedError:
    entries = len(services.ledger.ledger(team.deployer).entries)
    with pytest.raises(RollbackRefusedError) as refused:
        services.release_rollback.rollback(team.deployer, None)
    assert len(services.ledger.ledger(team.deployer).entries) == entries  # nothing written
    return refused.value


def _released_and_started(services: Services, team: Team) -> tuple[Scope, JobStatus]:
    """Job ``daily`` released and started in production: production, and how it runs."""
    submit_job(services, team.developer, "daily")
    release(services, team, "r1", StartupMode.START)
    prod = production_of(services, team)
    return prod, _status(services, prod, "daily")


def _changed_in_second_release(services: Services, team: Team, mode: StartupMode) -> Scope:
    """Job daily released (``mode``), then changed and released again: production's scope."""
    submit_job(services, team.developer, "daily")
    release(services, team, "r1", mode)
    submit_job(services, team.developer, "daily", description="v2")
    release(services, team, "r2", mode)
    return production_of(services, team)


def test_a_job_the_release_changed_and_stopped_by_hand_since_refuses_the_rollback(
    services: Services, team: Team
) -> None:
    prod, running = _released_and_started(services, team)
    assert running is not JobStatus.STOPPED
    submit_job(services, team.developer, "daily", description="v2")
    release(services, team, "r2", StartupMode.START)
    assert _status(services, prod, "daily") is running  # paused around its write, restarted
    services.jobs.stop(prod, "daily")  # by hand

    refused = _refused(services, team)
    assert refused.context["jobs"] == ["daily"]
    assert "job 'daily' was stopped by hand since the release" in refused.message
    assert refused.envelope()["remedy"] == Remedy.SCHEDULE_AS_RELEASED
    assert refused.context["workspace"] == prod.workspace.name
    said = refusal_text(refused.message, refused.envelope())
    assert f"jobferry jobs start|stop NAME -w '{prod.workspace.name}'" in said
    assert "jobferry releases rollback again" in said
    assert services.jobs.show(prod, "daily").document["description"] == "v2"

    services.jobs.start(prod, "daily")  # as the release left it
    services.release_rollback.rollback(team.deployer, None)
    assert "description" not in services.jobs.show(prod, "daily").document
    assert _status(services, prod, "daily") is running  # as before the release


def test_a_job_the_release_changed_and_started_by_hand_since_refuses_the_rollback(
    services: Services, team: Team
) -> None:
    prod = _changed_in_second_release(services, team, StartupMode.LEAVE)
    services.jobs.start(prod, "daily")  # by hand

    refused = _refused(services, team)
    assert refused.context["jobs"] == ["daily"]
    assert "job 'daily' was started by hand since the release" in refused.message

    services.jobs.stop(prod, "daily")
    services.release_rollback.rollback(team.deployer, None)
    assert _status(services, prod, "daily") is JobStatus.STOPPED


def test_a_job_the_release_created_is_refused_only_while_started_by_hand(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    release(services, team, "r1", StartupMode.LEAVE)
    prod = production_of(services, team)
    services.jobs.start(prod, "daily")  # by hand
    refused = _refused(services, team)
    assert "job 'daily' was started by hand since the release, which created it stopped" in (
        refused.message
    )
    services.jobs.stop(prod, "daily")
    services.release_rollback.rollback(team.deployer, None)

    # One the release started and a hand stopped since: the rollback removes it all the same.
    submit_job(services, team.developer, "hourly")
    release(services, team, "r2", StartupMode.START)
    services.jobs.stop(prod, "hourly")
    services.release_rollback.rollback(team.deployer, None)
    with pytest.raises(Exception, match="does not exist"):
        services.jobs.show(prod, "hourly")


def test_a_job_the_release_deleted_comes_back_scheduled_as_it_was_before(
    services: Services, team: Team
) -> None:
    prod, running = _released_and_started(services, team)
    services.jobs.delete(team.developer, "daily")
    release(services, team, "r2", StartupMode.START)
    with pytest.raises(Exception, match="does not exist"):
        services.jobs.show(prod, "daily")

    services.release_rollback.rollback(team.deployer, None)
    assert _status(services, prod, "daily") is running


def test_a_rollback_asked_as_a_task_is_refused_at_once_for_a_job_stopped_by_hand(
    services: Services, team: Team
) -> None:
    """The same refusal when the rollback is asked for as a task (respond-async): at the call,
    with no task queued, not by a task that then fails."""
    prod = _changed_in_second_release(services, team, StartupMode.START)
    services.jobs.stop(prod, "daily")  # by hand
    tasks = services.tasks.list_tasks(prod).total

    with pytest.raises(RollbackRefusedError) as refused:
        services.release_rollback.start(team.deployer, None)
    assert refused.value.context["jobs"] == ["daily"]
    assert "job 'daily' was stopped by hand since the release" in refused.value.message
    assert services.tasks.list_tasks(prod).total == tasks  # nothing queued

    services.jobs.start(prod, "daily")  # as the release left it
    assert services.release_rollback.start(team.deployer, None).task_id
