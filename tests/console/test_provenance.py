"""The job page's "Came from" box (#37): where an imported job came from, and whether it
drifted since; a job created in its workspace says it was not imported."""

from __future__ import annotations

import html
import re

from jobferry.services.container import Services
from jobferry.services.context import Scope
from support import wizard
from support.builders import make_job
from support.console import Browser, assert_page


def came_from(page: str) -> str:
    """The text of the page's "Came from" box, tags and spacing taken out."""
    found = re.search(r'<section class="card" id="came-from">(.*?)</section>', page, re.S)
    assert found, "no Came from box"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def test_an_imported_job_shows_where_it_came_from_and_then_that_it_drifted(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    prod = wizard.prod_workspace(services, "dws_conn", "ssh_conn")
    ws = prod.workspace.id
    data = wizard.export_package(services, seeded)
    state = wizard.fields(browser.get(wizard.upload(browser, ws, data)).text, ws)
    _, task_id = wizard.run(browser, services, prod, state)
    task = services.tasks.show(prod, task_id)

    page = browser.get(f"/console/w/{ws}/jobs/daily_sales")
    assert_page(page, 200, "Came from")
    box = came_from(page.text)
    source = seeded.workspace
    assert f"job daily_sales of workspace {source.name} ({source.id})" in box
    assert f"sha256 {task.outcome['packageSha256']}" in box
    assert f"task {task_id}" in box
    assert f'href="/console/w/{ws}/tasks/{task_id}"' in page.text
    assert f"by {task.created_by}" in box
    assert "unchanged in this workspace" in box
    assert "rolled back" not in box

    services.jobs.update(prod, "daily_sales", make_job("daily_sales", description="hot fix"))
    changed = browser.get(f"/console/w/{ws}/jobs/daily_sales").text
    box = came_from(changed)
    assert "Changed in this workspace since that import" in box
    assert f'<a href="/console/w/{ws}/drift">what changed since promoted</a>' in changed
    assert f"<title>Job daily_sales · {prod.workspace.name} · jobferry</title>" in changed


def test_a_job_created_in_its_workspace_says_it_was_not_imported(
    browser: Browser, seeded: Scope
) -> None:
    page = browser.get(f"/console/w/{seeded.workspace.id}/jobs/daily_sales").text
    assert came_from(page) == "Came from Not imported from another workspace."
