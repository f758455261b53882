"""The console's audit log (Admin → Audit log): every change, by whom and when, searched by
object, kind, user, action and days, a page at a time; a job's, script's and resource's page
links to its own history; developers are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.console import audit as audit_page
from jobferry.domain.enums import Role
from jobferry.errors import PackageError
from jobferry.services.audit import AuditEntry
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.request import parse_import_request
from support.builders import make_job
from support.console import (
    Browser,
    assert_page,
    main_text,
    make_user,
    seeded_admin,
    sign_in_as,
)
from support.planning import (
    import_package,
    jobs_with_dependencies,
    upload,
    workspace,
    write_objects,
)


def test_the_audit_log_searches_and_pages_keeping_the_search(
    browser: Browser, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = seeded_admin(services)
    ws = admin.workspace.id
    for n in range(3):
        services.jobs.update(admin, "daily_sales", make_job(description=f"v{n}"))
    nav = browser.get(f"/console/w/{ws}/admin/settings")
    assert f'href="/console/w/{ws}/admin/audit"' in nav.text

    page = browser.get(f"/console/w/{ws}/admin/audit", params={"action": "job.update"})
    assert_page(page, 200, "1–3 of 3")
    text = main_text(page.text)
    assert text.count("job.update") == 3
    assert "script.create" not in text
    assert f'<a href="/console/w/{ws}/jobs/daily_sales">daily_sales</a>' in page.text

    monkeypatch.setattr(audit_page, "AUDIT_PAGE", 2)
    first = browser.get(
        f"/console/w/{ws}/admin/audit", params={"object": "daily_sales", "kind": "job"}
    )
    assert_page(first, 200, "1–2 of 4")  # three updates and the create
    older = f"/console/w/{ws}/admin/audit?offset=2&amp;object=daily_sales&amp;kind=job"
    assert older in first.text
    second = browser.get(
        f"/console/w/{ws}/admin/audit",
        params={"offset": 2, "object": "daily_sales", "kind": "job"},
    )
    assert_page(second, 200, "3–4 of 4", "job.create")
    stale = browser.get(
        f"/console/w/{ws}/admin/audit",
        params={"offset": 40, "object": "daily_sales", "kind": "job"},
    )
    assert_page(stale, 200, "3–4 of 4", "job.create")  # past the end: the last page
    assert "No entry" not in stale.text

    today = browser.get(
        f"/console/w/{ws}/admin/audit", params={"since": "2000-01-01", "until": "2000-01-02"}
    )
    assert_page(today, 200, "No entry of this workspace's audit log matches.")


def test_an_entrys_detail_names_its_fields_in_words_not_the_apis_fields(
    browser: Browser, services: Services
) -> None:
    admin = seeded_admin(services)
    services.jobs.update(admin, "daily_sales", make_job(description="v2"))

    page = browser.get(f"/console/w/{admin.workspace.id}/admin/audit", params={"kind": "job"})

    text = main_text(page.text)
    assert "target status=SUBMITTED, version=2" in text
    assert "targetStatus" not in text


def test_a_refused_search_says_why_and_keeps_the_form(browser: Browser, services: Services) -> None:
    ws = seeded_admin(services).workspace.id
    bad = browser.get(f"/console/w/{ws}/admin/audit", params={"action": "Job Update"})
    assert_page(bad, 400, "action &#39;Job Update&#39; is neither an action")
    assert 'value="Job Update"' in bad.text
    day = browser.get(f"/console/w/{ws}/admin/audit", params={"since": "yesterday"})
    assert_page(day, 400, "From &#39;yesterday&#39; is not a day. Give one as YYYY-MM-DD.")
    backwards = {"since": "2026-11-02", "until": "2026-11-01"}
    turned = browser.get(f"/console/w/{ws}/admin/audit", params=backwards)
    assert_page(turned, 400, "From 2026-11-02 is after To 2026-11-01.")
    one_day = {"since": "2026-11-01", "until": "2026-11-01"}  # both days included: one day
    assert browser.get(f"/console/w/{ws}/admin/audit", params=one_day).status_code == 200


def test_an_objects_page_links_its_history_for_admins_only(
    browser: Browser, anonymous: Browser, services: Services, scope: Scope
) -> None:
    ws = seeded_admin(services).workspace.id
    job = browser.get(f"/console/w/{ws}/jobs/daily_sales")
    assert f'href="/console/w/{ws}/admin/audit?kind=job&amp;object=daily_sales"' in job.text
    script = browser.get(f"/console/w/{ws}/scripts/daily_sales_sql")
    assert "kind=script&amp;object=daily_sales_sql" in script.text

    sign_in_as(anonymous, services, "dev", Role.DEVELOPER)
    assert "/admin/audit" not in anonymous.get(f"/console/w/{ws}/jobs/daily_sales").text
    assert anonymous.get(f"/console/w/{ws}/admin/audit").status_code == 403
    typed = anonymous.get(f"/console/w/{ws}/admin/audit", params={"since": "2026-13-01"})
    assert typed.status_code == 403  # not a search refused: the log is not theirs to read


def test_a_package_is_cut_short_only_when_the_entry_names_it_by_its_hash() -> None:
    # Imports logged before they named their file read as a hash: cut short, whole on hover.
    def label(name: str) -> str:
        entry = AuditEntry(1, 0, "ada", "import.apply", "package", name, None)
        return audit_page.AuditRow.of(entry).object_label

    sha = "ab" * 32
    assert label(sha) == f"{sha[:12]}…"
    assert label("sales-2026-q3-production.zip") == "sales-2026-q3-production.zip"


def test_an_imports_line_links_its_task_and_names_its_package(
    browser: Browser, services: Services, tmp_path: Path
) -> None:
    prod = workspace(services, "prod")
    package = write_objects(tmp_path / "p.zip", jobs_with_dependencies(make_job("daily")))
    task = import_package(services, prod, package)
    page = browser.get(f"/console/w/{prod.workspace.id}/admin/audit", params={"action": "import"})
    assert_page(page, 200, "import.apply")
    assert f'href="/console/w/{prod.workspace.id}/tasks/{task.id}">task {task.id[:8]}…</a>' in (
        page.text
    )
    # The package is named by its file, whole (a long name is not a hash to cut short).
    assert '<span title="p.zip">p.zip</span>' in page.text
    assert f"taskId={task.id}" not in page.text  # said once, as the link

    # A job's History: the import's one line names the package, so what it did to this job
    # is listed apart, from the import's own record.
    job = browser.get(
        f"/console/w/{prod.workspace.id}/admin/audit", params={"kind": "job", "object": "daily"}
    )
    assert_page(job, 200, "Imports that changed job daily", "CREATE")
    assert f'href="/console/w/{prod.workspace.id}/tasks/{task.id}">task {task.id[:8]}…</a>' in (
        job.text
    )
    assert "No line of the audit log names it besides the imports above." in job.text
    assert task.name in job.text  # which import: its task's title
    # Any kind, and only the imports within the days asked.
    anything = browser.get(
        f"/console/w/{prod.workspace.id}/admin/audit", params={"object": "daily_sql"}
    )
    assert_page(anything, 200, "Imports that changed daily_sql", "script", "CREATE")
    before = browser.get(
        f"/console/w/{prod.workspace.id}/admin/audit",
        params={"object": "daily", "until": "2000-01-01"},
    )
    assert "Imports that changed" not in before.text

    services.rollback.rollback(prod, task.id)
    undone = browser.get(
        f"/console/w/{prod.workspace.id}/admin/audit", params={"action": "import.rollback"}
    )
    assert f'<a href="/console/w/{prod.workspace.id}/tasks/{task.id}">{task.id}</a>' in undone.text


def test_an_import_refused_before_its_task_is_on_the_audit_page(
    browser: Browser, services: Services, tmp_path: Path
) -> None:
    """A corrupt zip: no task was made for it, and the audit page shows who tried, with which
    file, how large it was and why it was refused."""
    prod = workspace(services, "prod")
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 this is not a zip archive")
    with pytest.raises(PackageError):
        services.imports.plan(prod, parse_import_request({"path": upload(services, prod, broken)}))
    page = browser.get(
        f"/console/w/{prod.workspace.id}/admin/audit", params={"action": "import.refused"}
    )
    assert_page(page, 200, "1–1 of 1", "import.refused", "broken.zip", "error code=DLF.9020")
    assert f"size={broken.stat().st_size}" in main_text(page.text)
    assert prod.actor.name in main_text(page.text)


def test_a_project_admin_reads_the_projects_own_entries(
    browser: Browser, anonymous: Browser, services: Services
) -> None:
    ws = seeded_admin(services).workspace.id
    make_user(services, "wsadmin", Role.ADMIN)  # a workspace admin only
    page = browser.get(f"/console/w/{ws}/admin/audit", params={"project": "1"})
    assert_page(page, 200, "of the project")
    text = " ".join(main_text(page.text).split())
    assert "Audit log of the project" in text
    assert "user.create" in text
    assert "user.password" in text  # her password, set when she was made
    assert "wsadmin" in text
    assert "job.create" not in text  # the workspace's own entries are not the project's
    assert "data-audit-project" in page.text
    assert anonymous.sign_in("wsadmin").status_code == 303
    assert "data-audit-project" not in anonymous.get(f"/console/w/{ws}/admin/audit").text
    refused = anonymous.get(f"/console/w/{ws}/admin/audit", params={"project": "1"})
    assert refused.status_code == 403
    window = {"project": "1", "since": "2026-11-02", "until": "2026-11-01"}
    assert anonymous.get(f"/console/w/{ws}/admin/audit", params=window).status_code == 403
