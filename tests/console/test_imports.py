"""The import wizard: source, preview and options, check with on-the-spot mappings, plan with
field diffs, import as a task with its result."""

from __future__ import annotations

import gc
import io
import logging
import re
import warnings
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest

from jobferry.console import tasks as console_tasks
from jobferry.domain.enums import Role
from jobferry.errors import ObjectStoreUnavailableError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import ExportRequest
from jobferry.services.importing import service as importing_service
from support import wizard
from support.builders import editable
from support.console import (
    Browser,
    admin_scope,
    assert_page,
    finish_task,
    seed,
    sign_in_as,
    wait_task,
)
from support.console_form_model import refusal_text
from test_wording import api_terms


def _wizard_at_options(
    browser: Browser, services: Services, *connections: str
) -> tuple[Scope, str, list[tuple[str, str]]]:
    """The seeded package uploaded into a new 'prod' workspace having ``connections``: the
    target scope, its id, and the options step's hidden fields."""
    seed(services, admin_scope(services))
    data = wizard.export_package(services, admin_scope(services))
    prod = wizard.prod_workspace(services, *connections)
    ws = prod.workspace.id
    options = browser.get(wizard.upload(browser, ws, data))
    return prod, ws, wizard.fields(options.text, ws)


def test_the_wizard_maps_a_missing_connection_rechecks_plans_and_imports(
    browser: Browser, services: Services
) -> None:
    seed(services, admin_scope(services))
    data = wizard.export_package(services, admin_scope(services))
    prod = wizard.prod_workspace(services, "ssh_conn", "dws_prod")
    ws = prod.workspace.id

    options = browser.get(wizard.upload(browser, ws, data))
    assert_page(options, 200, "daily_sales", "unsigned", "PRODUCTION")  # the admin may pick it
    state = wizard.fields(options.text, ws)
    path = dict(state)["path"]

    check = wizard.step(
        browser,
        ws,
        "check",
        [*state, ("sameNamePolicy", "SKIP"), ("targetStatus", "SUBMITTED"), ("mode", "ATOMIC")],
    )
    assert_page(
        check,
        200,
        "missing reference",
        "connection &#39;dws_conn&#39; does not exist in workspace",
        "object(s) use it: ",  # said once, listing its users
        "Map connection &#39;dws_conn&#39; below",  # the console's own action
    )
    assert "PUT /environment" not in check.text
    row = wizard.mapping_row(check.text, "dws_conn")
    assert f'name="ref_type_{row}" value="DWS_CONNECTION"' in check.text
    assert '<option value="dws_prod">' in check.text  # the target's connections are offered
    assert "disabled" in check.text.split("Next: plan")[0].rsplit("<button", 1)[1]

    mapped = wizard.map_reference(browser, ws, check.text, row, "dws_prod")
    assert "No problems" in mapped.text, re.findall(
        r"<td class=\"small\">(.*?)</td>", mapped.text, re.S
    )[:4]
    assert ('name="map_replace" value="dws_prod"') in mapped.text

    plan = wizard.step(browser, ws, "plan", wizard.fields(mapped.text, ws))
    assert_page(plan, 200, "CREATE")
    task_id = wizard.run_plan(browser, services, prod, plan.text)
    page = browser.get(f"/console/w/{ws}/tasks/{task_id}").text
    assert "Import the daily_sales job." in page
    assert "Import the jobs from pkg.zip" in page  # the file, not only its id
    assert "SUCCESSFUL" in page
    job = services.jobs.show(prod, "daily_sales").document
    conns = [p["value"] for p in job["nodes"][0]["properties"] if p["name"] == "connectionName"]
    assert conns == ["dws_prod"]
    assert path.startswith("upload://")


