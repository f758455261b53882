"""The web console in a real browser (Debian's chromium driven by Playwright) against a real
``jobferry serve``, at 1280×900: sign in; browse jobs one folder at a time (folders opening in
place, a large folder paged), scripts and resources; open a job's node; create a job in the
editor (a broken definition refused first, the text kept; a misspelt node type named by the
review a save shows before it is confirmed) and edit it (the review lists the field changed);
export two ticked jobs with their dependencies, then a ticked folder of 2,000 jobs (a task of
the download center); export by a name list with a wrong name; import into another workspace
through the wizard, mapping a missing connection, removing the mapping and mapping it again;
import a package of 4,001 objects (planned as a task, which the wizard follows; its task page
paged); roll an import back; the admin pages. Every page leaves a screenshot in
test-artifacts/console/.

The 4,000 jobs are written in bulk into the server's database (tests/support/seeding.py), not
through the UI or the API, so the walk stays short."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from jobferry.services.container import Services
from support.browser import call, open_page, require_chromium, set_admin_password, with_services
from support.builders import make_job, make_resource, make_script
from support.seeding import bulk_jobs
from support.server import ServerProcess, start_server

playwright_api = pytest.importorskip("playwright.sync_api")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
PASSWORD = "browser test password"
LONG_NAME = "quarterly_revenue_reconciliation_of_the_general_ledger_and_the_sales_mart_" + (
    "for_every_region_and_currency_v2"
)
BULK = 2_000
"""Jobs in each of /bulk/a and /bulk/b."""

# 4,000 jobs exported and imported
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

Shot = Callable[..., None]


@pytest.fixture(scope="module")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server on SQLite whose admin has a console password."""
    require_chromium()
    data_dir = tmp_path_factory.mktemp("console-server")
    url = f"sqlite:///{data_dir / 'jobferry.db'}"
    server = start_server(data_dir, url)
    _prepare(server, data_dir, url)
    yield server
    server.stop()


def _prepare(server: ServerProcess, data_dir: Path, url: str) -> None:
    """Written into the server's database directly: the admin's console password and 4,000
    jobs in /bulk/a and /bulk/b of the default workspace."""

    def prepare(services: Services) -> None:
        set_admin_password(services, server, PASSWORD)
        actor = services.accounts.actor_for(server.ak)
        scope = services.accounts.scope(actor, actor.project_id, None)
        bulk_jobs(services, scope, 2 * BULK, folder=lambda i: "/bulk/a" if i < BULK else "/bulk/b")

    with_services(server, data_dir, url, prepare)


def _seed(server: ServerProcess) -> tuple[str, str, str]:
    """Three jobs in /sales, /reports and / of the default workspace (beside the bulk ones);
    a 'prod' workspace that has ssh_conn and dws_prod but no dws_conn, and a 'stage' one that
    has dws_conn. Returns the ids of default, prod and stage."""
    call(server, "PUT", "/environment/connection/ssh_conn", {"type": "SSH", "config": {}})
    call(server, "POST", "/resources", make_resource("udf_jar"))
    for name, folder in (
        ("daily_sales", "/sales"),
        ("weekly_report", "/reports"),
        ("audit_log", "/"),
    ):
        call(server, "POST", "/scripts", make_script(f"{name}_sql"))
        call(server, "POST", "/scripts", make_script(f"{name}_sh", type="Shell", content="echo"))
        job = make_job(name, directory=folder, description=f"The {name} job.")
        job["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
        call(server, "POST", "/jobs", job)
    long = make_job(LONG_NAME, directory="/reports")
    long["nodes"][0]["properties"][0]["value"] = "weekly_report_sql"
    long["nodes"][1]["properties"][0]["value"] = "weekly_report_sh"
    call(server, "POST", "/jobs", long)
    prod = call(server, "POST", "/workspaces", {"name": "prod"})["id"]
    stage = call(server, "POST", "/workspaces", {"name": "stage"})["id"]
    call(server, "PUT", "/environment/connection/ssh_conn", {"type": "SSH", "config": {}}, prod)
    secret = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
    call(server, "PUT", "/environment/connection/dws_prod", secret, prod)
    call(server, "PUT", "/environment/connection/dws_conn", secret, stage)
    listed = call(server, "GET", "/workspaces", None)["workspaces"]
    default = next(w["id"] for w in listed if w["name"] == "default")
    return default, prod, stage


def _entries(path: Path) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        return zf.namelist()


def test_the_console_in_a_browser(console_server: ServerProcess) -> None:
    default, prod, stage = _seed(console_server)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    base = f"{console_server.url}/console"

    with playwright_api.sync_playwright() as pw:
        browser, page, console_errors = open_page(pw, accept_downloads=True)

        def shot(name: str, *, full: bool = True) -> None:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full)

        try:
            _sign_in_and_browse(page, shot, console_server)
            _create_and_edit_a_job(page, shot, console_errors)
            _export(page, shot)
            _import_with_a_mapping(page, shot, console_server, prod)
            _import_a_large_package(page, shot, console_server, default, stage)
            _admin_pages(page, shot)
        except Exception:
            shot("failed-here", full=False)
            raise
        assert not console_errors, console_errors
        page.goto(f"{base}/no/such/page")  # the browser logs the 404 itself
        assert "There is no such page" in page.inner_text("main")
        shot("35-not-found")
        browser.close()


