"""The Releases pages in a real browser (Debian's chromium driven by Playwright) against a real
``jobferry serve``, at 1280×900: a developer ticks pending items and packages them (refused
first, the ticks kept, then with an approver) onto the package's page with its plan; a deployer
deploys a package and its page follows the release's task to its end, production showing the
job, read-only, then rolls the release back from its page. Every step leaves a screenshot in
test-artifacts/console-releases/."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jobferry.services.container import Services
from jobferry.services.releases.records import PackageRequest
from jobferry.storage.releases import ItemFilter
from support.browser import console_server, open_page, sign_in, with_services
from support.releases import Team, connected_team, submit_job
from support.server import ServerProcess

playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console-releases"
PASSWORD = "releases browser password"

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def server_and_data(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, Path, str]]:
    """A real server on SQLite whose admin has a console password."""
    data_dir = tmp_path_factory.mktemp("releases-server")
    server, url = console_server(data_dir, PASSWORD)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield server, data_dir, url
    server.stop()


def _team(found: tuple[ServerProcess, Path, str], name: str) -> Team:
    """An enterprise workspace ``name`` whose developer submitted the job daily (and its two
    scripts); the developer and the deployer have console passwords."""
    server, data_dir, url = found
    teams: list[Team] = []

    def work(services: Services) -> None:
        team = connected_team(services, name, services.accounts.actor_for(server.ak))
        operator = services.accounts.local_operator(server.project_id)
        for scope in (team.developer, team.deployer):
            services.signin.set_password(operator, scope.actor.name, PASSWORD)
        submit_job(services, team.developer, "daily")
        teams.append(team)

    with_services(server, data_dir, url, work)
    return teams[0]


def _browse(server: ServerProcess, user: str, run: Callable[[Any, Callable[[str], None]], None]):
    """Sign ``user`` in on a new page and ``run`` the steps, a screenshot per step; no
    script error on the way (a refused form's 400 aside, which the browser logs)."""
    with playwright_api.sync_playwright() as pw:
        browser, page, errors = open_page(pw)

        def shot(name: str) -> None:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

        try:
            sign_in(page, server.url, PASSWORD, user)
            run(page, shot)
        except Exception:
            shot(f"failed-here-{user}")
            raise
        unexpected = [e for e in errors if "status of 400" not in e]
        assert not unexpected, unexpected
        browser.close()


def test_pending_items_are_ticked_and_packaged_with_an_approver(
    server_and_data: tuple[ServerProcess, Path, str],
) -> None:
    team = _team(server_and_data, "sales")
    server = server_and_data[0]
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)

    def steps(page: Any, shot: Callable[[str], None]) -> None:
        page.goto(f"{server.url}/console/w/{team.workspace_id}/jobs")
        banner = page.locator("[data-enterprise-banner]")
        playwright_api.expect(banner).to_contain_text("Enterprise mode")
        page.click("nav.mainnav >> text=Releases")
        page.wait_for_url("**/releases/pending")
        boxes = page.locator("[data-pending-item]")
        playwright_api.expect(boxes).to_have_count(3)
        shot("01-pending-items")
        boxes.nth(0).check()
        playwright_api.expect(page.locator("[data-pending-count]")).to_have_text("1")
        every = page.locator("[data-pending-all]")
        assert every.evaluate("box => box.indeterminate")
        every.check()  # the head's box ticks every item shown
        playwright_api.expect(page.locator("[data-pending-count]")).to_have_text("3")
        assert page.locator("[data-pending-item]:checked").count() == 3
        playwright_api.expect(page.locator("[data-tick-all-link]")).to_be_hidden()
        page.fill("input[name=package_name]", "first release")
        page.click("[data-package-button]")
        refused = page.locator("[data-package-refused]")
        playwright_api.expect(refused).to_contain_text("no approver is chosen")
        assert page.locator("[data-pending-item]:checked").count() == 3
        assert page.input_value("input[name=package_name]") == "first release"
        shot("02-package-refused")
        page.check(f"input[name=approver][value='{team.deployer.actor.user_id}']")
        page.click("[data-package-button]")
        page.wait_for_url("**/releases/packages/*")
        playwright_api.expect(page.locator(".alert.ok")).to_contain_text("Package created")
        state = page.locator("[data-package-state]")
        playwright_api.expect(state).to_have_text("waiting for approval")
        plan = page.inner_text("[data-kept-plan]")
        assert "daily_sql" in plan
        assert "CREATE 3" in plan
        shot("03-package-made")
        page.click("nav.releasesnav >> text=Packages")
        playwright_api.expect(page.locator("table.packages tbody tr")).to_have_count(1)
        shot("04-packages")

    _browse(server, team.developer.actor.name, steps)


def test_a_deploy_is_followed_to_its_end_and_production_shows_it_read_only(
    server_and_data: tuple[ServerProcess, Path, str],
) -> None:
    team = _team(server_and_data, "ops")
    server, data_dir, url = server_and_data
    made: list[int] = []

    def package(services: Services) -> None:
        _, items = services.releases.pending(team.developer, ItemFilter(), 100, 0)
        asked = PackageRequest(
            str(team.developer.actor.user_id),
            "ops release",
            tuple(str(i.id) for i in items),
            (str(team.deployer.actor.user_id),),
        )
        made.append(services.releases.create(team.developer, asked, []).package_id)

    with_services(server, data_dir, url, package)

    def steps(page: Any, shot: Callable[[str], None]) -> None:
        page.goto(f"{server.url}/console/w/{team.workspace_id}/releases/packages")
        page.click(f"[data-package-row='{made[0]}'] a")
        page.check("input[name=startup_mode][value='0']")
        shot("05-before-deploy")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("[data-deploy]")
        page.wait_for_selector("[data-release-task]")
        state = page.locator("[data-package-state]")
        playwright_api.expect(state).to_have_text("released", timeout=60_000)
        playwright_api.expect(page.locator("[data-release-task]")).to_contain_text("SUCCESSFUL")
        assert page.locator("[data-deploy]").count() == 0
        shot("06-released")
        page.click("[data-enterprise-banner] >> text=Production (read-only)")
        page.wait_for_selector("[data-production-banner]")
        assert page.locator("text=New job").count() == 0
        shot("07-production")
        production = team.admin.workspace.production_id
        page.goto(f"{server.url}/console/w/{production}/jobs/daily")
        playwright_api.expect(page.locator("h1")).to_have_text("daily")
        assert page.locator("[data-production-banner]").count() == 1
        assert page.locator("a:text-is('Edit'), button:text-is('Delete')").count() == 0
        shot("08-production-job")
        page.goto(f"{server.url}/console/w/{team.workspace_id}/releases/packages/{made[0]}")
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("[data-rollback]")
        rolled = page.locator("[data-rolled-back]")
        playwright_api.expect(rolled).to_contain_text(f"by {team.deployer.actor.name}")
        assert page.locator("[data-rollback]").count() == 0
        shot("09-rolled-back")

    _browse(server, team.deployer.actor.name, steps)
