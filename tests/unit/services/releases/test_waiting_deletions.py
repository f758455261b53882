"""A deletion waiting as a pending item while production's version of its object moves
(SQLite and PostgreSQL): a deletion's item names the version production holds, so a release,
rollback or restore that changes that version tells it; one whose object production no longer
holds (and no waiting package carries) has nothing left to release and goes, as a deletion of
an object never released does (found by the generated release stories)."""

from __future__ import annotations

from jobferry.domain.releases import StartupMode, UpdateType
from jobferry.services.container import Services
from jobferry.services.releases.records import DeployRequest
from jobferry.services.releases.restore import RestoreStarted
from support.releases import (
    Team,
    make_package,
    pending_items,
    production_of,
    release,
    run_release,
    submit_job,
)


def _deletions(services: Services, team: Team) -> list[tuple[str, int, int]]:
    return [
        (i.name, i.pending_version, i.deployed_version)
        for i in pending_items(services, team.developer)
        if i.update_type == UpdateType.DELETE
    ]


def test_a_deletion_waiting_for_a_job_the_rollback_takes_out_of_production_goes(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "a")
    release(services, team, "r1", StartupMode.LEAVE)
    services.jobs.delete(team.developer, "a")
    assert _deletions(services, team) == [("a", 1, 1)]

    services.release_rollback.rollback(team.deployer, None)

    assert (
        services.jobs.list_jobs(
            production_of(services, team),
            job_type=None,
            job_name=None,
            tags=None,
            limit=10,
            offset=0,
        )[0]
        == 0
    )
    assert _deletions(services, team) == []  # production holds nothing of it to delete


def test_a_deletion_waiting_names_the_version_a_restore_brings_back(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "a")
    first = release(services, team, "r1", StartupMode.LEAVE)
    submit_job(services, team.developer, "a", description="v2")
    release(services, team, "r2", StartupMode.LEAVE)
    services.jobs.delete(team.developer, "a")
    assert _deletions(services, team) == [("a", 2, 2)]

    started = services.restores.restore(team.deployer, first)
    assert isinstance(started, RestoreStarted)
    run_release(services)

    assert _deletions(services, team) == [("a", 1, 1)]


def test_a_deletion_waiting_names_the_version_an_earlier_package_releases(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "a")
    release(services, team, "r1", StartupMode.LEAVE)
    submit_job(services, team.developer, "a", description="v2")
    second = make_package(services, team, "r2")
    services.jobs.delete(team.developer, "a")
    assert _deletions(services, team) == [("a", 1, 1)]

    services.releases.deploy(team.deployer, DeployRequest((second,), StartupMode.LEAVE))
    run_release(services)

    assert _deletions(services, team) == [("a", 2, 2)]
