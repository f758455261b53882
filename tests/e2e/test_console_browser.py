"""The web console in a real browser (Debian's chromium driven by Playwright) against a real
``jobferry serve``: sign in, export ticked jobs with dependencies, export by a name list with
a wrong name, import into another workspace through the wizard (mapping a missing connection),
follow the import and roll it back. Every step leaves a screenshot in test-artifacts/console/."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from support.builders import make_job, make_resource, make_script
from support.server import ServerProcess, start_server

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
PASSWORD = "browser test password"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server on SQLite whose admin has a console password (set with the CLI)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing; .ci/ensure-chromium installs it")
        pytest.skip(f"{CHROMIUM} is missing; run .ci/ensure-chromium (make test does)")
    data_dir = tmp_path_factory.mktemp("console-server")
    url = f"sqlite:///{data_dir / 'jobferry.db'}"
    server = start_server(data_dir, url)
    env = {**os.environ, "JOBFERRY_DATA_DIR": str(data_dir), "JOBFERRY_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "jobferry", "admin", "set-password", "admin", "--password-stdin"],
        input=f"{PASSWORD}\n".encode(),
        env=env,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    yield server
    server.stop()


def _call(
    server: ServerProcess, method: str, path: str, body: object, ws: str | None = None
) -> None:
    response = server.call(method, path, orjson.dumps(body), workspace=ws)
    assert response.status_code in (200, 204), response.text


def _seed(server: ServerProcess) -> str:
    """Three jobs in two folders in the default workspace; an empty 'prod' workspace that has
    ssh_conn and dws_prod but no dws_conn. Returns prod's id."""
    _call(server, "PUT", "/environment/connection/dws_conn", {"type": "DWS", "config": {}})
    _call(server, "PUT", "/environment/connection/ssh_conn", {"type": "SSH", "config": {}})
    _call(server, "POST", "/resources", make_resource("udf_jar"))
    for name, folder in (
        ("daily_sales", "/sales"),
        ("weekly_report", "/reports"),
        ("audit_log", "/"),
    ):
        _call(server, "POST", "/scripts", make_script(f"{name}_sql"))
        _call(server, "POST", "/scripts", make_script(f"{name}_sh", type="Shell", content="echo"))
        job = make_job(name, directory=folder)
        job["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
        _call(server, "POST", "/jobs", job)
    created = server.call("POST", "/workspaces", orjson.dumps({"name": "prod"}))
    assert created.status_code == 200, created.text
    prod: str = created.json()["id"]
    _call(server, "PUT", "/environment/connection/ssh_conn", {"type": "SSH", "config": {}}, prod)
    dws_prod = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
    _call(server, "PUT", "/environment/connection/dws_prod", dws_prod, prod)
    return prod


def _entries(path: Path) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        return zf.namelist()


def test_export_and_import_through_the_console(console_server: ServerProcess) -> None:
    prod = _seed(console_server)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    base = f"{console_server.url}/console"

    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        context = browser.new_context(
            accept_downloads=True, viewport={"width": 1366, "height": 860}
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

        def shot(name: str) -> None:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

        try:
            _walk_through(page, shot, base, console_server, prod)
        except Exception:
            shot("failed-here")
            raise
        assert not console_errors, console_errors
        browser.close()


def _walk_through(
    page: Any, shot: Any, base: str, console_server: ServerProcess, prod: str
) -> None:
    if True:
        # Sign in.
        page.goto(f"{console_server.url}/")
        assert "/console/signin" in page.url
        shot("01-signin")
        page.fill("input[name=user]", "admin")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/jobs")
        assert page.locator("text=daily_sales").first.is_visible()
        shot("02-job-tree")

        # Job detail with its node graph.
        page.click("a:text-is('daily_sales')")
        page.wait_for_selector("svg.dag")
        assert page.locator("svg.dag g.node").count() == 2
        assert page.locator("svg.dag path.edge").count() == 1
        shot("03-job-detail")
        page.go_back()

        # Tick two jobs and export them with their dependencies.
        page.click("text=Show check boxes")
        page.check("input[name=job][value=daily_sales]")
        page.check("input[name=job][value=weekly_report]")
        assert page.inner_text(".selectionbar [data-selected-count]") == "2"
        page.click("text=Export selected…")
        page.check("input[name=content][value=deps]")
        shot("04-export-dialog")
        with page.expect_download() as download_info:
            page.click("#export-dialog button[type=submit]")
        ticked = ARTIFACTS / "ticked-jobs.zip"
        download_info.value.save_as(ticked)
        names = _entries(ticked)
        assert "jobs/daily_sales/daily_sales.job" in names
        assert "jobs/weekly_report/weekly_report.job" in names
        assert any(n.endswith("daily_sales_sql.script") for n in names)
        assert any(n.endswith("udf_jar.resource") for n in names)

        # Export by names: one wrong name first.
        page.click("nav.mainnav >> text=Export by names")
        page.fill("textarea[name=names]", "daily_sales\nweekly_reprot")
        # The counter follows typing; a loaded machine may draw it a moment later.
        playwright_api.expect(page.locator("#names-counter")).to_have_text("2")  # waits, no eval
        page.click("button[value=generate]")
        page.wait_for_selector(".matchline")
        assert "Matched 1, failed 1" in page.inner_text(".matchline")
        page.click("text=view details")
        assert "weekly_reprot" in page.inner_text("#failures")
        shot("05-names-failed")
        page.fill("textarea[name=names]", "daily_sales\nweekly_report")
        page.click("button[value=generate]")
        page.wait_for_selector("[data-task-ready]:not(.hidden)")
        assert "Matched 2, failed 0" in page.inner_text(".matchline")
        shot("06-names-ready")
        with page.expect_download() as download_info:
            page.click("[data-task-download]")
        package = ARTIFACTS / "by-names.zip"
        download_info.value.save_as(package)
        assert "manifest.json" in _entries(package)

        page.click("nav.mainnav >> text=Download center")
        assert page.locator("table.downloads tbody tr").count() == 1
        shot("07-download-center")

        # Import into 'prod' through the wizard.
        page.select_option("#ws-switch", prod)
        page.wait_for_url(f"**/w/{prod}/jobs")
        page.click("nav.mainnav >> text=Import")
        page.set_input_files("input[name=file]", str(package))
        shot("08-import-source")
        page.click("text=Next: preview")
        page.wait_for_selector("text=What the package holds")
        assert "daily_sales" in page.inner_text("main")
        shot("09-import-preview")
        page.click("text=Next: check")
        page.wait_for_selector("table.problems")
        problems = page.inner_text("table.problems")
        assert "dws_conn" in problems
        assert "missing reference" in problems
        shot("10-import-check-problem")
        page.locator("input[aria-label='Replacement for dws_conn']").first.fill("dws_prod")
        page.locator("button[name=map]").first.click()
        page.wait_for_selector("text=No problems")
        assert "dws_prod" in page.inner_text(".mappings")
        shot("11-import-check-mapped")
        page.click("text=Next: plan")
        page.wait_for_selector("table.plan")
        plan = page.inner_text("table.plan")
        assert "CREATE" in plan
        shot("12-import-plan")
        page.click("button:text-is('Import')")
        page.wait_for_url("**/tasks/*")
        page.wait_for_selector(".badge.status-successful", timeout=30_000)
        assert "Import the daily_sales job." in page.inner_text("main")
        shot("13-import-result")

        imported = console_server.call("GET", "/jobs/daily_sales", workspace=prod)
        assert imported.status_code == 200
        nodes = imported.json()["nodes"]
        values = [p["value"] for p in nodes[0]["properties"] if p["name"] == "connectionName"]
        assert values == ["dws_prod"]

        # Roll it back (the confirmation dialog is accepted).
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("button:text-is('Roll back this import')")
        page.wait_for_selector("text=Rolled back 7 objects")
        shot("14-import-rolled-back")
        gone = console_server.call("GET", "/jobs/daily_sales", workspace=prod)
        assert gone.status_code == 400

        # The admin pages, as an admin sees them.
        for number, (link, heading) in enumerate(
            [
                ("Environment objects", "Environment objects"),
                ("Environment profiles", "Environment profiles"),
                ("Signing and trusted keys", "Signing and trusted keys"),
                ("Users and roles", "Users and roles"),
                ("Workspace settings", "Workspace settings"),
            ],
            start=15,
        ):
            page.click("nav.mainnav >> text=Admin")
            page.click(f"nav.subnav >> text={link}")
            assert heading in page.inner_text("h1")
            shot(f"{number}-admin-{link.split()[0].lower()}-{link.split()[-1].lower()}")
