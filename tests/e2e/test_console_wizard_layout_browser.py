"""The import wizard and the console's forms in a real browser (Debian's chromium driven by
Playwright) against a real ``jobferry serve``, at 1280×800 and 1024×800: a select whose options
are long (a same-name policy said in full, an environment profile with a long description)
stays inside its card and the page never scrolls sideways, on every step of the wizard and on
the forms beside it. Each page leaves a screenshot in test-artifacts/console-wizard-layout/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import call, console_server, open_page, sign_in
from support.builders import make_job, make_script
from support.server import ServerProcess, wait_for_task

playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console-wizard-layout"
PASSWORD = "wizard layout password"
WIDTHS = (1280, 1024)
WORKSPACE = "analytics_production_eu_west_reporting_and_finance_consolidation"
"""A long workspace name: the wizard names the package by it (and its export's file)."""
JOB = "regional_revenue_reconciliation_emea_apac_amer_daily_with_currency_normalisation"
PROFILE = "prod_eu_west_reporting_connections_queues_clusters_and_schedules_for_the_finance_team"
DESCRIPTION = (
    "Maps every DWS connection, DLI queue and CDM cluster of the development workspace to its "
    "production twin in eu-west, and moves the schedules to Europe/Berlin keeping the wall clock"
)
"""A profile whose description makes the wizard's profile option long."""

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

OVERFLOW = """() => {
  const page = document.documentElement;
  const out = [];
  for (const field of document.querySelectorAll('main select, main input, main textarea')) {
    const box = field.getBoundingClientRect();
    if (box.width === 0 || field.type === 'hidden') continue;
    const card = field.closest('.card') || document.querySelector('main');
    const edge = card.getBoundingClientRect();
    const right = Math.min(edge.right, window.innerWidth);
    if (box.right > right + 0.5 || box.left < edge.left - 0.5) {
      out.push(`${field.name || field.id}: ${Math.round(box.left)}-${Math.round(box.right)} `
        + `outside ${Math.round(edge.left)}-${Math.round(edge.right)}`);
    }
  }
  return {pageWidth: page.scrollWidth, viewport: window.innerWidth, outside: out};
}"""
"""Whether the page scrolls sideways, and every visible form field that reaches past its card
or the window."""


@pytest.fixture(scope="module")
def wizard_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server on SQLite whose admin has a console password."""
    data_dir = tmp_path_factory.mktemp("wizard-layout-server")
    server, _ = console_server(data_dir, PASSWORD)
    yield server
    server.stop()


def _seed(server: ServerProcess) -> tuple[str, str]:
    """A workspace with a job, its scripts, its connections and a profile of a long
    description, and a whole-workspace export in its download center: the workspace's id and
    the package's download:// path."""
    ws = call(server, "POST", "/workspaces", {"name": WORKSPACE})["id"]
    for connection in ("dws_conn", "ssh_conn"):
        call(server, "PUT", f"/environment/connection/{connection}", {"type": "DWS"}, ws)
    call(server, "POST", "/scripts", make_script(f"{JOB}_sql"), ws)
    call(server, "POST", "/scripts", make_script(f"{JOB}_sh", type="Shell"), ws)
    folder = "/finance/consolidation/regional_reconciliation_and_currency_normalisation"
    call(server, "POST", "/jobs", make_job(JOB, directory=folder), ws)
    call(server, "PUT", f"/profiles/{PROFILE}", {"description": DESCRIPTION}, ws)
    task_id = call(server, "POST", "/exports", {"mode": "workspace"}, ws)["taskId"]
    task = wait_for_task(server, ws, task_id)
    assert task.status == "SUCCESSFUL"
    downloads = call(server, "GET", "/downloads", None, ws)["downloads"]
    return str(ws), f"download://{ws}/{downloads[0]['id']}"


def _fits(page: Any, name: str) -> None:
    """At each width: the page's screenshot, and nothing past its card or the window."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
        seen = page.evaluate(OVERFLOW)
        assert seen["pageWidth"] <= seen["viewport"], (name, width, seen)
        assert not seen["outside"], (name, width, seen)


def test_the_wizard_and_the_forms_fit_a_1280_and_a_1024_window(
    wizard_server: ServerProcess,
) -> None:
    ws, package = _seed(wizard_server)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    base = f"{wizard_server.url}/console/w/{ws}"

    with playwright_api.sync_playwright() as pw:
        browser, page, errors = open_page(pw)
        try:
            sign_in(page, wizard_server.url, PASSWORD)
            page.goto(f"{base}/import")
            _fits(page, "01-import-source")
            page.goto(f"{base}/import?package={package}")
            _fits(page, "02-import-download")
            page.locator("section", has_text="A package from the download").get_by_role(
                "button", name="Next: preview"
            ).click()
            page.wait_for_url("**/import/options?*")
            profile = page.locator("select[name=profile]")
            profile.select_option(PROFILE)
            assert DESCRIPTION in profile.inner_text()
            _fits(page, "03-import-options")
            page.get_by_role("button", name="Next: check").click()
            page.wait_for_selector("main h2")
            _fits(page, "04-import-check")
            page.get_by_role("button", name="Next: plan").click()
            page.wait_for_selector("main table")
            _fits(page, "05-import-plan")
            for number, path in enumerate(
                (
                    "/export/workspace",
                    "/new-route",
                    "/admin/environment",
                    "/admin/profiles",
                    "/admin/settings",
                    "/admin/policies",
                    f"/editor/jobs/{JOB}",
                ),
                start=6,
            ):
                page.goto(base + path)
                _fits(page, f"{number:02}{path.replace('/', '-')[:30]}")
        except Exception:
            page.screenshot(path=str(ARTIFACTS / "failed-here.png"), full_page=True)
            raise
        assert not errors, errors
        browser.close()