def _sign_in_and_browse(page: Any, shot: Shot, server: ServerProcess) -> None:
    page.goto(f"{server.url}/")
    assert "/console/signin" in page.url
    shot("01-signin")
    page.fill("input[name=user]", "admin")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/jobs")
    assert "4,004 jobs" in page.inner_text("form.filters")
    shot("02-jobs-root")

    # A folder opens in place; a large one shows its first 100 entries and pages on.
    page.click("details[data-folder='/sales'] > summary")
    page.wait_for_selector("details[data-folder='/sales'] a:text-is('daily_sales')")
    page.click("details[data-folder='/reports'] > summary")
    reports = "details[data-folder='/reports'] table.objects"
    page.wait_for_selector(f"{reports} a:text-is('{LONG_NAME}')")
    assert page.eval_on_selector(reports, "t => t.scrollWidth <= t.parentElement.clientWidth")
    shot("03-jobs-folders-opened", full=False)  # the long name wraps inside its column
    page.click("details[data-folder='/bulk'] > summary")
    page.click("details[data-folder='/bulk/a'] > summary")
    rows = "details[data-folder='/bulk/a'] table.objects tbody tr"
    page.wait_for_selector(rows)
    assert page.locator(rows).count() == 100
    page.click("details[data-folder='/bulk/a'] a:text('Next →')")
    page.wait_for_selector("details[data-folder='/bulk/a'] :text('Page 2 of 20')")
    assert page.locator(rows).first.inner_text().startswith("job_000100")
    shot("03-jobs-large-folder-paged", full=False)

    # A job and one of its nodes.
    page.click("details[data-folder='/sales'] a:text-is('daily_sales')")
    page.wait_for_selector("svg.dag")
    assert page.locator("svg.dag g.node").count() == 2
    assert page.locator("svg.dag path.edge").count() == 1
    assert "The daily_sales job." in page.inner_text(".pagehead")
    # the node's link opens its properties once the page's deferred script has run (a click
    # before that only jumps to them): wait for the page's load, as a person's click comes
    page.wait_for_load_state("load")
    page.click("svg.dag a[data-open-details='node-load']")
    page.wait_for_selector("#node-load[open]")
    assert "daily_sales_sql" in page.inner_text("#node-load")
    shot("04-job-detail")

    # The script the node runs, then the resources.
    page.click("#node-load a:text-is('daily_sales_sql')")
    page.wait_for_selector("pre.script-content")
    shot("05-script")
    page.click("nav.mainnav >> text=Scripts")
    page.wait_for_selector("details[data-folder='/sales']")
    shot("06-scripts")
    page.click("nav.mainnav >> text=Resources")
    page.click("details[data-folder='/libs'] > summary")
    page.click("details[data-folder='/libs'] a:text-is('udf_jar')")
    page.wait_for_selector("text=Depends on")
    shot("07-resource")
    page.click("nav.mainnav >> text=Resources")
    shot("08-resources")


