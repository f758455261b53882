"""Export by names, the workspace export, task pages and the download center."""

from __future__ import annotations

import hashlib

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from support.console import Browser, admin_scope, make_user, seed, wait_task


def test_names_are_checked_first_and_only_a_full_match_generates(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    seed(services, scope, ("daily_sales", "weekly_report"))
    url = f"/console/w/{scope.workspace.id}/export/names"
    page = browser.get(url).text
    assert "0</span>/200 names" in page
    assert "Last package generated at" in page

    failed = browser.post(url, {"names": "daily_sales\nWeekly_Report\n", "action": "generate"})
    assert failed.status_code == 200
    assert "Matched 1, failed 1" in failed.text
    assert "did you mean &#39;weekly_report&#39;?" in failed.text
    assert "2</span>/200 names" in failed.text
    assert services.downloads.list_downloads(scope)["total"] == 0

    checked = browser.post(url, {"names": "daily_sales\nweekly_report", "action": "check"})
    assert "Matched 2, failed 0" in checked.text
    assert "data-poll" not in checked.text

    generated = browser.post(
        url, {"names": "daily_sales\nweekly_report", "action": "generate", "content": "jobs"}
    )
    assert "Matched 2, failed 0" in generated.text
    poll = generated.text.split('data-poll="', 1)[1].split('"', 1)[0]
    task_id = poll.split("/tasks/", 1)[1].split("/", 1)[0]
    assert wait_task(services, scope, task_id)["status"] == "SUCCESSFUL"
    status = browser.get(poll).json()
    assert status["done"] is True
    assert status["downloadUrl"].endswith("/file")
    listing = services.downloads.list_downloads(scope)
    assert listing["downloads"][0]["selection"]["exportDepend"] is False
    assert "Last package generated at <span data-last-generated><time" in browser.get(url).text


def test_too_many_names_are_refused_inline(browser: Browser, services: Services) -> None:
    scope = admin_scope(services)
    services.settings.export_name_list_max = 2
    response = browser.post(
        f"/console/w/{scope.workspace.id}/export/names", {"names": "a\nb\nc", "action": "check"}
    )
    assert response.status_code == 400
    assert "at most 2" in response.text


def test_workspace_export_all_since_last_and_since_a_date(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    seed(services, scope)
    url = f"/console/w/{scope.workspace.id}/export/workspace"
    assert "Changed since the last workspace export" in browser.get(url).text
    for form in (
        {"changed": "all"},
        {"changed": "sinceLastExport"},
        {"changed": "since", "since_date": "2020-01-01", "since_time": "08:30"},
    ):
        response = browser.post(url, form)
        assert response.status_code == 303, response.text
        task_id = response.headers["location"].rsplit("/", 1)[1]
        task = wait_task(services, scope, task_id)
        assert task["status"] == "SUCCESSFUL", task
    bad = browser.post(url, {"changed": "since", "since_date": ""})
    assert bad.status_code == 400
    assert "changed=since needs since" in bad.text


def test_the_download_center_lists_downloads_and_deletes_packages(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    seed(services, scope)
    started = browser.post(f"/console/w/{scope.workspace.id}/export/workspace", {"changed": "all"})
    wait_task(services, scope, started.headers["location"].rsplit("/", 1)[1])
    item = services.downloads.list_downloads(scope)["downloads"][0]
    page = browser.get(f"/console/w/{scope.workspace.id}/downloads").text
    assert item["fileName"] in page
    assert item["sha256"][:12] in page
    assert "1 job, with dependencies" in page
    content = browser.get(f"/console/w/{scope.workspace.id}/downloads/{item['id']}/file")
    assert content.status_code == 200
    assert hashlib.sha256(content.content).hexdigest() == item["sha256"]
    deleted = browser.post(f"/console/w/{scope.workspace.id}/downloads/{item['id']}/delete", {})
    assert deleted.status_code == 303
    assert "No packages" in browser.get(f"/console/w/{scope.workspace.id}/downloads").text
    gone = browser.get(f"/console/w/{scope.workspace.id}/downloads/{item['id']}/file")
    assert gone.status_code == 400
    assert "generate it again" in gone.text


def test_export_pages_are_for_admins_and_developers(anonymous: Browser, services: Services) -> None:
    scope = admin_scope(services)
    make_user(services, "ops", Role.OPERATOR)
    anonymous.sign_in("ops")
    ws = scope.workspace.id
    for path in ("/export/names", "/export/workspace", "/downloads", "/import"):
        response = anonymous.get(f"/console/w/{ws}{path}")
        assert response.status_code == 403, path
        assert "ask a workspace admin" in response.text
    refused = anonymous.post(f"/console/w/{ws}/export/workspace", {"changed": "all"})
    assert refused.status_code == 403


def test_developers_export_too(anonymous: Browser, services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope)
    make_user(services, "dev", Role.DEVELOPER)
    anonymous.sign_in("dev")
    page = anonymous.get(f"/console/w/{scope.workspace.id}/jobs").text
    assert "Export by names" in page
    assert "Admin" not in page
    assert anonymous.get(f"/console/w/{scope.workspace.id}/export/names").status_code == 200
