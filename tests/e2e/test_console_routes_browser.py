"""The Routes page in a real browser (Debian's chromium driven by Playwright) against a real
``jobferry serve``, at 1280×900: create a route from the Routes page (a refusal first, the typed
settings kept), Promote now into the wizard's plan, Import, see the promotion in the route's
history; Promote now again says nothing changed; the import rolled back from its task page
shows as rolled back in the history. Every page leaves a screenshot in
test-artifacts/console-routes/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.browser import call, console_server, open_page, sign_in
from support.builders import make_job, make_resource, make_script
from support.server import ServerProcess

playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console-routes"
PASSWORD = "routes browser password"

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def routes_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server on SQLite whose admin has a console password."""
    data_dir = tmp_path_factory.mktemp("routes-server")
    server, _ = console_server(data_dir, PASSWORD)
    yield server
    server.stop()


def _seed(server: ServerProcess) -> tuple[str, str]:
    """The job daily_sales in /sales of the default workspace, with its scripts, resource and
    connections; a 'prod' workspace with those connections. Returns both workspaces' ids."""
    secret = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
    listed = call(server, "GET", "/workspaces", None)["workspaces"]
    default = next(w["id"] for w in listed if w["name"] == "default")
    prod = call(server, "POST", "/workspaces", {"name": "prod"})["id"]
    for ws in (default, prod):
        call(server, "PUT", "/environment/connection/dws_conn", secret, ws)
        call(server, "PUT", "/environment/connection/ssh_conn", {"type": "SSH", "config": {}}, ws)
    call(server, "POST", "/resources", make_resource("udf_jar"), default)
    call(server, "POST", "/scripts", make_script("daily_sales_sql"), default)
    shell = make_script("daily_sales_sh", type="Shell", content="echo")
    call(server, "POST", "/scripts", shell, default)
    job = make_job("daily_sales", directory="/sales")
    job["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    call(server, "POST", "/jobs", job, default)
    return default, prod


def test_a_route_is_created_promoted_imported_and_its_history_shown(
    routes_server: ServerProcess,
) -> None:
    _, prod = _seed(routes_server)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)

    with playwright_api.sync_playwright() as pw:
        browser, page, errors = open_page(pw)

        def shot(name: str) -> None:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

        try:
            sign_in(page, routes_server.url, PASSWORD)
            _create_route(page, shot, errors)
            task_id = _promote_and_import(page, shot, routes_server, prod)
            _history(page, shot, prod, task_id)
            _rolled_back(page, shot, routes_server, prod)
        except Exception:
            shot("failed-here")
            raise
        assert not errors, errors
        browser.close()


def _create_route(page: Any, shot: Any, errors: list[str]) -> None:
    """New route: folders chosen but none named is refused with the problem next to the form
    and every setting kept (a 400 page, which the browser logs: that error is expected); with
    the folder named, it is saved."""
    page.click("nav.mainnav >> text=Routes")
    playwright_api.expect(page.locator("main")).to_contain_text("No routes yet")
    shot("01-routes-empty")
    page.click("a:text-is('New route')")
    page.fill("input[name=name]", "test-to-prod")
    page.fill("input[name=description]", "daily sales to production")
    page.select_option("select[name=source]", "default")
    page.select_option("select[name=target]", "prod")
    page.check("input[name=selection][value=FOLDERS]")
    page.check("input[name=propagateDeletes]")
    page.select_option("select[name=onDrift]", "KEEP_TARGET")
    page.click("button:text-is('Create route')")
    problems = page.locator("[data-route-problems]")
    playwright_api.expect(problems).to_contain_text("Which jobs travel: name at least one folder")
    assert page.input_value("input[name=description]") == "daily sales to production"
    assert page.input_value("select[name=target]") == "prod"
    assert page.input_value("select[name=onDrift]") == "KEEP_TARGET"
    assert page.is_checked("input[name=propagateDeletes]")
    assert page.is_checked("input[name=selection][value=FOLDERS]")
    shot("02-route-refused")
    assert errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    errors.clear()

    page.fill("textarea[name=values]", "/sales")
    page.click("button:text-is('Create route')")
    page.wait_for_url("**/routes/test-to-prod?saved=1")
    playwright_api.expect(page.locator("main")).to_contain_text(
        "Saved route 'test-to-prod' as version 1."
    )
    assert "Never promoted." in page.inner_text("#history")
    shot("03-route-saved")


def _promote_and_import(page: Any, shot: Any, server: ServerProcess, prod: str) -> str:
    """Promote now: the wizard's plan in prod with the route's settings; Import runs it."""
    page.click("button:text-is('Promote now')")
    page.wait_for_selector("table.plan")
    assert f"/w/{prod}/routes/test-to-prod/promotions/" in page.url
    assert "Promotion along route test-to-prod" in page.inner_text("[data-route-note]")
    plan = page.inner_text("table.plan")
    assert "daily_sales" in plan
    assert "CREATE" in plan
    shot("04-promotion-plan")
    page.click("button:text-is('Import')")
    page.wait_for_url("**/tasks/*")
    page.wait_for_selector(".badge.status-successful", timeout=60_000)
    shot("05-promotion-imported")
    imported = server.call("GET", "/jobs/daily_sales", workspace=prod)
    assert imported.status_code == 200, imported.text
    return str(page.url.rsplit("/", 1)[1])


def _history(page: Any, shot: Any, prod: str, task_id: str) -> None:
    """The route's history shows the import; Promote now again finds nothing changed."""
    page.click("nav.mainnav >> text=Routes")
    row = page.locator("table.routes tbody tr").first
    playwright_api.expect(row).to_contain_text("default → prod")
    playwright_api.expect(row).to_contain_text("SUCCESSFUL")
    shot("06-routes-listed")
    page.click("table.routes a[href$='/routes/test-to-prod']")
    history = page.locator("table.history tbody tr")
    playwright_api.expect(history).to_have_count(1)
    first = history.first.inner_text()
    assert task_id in first
    assert "SUCCESSFUL" in first
    assert f"/w/{prod}/routes/test-to-prod" in page.url  # routes are the project's
    shot("07-route-history")
    page.click("button:text-is('Promote now')")
    playwright_api.expect(page.locator(".alert.ok")).to_contain_text(
        "Nothing changed in workspace 'default' since the last promotion ("
    )
    playwright_api.expect(history).to_have_count(1)
    shot("08-nothing-changed")


def _rolled_back(page: Any, shot: Any, server: ServerProcess, prod: str) -> None:
    """The import rolled back from its task page (linked from the history) is marked rolled
    back in the history."""
    page.click("table.history a[href*='/tasks/']")
    page.wait_for_url("**/tasks/*")
    page.click("button:text-is('Roll back this import')")
    page.wait_for_selector("[data-rollback-review]")  # what it undoes, then Roll back
    page.click("button[data-roll-back]")
    page.wait_for_selector("text=Rolled back")
    assert server.call("GET", "/jobs/daily_sales", workspace=prod).status_code == 400
    page.click("nav.mainnav >> text=Routes")
    page.click("table.routes a[href$='/routes/test-to-prod']")
    row = page.locator("table.history tbody tr.rolledback")
    playwright_api.expect(row).to_contain_text("ROLLED BACK")
    assert " by admin" in row.inner_text()
    shot("09-route-rolled-back")