def test_the_plan_shows_the_field_diff_of_an_overwrite(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    data = wizard.export_package(services, seeded)
    job = editable(services.jobs.show(seeded, "daily_sales").document)
    job["nodes"][0]["properties"][2]["value"] = "other_db"
    services.jobs.update(seeded, "daily_sales", job)
    ws = seeded.workspace.id
    options = browser.get(wizard.upload(browser, ws, data))
    state = wizard.choose(wizard.fields(options.text, ws), sameNamePolicy="OVERWRITE")
    plan = wizard.step(browser, ws, "plan", state)
    assert "OVERWRITE" in plan.text
    assert "nodes[load].properties[database].value" in plan.text
    assert '<code>"other_db"</code>' in plan.text
    assert '<code>"postgres"</code>' in plan.text


def test_the_plans_field_diff_shows_chinese_text_as_typed(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    job = editable(services.jobs.show(seeded, "daily_sales").document)
    services.jobs.update(seeded, "daily_sales", {**job, "description": "每日销售 <汇总>"})
    data = wizard.export_package(services, seeded)
    services.jobs.update(seeded, "daily_sales", {**job, "description": "本地 & 'x'"})
    ws = seeded.workspace.id
    options = browser.get(wizard.upload(browser, ws, data))
    state = wizard.choose(wizard.fields(options.text, ws), sameNamePolicy="OVERWRITE")
    plan = wizard.step(browser, ws, "plan", state)
    assert_page(
        plan,
        200,
        "<code>description</code>",
        '<code>"本地 &amp; &#39;x&#39;"</code>',
        '<code>"每日销售 &lt;汇总&gt;"</code>',
    )
    assert "\\u6bcf" not in plan.text  # not the escapes of tojson


def test_source_refusals_say_what_to_do(browser: Browser, services: Services, scope: Scope) -> None:
    ws = scope.workspace.id
    browser.get(f"/console/w/{ws}/import")
    empty = browser.post(f"/console/w/{ws}/import/source", {"obs_path": ""})
    assert_page(empty, 400, "Choose a package file")
    bad = browser.post(f"/console/w/{ws}/import/source", {"obs_path": "ftp://x/y.zip"})
    assert_page(bad, 400, "write it as obs://bucket/folder/")  # on the source step itself,
    assert 'name="obs_path" value="ftp://x/y.zip"' in bad.text  # with what was typed
    not_zip = wizard.post_package(browser, ws, b"not a zip")
    assert_page(browser.get(not_zip.headers["location"]), 400, "Choose another package")


def test_a_refused_import_option_comes_back_on_the_options_page(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws = seeded.workspace.id
    state = wizard.fields(
        browser.get(wizard.upload(browser, ws, wizard.export_package(services, seeded))).text, ws
    )
    response = wizard.step(browser, ws, "check", [*state, ("targetDirectory", "no-slash")])
    assert_page(
        response,
        400,
        "“Target folder for new jobs” must be a folder path",
        "What the package holds",
    )


def test_a_refused_import_option_is_said_with_the_options_labels_not_the_api_fields(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    """The services name an option by its request field (``targetStatus``,
    ``targetDirectory``…); the options step says it with its own label, as every refusal in
    the console is said in the console's words."""
    ws = seeded.workspace.id
    state = wizard.fields(
        browser.get(wizard.upload(browser, ws, wizard.export_package(services, seeded))).text, ws
    )
    for chosen, label in (
        ({"targetStatus": "bogus"}, "“Target status”"),
        ({"sameNamePolicy": "bogus"}, "“When a job, script or resource of that name exists”"),
        ({"targetDirectory": "no-slash"}, "“Target folder for new jobs”"),
        ({"onDrift": "bogus"}, "“When an object was changed here since the last import"),
    ):
        for step in ("check", "plan"):
            refused = wizard.step(browser, ws, step, wizard.choose(state, **chosen))
            assert_page(refused, 400, label)
            said = refusal_text(refused.text)
            assert not api_terms(said), (chosen, said)


def test_developers_cannot_pick_production_and_viewers_cannot_import(
    anonymous: Browser, services: Services, seeded: Scope
) -> None:
    data = wizard.export_package(services, seeded)
    sign_in_as(anonymous, services, "dev", Role.DEVELOPER)
    ws = seeded.workspace.id
    options = anonymous.get(wizard.upload(anonymous, ws, data))
    assert "SUBMITTED" in options.text
    assert 'value="PRODUCTION"' not in options.text
    state = wizard.fields(options.text, ws)
    forced = wizard.step(anonymous, ws, "check", wizard.choose(state, targetStatus="PRODUCTION"))
    assert_page(forced, 403, "PRODUCTION")

    viewer = Browser(anonymous.client)
    anonymous.client.cookies.clear()
    sign_in_as(viewer, services, "reader", Role.VIEWER)
    assert viewer.get(f"/console/w/{ws}/import").status_code == 403
    assert wizard.step(viewer, ws, "check", state).status_code == 403


def test_wizard_posts_need_the_csrf_token(
    browser: Browser, services: Services, scope: Scope
) -> None:
    ws = scope.workspace.id
    for step in ("source", "options", "check", "plan", "run"):
        response = browser.post(
            f"/console/w/{ws}/import/{step}", {"path": "upload://x"}, csrf=False
        )
        assert response.status_code == 403, step


def test_the_package_from_the_console_is_a_real_zip(services: Services, seeded: Scope) -> None:
    assert (
        "jobs/daily_sales/daily_sales.job"
        in zipfile.ZipFile(io.BytesIO(wizard.export_package(services, seeded))).namelist()
    )


def test_a_package_planned_as_a_task_goes_on_to_check_plan_and_import(
    browser: Browser, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A package too large to plan during a request (here: over 2 objects) is planned by a
    task; the wizard follows it and goes on with its plan instead of starting over."""
    monkeypatch.setattr(importing_service, "PLAN_SYNC_MAX_OBJECTS", 2)
    prod, ws, state = _wizard_at_options(browser, services, "ssh_conn", "dws_conn")

    planned_by_task = []

    def follow(step: str, fields: list[tuple[str, str]]) -> Any:
        page = wizard.step(browser, ws, step, fields)
        planned_by_task.append("Planning a large package" in page.text)
        for _ in range(100):
            if "Planning a large package" not in page.text:
                return page
            assert 'data-when-done="Continue: the plan is ready"' in page.text  # console.js
            task = dict(wizard.fields(page.text, ws, step))["planTask"]
            wait_task(services, prod, task)
            page = wizard.step(browser, ws, step, wizard.fields(page.text, ws, step))
        raise AssertionError("the planning page never ended")

    check = follow("check", state)
    assert planned_by_task == [True]
    assert_page(check, 200, "No problems")
    handed_on = re.search(r'name="planTask" value="([0-9a-f]+)"', check.text)
    assert handed_on, "the check step's Next: plan does not carry its planning task"
    plan = follow("plan", [*wizard.fields(check.text, ws), ("planTask", handed_on.group(1))])
    assert planned_by_task == [True, False]  # planned once, for the check and the plan
    assert "CREATE" in plan.text
    task_page = browser.get(f"/console/w/{ws}/tasks/{handed_on.group(1)}")
    counts = r"CREATE: \d+, OVERWRITE: 0, SKIP: 0, UNCHANGED: 0, RENAME: 0, DELETE: 0, problems: 0"
    assert re.search(counts, task_page.text), "the planning task's page lacks its plan's counts"
    wizard.run_plan(browser, services, prod, plan.text)
    assert services.jobs.show(prod, "daily_sales").name == "daily_sales"


def test_a_mapping_to_a_missing_name_is_refused_and_a_mapping_can_be_removed(
    browser: Browser, services: Services
) -> None:
    _, ws, state = _wizard_at_options(browser, services, "ssh_conn", "dws_prod")
    check = wizard.step(browser, ws, "check", state)
    row = wizard.mapping_row(check.text, "dws_conn")

    refused = wizard.map_reference(browser, ws, check.text, row, "dws_nope")
    assert_page(refused, 400, "There is no connection &#39;dws_nope&#39;")
    assert 'name="map_replace" value="dws_nope"' not in refused.text
    assert f'name="replace_{row}" value="dws_nope"' in refused.text  # what was typed, kept

    mapped = wizard.map_reference(browser, ws, check.text, row, "dws_prod")
    assert 'name="map_replace" value="dws_prod"' in mapped.text
    assert "No problems" in mapped.text
    removed = wizard.step(
        browser,
        ws,
        "check",
        [*wizard.fields(mapped.text, ws), ("unmap", "DWS_CONNECTION:dws_conn")],
    )
    assert 'name="map_replace" value="dws_prod"' not in removed.text
    assert "missing reference" in removed.text


def test_the_tasks_page_lists_imports_and_marks_a_rolled_back_one(
    browser: Browser, services: Services
) -> None:
    prod, ws, state = _wizard_at_options(browser, services, "ssh_conn", "dws_conn")
    _, task_id = wizard.run(browser, services, prod, state)

    listing = browser.get(f"/console/w/{ws}/tasks").text
    assert f'href="/console/w/{ws}/tasks/{task_id}"' in listing
    assert "Import the jobs from pkg.zip" in listing
    assert "ROLLED BACK" not in listing
    services.rollback.rollback(prod, task_id)
    assert "ROLLED BACK" in browser.get(f"/console/w/{ws}/tasks").text


def test_the_plan_page_shows_renames_deletes_drift_and_paused_jobs(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("a_job", "b_job", "c_job"))
    prod = wizard.prod_workspace(services, "ssh_conn", "dws_conn")
    ws = prod.workspace.id

    def promote(*names: str, **options: str) -> tuple[str, str]:
        request = ExportRequest(names=names, deletions_for="prod")
        data = services.exports.export_batch(scope, request).data
        assert data is not None
        options_page = browser.get(wizard.upload(browser, ws, data))
        assert "Delete what the source deleted" in options_page.text
        state = wizard.choose(wizard.fields(options_page.text, ws), **options)
        plan, task_id = wizard.run(browser, services, prod, state)
        return plan.text, task_id

    promote("a_job", "b_job", "c_job")
    services.jobs.rename(scope, "b_job", "b_new")
    services.jobs.delete(scope, "c_job")
    hotfix = editable(services.jobs.show(prod, "a_job").document)
    hotfix["description"] = "hot-fix"
    services.jobs.update(prod, "a_job", hotfix)
    services.jobs.start(prod, "b_job")
    page, task_id = promote(
        "a_job",
        "b_new",
        sameNamePolicy="OVERWRITE",
        propagateDeletes="on",
        onDrift="TAKE_PACKAGE",
        scheduling="PAUSE_AND_RESTORE",
    )
    assert "renamed from <code>b_job</code>" in page
    assert 'class="badge action-delete">DELETE</span>' in page
    assert "changed in prod since the last import wrote it" in page
    assert '<code>"hot-fix"</code>' in page
    assert "stopped during the import and started again after it" in page
    assert services.jobs.show(prod, "b_new").name == "b_new"

    started = browser.post(f"/console/w/{ws}/tasks/{task_id}/rollback", [])
    task_page = browser.get(f"/console/w/{ws}/tasks/{finish_task(services, prod, started)}").text
    assert 'b_job <span class="small muted">(was b_new)</span>' in task_page
    assert "RECREATED" in task_page


def test_the_tasks_page_filters_by_kind_and_status_and_pages_within_the_filter(
    browser: Browser, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    prod, ws, state = _wizard_at_options(browser, services, "ssh_conn", "dws_conn")
    _, task_id = wizard.run(browser, services, prod, state)
    services.rollback.rollback(prod, task_id)  # answered in the call: no task of its own
    rollback_id = services.rollback.start(prod, wizard.run(browser, services, prod, state)[1])
    monkeypatch.setattr(console_tasks, "TASKS_PAGE", 1)

    imports = browser.get(f"/console/w/{ws}/tasks?kind=import")
    assert_page(imports, 200, "1–1 of 2", '<option value="import" selected>')
    assert f'href="/console/w/{ws}/tasks?offset=1&amp;kind=import">Older' in imports.text
    assert rollback_id not in imports.text
    older = browser.get(f"/console/w/{ws}/tasks?offset=1&kind=import")
    assert f'href="/console/w/{ws}/tasks/{task_id}"' in older.text  # the older import
    rollbacks = browser.get(f"/console/w/{ws}/tasks?kind=rollback")  # queued, or run by now
    assert_page(rollbacks, 200, "1–1 of 1")
    assert f'href="/console/w/{ws}/tasks/{rollback_id}"' in rollbacks.text
    done = browser.get(f"/console/w/{ws}/tasks?kind=import&status=SUCCESSFUL")
    assert_page(done, 200, "1–1 of 2", '<option value="SUCCESSFUL" selected>')
    assert f'href="/console/w/{ws}/tasks?offset=1&amp;kind=import&amp;status=SUCCESSFUL">' in (
        done.text
    )
    failed = browser.get(f"/console/w/{ws}/tasks?kind=import&status=FAILED")
    assert_page(failed, 200, "No task of this workspace matches.")
    assert_page(browser.get(f"/console/w/{ws}/tasks?kind=export"), 200, "No task of this")
    odd = browser.get(f"/console/w/{ws}/tasks?kind=nonsense&status=late")  # no filter
    every = browser.get(f"/console/w/{ws}/tasks").text
    assert re.search(r"1–1 of (\d+)", odd.text)[1] == re.search(r"1–1 of (\d+)", every)[1]
    # "What ran on that day": the day (UTC) the tasks started; the links keep it.
    started = services.tasks.show(prod, task_id).start_time
    today = datetime.fromtimestamp(started / 1000, UTC).date().isoformat()
    on_day = browser.get(f"/console/w/{ws}/tasks?kind=import&day={today}")
    assert_page(on_day, 200, "1–1 of 2", f'value="{today}"', "Started on (a UTC day)")
    assert f"offset=1&amp;kind=import&amp;day={today}" in on_day.text
    before = browser.get(f"/console/w/{ws}/tasks?kind=import&day=2000-01-01")
    assert_page(before, 200, "No task of this workspace matches.")
    unread = browser.get(f"/console/w/{ws}/tasks?kind=import&day=yesterday")  # no filter
    assert_page(unread, 200, "1–1 of 2")


def test_import_posted_twice_follows_the_one_import_it_started(
    browser: Browser, services: Services
) -> None:
    prod, ws, state = _wizard_at_options(browser, services, "ssh_conn", "dws_conn")
    plan = wizard.step(browser, ws, "plan", state)
    run = wizard.fields(plan.text, ws, "run")

    first = wizard.step(browser, ws, "run", run)
    # The second post comes while the first's import runs (a double click): it follows that
    # import rather than say the workspace is busy with it.
    second = wizard.step(browser, ws, "run", run)
    task_id = finish_task(services, prod, first)
    # ... and once it ended (a browser's retry): it does not import the plan again.
    third = wizard.step(browser, ws, "run", run)

    assert second.headers["location"] == third.headers["location"] == first.headers["location"]
    imports = services.tasks.list_tasks(prod, kind="import", status=None, limit=10, offset=0)
    assert [t.id for t in imports.tasks] == [task_id]


def test_the_plan_says_an_overwrite_of_no_field_is_written_to_be_submitted(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    data = wizard.export_package(services, seeded)
    job = editable(services.jobs.show(seeded, "daily_sales").document)
    services.jobs.update(seeded, "daily_sales", {**job, "description": "by hand"})
    services.jobs.update(seeded, "daily_sales", {**job, "targetStatus": "SAVED"})
    ws = seeded.workspace.id
    options = browser.get(wizard.upload(browser, ws, data))
    state = wizard.choose(wizard.fields(options.text, ws), sameNamePolicy="OVERWRITE")
    plan = wizard.step(browser, ws, "plan", state)
    assert plan.text.count("no field changes: written again as a new submitted version") == 1


def test_the_files_a_refused_form_carried_are_closed(
    anonymous: Browser, services: Services, seeded: Scope
) -> None:
    """A viewer's upload, and one without the form's token, are refused before the page looks
    at the file: the file the form spooled is closed all the same, not left to the collector
    (which warned of it in whichever test it ran next)."""
    ws = seeded.workspace.id
    sign_in_as(anonymous, services, "reader", Role.VIEWER)
    anonymous.get("/console/")
    sent = {"file": ("pkg.zip", b"PK\x05\x06" + bytes(18), "application/zip")}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        viewer = anonymous.post(f"/console/w/{ws}/import/source", {}, files=sent)
        tokenless = anonymous.post(f"/console/w/{ws}/import/source", {}, csrf=False, files=sent)
        gc.collect()
    assert (viewer.status_code, tokenless.status_code) == (403, 403), viewer.text
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], caught


def test_an_upload_the_package_store_refused_is_a_warning_of_the_server_log(
    browser: Browser,
    services: Services,
    seeded: Scope,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The page says the refusal beside the form; the operator's log has it too, under the
    request id, naming the store and why (as the API's upload does)."""
    refusal = ObjectStoreUnavailableError(
        "The object storage at s3.example did not serve the upload store (bucket 'jf'): "
        "Read timeout.",
        fix="Retry in a minute.",
        setting="JOBFERRY_S3_ENDPOINT_URL",
        endpoint="https://s3.example",
    )

    def refused(*_: Any) -> None:
        raise refusal

    monkeypatch.setattr(services.imports, "upload", refused)
    ws = seeded.workspace.id
    sent = {"file": ("pkg.zip", b"PK\x05\x06" + bytes(18), "application/zip")}
    browser.get(f"/console/w/{ws}/import")
    with caplog.at_level(logging.WARNING, logger="jobferry.console"):
        answered = browser.post(f"/console/w/{ws}/import/source", {}, files=sent)

    assert answered.status_code == 503, answered.text
    assert "did not serve the upload store" in answered.text
    [line] = [r for r in caplog.records if r.name == "jobferry.console"]
    said = line.getMessage()
    rid = answered.headers["X-Request-Id"]
    assert f"POST /console/w/{ws}/import/source (request {rid}) refused DLF.9505" in said
    assert "endpoint=https://s3.example setting=JOBFERRY_S3_ENDPOINT_URL" in said
    assert said.endswith("did not serve the upload store (bucket 'jf'): Read timeout.")
