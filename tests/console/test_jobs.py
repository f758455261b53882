"""The jobs page (one folder at a time), job details, and the export dialog for ticked jobs
and folders."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jobferry.domain.enums import Role
from jobferry.server import build_app
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.tasks.runner import TaskRunner
from support.builders import editable, make_job
from support.console import (
    PASSWORD,
    Browser,
    admin_actor,
    admin_scope,
    assert_page,
    finish_task,
    headers,
    mark_shadow,
    seed,
    sign_in_as,
)
from support.disconnects import post_then_leave
from support.seeding import bulk_jobs
from support.wizard import prod_workspace


def _tree_url(services: Services) -> str:
    return f"/console/w/{admin_scope(services).workspace.id}/jobs"


def test_the_jobs_page_shows_one_folder_its_sub_folders_counted_and_filters_them(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales", "weekly_report"))
    other = editable(services.jobs.show(scope, "weekly_report").document)
    other.update(directory="/reports/weekly", basicConfig={"tags": ["weekly"]})
    services.jobs.update(scope, "weekly_report", other | {"targetStatus": "SAVED"})
    services.jobs.start(scope, "daily_sales")
    url = _tree_url(services)

    page = browser.get(url).text
    assert 'data-folder="/sales"' in page
    assert 'data-folder="/reports"' in page
    assert 'data-folder="/reports/weekly"' not in page  # one level at a time
    assert "daily_sales" not in page  # jobs of /sales load when /sales opens
    assert 'class="tick"' not in page  # check boxes only in select mode
    sales = browser.get(url, params={"folder": "/sales"}).text
    assert "daily_sales" in sales
    assert headers(sales) == ["Name", "Status", "Version", "Tags", "Owner", "Changed"]
    assert " UTC</time>" in sales
    reports = browser.get(f"{url}/../folder/jobs", params={"folder": "/reports/weekly"}).text
    assert "weekly_report" in reports
    assert "<html" not in reports  # a fragment for an opened folder

    assert 'data-folder="/reports"' not in browser.get(url, params={"q": "daily"}).text
    assert 'data-folder="/sales"' not in browser.get(url, params={"tag": "weekly"}).text
    scheduled = browser.get(url, params={"status": "scheduled"}).text
    assert 'data-folder="/sales"' in scheduled
    assert 'data-folder="/reports"' not in scheduled
    assert "No jobs match the filter" in browser.get(url, params={"q": "zzz"}).text
    bad = browser.get(url, params={"status": "running"})
    assert_page(bad, 400, "status &#39;running&#39; is not a scheduling state")

    select = browser.get(url, params={"select": "1"}).text
    assert 'data-mark="f:/sales"' in select
    assert 'data-mark="f:/" data-in="" data-count="2"' in select
    assert "Select all 2 jobs in the workspace" in select
    assert "Export selected" in select
    in_sales = browser.get(url, params={"select": "1", "folder": "/sales"}).text
    assert 'data-mark="j:daily_sales" data-in="/sales"' in in_sales


def test_a_large_folder_is_shown_a_page_at_a_time(
    browser: Browser, services: Services, scope: Scope
) -> None:
    bulk_jobs(services, scope, 250, folder=lambda i: "/big")
    url = _tree_url(services)

    first = browser.get(url, params={"folder": "/big"}).text
    third = browser.get(url, params={"folder": "/big", "page": "3"}).text

    assert first.count('<tr>\n  \n  <td class="name">') == 100
    assert "job_000099" in first
    assert "job_000100" not in first
    assert "Page 1 of 3" in first
    assert (
        f'data-fragment="/console/w/{scope.workspace.id}/folder/jobs?folder=%2Fbig&amp;page=2"'
        in first
    )
    assert "Page 3 of 3" in third
    assert third.count('<td class="name">') == 50
    assert "job_000249" in third


def test_job_detail_draws_the_node_graph_and_lists_schedule_params_and_versions(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    page = browser.get(f"/console/w/{seeded.workspace.id}/jobs/daily_sales").text
    assert page.count('<g class="node"') == 2
    assert page.count('class="edge"') == 1
    assert "0 30 2 * * ?" in page
    assert "bizdate" in page
    assert "v1" in page
    assert "dws_conn" in page


def test_the_job_page_shows_its_owner_else_its_creator_as_the_listing_does(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales", "weekly_report"))
    unowned = editable(services.jobs.show(scope, "weekly_report").document)
    del unowned["basicConfig"]["owner"]
    services.jobs.update(scope, "weekly_report", unowned | {"targetStatus": "SAVED"})
    url = _tree_url(services)

    assert "<dt>Owner</dt><dd>alice</dd>" in browser.get(f"{url}/daily_sales").text
    # basicConfig names no owner: the one who created it, as the jobs listing says.
    page = browser.get(f"{url}/weekly_report").text
    assert "<dt>Owner</dt><dd>admin</dd>" in page
    listed = browser.get(url, params={"folder": "/sales"}).text
    assert '<td class="small muted">admin</td>' in listed


def test_an_upstream_job_is_a_link_to_its_page(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales",))
    downstream = make_job("weekly_report")
    downstream["schedule"]["cron"]["dependJobs"] = {"jobs": ["daily_sales"]}
    services.jobs.create(scope, downstream)
    page = browser.get(f"{_tree_url(services)}/weekly_report").text
    assert f'<a class="tag" href="{_tree_url(services)}/daily_sales">daily_sales</a>' in page


def test_a_jobs_schedule_says_which_zone_its_times_are_read_in(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales",))
    zoned = make_job("zoned")
    zoned["schedule"]["cron"].update(
        expressionTimeZone="Asia/Shanghai",
        startTime="2025-01-01T00:00:00",
        endTime="2099-12-31T23:59:59+08",
    )
    unzoned = make_job("unzoned")
    del unzoned["schedule"]["cron"]["expressionTimeZone"]
    for job in (zoned, unzoned):
        services.jobs.create(scope, job)

    page = browser.get(f"{_tree_url(services)}/zoned").text
    assert "<dt>Time zone</dt><dd>Asia/Shanghai</dd>" in page
    assert "<dt>From</dt><dd>2025-01-01T00:00:00 (Asia/Shanghai time)</dd>" in page
    assert "<dt>Until</dt><dd>2099-12-31T23:59:59+08</dd>" in page
    page = browser.get(f"{_tree_url(services)}/unzoned").text
    assert "server default" not in page  # not the zone of the server this page comes from
    assert "not set: DataArts reads the expression in its region&#39;s time zone" in page


def test_what_a_job_names_that_the_workspace_lacks_is_said_so_not_linked_to_a_missing_page(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales",))
    job = make_job("orphan")  # its scripts orphan_sql and orphan_sh were never created
    job["schedule"]["cron"]["dependJobs"] = {"jobs": ["daily_sales", "gone_upstream"]}
    services.jobs.create(scope, job)

    page = browser.get(f"{_tree_url(services)}/orphan").text

    for name in ("orphan_sql", "orphan_sh", "gone_upstream"):
        assert f"/{name}" not in page, name  # no link to a page that would be refused
    assert 'orphan_sql</code> <span class="muted small">(script, not in this workspace)' in page
    assert "gone_upstream (not in this workspace)" in page
    assert page.count("(not in this workspace)") == 4  # 2 scripts, 1 job, in the references
    assert f'<a class="tag" href="{_tree_url(services)}/daily_sales">daily_sales</a>' in page
    assert f'href="/console/w/{scope.workspace.id}/scripts/' not in page.split("References")[-1]


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/tasks", "Tasks"),
        ("/routes", "Routes"),
        ("/downloads", "Download center"),
        ("/import", "Import"),
        ("/admin/environment", "Environment objects"),
        ("/jobs", "Jobs"),  # named it already: not twice
        ("/jobs/daily_sales", "Job daily_sales"),
    ],
)
def test_every_page_of_a_workspace_names_it_in_its_title_once(
    browser: Browser, services: Services, seeded: Scope, path: str, title: str
) -> None:
    page = browser.get(f"/console/w/{seeded.workspace.id}{path}")

    assert_page(page, 200, f"<title>{title} · {seeded.workspace.name} · jobferry</title>")


def test_a_shadow_says_whose_it_is_and_offers_no_edit_nor_scheduling_the_server_refuses(
    browser: Browser, services: Services, scope: Scope
) -> None:
    prod = prod_workspace(services, "dws_conn")
    seed(services, prod, ("daily_sales",))
    services.jobs.start(prod, "daily_sales")
    url = f"/console/w/{prod.workspace.id}"
    job = browser.get(f"{url}/jobs/daily_sales").text
    assert "data-shadow-banner" not in job
    assert "Stop scheduling" in job
    assert f'href="{url}/editor/jobs/daily_sales"' in job
    assert f'action="{url}/jobs/daily_sales/lock"' in job
    services.governance.acquire(prod, "job", "daily_sales")

    mark_shadow(services, prod.workspace.id, "prod_remote")
    job = browser.get(f"{url}/jobs/daily_sales").text
    assert "data-shadow-banner" in job
    assert "Shadow of remote prod_remote" in job
    assert f'action="{url}/jobs/daily_sales/lock"' not in job  # nobody edits there
    # a lock taken before it became a shadow is released there (it would hold off pushes)
    assert f'action="{url}/jobs/daily_sales/unlock"' in job
    assert "Stop scheduling" not in job
    assert "Start scheduling" not in job
    assert "/editor/" not in job
    assert "Export…" in job  # a shadow is read, planned against and exported from
    folder = browser.get(f"{url}/jobs", params={"folder": "/sales"}).text
    assert "data-shadow-banner" in folder
    assert "New job" not in folder
    assert "Show check boxes" in folder
    script = browser.get(f"{url}/scripts/daily_sales_sql").text
    assert "/editor/" not in script
    assert "New script" not in browser.get(f"{url}/scripts").text

    # What a stale page would post is refused in the console's words, and changes nothing.
    said = "is the shadow of remote &#39;prod_remote&#39; and may not"
    stopped = browser.post(f"{url}/jobs/daily_sales/scheduling", {"action": "stop"})
    assert_page(stopped, 400, said, "import a package into this workspace (Import)")
    assert "/v1/" not in stopped.text
    assert services.jobs.detail(prod, "daily_sales").state.status.value == "NORMAL"
    locked = browser.post(f"{url}/jobs/daily_sales/lock")
    assert_page(locked, 400, said, "Make the change in the remote workspace, then refresh it")
    assert [lock.name for lock in services.governance.list_locks(prod)] == ["daily_sales"]
    browser.post(f"{url}/jobs/daily_sales/unlock")
    assert services.governance.list_locks(prod) == []
    assert_page(browser.get(f"{url}/editor/jobs/daily_sales"), 400, said)
    assert_page(browser.get(f"{url}/editor/scripts"), 400, said)
    body = editable(services.jobs.show(prod, "daily_sales").document)
    body["description"] = "edited in a shadow"
    saved = browser.post(f"{url}/editor/jobs/daily_sales", {"definition": json.dumps(body)})
    assert_page(saved, 400, said)
    assert "description" not in services.jobs.show(prod, "daily_sales").document


def test_an_unknown_job_renders_a_page_saying_what_to_do_not_a_trace(
    browser: Browser, services: Services
) -> None:
    ws = admin_scope(services).workspace.id
    response = browser.get(f"/console/w/{ws}/jobs/nope")
    assert_page(response, 404, "The job does not exist")
    assert "Traceback" not in response.text
    # In the workspace's menus still: its Jobs, Tasks, Routes… one click away.
    assert f'href="/console/w/{ws}/jobs"' in response.text
    assert f'href="/console/w/{ws}/tasks"' in response.text
    assert browser.get("/console/no/such/page").status_code == 404
    assert_page(browser.get("/console/w/0000/jobs"), 404, "does not exist")


def test_ticked_jobs_download_at_once_with_their_dependencies(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales", "weekly_report"))
    url = f"/console/w/{scope.workspace.id}/export"
    browser.get(_tree_url(services), params={"select": "1"})
    response = browser.post(
        url, [("job", "daily_sales"), ("job", "weekly_report"), ("content", "deps")]
    )
    assert response.status_code == 200
    assert 'filename="jobs.zip"' in response.headers["content-disposition"]
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "jobs/daily_sales/daily_sales.job" in names
    assert "jobs/weekly_report/weekly_report_sql.script" in names

    single = browser.post(url, [("job", "daily_sales"), ("content", "jobs")])
    assert 'filename="DLF_daily_sales.zip"' in single.headers["content-disposition"]
    only_job = zipfile.ZipFile(io.BytesIO(single.content)).namelist()
    assert "jobs/daily_sales.job" in only_job
    assert not any(n.startswith("scripts/") for n in only_job)


def _exported_as_a_task(
    browser: Browser, services: Services, scope: Scope, *more: tuple[str, str]
) -> Any:
    """Two jobs ticked and exported past the console's own limit (one job): a task of the
    download center, run to its end; the export's answer (to the task's page)."""
    seed(services, scope, ("daily_sales", "weekly_report"))
    services.settings.console_sync_export_max_jobs = 1
    browser.get(_tree_url(services), params={"select": "1"})
    response = browser.post(
        f"/console/w/{scope.workspace.id}/export",
        [("job", "daily_sales"), ("job", "weekly_report"), *more],
    )
    finish_task(services, scope, response)
    return response


def test_a_large_selection_becomes_a_task_in_the_download_center(
    browser: Browser, services: Services, scope: Scope
) -> None:
    response = _exported_as_a_task(browser, services, scope, ("upstream", "on"))
    task_page = browser.get(response.headers["location"]).text
    assert "Package ready" in task_page
    assert "/downloads/" in task_page
    assert "Export 2 job(s) ticked." in task_page
    assert "by name list" not in task_page
    file_name = services.downloads.list_downloads(scope).downloads[0].file_name
    assert f"Download <span data-task-file>{file_name}</span>" in task_page  # not "Export …"


def test_a_viewer_is_not_offered_an_export_tasks_package_the_download_center_refuses_them(
    browser: Browser, anonymous: Browser, services: Services, scope: Scope
) -> None:
    response = _exported_as_a_task(browser, services, scope)
    assert "Package ready" in browser.get(response.headers["location"]).text  # the admin's
    sign_in_as(anonymous, services, "reader", Role.VIEWER)  # the same client: signed out

    task_page = anonymous.get(response.headers["location"])

    assert_page(task_page, 200, "Export 2 job(s) ticked.", "ask one of them for it")
    assert "/downloads/" not in task_page.text
    status = anonymous.get(f"{response.headers['location']}/status").json()  # what polling reads
    assert "downloadUrl" not in status
    assert "ask one of them" in status["downloadNote"]
    download_id = services.downloads.list_downloads(scope).downloads[0].id
    refused = anonymous.get(f"/console/w/{scope.workspace.id}/downloads/{download_id}/file")
    assert refused.status_code == 403  # what the link would have met


def test_export_refusals_render_inline_with_the_selection_kept(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    url = f"/console/w/{seeded.workspace.id}/export"
    browser.get(_tree_url(services), params={"select": "1"})
    assert_page(browser.post(url, {"content": "deps"}), 400, "Tick at least one job")
    scope_job = services.jobs.show(seeded, "daily_sales")
    assert scope_job.name == "daily_sales"
    missing = browser.post(url, [("job", "daily_sales"), ("job", "ghost"), ("folder", "/sales")])
    assert_page(missing, 400, "ghost")
    assert 'data-mark="j:daily_sales" data-in="/sales" aria-label="Select daily_sales" checked' in (
        missing.text
    )
    assert 'data-marks="{&#34;j:daily_sales&#34;:true,&#34;j:ghost&#34;:true}"' in missing.text


def test_viewers_see_no_export_and_may_not_post_one(
    anonymous: Browser, services: Services, seeded: Scope
) -> None:
    sign_in_as(anonymous, services, "reader", Role.VIEWER)
    page = anonymous.get(_tree_url(services), params={"select": "1"}).text
    assert "Show check boxes" not in page
    assert "Export selected" not in page
    assert "Download center" not in page
    assert "Admin" not in page
    refused = anonymous.post(f"/console/w/{seeded.workspace.id}/export", [("job", "daily_sales")])
    assert_page(refused, 403, "may not export jobs")


def test_the_export_form_needs_the_csrf_token(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    refused = browser.post(
        f"/console/w/{seeded.workspace.id}/export", [("job", "daily_sales")], csrf=False
    )
    assert refused.status_code == 403


def test_an_unexpected_failure_shows_a_page_with_the_request_id_not_a_trace(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    services.signin.set_password(admin_actor(services), "admin", PASSWORD)
    app = build_app(services, TaskRunner(services))
    b = Browser(TestClient(app, follow_redirects=False, raise_server_exceptions=False))
    b.sign_in()

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services.folders, "page", broken)
    response = b.get(f"/console/w/{admin_scope(services).workspace.id}/jobs")
    assert response.status_code == 500
    assert "request id" in response.text
    assert response.headers["X-Request-Id"] in response.text
    assert "database on fire" not in response.text
    assert "Traceback" not in response.text


def test_a_client_gone_before_its_form_was_read_is_no_server_error(
    browser: Browser,
    client: TestClient,
    scope: Scope,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A browser closed mid-post: the form's read meets the disconnect (Starlette's
    ``ClientDisconnect``); no error page, no ERROR line with a trace, one debug line."""
    path = f"/console/w/{scope.workspace.id}/export"
    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    headers = [
        (b"cookie", cookies.encode()),
        (b"content-type", b"application/x-www-form-urlencoded"),
    ]
    with caplog.at_level(logging.DEBUG, logger="jobferry"):
        started = post_then_leave(client, path, headers, b"job=daily_sales&csrf")
    assert started["status"] == 499  # the access log's word for a client gone
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    rid = dict(started["headers"])[b"x-request-id"].decode()
    gone = [r.getMessage() for r in caplog.records if r.name == "jobferry.console"]
    assert gone == [f"client went away before its POST {path} was read (request {rid})"]


