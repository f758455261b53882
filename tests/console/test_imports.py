"""The import wizard: source, preview and options, check with on-the-spot mappings, plan with
field diffs, import as a task with its result."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import ExportRequest
from jobferry.services.importing import service as importing_service
from support.console import Browser, admin_scope, hidden_fields, make_user, seed, wait_task


def _package(services: Services, scope: Scope) -> bytes:
    outcome = services.exports.export_batch(scope, ExportRequest(names=("daily_sales",)))
    assert outcome.data is not None
    return outcome.data


def _prod(services: Services, *connections: str) -> Scope:
    admin = admin_scope(services)
    ws = services.accounts.create_workspace(admin.actor, admin.actor.project_id, "prod")
    prod = admin_scope(services, ws)
    for name in connections:
        conn = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
        services.environment.put(prod, "connection", name, conn)
    return prod


def _upload(browser: Browser, ws: str, data: bytes) -> str:
    browser.get(f"/console/w/{ws}/import")
    response = browser.client.post(
        f"/console/w/{ws}/import/source",
        data={"csrf_token": browser.csrf},
        files={"file": ("pkg.zip", data, "application/zip")},
    )
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    assert "/import/options?path=upload%3A%2F%2F" in location
    return location


def _wizard_at_options(
    browser: Browser, services: Services, *connections: str
) -> tuple[Scope, str, list[tuple[str, str]]]:
    """The seeded package uploaded into a new 'prod' workspace having ``connections``: the
    target scope, its id, and the options step's hidden fields."""
    seed(services, admin_scope(services))
    data = _package(services, admin_scope(services))
    prod = _prod(services, *connections)
    ws = prod.workspace.id
    options = browser.get(_upload(browser, ws, data))
    return prod, ws, hidden_fields(options.text, f"/console/w/{ws}/import/check")


def test_the_wizard_maps_a_missing_connection_rechecks_plans_and_imports(
    browser: Browser, services: Services
) -> None:
    seed(services, admin_scope(services))
    data = _package(services, admin_scope(services))
    prod = _prod(services, "ssh_conn", "dws_prod")
    ws = prod.workspace.id

    options = browser.get(_upload(browser, ws, data))
    assert options.status_code == 200
    assert "daily_sales" in options.text
    assert "unsigned" in options.text
    assert "PRODUCTION" in options.text  # the admin may pick it
    state = hidden_fields(options.text, f"/console/w/{ws}/import/check")
    path = dict(state)["path"]

    check = browser.post(
        f"/console/w/{ws}/import/check",
        [*state, ("sameNamePolicy", "SKIP"), ("targetStatus", "SUBMITTED"), ("mode", "ATOMIC")],
    )
    assert check.status_code == 200
    assert "missing reference" in check.text
    assert "references connection &#39;dws_conn&#39;" in check.text
    assert "Map connection &#39;dws_conn&#39; below" in check.text  # the console's own action
    assert "PUT /environment" not in check.text
    row = re.search(r'name="ref_name_(\d+)" value="dws_conn"', check.text)
    assert row, "no mapping offered for dws_conn"
    assert f'name="ref_type_{row.group(1)}" value="DWS_CONNECTION"' in check.text
    assert '<option value="dws_prod">' in check.text  # the target's connections are offered
    assert "disabled" in check.text.split("Next: plan")[0].rsplit("<button", 1)[1]

    state = hidden_fields(check.text, f"/console/w/{ws}/import/check")
    mapped = browser.post(
        f"/console/w/{ws}/import/check",
        [*state, ("map", row.group(1)), (f"replace_{row.group(1)}", "dws_prod")],
    )
    assert "No problems" in mapped.text, re.findall(
        r"<td class=\"small\">(.*?)</td>", mapped.text, re.S
    )[:4]
    assert ('name="map_replace" value="dws_prod"') in mapped.text

    state = hidden_fields(mapped.text, f"/console/w/{ws}/import/check")
    plan = browser.post(f"/console/w/{ws}/import/plan", state)
    assert plan.status_code == 200
    assert "CREATE" in plan.text
    run_state = hidden_fields(plan.text, f"/console/w/{ws}/import/run")
    assert dict(run_state)["planId"]
    started = browser.post(f"/console/w/{ws}/import/run", run_state)
    assert started.status_code == 303
    task_id = started.headers["location"].rsplit("/", 1)[1]
    task = wait_task(services, prod, task_id)
    assert task["status"] == "SUCCESSFUL", task
    page = browser.get(started.headers["location"]).text
    assert "Import the daily_sales job." in page
    assert "Import the jobs from pkg.zip" in page  # the file, not only its id
    assert "SUCCESSFUL" in page
    job = services.jobs.show(prod, "daily_sales")
    conns = [p["value"] for p in job["nodes"][0]["properties"] if p["name"] == "connectionName"]
    assert conns == ["dws_prod"]
    assert path.startswith("upload://")