def _create_and_edit_a_job(page: Any, shot: Shot, errors: list[str]) -> None:
    """New job from the jobs page: a broken definition is refused with every problem listed and
    the typed text kept; fixed, it is created; Edit on its page changes it. The refusal is a
    400 page, which the browser logs as an error (``errors``): that one is expected."""
    page.click("nav.mainnav >> text=Jobs")
    page.click("a:text-is('New job')")
    page.wait_for_selector("textarea#definition")
    assert orjson.loads(page.input_value("#definition"))["name"] == "new_job"
    broken = '{\n  "name": "",\n  "nodes": "none",\n  "directory": "/drafts"\n}\n'
    page.fill("#definition", broken)
    page.click("button:text-is('Review and create')")
    page.wait_for_selector("[data-editor-problems]")
    problems = page.inner_text("[data-editor-problems]")
    assert "job name is missing" in problems
    assert "nodes must be a JSON array" in problems
    assert page.input_value("#definition") == broken
    for _ in range(50):
        if errors:
            break
        page.wait_for_timeout(100)
    assert errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    errors.clear()
    shot("04a-job-editor-refused")

    fixed = {
        "name": "drafted_in_the_console",
        "directory": "/drafts",
        "processType": "BATCH",
        "nodes": [{"name": "step_1", "type": "dummy", "location": {"x": "10", "y": "10"}}],
        "schedule": {"type": "EXECUTE_ONCE"},
    }
    page.fill("#definition", orjson.dumps(fixed, option=orjson.OPT_INDENT_2).decode())
    page.select_option("select[name=target]", "SAVED")
    page.click("button:text-is('Review and create')")
    # Nothing is saved before the review is confirmed; it names the misspelt node type.
    review = page.locator("[data-editor-review]")
    playwright_api.expect(review).to_contain_text("Create job drafted_in_the_console?")
    playwright_api.expect(review).to_contain_text("did you mean 'Dummy'?")
    shot("04a-job-editor-review")
    fixed["nodes"][0]["type"] = "Dummy"
    page.fill("#definition", orjson.dumps(fixed, option=orjson.OPT_INDENT_2).decode())
    page.click("button:text-is('Review again')")
    playwright_api.expect(review).not_to_contain_text("did you mean")
    review.locator("button:text-is('Create job')").click()
    page.wait_for_url(re.compile(r".*/jobs/drafted_in_the_console\?saved=\w+$"))
    playwright_api.expect(page.locator(".alert")).to_contain_text("Saved the job")
    assert "drafted_in_the_console" in page.inner_text("h1")
    page.click(".pagehead a:text-is('Edit')")
    page.wait_for_selector("textarea#definition")
    edited = orjson.loads(page.input_value("#definition"))
    edited["description"] = "Drafted and edited in the console."
    page.fill("#definition", orjson.dumps(edited, option=orjson.OPT_INDENT_2).decode())
    shot("04b-job-editor-edit")
    page.click("button:text-is('Review and save')")
    playwright_api.expect(review).to_contain_text("Save these changes to job")
    playwright_api.expect(review.locator("[data-review-changes]")).to_contain_text("description")
    shot("04b-job-editor-edit-review")
    review.locator("button:text-is('Save job')").click()
    page.wait_for_url(re.compile(r".*/jobs/drafted_in_the_console\?saved=\w+$"))
    assert "Drafted and edited in the console." in page.inner_text(".pagehead")
    shot("04c-job-edited")


