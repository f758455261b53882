"""A cancelled package's items pending again say what production holds now (SQLite and
PostgreSQL): a rollback or restore while the package waited moved production's version of
their objects, which the items inside the package did not follow (found by the generated
release stories)."""

from __future__ import annotations

from jobferry.domain.releases import StartupMode, UpdateType
from jobferry.services.container import Services
from support.builders import make_script
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


def test_a_cancelled_package_s_item_a_later_release_carried_past_is_not_pending_again(
    services: Services, team: Team
) -> None:
    """Found by the generated release stories: script a_sql packaged at version 1, then
    submitted again and released at version 2 by another package, the first cancelled: its
    item came back pending at version 1, a "change" to an older version than production's,
    and a package of it said it released version 1 while writing version 2."""
    submit_job(services, team.developer, "a")
    first = make_package(services, team, "p1")
    services.scripts.update(
        team.developer, "a_sql", {**make_script("a_sql"), "content": "select 2;"}
    )
    script = next(i for i in pending_items(services, team.developer) if i.name == "a_sql")
    release(services, team, "p2", StartupMode.LEAVE, items=[script])

    services.releases.cancel(team.deployer, (first,))

    again = {i.name: i for i in pending_items(services, team.developer)}
    assert "a_sql" not in again  # production holds a newer version than it named
    assert (again["a"].update_type, again["a"].pending_version) == (UpdateType.ADD, 1)
