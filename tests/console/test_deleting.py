"""A job's and a script's *Delete*: asked first, the API's own checks (a scheduled job, jobs
that depend on the job or use the script) said on the object's page with the console's actions
and nothing deleted; once deleted, the folder's listing says so."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.domain.enums import Role
from jobferry.errors import JobNotFoundError, ScriptNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import make_job
from support.console import Browser, assert_page, sign_in_as


def _followed(browser: Browser, response: Any) -> Any:
    """The listing a Delete leads to."""
    assert response.status_code == 303, response.text
    return browser.get(response.headers["location"])


def test_a_script_in_use_is_refused_on_its_page_then_deleted_after_its_job(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    base = f"/console/w/{seeded.workspace.id}"
    page = browser.get(f"{base}/scripts/daily_sales_sql")
    assert_page(page, 200, 'data-confirm="Delete script daily_sales_sql?', ">Delete</button>")
    refused = browser.post(f"{base}/scripts/daily_sales_sql/delete")
    assert_page(
        refused,
        400,
        "Script &#39;daily_sales_sql&#39; is used by job(s) daily_sales: Edit or delete those",
        "Nothing was deleted.",
    )
    assert services.scripts.detail(seeded, "daily_sales_sql").script.name == "daily_sales_sql"

    job = browser.get(f"{base}/jobs/daily_sales")
    assert_page(job, 200, 'data-confirm="Delete job daily_sales?')
    gone = _followed(browser, browser.post(f"{base}/jobs/daily_sales/delete"))
    assert_page(gone, 200, "Deleted job &#39;daily_sales&#39;.")
    with pytest.raises(JobNotFoundError):
        services.jobs.detail(seeded, "daily_sales")
    deleted = _followed(browser, browser.post(f"{base}/scripts/daily_sales_sql/delete"))
    assert_page(deleted, 200, "Deleted script &#39;daily_sales_sql&#39;.")
    with pytest.raises(ScriptNotFoundError):
        services.scripts.detail(seeded, "daily_sales_sql")


def test_a_scheduled_job_and_an_upstream_job_are_refused_saying_what_to_do(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    base = f"/console/w/{seeded.workspace.id}"
    after = make_job("after_sales", targetStatus="SUBMITTED")
    after["schedule"]["cron"]["dependJobs"] = {
        "jobs": ["daily_sales"],
        "dependPeriod": "SAME_PERIOD",
        "dependFailPolicy": "FAIL",
    }
    services.jobs.create(seeded, after)
    upstream = browser.post(f"{base}/jobs/daily_sales/delete")
    assert_page(upstream, 400, "is an upstream job of after_sales: Edit those jobs")
    assert "dependJobs" not in upstream.text
    services.jobs.start(seeded, "after_sales")
    scheduled = browser.post(f"{base}/jobs/after_sales/delete")
    assert_page(scheduled, 400, "choose Stop scheduling first, then Delete", "Nothing was deleted.")
    assert "POST" not in scheduled.text
    assert services.jobs.detail(seeded, "after_sales").job.name == "after_sales"
    assert services.jobs.detail(seeded, "daily_sales").job.name == "daily_sales"


def test_delete_is_offered_to_writers_only_and_refused_to_others(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    sign_in_as(browser, services, "viewer", Role.VIEWER)
    base = f"/console/w/{seeded.workspace.id}"
    page = browser.get(f"{base}/jobs/daily_sales")
    assert_page(page, 200)
    assert "/delete" not in page.text
    refused = browser.post(f"{base}/jobs/daily_sales/delete")
    assert refused.status_code == 403
    assert services.jobs.detail(seeded, "daily_sales").job.name == "daily_sales"
    # who may not delete is told so whether the job is there or not, as the API tells them
    gone = browser.post(f"{base}/jobs/no_such_job/delete")
    assert gone.status_code == 403, gone.text


def test_a_script_only_a_submitted_version_runs_is_refused_saying_submit_again(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    base = f"/console/w/{seeded.workspace.id}"
    job = make_job("daily_sales", targetStatus="SAVED")
    job["nodes"][0]["properties"][0]["value"] = "daily_sales_sh"
    services.jobs.update(seeded, "daily_sales", job)

    refused = browser.post(f"{base}/scripts/daily_sales_sql/delete")

    assert_page(
        refused,
        400,
        "Script &#39;daily_sales_sql&#39; is used by the submitted version of job(s) "
        "daily_sales, though their saved definition no longer uses it: Submit those jobs again "
        "(or delete them) first. Then Delete it. Nothing was deleted.",
    )
    assert services.scripts.detail(seeded, "daily_sales_sql").script.name == "daily_sales_sql"


def test_a_job_only_a_submitted_version_depends_on_is_refused_saying_submit_again(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    base = f"/console/w/{seeded.workspace.id}"
    after = make_job("after_sales", targetStatus="SUBMITTED")
    after["schedule"]["cron"]["dependJobs"] = {"jobs": ["daily_sales"]}
    services.jobs.create(seeded, after)
    after["schedule"]["cron"]["dependJobs"] = {"jobs": []}
    services.jobs.update(seeded, "after_sales", after | {"targetStatus": "SAVED"})

    refused = browser.post(f"{base}/jobs/daily_sales/delete")

    assert_page(
        refused,
        400,
        "Job &#39;daily_sales&#39; is an upstream job of the submitted version of job(s) "
        "after_sales, though their saved definition no longer depends on it: Submit those jobs "
        "again (or delete them) first, then Delete it. Nothing was deleted.",
    )
    assert services.jobs.detail(seeded, "daily_sales").job.name == "daily_sales"