def test_a_selection_beyond_the_name_list_cap_still_becomes_a_task(
    browser: Browser, services: Services, scope: Scope
) -> None:
    """The name-list cap is for pasted lists; ticked jobs come from the server's own list."""
    names = ("daily_sales", "weekly_report", "monthly_close")
    seed(services, scope, names)
    services.settings.console_sync_export_max_jobs = 1
    services.settings.export_name_list_max = 2
    browser.get(_tree_url(services), params={"select": "1"})
    response = browser.post(f"/console/w/{scope.workspace.id}/export", [("job", n) for n in names])
    finish_task(services, scope, response)


def test_a_form_of_thousands_of_ticked_jobs_is_read(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales",))
    browser.get(_tree_url(services), params={"select": "1"})
    ticked = [("job", "daily_sales")] + [("job", f"gone_{i:04d}") for i in range(2000)]
    response = browser.post(f"/console/w/{scope.workspace.id}/export", ticked)
    assert "Too many fields" not in response.text
    assert "and 1980 more not found" in response.text  # all 2,001 names were read, checked


def test_a_ticked_folder_exports_every_job_in_it_loaded_or_not_but_the_unticked(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales", "weekly_report", "monthly_close"))
    for name, folder in (("weekly_report", "/sales/weekly"), ("monthly_close", "/finance")):
        job = editable(services.jobs.show(scope, name).document)
        services.jobs.update(scope, name, job | {"directory": folder})
    url = f"/console/w/{scope.workspace.id}/export"
    browser.get(_tree_url(services), params={"select": "1"})

    def exported(ticks: list[tuple[str, str]]) -> list[str]:
        response = browser.post(url, [*ticks, ("content", "jobs")])
        assert response.status_code == 200, response.text
        names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
        return sorted(
            n.rsplit("/", 1)[-1].removesuffix(".job") for n in names if n.endswith(".job")
        )

    assert exported([("job_folder", "/sales")]) == ["daily_sales", "weekly_report"]
    assert exported([("job_folder", "/"), ("not_job_folder", "/sales/weekly")]) == [
        "daily_sales",
        "monthly_close",
    ]
    assert exported(
        [("job_folder", "/"), ("not_job", "daily_sales"), ("not_job_folder", "/finance")]
    ) == ["weekly_report"]
    filtered = browser.post(url, [("job_folder", "/"), ("q", "month"), ("content", "jobs")])
    assert 'filename="DLF_monthly_close.zip"' in filtered.headers["content-disposition"]
    nothing = browser.post(url, [("job_folder", "/sales"), ("not_job_folder", "/sales")])
    assert_page(nothing, 400, "Tick at least one job or folder")


def test_an_enterprise_development_side_offers_no_start_and_refuses_a_stale_one(
    browser: Browser, services: Services, scope: Scope
) -> None:
    prod = prod_workspace(services, "dws_conn")
    seed(services, prod, ("daily_sales", "weekly_sales"))
    services.jobs.start(prod, "weekly_sales")  # scheduled before the switch
    services.releases.switch_to_enterprise(prod)
    url = f"/console/w/{prod.workspace.id}"
    job = browser.get(f"{url}/jobs/daily_sales").text
    assert "Start scheduling" not in job
    assert "Scheduled in production once released" in job
    assert "Stop scheduling" in browser.get(f"{url}/jobs/weekly_sales").text

    started = browser.post(f"{url}/jobs/daily_sales/scheduling", {"action": "start"})
    assert_page(started, 400, "its development side schedules nothing", "Release it")
    assert services.jobs.status(prod, "daily_sales").status == "STOPPED"
    stopped = browser.post(f"{url}/jobs/weekly_sales/scheduling", {"action": "stop"})
    assert stopped.status_code in (200, 303)
    assert services.jobs.status(prod, "weekly_sales").status == "STOPPED"
