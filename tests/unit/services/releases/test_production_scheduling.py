"""Who starts and stops a production side's jobs. In DataArts' enterprise mode a developer has
every right in development and reads production, and operators run production: the jobs of a
production side are started and stopped by its admins and operators, never by a developer
(whose stop would take a production schedule down, and refuse the next deploy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.domain.enums import Role
from jobferry.domain.releases import StartJobStatus
from jobferry.domain.remedies import Remedy
from jobferry.errors import DevelopmentScheduleError, PermissionDeniedError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job
from support.planning import import_package, jobs_with_dependencies, write_objects
from support.releases import Team, person, production_of, release, submit_job


def _on_production(services: Services, scope: Scope) -> Scope:
    """``scope``'s user on the production side (their development role applies there)."""
    actor = scope.actor
    production = scope.workspace.production_id
    assert production is not None
    return services.accounts.scope(actor, actor.project_id, production)


@pytest.fixture
def released(services: Services, team: Team) -> str:
    """A job released into production, running there."""
    submit_job(services, team.developer, "daily")
    release(services, team, "first")  # starts the new batch job
    assert services.jobs.status(production_of(services, team), "daily").status != "STOPPED"
    return "daily"


def test_a_developer_may_not_stop_or_start_a_production_job(
    services: Services, team: Team, released: str
) -> None:
    developer = _on_production(services, team.developer)
    with pytest.raises(PermissionDeniedError) as refused:
        services.jobs.stop(developer, released)
    assert "may not stop jobs" in refused.value.message
    assert refused.value.message.endswith("ask a workspace admin for one of: admin, operator.")
    assert services.jobs.status(production_of(services, team), released).status != "STOPPED"
    services.jobs.stop(production_of(services, team), released)
    with pytest.raises(PermissionDeniedError):
        services.jobs.start(developer, released)


def test_an_operator_runs_production_and_the_development_side_schedules_nothing(
    services: Services, team: Team, released: str
) -> None:
    operator = person(services, team.workspace_id, "olga", Role.OPERATOR)
    on_production = _on_production(services, operator)
    services.jobs.stop(on_production, released)
    services.jobs.start(on_production, released)
    for who in (team.developer, operator, team.admin):  # a job is scheduled once released
        with pytest.raises(DevelopmentScheduleError) as refused:
            services.jobs.start(who, released)
        assert refused.value.remedy is Remedy.START_IN_PRODUCTION
        assert refused.value.context["production"] == team.admin.workspace.production_id
    assert services.jobs.status(team.developer, released).status == "STOPPED"
    services.jobs.stop(team.developer, released)  # one started before the switch stops


def test_a_release_starts_only_the_jobs_it_brings_into_production(
    services: Services, team: Team, tmp_path: Path
) -> None:
    # 'daily' was imported into production as released (stopped) after its item, an
    # addition, was made: the release changes it, and a job it changes keeps its scheduling
    submit_job(services, team.developer, "daily")
    package = tmp_path / "released.zip"
    write_objects(package, jobs_with_dependencies(make_job("daily", description="as released")))
    import_package(services, team.admin, package, targetStatus="PRODUCTION")
    production = production_of(services, team)
    assert services.jobs.status(production, "daily").status == "STOPPED"
    submit_job(services, team.developer, "weekly")  # new to production: started
    package_id = release(services, team, "first")
    items = {i.name: i for i in services.releases.show(team.developer, package_id).items}
    assert items["daily"].start_job_status != StartJobStatus.STARTED
    assert items["weekly"].start_job_status == StartJobStatus.STARTED
    assert services.jobs.status(production, "daily").status == "STOPPED"
    assert services.jobs.status(production, "weekly").status != "STOPPED"
    ((entry, _),) = services.ledger.ledger(team.admin).entries
    assert entry.started_jobs() == ["weekly"]
