"""The console once the housekeeping sweep dropped what an operator keeps for a while
(``services/retention.py``): a task's page says its per-object lines were dropped, when and
under which setting, instead of an empty list; the audit log says before which moment its
entries were dropped, instead of "Nothing was changed"."""

from __future__ import annotations

from pathlib import Path

from jobferry.services.container import Services
from jobferry.services.importing.expiry import DAY_MS
from jobferry.services.retention import Retention
from support.builders import make_job
from support.console import Browser, assert_page, main_text, seeded_admin
from support.planning import import_package, jobs_with_dependencies, write_objects


def test_a_task_page_says_its_lines_were_dropped_not_that_it_handled_nothing(
    browser: Browser, services: Services, tmp_path: Path
) -> None:
    admin = seeded_admin(services)
    package = write_objects(tmp_path / "p.zip", jobs_with_dependencies(make_job("new_job")))
    task = import_package(services, admin, package)
    lines = services.tasks.subtasks(admin, task.id, offset=0, limit=100).total
    assert task.end_time is not None
    Retention(services.db, 30, 0).sweep(task.end_time + 31 * DAY_MS)

    page = browser.get(f"/console/w/{admin.workspace.id}/tasks/{task.id}")

    assert_page(page, 200, "data-lines-dropped")
    text = " ".join(main_text(page.text).split())
    assert f"This task's {lines} per-object line(s) were dropped " in text
    assert "30 day(s) after it ended (the server's JOBFERRY_TASK_LINES_DAYS)" in text
    assert task.message in text  # what it said stays


def test_the_audit_log_says_before_when_its_entries_were_dropped(
    browser: Browser, services: Services
) -> None:
    admin = seeded_admin(services)
    newest = services.audit.list_entries(admin, 1, 0).entries[0].at
    Retention(services.db, 0, 7).sweep(newest + 8 * DAY_MS)
    ws = admin.workspace.id

    page = browser.get(f"/console/w/{ws}/admin/audit")

    assert_page(page, 200, "data-audit-dropped")
    text = " ".join(main_text(page.text).split())
    assert "No entry of this workspace's audit log is kept. Entries before " in text
    assert "(kept 7 day(s), JOBFERRY_AUDIT_DAYS" in text
    assert "Nothing was changed in this workspace yet" not in text
    searched = browser.get(f"/console/w/{ws}/admin/audit", params={"object": "daily_sales"})
    assert "audit log is kept that matches. Entries before " in main_text(searched.text)
    project = browser.get(f"/console/w/{ws}/admin/audit", params={"project": "1"})
    said = " ".join(main_text(project.text).split())
    assert "No entry of the project's audit log is kept. Entries before " in said
