"""The items of a package still waiting say the version production holds now (SQLite and
PostgreSQL), as the pending items do: a release, a rollback or a restore that moves
production's version of their objects tells them, the addition or change to match
(``deployed.tell_waiting``; found by the generated release stories)."""

from __future__ import annotations

from jobferry.domain.releases import StartupMode, UpdateType
from jobferry.services.container import Services
from jobferry.services.releases.restore import RestoreStarted
from support.releases import Team, make_package, release, run_release, submit_job


def _items(services: Services, team: Team, package_id: int) -> dict[str, tuple[int, int, int]]:
    """name → (update type, pending version, deployed version) of a package's items."""
    shown = services.releases.show(team.admin, package_id)
    return {i.name: (i.update_type, i.pending_version, i.deployed_version) for i in shown.items}


def test_a_waiting_package_s_items_follow_a_rollback(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "a")
    release(services, team, "r1", StartupMode.LEAVE)
    submit_job(services, team.developer, "a", description="v2")
    waiting = make_package(services, team, "p2")
    assert _items(services, team, waiting)["a"] == (UpdateType.CHANGE, 2, 1)

    services.release_rollback.rollback(team.deployer, None)  # production holds no 'a' now

    assert _items(services, team, waiting)["a"] == (UpdateType.ADD, 2, 0)


def test_a_waiting_package_s_items_follow_a_restore(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "a")
    first = release(services, team, "r1", StartupMode.LEAVE)
    submit_job(services, team.developer, "a", description="v2")
    release(services, team, "r2", StartupMode.LEAVE)
    submit_job(services, team.developer, "a", description="v3")
    waiting = make_package(services, team, "p3")
    assert _items(services, team, waiting)["a"] == (UpdateType.CHANGE, 3, 2)

    started = services.restores.restore(team.deployer, first)
    assert isinstance(started, RestoreStarted)
    run_release(services)

    assert _items(services, team, waiting)["a"] == (UpdateType.CHANGE, 3, 1)


def test_a_waiting_package_s_items_follow_another_release(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "a")
    waiting = make_package(services, team, "p1")
    assert _items(services, team, waiting)["a"] == (UpdateType.ADD, 1, 0)
    submit_job(services, team.developer, "a", description="v2")

    release(services, team, "p2", StartupMode.LEAVE)  # a at version 2

    assert _items(services, team, waiting)["a"] == (UpdateType.CHANGE, 1, 2)
