"""The console's wording and first-day polish (#36): no API field names, the uploaded file by
its name, jobs listed sorted, numbers with thousands separators, limits in MB and seconds, and
a large import's objects a page at a time in apply order."""

from __future__ import annotations

import html
import re

from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import ExportRequest
from support import wizard
from support.console import Browser, assert_page, finish_task, hidden_fields, seed
from support.seeding import bulk_jobs


def test_the_preview_names_the_uploaded_file_lists_jobs_sorted_and_no_api_fields(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("zeta_load", "alpha_report", "mid_check"))
    names = ("zeta_load", "alpha_report", "mid_check")
    request = ExportRequest(names=names, with_manifest=False)  # a plain DataArts package
    data = services.exports.export_batch(scope, request).data
    assert data is not None
    prod = wizard.prod_workspace(services, "ssh_conn", "dws_conn")

    options = browser.get(wizard.upload(browser, prod.workspace.id, data))

    assert_page(options, 200, '<p class="muted small" data-package>pkg.zip</p>', "unsigned")
    assert "withManifest" not in options.text
    assert "every jobferry export has one" in options.text  # the detail, in no API terms
    listed = re.findall(r"<tr><td>(\w+)</td><td class=\"muted\">/sales</td></tr>", options.text)
    assert listed == ["alpha_report", "mid_check", "zeta_load"]
    scripts = re.findall(r'<span class="tag">(\w+)</span>', options.text)
    assert scripts == sorted(scripts)
    assert len(scripts) == 6


def test_the_settings_page_gives_limits_in_mb_and_seconds_with_separators(
    browser: Browser, services: Services, scope: Scope
) -> None:
    page = browser.get(f"/console/w/{scope.workspace.id}/admin/settings").text
    limits = dict(
        re.findall(r'<tr><th scope="row">([^<]+)</th><td class="num">([^<]+)</td></tr>', page)
    )

    assert limits["Largest package"] == "1,024 MB"
    assert limits["Most a package unpacks to"] == "8,192 MB"
    assert limits["Most entries per package"] == "2,000,000"
    assert limits["Download center keeps packages"] == "259,200 seconds (3 days)"
    services.settings.import_limits = "dataarts"
    dataarts = browser.get(f"/console/w/{scope.workspace.id}/admin/settings").text
    assert '<td class="num">10 MB</td>' in dataarts  # the limits import applies


def test_a_large_imports_task_page_lists_its_objects_a_page_at_a_time_in_apply_order(
    browser: Browser, services: Services, scope: Scope
) -> None:
    names = bulk_jobs(services, scope, 100, folder=lambda i: "/bulk")
    data = services.exports.export_batch(scope, ExportRequest(names=tuple(names))).data
    assert data is not None
    prod = wizard.prod_workspace(services, "dws_conn")
    ws = prod.workspace.id
    state = wizard.fields(browser.get(wizard.upload(browser, ws, data)).text, ws)
    _, task_id = wizard.run(browser, services, prod, state)
    url = f"/console/w/{ws}/tasks/{task_id}"
    subtasks = services.tasks.subtasks(prod, task_id, offset=0, limit=200).subtasks
    applied = [s["name"] for s in subtasks]
    assert len(applied) == 101  # the jobs and the script they share
    assert applied[0] == "Import the bulk_sql script."  # apply order: what jobs need, first

    first = browser.get(url).text
    second = browser.get(url, params={"offset": "100"}).text

    assert "1–100 of 101, in the order the task handled them" in first
    assert f'href="{url}?offset=100#objects">Next</a>' in first
    assert "Previous</a>" not in first
    rows = re.compile(r'<tr><td>([^<]+)</td><td><span class="badge action-')
    assert rows.findall(first) == applied[:100]
    assert rows.findall(second) == applied[100:]
    assert "101–101 of 101" in second
    assert f'href="{url}?offset=0#objects">Previous</a>' in second
    assert "Next</a>" not in second
    assert rows.findall(browser.get(url, params={"offset": "5000"}).text) == applied[100:]
    assert "Written: 101," in first


API_TERMS = re.compile(r"download://|upload://|renames|profile:|DLF\.\d|/v1/|sameNamePolicy|PUT /")


def _read(page: str) -> str:
    """What a person reads on a page: its main part without tags and attribute values."""
    return html.unescape(re.sub(r"<[^>]*>", " ", re.split(r"<main\b[^>]*>", page, maxsplit=1)[-1]))


def test_importing_from_the_download_center_and_keeping_mappings_speak_console_terms(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope)
    started = browser.post(f"/console/w/{scope.workspace.id}/export/workspace", {"changed": "all"})
    finish_task(services, scope, started)
    item = services.downloads.list_downloads(scope).downloads[0]
    prod = wizard.prod_workspace(services, "ssh_conn", "dws_prod")
    ws = prod.workspace.id
    center = browser.get(f"/console/w/{scope.workspace.id}/downloads")
    into = browser.post(
        f"/console/w/{scope.workspace.id}/downloads/{item.id}/import", {"target": ws}
    )
    source = browser.get(into.headers["location"])
    package = dict(hidden_fields(source.text, f"/console/w/{ws}/import/source"))["package"]
    options = browser.get(
        browser.post(f"/console/w/{ws}/import/source", {"package": package}).headers["location"]
    )
    check = wizard.step(browser, ws, "check", wizard.fields(options.text, ws))
    row = wizard.mapping_row(check.text, "dws_conn")
    mapped = wizard.map_reference(browser, ws, check.text, row, "dws_prod")
    unnamed = browser.post(
        f"/console/w/{ws}/import/keep", [*wizard.fields(mapped.text, ws), ("into", "profile:")]
    )

    for page in (center, source, options, check, mapped, unnamed):
        assert not API_TERMS.findall(_read(page.text)), API_TERMS.findall(_read(page.text))
    assert "Save these mappings into this profile" in mapped.text
