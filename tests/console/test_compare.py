"""The compare page of a job or a script: what changed from one submitted version to
another, or since the latest was submitted, reached from the versions on its page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from jobferry.domain.enums import LockPolicy, Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.workspaces.settings import WorkspaceSettings
from support.builders import editable
from support.console import Browser, assert_page, seed
from support.releases import person


def _save(services: Services, scope: Scope, kind: str, name: str, **fields: Any) -> None:
    service = getattr(services, f"{kind}s")
    body = editable(service.show(scope, name).document) | fields
    service.update(scope, name, body)


def test_a_job_s_versions_link_to_what_each_changed_and_the_page_compares_any_two(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales",))  # version 1
    _save(services, scope, "job", "daily_sales", description="second")  # version 2
    _save(services, scope, "job", "daily_sales", description="draft", targetStatus="SAVED")
    base = f"/console/w/{scope.workspace.id}/jobs/daily_sales"

    job_page = browser.get(base).text
    assert f'<a href="{base}/compare">What was saved since version 2</a>' in job_page
    assert f'<a href="{base}/compare?newer=2">since v1</a>' in job_page

    since = browser.get(f"{base}/compare")
    assert_page(
        since,
        200,
        "<strong>1</strong> field changed from version 2 to the development state.",
        '<code class="wrap">description</code>',
        '<code class="wrap text">draft</code>',
        '<option value="2" selected>version 2',
    )
    second = browser.get(f"{base}/compare", params={"newer": "2"}).text
    assert "from version 1 to version 2" in second
    same = browser.get(f"{base}/compare", params={"older": "2", "newer": "2"})
    assert_page(same, 200, "No change from version 2 to version 2.")

    assert_page(
        browser.get(f"{base}/compare", params={"newer": "1"}), 400, "Version 1 is the first"
    )
    assert_page(
        browser.get(f"{base}/compare", params={"older": "x"}), 400, "&#39;x&#39; is not a version"
    )
    missing = browser.get(f"/console/w/{scope.workspace.id}/jobs/daily_sale/compare")
    assert_page(missing, 404, "Did you mean &#39;daily_sales&#39;?")


def test_a_script_s_content_is_compared_line_by_line(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales",))  # daily_sales_sh, version 1: "echo hi"
    _save(
        services,
        scope,
        "script",
        "daily_sales_sh",
        content="echo hi\necho done",
        targetStatus="SAVED",
    )
    base = f"/console/w/{scope.workspace.id}/scripts/daily_sales_sh"

    assert f'<a href="{base}/compare">What was saved since version 1</a>' in browser.get(base).text
    page = browser.get(f"{base}/compare")
    assert_page(page, 200, '<pre class="linediff">', '<span class="line-added">+echo done</span>')


def test_restore_version_gives_the_development_state_that_version_s_definition(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales",))  # version 1
    _save(services, scope, "job", "daily_sales", description="second")  # version 2
    _save(services, scope, "job", "daily_sales", description="draft", targetStatus="SAVED")
    base = f"/console/w/{scope.workspace.id}/jobs/daily_sales"
    since = browser.get(f"{base}/compare", params={"older": "1"}).text
    action = f'action="{base}/versions/1/restore"'
    assert action in since
    assert "Restore version 1</button>" in since
    assert action not in browser.get(f"{base}/compare", params={"newer": "2"}).text

    _done_then_compared(
        browser.post(f"{base}/versions/1/restore"),
        browser,
        f"{base}/compare?older=1&restored=1",
        "Restored version 1 as the development state: saved, not submitted.",
    )
    assert "description" not in services.jobs.show(scope, "daily_sales").document

    missing = browser.post(f"{base}/versions/7/restore")
    assert_page(missing, 400, "no submitted version 7")


def _done_then_compared(done: Any, browser: Browser, location: str, said: str) -> None:
    """A restore or submit (``done``) went to ``location``, which says ``said`` and that the
    version it names is the development state now."""
    assert done.status_code == 303
    assert done.headers["location"] == location
    version = location.split("older=")[1].split("&")[0]
    no_change = f"No change from version {version} to the development state."
    assert_page(browser.get(location), 200, said, no_change)


def test_submit_makes_the_development_state_the_next_version(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales",))  # version 1
    _save(services, scope, "job", "daily_sales", description="draft", targetStatus="SAVED")
    base = f"/console/w/{scope.workspace.id}/jobs/daily_sales"
    since = browser.get(f"{base}/compare").text
    assert f'action="{base}/submit"' in since
    assert "Submit as version 2</button>" in since

    _done_then_compared(
        browser.post(f"{base}/submit"),
        browser,
        f"{base}/compare?older=2&submitted=2",
        "Submitted the development state as version 2.",
    )
    assert services.jobs.show(scope, "daily_sales").version == 2


def test_a_restore_of_a_version_the_job_lacks_is_refused_as_a_restore(
    browser: Browser, services: Services, scope: Scope
) -> None:
    """Not as a comparison of that version (which the page showed: "compare two it has", or
    "'-1' is not a version number; pick the version to compare from"); a name needing
    encoding in the path is restored all the same."""
    name = "销售.日报-x"
    seed(services, scope, (name,))  # version 1
    _save(services, scope, "job", name, description="draft", targetStatus="SAVED")
    base = f"/console/w/{scope.workspace.id}/jobs/{quote(name, safe='')}"

    for version in ("0", "-1", "7", "99999999999999999999"):
        refused = browser.post(f"{base}/versions/{version}/restore")
        assert_page(
            refused,
            400,
            f"no submitted version {version}; its latest version is 1. List its versions and "
            "restore one it has.",
        )
    assert services.jobs.show(scope, name).document["description"] == "draft"
    restored = browser.post(f"{base}/versions/1/restore")
    assert restored.headers["location"] == f"{base}/compare?older=1&restored=1"
    assert "description" not in services.jobs.show(scope, name).document


def test_the_restore_warns_of_another_user_s_lock_and_the_hard_policy_refuses_it(
    browser: Browser, services: Services, scope: Scope
) -> None:
    """As the editor warns before a save: under the soft policy the restore passes over the
    lock (the page said nothing of it), under the hard one it is refused on the page with the
    way out."""
    seed(services, scope, ("daily_sales",))  # version 1
    _save(services, scope, "job", "daily_sales", description="draft", targetStatus="SAVED")
    dana = person(services, scope.workspace.id, "dana", Role.DEVELOPER)
    services.governance.acquire(dana, "job", "daily_sales")
    base = f"/console/w/{scope.workspace.id}/jobs/daily_sales"

    soft = "Job daily_sales is locked by dana: this workspace's locks only warn, so a restore"
    assert_page(browser.get(f"{base}/compare"), 200, soft, "tell dana first")
    restored = browser.post(f"{base}/versions/1/restore")
    assert_page(browser.get(restored.headers["location"]), 200, "Restored version 1")

    _save(services, scope, "job", "daily_sales", description="again", targetStatus="SAVED")
    boss = scope.actor
    hard = WorkspaceSettings(lock_policy=LockPolicy.HARD)
    services.accounts.update_workspace(boss, boss.project_id, scope.workspace.id, hard)
    assert_page(
        browser.get(f"{base}/compare"),
        200,
        "so a restore or a submit is refused until they release it",
    )
    refused = browser.post(f"{base}/versions/1/restore")
    assert_page(refused, 400, "Ask dana to choose Unlock on its page")
    assert services.jobs.show(scope, "daily_sales").document["description"] == "again"
