"""The items of a package still waiting say the version production holds now (SQLite and
PostgreSQL), as the pending items do: a release, a rollback or a restore that moves
production's version of their objects tells them, the addition or change to match
(``deployed.tell_waiting``; found by the generated release stories)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from jobferry.domain.releases import StartupMode, UpdateType
from jobferry.services.container import Services
from jobferry.services.releases.deployed import deployed_versions
from jobferry.services.releases.restore import RestoreStarted
from jobferry.storage import releases as releases_repo
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


def _selects(services: Services, team: Team, packages: list[int]) -> int:
    """How many SELECT statements ``deployed_versions`` sends for the jobs of these
    packages."""
    sent: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    with services.db.transaction(readonly=True) as tx:
        uids = [i.uid for p in packages for i in releases_repo.package_items(tx, p)]
        sa.event.listen(services.db.engine, "before_cursor_execute", note)
        try:
            found = deployed_versions(tx, team.workspace_id, "job", uids)
        finally:
            sa.event.remove(services.db.engine, "before_cursor_execute", note)
    assert list(found.values()) == [1] * len(packages)
    return len(sent)


def test_what_production_holds_is_read_in_as_many_queries_however_many_releases(
    services: Services, team: Team
) -> None:
    # The version a release put was read a query a package: one more query for each
    # release of the objects asked about.
    packages = []
    for name in ("a", "b", "c", "d"):
        submit_job(services, team.developer, name)
        packages.append(release(services, team, f"r_{name}", StartupMode.LEAVE))
    assert _selects(services, team, packages) == _selects(services, team, packages[:1])
