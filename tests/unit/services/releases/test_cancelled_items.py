"""A cancelled package's items pending again say what production holds now (SQLite and
PostgreSQL): a rollback or restore while the package waited moved production's version of
their objects, which the items inside the package did not follow (found by the generated
release stories)."""

from __future__ import annotations

from jobferry.domain.releases import StartupMode, UpdateType
from jobferry.services.container import Services
from support.releases import Team, make_package, pending_items, release, submit_job


def test_a_cancelled_package_s_items_say_what_production_holds_after_a_rollback(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "a")
    release(services, team, "r1", StartupMode.LEAVE)
    submit_job(services, team.developer, "a", description="v2")
    waiting = make_package(services, team, "r2")
    services.release_rollback.rollback(team.deployer, None)  # production holds no 'a' now

    services.releases.cancel(team.deployer, (waiting,))

    again = {i.name: i for i in pending_items(services, team.developer)}
    assert (again["a"].update_type, again["a"].deployed_version) == (UpdateType.ADD, 0)
    assert (again["a"].pending_version, again["a_sql"].deployed_version) == (2, 0)
