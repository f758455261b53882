"""The console's layout in a real browser (Debian's chromium driven by Playwright) against a
real ``jobferry serve``, at 1280×900, the width of a laptop: the top bar keeps its navigation on
one line for a workspace admin (who sees every link) in a workspace with a long name, and the
download center's table of packages with long names fits its card, on every page a writer
sees; in a workspace in enterprise mode (two links more) the top bar wraps its links rather
than push the user menu off a 1280 px or a 390 px screen. Each page leaves a screenshot in
test-artifacts/console-layout/ (the enterprise workspace's in console-layout-enterprise/)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.browser import call, console_server, open_page, sign_in
from support.builders import make_job, make_script
from support.releases import enterprise_mode
from support.server import ServerProcess, wait_for_task

playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console-layout"
ENTERPRISE_ARTIFACTS = ARTIFACTS.parent / "console-layout-enterprise"
PASSWORD = "layout browser password"
WORKSPACE = "analytics_production_eu_west_reporting"
"""A long workspace name: the switcher shows it, and background exports name packages by it."""
JOBS = [f"regional_revenue_reconciliation_{region}_daily" for region in ("emea", "apac", "amer")]

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

NAV_ROWS = """() => {
  const bar = document.querySelector('header.topbar');
  const links = [...bar.querySelectorAll('nav.mainnav a')];
  const tops = new Set(links.map(a => a.getBoundingClientRect().top));
  const parts = [...bar.children].filter(c => c.getBoundingClientRect().height > 0);
  const first = parts[0].getBoundingClientRect();
  const lines = new Set(parts.map(c => c.getBoundingClientRect().top >= first.bottom));
  return {navRows: tops.size, barLines: lines.size, links: links.length};
}"""
"""How many rows the navigation's links take, and on how many lines the top bar lays out its
parts (brand, workspace switcher, navigation, user menu): one each when nothing wraps."""

TOP_BAR = """() => {
  const links = [...document.querySelectorAll('header.topbar nav.mainnav a')];
  const user = document.querySelector('header.topbar .usermenu > a').getBoundingClientRect();
  const out = document.querySelector('header.topbar .usermenu button').getBoundingClientRect();
  return {
    pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth,
    links: links.length, userWidth: user.width, signOutRight: out.right,
  };
}"""
"""Whether the page scrolls sideways, and where the user menu's name and *Sign out* are."""

FITS = """(selector) => {
  const table = document.querySelector(selector);
  const card = table.closest('.card');
  const t = table.getBoundingClientRect(), c = card.getBoundingClientRect();
  return {
    tableRight: t.right, cardRight: c.right, scrollWidth: table.scrollWidth,
    cardWidth: card.clientWidth, pageWidth: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  };
}"""
"""Where a table ends against its card, and whether the page scrolls sideways."""


@pytest.fixture(scope="module")
def layout_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server on SQLite whose admin has a console password."""
    data_dir = tmp_path_factory.mktemp("layout-server")
    server, _ = console_server(data_dir, PASSWORD)
    yield server
    server.stop()


def _seed(server: ServerProcess) -> str:
    """A workspace with a long name, three jobs of long names with their scripts, and three
    packages in its download center: the workspace, its jobs by name, and its changes for a
    target. Returns the workspace's id."""
    ws = call(server, "POST", "/workspaces", {"name": WORKSPACE})["id"]
    for connection in ("dws_conn", "ssh_conn"):
        call(server, "PUT", f"/environment/connection/{connection}", {"type": "DWS"}, ws)
    for name in JOBS:
        call(server, "POST", "/scripts", make_script(f"{name}_sql"), ws)
        shell = make_script(f"{name}_sh", type="Shell", content="echo")
        call(server, "POST", "/scripts", shell, ws)
        call(server, "POST", "/jobs", make_job(name), ws)
    for body in (
        {"mode": "workspace"},
        {"mode": "names", "names": JOBS, "withUpstream": True},
        {
            "mode": "workspace",
            "changed": "since",
            "since": "2026-01-01T00:00:00+00:00",
            "deletionsFor": "prod_eu_west",
        },
    ):
        task_id = call(server, "POST", "/exports", body, ws)["taskId"]
        assert wait_for_task(server, ws, task_id).status == "SUCCESSFUL"
    return str(ws)


def test_the_navigation_keeps_one_line_and_the_download_table_fits_its_card_at_1280(
    layout_server: ServerProcess,
) -> None:
    ws = _seed(layout_server)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)

    with playwright_api.sync_playwright() as pw:
        browser, page, errors = open_page(pw)
        try:
            sign_in(page, layout_server.url, PASSWORD)
            base = f"{layout_server.url}/console/w/{ws}"
            for number, path in enumerate(
                ("/jobs", "/export/workspace", "/downloads", "/admin/environment"), start=1
            ):
                page.goto(base + path)
                page.screenshot(path=str(ARTIFACTS / f"{number:02}{path.replace('/', '-')}.png"))
                rows = page.evaluate(NAV_ROWS)
                assert rows["links"] == 10, rows  # an admin sees every link
                assert rows == {"navRows": 1, "barLines": 1, "links": 10}, (path, rows)

            page.goto(base + "/downloads")
            playwright_api.expect(page.locator("table.downloads tbody tr")).to_have_count(3)
            fit = page.evaluate(FITS, "table.downloads")
            assert fit["tableRight"] <= fit["cardRight"], fit
            assert fit["scrollWidth"] <= fit["cardWidth"], fit
            assert fit["pageWidth"] <= fit["viewport"], fit
            # Every package can still be downloaded, deleted and imported from its row.
            row = page.locator("table.downloads tbody tr").first
            for label in ("Download", "Delete", "Import into…"):
                box = row.get_by_text(label, exact=True).bounding_box()
                assert box is not None, label
                assert box["x"] + box["width"] <= fit["cardRight"], label
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failed-here.png"), full_page=True)
            raise
        assert not errors, errors
        browser.close()


def test_the_top_bar_of_an_enterprise_workspace_fits_a_laptop_and_a_phone(
    layout_server: ServerProcess,
) -> None:
    name = "sales_enterprise_layout"
    ws = call(layout_server, "POST", "/workspaces", {"name": name})["id"]
    enterprise_mode(layout_server, ws, name)
    ENTERPRISE_ARTIFACTS.mkdir(parents=True, exist_ok=True)

    with playwright_api.sync_playwright() as pw:
        browser, page, errors = open_page(pw)
        try:
            sign_in(page, layout_server.url, PASSWORD)
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(f"{layout_server.url}/console/w/{ws}/jobs")
                page.screenshot(path=str(ENTERPRISE_ARTIFACTS / f"top-bar-{width}.png"))
                bar = page.evaluate(TOP_BAR)
                assert bar["links"] == 12, bar  # an admin's every link, Releases and the ledger
                assert bar["pageWidth"] <= bar["viewport"], (width, bar)
                assert bar["userWidth"] > 0, (width, bar)
                assert bar["signOutRight"] <= bar["viewport"], (width, bar)
        except Exception:
            page.screenshot(path=str(ENTERPRISE_ARTIFACTS / "failed-here.png"), full_page=True)
            raise
        assert not errors, errors
        browser.close()