def test_the_plan_shows_the_field_diff_of_an_overwrite(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    seed(services, scope)
    data = _package(services, scope)
    job = services.jobs.show(scope, "daily_sales")
    for key in ("id", "createTime", "lastUpdateUser", "version"):
        job.pop(key, None)
    job["nodes"][0]["properties"][2]["value"] = "other_db"
    services.jobs.update(scope, "daily_sales", job)
    ws = scope.workspace.id
    options = browser.get(_upload(browser, ws, data))
    state = [
        (k, v)
        for k, v in hidden_fields(options.text, f"/console/w/{ws}/import/check")
        if k != "sameNamePolicy"
    ]
    plan = browser.post(f"/console/w/{ws}/import/plan", [*state, ("sameNamePolicy", "OVERWRITE")])
    assert "OVERWRITE" in plan.text
    assert "nodes[load].properties[database].value" in plan.text
    assert '<code>"other_db"</code>' in plan.text
    assert '<code>"postgres"</code>' in plan.text


def test_source_refusals_say_what_to_do(browser: Browser, services: Services) -> None:
    ws = admin_scope(services).workspace.id
    browser.get(f"/console/w/{ws}/import")
    empty = browser.post(f"/console/w/{ws}/import/source", {"obs_path": ""})
    assert empty.status_code == 400
    assert "Choose a package file" in empty.text
    bad = browser.post(f"/console/w/{ws}/import/source", {"obs_path": "ftp://x/y.zip"})
    bad_options = browser.get(bad.headers["location"])
    assert bad_options.status_code == 400
    assert "obs://" in bad_options.text
    not_zip = browser.client.post(
        f"/console/w/{ws}/import/source",
        data={"csrf_token": browser.csrf},
        files={"file": ("pkg.zip", b"not a zip", "application/zip")},
    )
    options = browser.get(not_zip.headers["location"])
    assert options.status_code == 400
    assert "Choose another package" in options.text


def test_a_refused_import_option_comes_back_on_the_options_page(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    seed(services, scope)
    ws = scope.workspace.id
    state = hidden_fields(
        browser.get(_upload(browser, ws, _package(services, scope))).text,
        f"/console/w/{ws}/import/check",
    )
    response = browser.post(
        f"/console/w/{ws}/import/check", [*state, ("targetDirectory", "no-slash")]
    )
    assert response.status_code == 400
    assert "targetDirectory must be a folder path" in response.text
    assert "What the package holds" in response.text


def test_developers_cannot_pick_production_and_viewers_cannot_import(
    anonymous: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    seed(services, scope)
    data = _package(services, scope)
    make_user(services, "dev", Role.DEVELOPER)
    anonymous.sign_in("dev")
    ws = scope.workspace.id
    options = anonymous.get(_upload(anonymous, ws, data))
    assert "SUBMITTED" in options.text
    assert 'value="PRODUCTION"' not in options.text
    state = [
        (k, v)
        for k, v in hidden_fields(options.text, f"/console/w/{ws}/import/check")
        if k != "targetStatus"
    ]
    forced = anonymous.post(
        f"/console/w/{ws}/import/check", [*state, ("targetStatus", "PRODUCTION")]
    )
    assert forced.status_code == 403
    assert "PRODUCTION" in forced.text

    make_user(services, "reader", Role.VIEWER)
    viewer = Browser(anonymous.client)
    anonymous.client.cookies.clear()
    viewer.sign_in("reader")
    assert viewer.get(f"/console/w/{ws}/import").status_code == 403
    assert viewer.post(f"/console/w/{ws}/import/check", state).status_code == 403


def test_wizard_posts_need_the_csrf_token(browser: Browser, services: Services) -> None:
    ws = admin_scope(services).workspace.id
    for step in ("source", "options", "check", "plan", "run"):
        response = browser.post(
            f"/console/w/{ws}/import/{step}", {"path": "upload://x"}, csrf=False
        )
        assert response.status_code == 403, step


def test_the_package_from_the_console_is_a_real_zip(services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope)
    assert (
        "jobs/daily_sales/daily_sales.job"
        in zipfile.ZipFile(io.BytesIO(_package(services, scope))).namelist()
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
        page = browser.post(f"/console/w/{ws}/import/{step}", fields)
        planned_by_task.append("Planning a large package" in page.text)
        for _ in range(100):
            if "Planning a large package" not in page.text:
                return page
            task = dict(hidden_fields(page.text, f"/console/w/{ws}/import/{step}"))["planTask"]
            wait_task(services, prod, task)
            page = browser.post(
                f"/console/w/{ws}/import/{step}",
                hidden_fields(page.text, f"/console/w/{ws}/import/{step}"),
            )
        raise AssertionError("the planning page never ended")

    check = follow("check", state)
    assert planned_by_task == [True]
    assert check.status_code == 200, check.text
    assert "No problems" in check.text
    handed_on = re.search(r'name="planTask" value="([0-9a-f]+)"', check.text)
    assert handed_on, "the check step's Next: plan does not carry its planning task"
    state = hidden_fields(check.text, f"/console/w/{ws}/import/check")
    plan = follow("plan", [*state, ("planTask", handed_on.group(1))])
    assert planned_by_task == [True, False]  # planned once, for the check and the plan
    assert "CREATE" in plan.text
    run_state = hidden_fields(plan.text, f"/console/w/{ws}/import/run")
    started = browser.post(f"/console/w/{ws}/import/run", run_state)
    assert started.status_code == 303
    task = wait_task(services, prod, started.headers["location"].rsplit("/", 1)[1])
    assert task["status"] == "SUCCESSFUL", task
    assert services.jobs.show(prod, "daily_sales")["name"] == "daily_sales"


def test_a_mapping_to_a_missing_name_is_refused_and_a_mapping_can_be_removed(
    browser: Browser, services: Services
) -> None:
    _, ws, state = _wizard_at_options(browser, services, "ssh_conn", "dws_prod")
    check = browser.post(f"/console/w/{ws}/import/check", state)
    row = re.search(r'name="ref_name_(\d+)" value="dws_conn"', check.text)
    assert row
    state = hidden_fields(check.text, f"/console/w/{ws}/import/check")

    refused = browser.post(
        f"/console/w/{ws}/import/check",
        [*state, ("map", row.group(1)), (f"replace_{row.group(1)}", "dws_nope")],
    )
    assert refused.status_code == 400
    assert "There is no connection &#39;dws_nope&#39;" in refused.text
    assert 'name="map_replace" value="dws_nope"' not in refused.text

    mapped = browser.post(
        f"/console/w/{ws}/import/check",
        [*state, ("map", row.group(1)), (f"replace_{row.group(1)}", "dws_prod")],
    )
    assert 'name="map_replace" value="dws_prod"' in mapped.text
    assert "No problems" in mapped.text
    state = hidden_fields(mapped.text, f"/console/w/{ws}/import/check")
    removed = browser.post(
        f"/console/w/{ws}/import/check", [*state, ("unmap", "DWS_CONNECTION:dws_conn")]
    )
    assert 'name="map_replace" value="dws_prod"' not in removed.text
    assert "missing reference" in removed.text


def test_the_tasks_page_lists_imports_and_marks_a_rolled_back_one(
    browser: Browser, services: Services
) -> None:
    prod, ws, state = _wizard_at_options(browser, services, "ssh_conn", "dws_conn")
    plan = browser.post(f"/console/w/{ws}/import/plan", state)
    started = browser.post(
        f"/console/w/{ws}/import/run", hidden_fields(plan.text, f"/console/w/{ws}/import/run")
    )
    task_id = started.headers["location"].rsplit("/", 1)[1]
    assert wait_task(services, prod, task_id)["status"] == "SUCCESSFUL"

    listing = browser.get(f"/console/w/{ws}/tasks").text
    assert f'href="/console/w/{ws}/tasks/{task_id}"' in listing
    assert "Import the jobs from pkg.zip" in listing
    assert "ROLLED BACK" not in listing
    services.rollback.rollback(prod, task_id)
    assert "ROLLED BACK" in browser.get(f"/console/w/{ws}/tasks").text


def test_the_plan_page_shows_renames_deletes_drift_and_paused_jobs(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("a_job", "b_job", "c_job"))
    prod = _prod(services, "ssh_conn", "dws_conn")
    ws = prod.workspace.id

    def promote(*names: str, **options: str) -> str:
        request = ExportRequest(names=names, deletions_for="prod")
        data = services.exports.export_batch(scope, request).data
        assert data is not None
        options_page = browser.get(_upload(browser, ws, data))
        assert "Delete what the source deleted" in options_page.text
        state = hidden_fields(options_page.text, f"/console/w/{ws}/import/check")
        state = [(k, v) for k, v in state if k not in options]
        plan = browser.post(f"/console/w/{ws}/import/plan", [*state, *options.items()])
        assert plan.status_code == 200, plan.text
        run = hidden_fields(plan.text, f"/console/w/{ws}/import/run")
        started = browser.post(f"/console/w/{ws}/import/run", run)
        task_id = started.headers["location"].rsplit("/", 1)[1]
        assert wait_task(services, prod, task_id)["status"] == "SUCCESSFUL"
        promote.page = plan.text  # type: ignore[attr-defined]
        return task_id

    promote("a_job", "b_job", "c_job")
    services.jobs.rename(scope, "b_job", "b_new")
    services.jobs.delete(scope, "c_job")
    hotfix = services.jobs.show(prod, "a_job")
    for key in ("id", "createTime", "lastUpdateUser", "version"):
        hotfix.pop(key, None)
    hotfix["description"] = "hot-fix"
    services.jobs.update(prod, "a_job", hotfix)
    services.jobs.start(prod, "b_job")
    task_id = promote(
        "a_job",
        "b_new",
        sameNamePolicy="OVERWRITE",
        propagateDeletes="on",
        onDrift="TAKE_PACKAGE",
        scheduling="PAUSE_AND_RESTORE",
    )
    page = promote.page  # type: ignore[attr-defined]
    assert "renamed from <code>b_job</code>" in page
    assert 'class="badge action-delete">DELETE</span>' in page
    assert "changed in prod since the last import wrote it" in page
    assert '<code>"hot-fix"</code>' in page
    assert "stopped during the import and started again after it" in page
    assert services.jobs.show(prod, "b_new")["name"] == "b_new"

    task_page = browser.post(f"/console/w/{ws}/tasks/{task_id}/rollback", []).text
    assert 'b_job <span class="small muted">(was b_new)</span>' in task_page
    assert "RECREATED" in task_page