def _export(page: Any, shot: Shot) -> None:
    # Two ticked jobs download at once, with their dependencies.
    page.click("nav.mainnav >> text=Jobs")
    page.click("text=Show check boxes")
    page.click("details[data-folder='/sales'] > summary")
    page.check("input[data-mark='j:daily_sales']")
    page.click("details[data-folder='/reports'] > summary")
    page.check("input[data-mark='j:weekly_report']")
    assert page.inner_text(".selectionbar [data-selected-count]") == "2"
    page.click("text=Export selected…")
    page.check("input[name=content][value=deps]")
    shot("09-export-dialog", full=False)
    with page.expect_download() as download_info:
        page.click("#export-dialog button[type=submit]")
    ticked = ARTIFACTS / "ticked-jobs.zip"
    download_info.value.save_as(ticked)
    names = _entries(ticked)
    assert "jobs/daily_sales/daily_sales.job" in names
    assert "jobs/weekly_report/weekly_report.job" in names
    assert any(n.endswith("daily_sales_sql.script") for n in names)
    assert any(n.endswith("udf_jar.resource") for n in names)

    # A ticked folder of 2,000 jobs, its jobs never loaded, becomes a download-center task.
    page.reload()
    page.click("details[data-folder='/bulk'] > summary")
    page.check("input[data-mark='f:/bulk/a']")
    assert page.inner_text(".selectionbar [data-selected-count]") == "2,000"
    folder = _export_as_a_task(page, "ticked-folder.zip")
    shot("10-export-task")
    assert sum(1 for n in _entries(folder) if n.endswith(".job")) == BULK

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
    shot("11-export-names-failed")
    page.fill("textarea[name=names]", "daily_sales\nweekly_report")
    page.click("button[value=generate]")
    page.wait_for_selector("[data-task-ready]:not(.hidden)")
    assert "Matched 2, failed 0" in page.inner_text(".matchline")
    shot("12-export-names-ready")
    with page.expect_download() as download_info:
        page.click("[data-task-download]")
    download_info.value.save_as(ARTIFACTS / "by-names.zip")
    assert "manifest.json" in _entries(ARTIFACTS / "by-names.zip")

    page.click("nav.mainnav >> text=Workspace export")
    shot("13-export-workspace")
    page.click("nav.mainnav >> text=Download center")
    page.wait_for_url("**/downloads")
    # Waits for the page to draw the rows: a click answers before the new page is parsed.
    playwright_api.expect(page.locator("table.downloads tbody tr")).to_have_count(2)
    shot("14-download-center")


def _export_as_a_task(page: Any, name: str) -> Path:
    """Export the ticked jobs from the dialog as a download-center task, wait on its page until
    the package is ready, and save it in the artifacts as ``name``."""
    page.click("text=Export selected…")
    page.click("#export-dialog button[type=submit]")
    page.wait_for_url("**/tasks/*")
    page.wait_for_selector("[data-task-ready]:not(.hidden)", timeout=120_000)
    with page.expect_download() as download_info:
        page.click("[data-task-download]")
    saved = ARTIFACTS / name
    download_info.value.save_as(saved)
    return saved


def _import_with_a_mapping(page: Any, shot: Shot, server: ServerProcess, prod: str) -> None:
    page.select_option("#ws-switch", prod)
    page.wait_for_url(f"**/w/{prod}/jobs")
    shot("15-jobs-empty-workspace")
    page.click("nav.mainnav >> text=Import")
    page.set_input_files("input[name=file]", str(ARTIFACTS / "by-names.zip"))
    shot("16-import-source")
    page.click("text=Next: preview")
    page.wait_for_selector("text=What the package holds")
    assert "daily_sales" in page.inner_text("main")
    shot("17-import-options")
    page.click("text=Next: check")
    page.wait_for_selector("table.problems")
    problems = page.inner_text("table.problems")
    assert "dws_conn" in problems
    assert "missing reference" in problems
    assert "Map connection 'dws_conn' below" in problems
    shot("18-import-check-problem")

    def map_dws_conn() -> None:
        page.locator("input[aria-label='Replacement for dws_conn']").first.fill("dws_prod")
        page.locator("button[name=map]").first.click()
        page.wait_for_selector("text=No problems")
        assert "dws_prod" in page.inner_text(".mappings")

    map_dws_conn()
    shot("19-import-check-mapped")
    # The mapping undone: the problem is back; mapped again, it is gone.
    page.click(".mappings button[name=unmap]")
    page.wait_for_selector("table.problems")
    assert page.locator(".mappings").count() == 0
    assert "dws_conn" in page.inner_text("table.problems")
    shot("20-import-check-mapping-removed")
    map_dws_conn()
    page.click("text=Next: plan")
    page.wait_for_selector("table.plan")
    assert "CREATE" in page.inner_text("table.plan")
    shot("21-import-plan")
    page.click("button:text-is('Import')")
    page.wait_for_url("**/tasks/*")
    page.wait_for_selector(".badge.status-successful", timeout=60_000)
    assert "Import the jobs from by-names.zip" in page.inner_text("main")
    shot("22-import-result")

    imported = server.call("GET", "/jobs/daily_sales", workspace=prod)
    assert imported.status_code == 200
    nodes = imported.json()["nodes"]
    values = [p["value"] for p in nodes[0]["properties"] if p["name"] == "connectionName"]
    assert values == ["dws_prod"]

    # Roll it back: the review says what the rollback undoes, then Roll back confirms.
    page.click("button:text-is('Roll back this import')")
    page.wait_for_selector("[data-rollback-review]")
    assert "It will delete the 7 objects the import created" in page.inner_text("main")
    shot("23-import-rollback-review")
    page.click("button[data-roll-back]")
    page.wait_for_selector("text=Rolled back 7 objects")
    shot("23-import-rolled-back")
    assert server.call("GET", "/jobs/daily_sales", workspace=prod).status_code == 400
    page.click("nav.mainnav >> text=Tasks")
    page.wait_for_url("**/tasks")
    playwright_api.expect(page.locator("main")).to_contain_text("ROLLED BACK")  # waits
    shot("24-tasks")


