"""The Releases pages with long names in a real browser (Debian's chromium driven by Playwright)
against a real ``jobferry serve``, at 1280 px (a laptop) and 390 px (a phone): a job named with
118 characters and package names of one unbroken token wrap where they are shown (the packages
list, a package's page and its plan, the Approvals heading) and no page scrolls sideways; the
plan's table stays inside its card, and the Approvals page's plan hash inside its own on a
phone too. The Release ledger's tables keep their columns' words whole (a user's name on one
line) and, too wide for a phone, scroll inside their cards. Each page leaves a screenshot in
test-artifacts/console-release-layout/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobferry.domain.releases import StartupMode
from jobferry.services.container import Services
from jobferry.services.releases.records import DeployRequest
from support.browser import console_server, open_page, sign_in, with_services
from support.releases import connected_team, make_package, submit_job
from support.server import ServerProcess, wait_for_task

playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console-release-layout"
PASSWORD = "release layout browser password"
LONG_JOB = ("regional_revenue_reconciliation_" * 4)[:118]
LONG_PACKAGE = (
    "quarterly_close_release_for_the_emea_apac_amer_regions_with_every_reconciliation_v2026"
)
"""A package name with no break opportunity: underscores are none."""

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

WIDTHS = """(selector) => {
  const part = document.querySelector(selector);
  const card = part.closest('.card');
  return {
    pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth,
    partRight: part.getBoundingClientRect().right,
    cardRight: card.getBoundingClientRect().right,
  };
}"""
"""Whether the page scrolls sideways, and where a part of it (a table, the plan hash) ends
against its card."""


LEDGER = """() => {
  const table = document.querySelector('table.ledger');
  const card = table.closest('.card');
  const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent);
  const cells = [...table.querySelector('tbody tr').children];
  const lines = (cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
  };
  return {
    lines: Object.fromEntries(heads.map((h, i) => [h, lines(cells[i])])),
    cardScrolls: card.scrollWidth > card.clientWidth,
    pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth,
  };
}"""
"""On how many lines each cell of the ledger's newest entry is laid out, whether its card
scrolls sideways, and whether the page does."""


@dataclass(frozen=True)
class Released:
    """An enterprise workspace whose first package of the long-named job was released and
    whose second (the job changed since) waits."""

    workspace_id: str
    released: int
    waiting: int


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Released]]:
    """A real server on SQLite whose admin has a console password, and the workspace."""
    data_dir = tmp_path_factory.mktemp("release-layout-server")
    server, url = console_server(data_dir, PASSWORD)
    made: list[Released] = []

    def work(services: Services) -> None:
        team = connected_team(services, "sales_layout", services.accounts.actor_for(server.ak))
        submit_job(services, team.developer, LONG_JOB)
        first = make_package(services, team, LONG_PACKAGE)
        deployed = services.releases.deploy(
            team.deployer, DeployRequest((first,), StartupMode.START)
        )
        production = team.admin.workspace.production_id or ""
        assert wait_for_task(server, production, deployed[0].task_id).status == "SUCCESSFUL"
        submit_job(services, team.developer, LONG_JOB, description="second cut")
        second = make_package(services, team, f"second_{LONG_PACKAGE}")
        made.append(Released(team.workspace_id, first, second))

    try:
        with_services(server, data_dir, url, work)
    except Exception:
        server.stop()
        raise
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    yield server, made[0]
    server.stop()


def test_long_names_wrap_on_the_release_pages_of_a_laptop_and_a_phone(
    found: tuple[ServerProcess, Released],
) -> None:
    server, ws = found
    base = f"{server.url}/console/w/{ws.workspace_id}"
    pages = {  # a page, a part of it that stays within its card, and whether on a phone too
        "packages": ("/releases/packages", "table.packages", False),
        "package": (f"/releases/packages/{ws.waiting}", "table.plan", False),
        "approvals": (f"/releases/packages/{ws.waiting}/approvals", "dl.facts code", True),
    }
    with playwright_api.sync_playwright() as pw:
        browser, page, errors = open_page(pw)
        try:
            sign_in(page, server.url, PASSWORD)
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                for name, (path, part, on_a_phone) in pages.items():
                    page.goto(base + path)
                    shot = ARTIFACTS / f"{width}-{name}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    fit = page.evaluate(WIDTHS, part)
                    assert fit["pageWidth"] <= fit["viewport"], (width, name, fit)
                    if width == 1280 or on_a_phone:  # a phone's card scrolls a wide table
                        assert fit["partRight"] <= fit["cardRight"], (width, name, fit)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failed-here.png"), full_page=True)
            raise
        assert not errors, errors
        browser.close()


def test_the_ledgers_columns_keep_their_words_and_scroll_inside_their_cards(
    found: tuple[ServerProcess, Released],
) -> None:
    server, ws = found
    with playwright_api.sync_playwright() as pw:
        browser, page, errors = open_page(pw)
        try:
            sign_in(page, server.url, PASSWORD)
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(f"{server.url}/console/w/{ws.workspace_id}/release-ledger")
                page.screenshot(path=str(ARTIFACTS / f"{width}-ledger.png"), full_page=True)
                ledger = page.evaluate(LEDGER)
                assert ledger["pageWidth"] <= ledger["viewport"], (width, ledger)
                for column in ("Entry", "Action", "Approvers", "By", "Scheduling", "When"):
                    assert ledger["lines"][column] == 1, (width, column, ledger)
                assert ledger["cardScrolls"] == (width == 390), (width, ledger)
            assert page.locator("table.ledger td[data-scheduling]").inner_text() == "jobs started"
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failed-here.png"), full_page=True)
            raise
        assert not errors, errors
        browser.close()
