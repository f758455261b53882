"""The release packages list filters, orders and pages in the database: what it answers is a
package's state now (a release whose import failed, was lost or was never queued is failed),
its name as written, and a page of the whole workspace's matches with their count."""

from __future__ import annotations

import pytest

from jobferry.domain.releases import DeployStatus, StartupMode
from jobferry.services.container import Services
from jobferry.services.context import now_ms
from jobferry.services.releases.records import DeployRequest, PackageQuery
from jobferry.storage import releases as release_repo
from support.releases import Team, make_package, submit_job


@pytest.fixture
def packages(services: Services, team: Team) -> dict[str, int]:
    """Four packages: one releasing (its import queued), one whose import task is gone, one
    whose import was never queued, one cancelled."""
    made: dict[str, int] = {}
    for n, name in enumerate(("Pkg_One", "pkg_two", "pkgxOne", "PKG_ONE")):
        submit_job(services, team.developer, f"job_{n}")
        made[name] = make_package(services, team, name)
    services.releases.deploy(team.deployer, DeployRequest((made["Pkg_One"],), StartupMode.LEAVE))
    releasing = int(DeployStatus.RELEASING)
    with services.db.transaction() as tx:
        gone = {"status": releasing, "task_id": "gone", "deploy_timestamp": now_ms()}
        release_repo.update_package(tx, made["pkg_two"], gone)
        unqueued = {"status": releasing, "deploy_timestamp": now_ms() - 120_000}
        release_repo.update_package(tx, made["pkgxOne"], unqueued)
    services.releases.cancel(team.developer, (made["PKG_ONE"],))
    return made


def _listed(services: Services, team: Team, query: PackageQuery) -> tuple[int, list[str]]:
    total, found = services.releases.packages(team.deployer, query)
    return total, [v.record.name for v in found]


@pytest.mark.usefixtures("packages")
def test_a_release_lost_or_never_queued_is_listed_filtered_and_ordered_as_failed(
    services: Services, team: Team
) -> None:
    assert _listed(services, team, PackageQuery(statuses=(3,))) == (2, ["pkgxOne", "pkg_two"])
    total, found = services.releases.packages(team.deployer, PackageQuery(statuses=(5,)))
    assert (total, [(v.record.name, v.status) for v in found]) == (
        1,
        [("Pkg_One", DeployStatus.RELEASING)],
    )
    by_state = PackageQuery(order_column="deploy_status", ascending=True, limit=2, page=1)
    assert _listed(services, team, by_state) == (4, ["pkgxOne", "Pkg_One"])


@pytest.mark.usefixtures("packages")
def test_a_cancelled_package_matches_no_state_and_is_listed_without_one(
    services: Services, team: Team
) -> None:
    assert _listed(services, team, PackageQuery(statuses=(1,))) == (0, [])
    assert _listed(services, team, PackageQuery(statuses=(1, 2, 3, 5)))[0] == 3
    assert _listed(services, team, PackageQuery(cancelled=True)) == (1, ["PKG_ONE"])
    assert _listed(services, team, PackageQuery())[0] == 4


@pytest.mark.usefixtures("packages")
def test_the_key_word_is_part_of_the_name_as_written(services: Services, team: Team) -> None:
    # Neither "pkgxOne" ("_" is no wildcard) nor "PKG_ONE" (case counts).
    assert _listed(services, team, PackageQuery(key_word="_One")) == (1, ["Pkg_One"])
    assert _listed(services, team, PackageQuery(key_word="%"))[0] == 0


@pytest.mark.usefixtures("packages")
def test_names_are_ordered_by_code_point_whatever_the_database_collation(
    services: Services, team: Team
) -> None:
    by_name = PackageQuery(order_column="package_name", ascending=True)
    assert _listed(services, team, by_name)[1] == ["PKG_ONE", "Pkg_One", "pkg_two", "pkgxOne"]


@pytest.mark.usefixtures("packages")
def test_a_deploy_time_bound_leaves_out_packages_never_deployed(
    services: Services, team: Team
) -> None:
    recent = PackageQuery(deploy_between=(now_ms() - 60_000, None))
    assert _listed(services, team, recent) == (2, ["pkg_two", "Pkg_One"])
    newest_deploy_first = PackageQuery(order_column="deploy_timestamp", limit=1)
    assert _listed(services, team, newest_deploy_first) == (4, ["pkg_two"])
