"""Who starts and stops a production side's jobs. In DataArts' enterprise mode a developer has
every right in development and reads production, and operators run production: the jobs of a
production side are started and stopped by its admins and operators, never by a developer
(whose stop would take a production schedule down, and refuse the next deploy)."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import Role
from jobferry.domain.remedies import Remedy
from jobferry.errors import DevelopmentScheduleError, PermissionDeniedError
from jobferry.services.container import Services
from jobferry.services.context import Scope
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
