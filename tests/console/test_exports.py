"""Export by names, the workspace export, task pages and the download center."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pytest

from jobferry.domain.enums import Role
from jobferry.errors import ObjectStoreUnavailableError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.console import Browser, assert_page, finish_task, seed, sign_in_as, wait_task


def test_names_are_checked_first_and_only_a_full_match_generates(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales", "weekly_report"))
    url = f"/console/w/{scope.workspace.id}/export/names"
    page = browser.get(url).text
    assert "0</span>/200 names" in page
    assert "Last package generated at" in page

    failed = browser.post(url, {"names": "daily_sales\nWeekly_Report\n", "action": "generate"})
    assert_page(
        failed,
        200,
        "Matched 1, failed 1",
        "did you mean &#39;weekly_report&#39;?",
        "2</span>/200 names",
    )
    assert services.downloads.list_downloads(scope).total == 0

    checked = browser.post(url, {"names": "daily_sales\nweekly_report", "action": "check"})
    assert "Matched 2, failed 0" in checked.text
    assert "data-poll" not in checked.text

    generated = browser.post(
        url, {"names": "daily_sales\nweekly_report", "action": "generate", "content": "jobs"}
    )
    assert "Matched 2, failed 0" in generated.text
    poll = generated.text.split('data-poll="', 1)[1].split('"', 1)[0]
    task_id = poll.split("/tasks/", 1)[1].split("/", 1)[0]
    assert wait_task(services, scope, task_id).status == "SUCCESSFUL"
    status = browser.get(poll).json()
    assert status["done"] is True
    assert status["downloadUrl"].endswith("/file")
    listing = services.downloads.list_downloads(scope)
    assert listing.downloads[0].selection["exportDepend"] is False
    assert "Last package generated at <span data-last-generated><time" in browser.get(url).text


def test_too_many_names_are_refused_inline(
    browser: Browser, services: Services, scope: Scope
) -> None:
    services.settings.export_name_list_max = 2
    response = browser.post(
        f"/console/w/{scope.workspace.id}/export/names", {"names": "a\nb\nc", "action": "check"}
    )
    assert_page(response, 400, "at most 2")


def test_workspace_export_all_since_last_and_since_a_date(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    url = f"/console/w/{seeded.workspace.id}/export/workspace"
    assert "Changed since the last workspace export" in browser.get(url).text
    for form in (
        {"changed": "all"},
        {"changed": "sinceLastExport"},
        {"changed": "since", "since_date": "2020-01-01", "since_time": "08:30"},
    ):
        finish_task(services, seeded, browser.post(url, form))
    bad = browser.post(url, {"changed": "since", "since_date": ""})
    assert_page(bad, 400, "Changed since needs a day.", "YYYY-MM-DD")
    assert "changed=since" not in bad.text
    wrong = browser.post(url, {"changed": "since", "since_date": "2026-02-30"})
    assert_page(wrong, 400, "Changed since &#39;2026-02-30 00:00&#39; is not a day and time.")


def test_a_workspace_export_for_a_target_carries_what_was_deleted_since_its_last_one(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales", "weekly_report", "audit_log"))
    services.jobs.delete(scope, "weekly_report")
    url = f"/console/w/{scope.workspace.id}/export/workspace"
    page = browser.get(url).text
    assert 'name="for_target"' in page
    assert "carries what the workspace deleted since that moment too" in page

    def export(form: dict[str, str]) -> dict[str, Any]:
        task = services.tasks.show(scope, finish_task(services, scope, browser.post(url, form)))
        assert task.result is not None
        return task.result

    first = export({"changed": "all", "for_target": " prod "})
    assert (first["jobs"], first["deletions"]) == (2, 1)  # the first time: every deletion
    listed = browser.get(f"/console/w/{scope.workspace.id}/downloads").text
    assert "for target prod with what was deleted since its last export" in listed
    assert services.downloads.list_downloads(scope).downloads[0].selection["deletionsFor"] == (
        "prod"
    )
    services.jobs.delete(scope, "audit_log")
    again = export({"changed": "all", "for_target": "prod"})
    assert (again["jobs"], again["deletions"]) == (1, 1)  # only what was deleted since
    assert export({"changed": "all", "for_target": "stage"})["deletions"] == 2
    assert export({"changed": "all"})["deletions"] == 0  # a plain export carries none


def test_the_download_center_lists_downloads_and_deletes_packages(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    started = browser.post(f"/console/w/{seeded.workspace.id}/export/workspace", {"changed": "all"})
    finish_task(services, seeded, started)
    item = services.downloads.list_downloads(seeded).downloads[0]
    page = browser.get(f"/console/w/{seeded.workspace.id}/downloads").text
    assert item.file_name in page
    assert item.sha256[:12] in page
    assert "1 job, with dependencies" in page
    content = browser.get(f"/console/w/{seeded.workspace.id}/downloads/{item.id}/file")
    assert content.status_code == 200
    assert hashlib.sha256(content.content).hexdigest() == item.sha256
    deleted = browser.post(f"/console/w/{seeded.workspace.id}/downloads/{item.id}/delete", {})
    assert deleted.status_code == 303
    assert "No packages" in browser.get(f"/console/w/{seeded.workspace.id}/downloads").text
    gone = browser.get(f"/console/w/{seeded.workspace.id}/downloads/{item.id}/file")
    assert_page(gone, 404, "generate it again")


def test_export_pages_are_for_admins_and_developers(
    anonymous: Browser, services: Services, scope: Scope
) -> None:
    sign_in_as(anonymous, services, "ops", Role.OPERATOR)
    ws = scope.workspace.id
    for path in ("/export/names", "/export/workspace", "/downloads", "/import"):
        assert_page(anonymous.get(f"/console/w/{ws}{path}"), 403, "ask a workspace admin")
    refused = anonymous.post(f"/console/w/{ws}/export/workspace", {"changed": "all"})
    assert refused.status_code == 403


def test_developers_export_too(anonymous: Browser, services: Services, seeded: Scope) -> None:
    sign_in_as(anonymous, services, "dev", Role.DEVELOPER)
    page = anonymous.get(f"/console/w/{seeded.workspace.id}/jobs").text
    assert "Export by names" in page
    assert "Admin" not in page
    assert anonymous.get(f"/console/w/{seeded.workspace.id}/export/names").status_code == 200


def test_a_large_ticked_selection_with_a_job_gone_since_names_it_and_exports_nothing(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales", "weekly_report"))
    services.settings.console_sync_export_max_jobs = 1  # two ticked jobs: a task
    form = [("folder", "/"), ("job", "daily_sales"), ("job", "gone_job"), ("content", "jobs")]
    refused = browser.post(f"/console/w/{scope.workspace.id}/export", form)
    assert_page(refused, 400, "&#39;gone_job&#39; not found")
    assert "details" not in refused.text.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert services.tasks.list_tasks(scope, limit=10, offset=0).tasks == []


def test_a_download_the_package_store_did_not_serve_is_a_warning_of_the_server_log(
    browser: Browser,
    services: Services,
    seeded: Scope,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refusal the console's error page says (rather than a page of its own) is in the
    operator's log too: the request id, the store and why."""

    def refused(*_: Any) -> None:
        raise ObjectStoreUnavailableError(
            "The object storage at s3.example did not serve the package store: Read timeout.",
            setting="JOBFERRY_S3_ENDPOINT_URL",
            endpoint="https://s3.example",
        )

    monkeypatch.setattr(services.downloads, "open", refused)
    ws = seeded.workspace.id
    with caplog.at_level(logging.WARNING, logger="jobferry.console"):
        answered = browser.get(f"/console/w/{ws}/downloads/d1/file")

    assert answered.status_code == 503, answered.text
    [line] = [r for r in caplog.records if r.name == "jobferry.console"]
    rid = answered.headers["X-Request-Id"]
    assert f"GET /console/w/{ws}/downloads/d1/file (request {rid}) refused DLF.9505" in (
        line.getMessage()
    )