def _import_a_large_package(
    page: Any, shot: Shot, server: ServerProcess, default: str, stage: str
) -> None:
    """Both bulk folders ticked: 4,000 jobs and the script they run, 4,001 objects."""
    page.goto(f"{server.url}/console/w/{default}/jobs?select=1")
    page.check("input[data-mark='f:/bulk']")
    assert page.inner_text(".selectionbar [data-selected-count]") == "4,000"
    large = _export_as_a_task(page, "large.zip")
    assert len([n for n in _entries(large) if n.endswith((".job", ".script"))]) == 4_001

    # Straight to the stage workspace (the switcher is exercised by the mapping import): from
    # the task page just after its download, the switcher's navigation once never came under
    # a loaded CI run (30 s); the cause was not found, the rest of the test does not need it.
    page.goto(f"{server.url}/console/w/{stage}/jobs")
    page.click("nav.mainnav >> text=Import")
    page.set_input_files("input[name=file]", str(large))
    page.click("text=Next: preview")
    page.wait_for_selector("text=What the package holds", timeout=60_000)
    page.click("text=Next: check")
    page.wait_for_selector("text=Planning a large package")
    page.wait_for_selector("[data-task-status].status-successful", timeout=120_000)
    ready = page.locator("button:has-text('Continue')")
    playwright_api.expect(ready).to_have_text("Continue: the plan is ready")  # was "… when done"
    shot("25-import-planning-task")
    ready.click()
    page.wait_for_selector("text=No problems", timeout=60_000)
    shot("26-import-check-large", full=False)
    page.click("text=Next: plan")
    page.wait_for_selector("table.plan", timeout=60_000)
    assert "CREATE 4,001" in page.inner_text(".summaryline")
    shot("27-import-plan-large", full=False)
    page.click("button:text-is('Import')")
    page.wait_for_url("**/tasks/*")
    page.wait_for_selector(".badge.status-successful", timeout=180_000)
    page.reload()  # the page reloads itself when the task ends; wait for that page
    objects = page.locator("#objects")
    playwright_api.expect(objects).to_contain_text("1–100 of 4,001")
    assert objects.locator("tbody tr").count() == 100
    shot("28-import-result-large", full=False)
    objects.locator("a:text-is('Next')").click()
    playwright_api.expect(page.locator("#objects")).to_contain_text("101–200 of 4,001")
    listed = server.call("GET", "/jobs", workspace=stage)
    assert listed.json()["total"] == 2 * BULK


def _admin_pages(page: Any, shot: Shot) -> None:
    for number, (link, heading) in enumerate(
        [
            ("Environment objects", "Environment objects"),
            ("Environment profiles", "Environment profiles"),
            ("Signing and trusted keys", "Signing and trusted keys"),
            ("Users and roles", "Users and roles"),
            ("Workspace settings", "Workspace settings"),
        ],
        start=29,
    ):
        page.click("nav.mainnav >> text=Admin")
        page.click(f"nav.subnav >> text={link}")
        # Waits for the new page: the one the click left has an h1 too.
        playwright_api.expect(page.locator("h1")).to_contain_text(heading)
        shot(f"{number}-admin-{link.split()[0].lower()}-{link.split()[-1].lower()}")
    page.click(".usermenu >> text=admin")
    page.wait_for_selector("h1")
    shot("34-account")
