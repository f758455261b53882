"""The console's page of what changed in a workspace since promotions wrote it, linked from the
Jobs page: nothing imported, nothing changed, then each changed object with who changed it and
each field as written and as it is now."""

from __future__ import annotations

from pathlib import Path

from jobferry.services.container import Services
from support.builders import make_job
from support.console import Browser, assert_page
from support.planning import import_package, jobs_with_dependencies, workspace, write_objects


def test_the_drift_page_says_what_changed_here_since_it_was_promoted_into(
    browser: Browser, services: Services, tmp_path: Path
) -> None:
    prod = workspace(services, "prod")
    ws = prod.workspace.id
    jobs_page = browser.get(f"/console/w/{ws}/jobs")
    assert f'href="/console/w/{ws}/drift">Changed since promoted' in jobs_page.text
    assert_page(browser.get(f"/console/w/{ws}/drift"), 200, "Nothing in this workspace was")

    package = write_objects(tmp_path / "p.zip", jobs_with_dependencies(make_job("daily")))
    task = import_package(services, prod, package)
    assert_page(browser.get(f"/console/w/{ws}/drift"), 200, "4 objects compared")

    services.jobs.update(prod, "daily", make_job("daily", description="hot-fixed <b>here</b>"))
    page = browser.get(f"/console/w/{ws}/drift")
    assert_page(page, 200, "<strong>1</strong> of the 4 objects that imports wrote here changed")
    assert f'<a href="/console/w/{ws}/jobs/daily">daily</a>' in page.text
    assert f'href="/console/w/{ws}/tasks/{task.id}">import {task.id}</a>' in page.text
    assert '<code class="wrap">description</code>' in page.text
    assert '<code class="wrap text">hot-fixed &lt;b&gt;here&lt;/b&gt;</code>' in page.text
    assert "<b>here" not in page.text  # a text is shown as it is, escaped

    services.jobs.delete(prod, "daily")
    page = browser.get(f"/console/w/{ws}/drift")
    assert_page(page, 200, '<span class="badge reason">deleted</span>', "Deleted here by admin")
    assert f'href="/console/w/{ws}/tasks/{task.id}">import {task.id}</a> wrote it' in page.text
