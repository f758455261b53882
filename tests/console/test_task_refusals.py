"""Refusals of the task pages and the download center: who may not roll back or delete is
told so whether or not the object is there; an object that is not there is the 404 page (a
package's *Import into…* too); an export's page whose package is gone says so and offers no
download; a page of the Tasks list past its end shows its last page."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.console import tasks as task_pages
from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.clock import held_clock
from support.console import Browser, sign_in_as
from support.task_stories import package, run_export, run_import

pytestmark = [pytest.mark.databases("sqlite", "postgresql"), pytest.mark.usefixtures("held_tasks")]
"""The app's task runner claims nothing: the tests run their exports themselves, and no runner
runs one beside them."""
UNKNOWN = "0" * 32
START = 1_900_000_000_000
GONE = "no longer in the download center"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_a_rollback_by_one_who_may_not_is_refused_whether_the_task_is_there_or_not(
    browser: Browser, services: Services, seeded: Scope, tmp_path: Path, role: Role
) -> None:
    imported = run_import(services, seeded, package(tmp_path, 1, ("ja",), False), {})
    sign_in_as(browser, services, "someone", role)
    ws = seeded.workspace.id
    for task_id in (imported, UNKNOWN):
        refused = browser.post(f"/console/w/{ws}/tasks/{task_id}/rollback", {})
        assert refused.status_code == 403, refused.text
    assert services.tasks.show(seeded, imported).rolled_back is None


def test_a_rollback_of_a_task_that_is_not_there_is_the_missing_page(
    browser: Browser, seeded: Scope
) -> None:
    refused = browser.post(f"/console/w/{seeded.workspace.id}/tasks/{UNKNOWN}/rollback", {})
    assert refused.status_code == 404, refused.text
    assert "Back to Tasks" in refused.text


def test_deleting_a_package_that_is_not_there_is_the_missing_page(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws = seeded.workspace.id
    _, download = run_export(services, seeded)
    assert browser.post(f"/console/w/{ws}/downloads/{download}/delete", {}).status_code == 303
    for gone in (download, UNKNOWN):
        refused = browser.post(f"/console/w/{ws}/downloads/{gone}/delete", {})
        assert refused.status_code == 404, refused.text
        assert "Back to Download center" in refused.text


def test_a_tasks_page_past_the_end_shows_the_last_page(
    browser: Browser, services: Services, seeded: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(task_pages, "TASKS_PAGE", 2)
    made = [run_export(services, seeded)[0] for _ in range(3)]
    page = browser.get(f"/console/w/{seeded.workspace.id}/tasks?offset=40").text
    assert "No tasks in this workspace yet" not in page
    assert "3–3 of 3" in page
    assert f"/tasks/{made[0]}" in page


@pytest.mark.parametrize("how", ["deleted", "expired"])
@pytest.mark.parametrize("role", [Role.ADMIN, Role.VIEWER])
def test_an_exports_page_says_its_package_is_gone_and_offers_no_download(
    browser: Browser, services: Services, seeded: Scope, how: str, role: Role
) -> None:
    ws = seeded.workspace.id
    services.downloads.ttl_seconds = 600  # kept ten minutes: expired before the session ends
    with held_clock(START) as clock:  # signed in again: the session began on the wall clock
        task_id, download = run_export(services, seeded)
        sign_in_as(browser, services, "someone", role)
        shown = browser.get(f"/console/w/{ws}/tasks/{task_id}").text
        assert (f"/downloads/{download}/file" in shown) == (role is Role.ADMIN)
        assert GONE not in shown
        if how == "deleted":
            services.downloads.delete(seeded, download)
        else:
            clock.move(services.downloads.ttl_seconds * 1000)
        page = browser.get(f"/console/w/{ws}/tasks/{task_id}")
        polled = browser.get(f"/console/w/{ws}/tasks/{task_id}/status").json()
    assert page.status_code == 200, page.text
    assert f"/downloads/{download}/file" not in page.text
    assert "ask one of them for it" not in page.text
    assert GONE in page.text
    assert "downloadUrl" not in polled
    assert GONE in polled["downloadNote"]


def test_import_into_of_a_package_that_is_not_there_is_the_missing_page(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws = seeded.workspace.id
    _, download = run_export(services, seeded)
    services.downloads.delete(seeded, download)
    before = services.tasks.list_tasks(seeded, limit=100, offset=0).tasks
    for gone in (download, UNKNOWN):
        for target in (ws, ""):
            refused = browser.post(f"/console/w/{ws}/downloads/{gone}/import", {"target": target})
            assert refused.status_code == 404, refused.text
            assert "Back to Download center" in refused.text
    assert services.tasks.list_tasks(seeded, limit=100, offset=0).tasks == before
