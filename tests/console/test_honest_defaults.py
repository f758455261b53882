"""The import wizard's honest defaults (#37): its default choice for objects of the same name is
AUTO (a repeated import overwrites what changed), and the check never says "No problems" over
skipped changes or deletions it does not apply: it says what is pending instead."""

from __future__ import annotations

from jobferry.services.container import Services
from jobferry.services.context import Scope
from support import wizard
from support.builders import editable
from support.console import Browser, assert_page


def _edit(services: Services, scope: Scope, database: str) -> None:
    job = editable(services.jobs.show(scope, "daily_sales").document)
    job["nodes"][0]["properties"][2]["value"] = database
    services.jobs.update(scope, "daily_sales", job)


def test_the_wizard_default_overwrites_what_changed_on_a_second_import(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    prod = wizard.prod_workspace(services, "dws_conn", "ssh_conn")
    ws = prod.workspace.id
    first = browser.get(wizard.upload(browser, ws, wizard.export_package(services, seeded)))
    assert '<option value="AUTO" selected>' in first.text  # the wizard's default choice
    wizard.run(browser, services, prod, wizard.fields(first.text, ws))
    _edit(services, seeded, "other_db")

    options = browser.get(wizard.upload(browser, ws, wizard.export_package(services, seeded)))
    check = wizard.step(browser, ws, "check", wizard.fields(options.text, ws))
    assert_page(check, 200, "overwritten when changed", "No problems")
    assert "Pending" not in check.text
    plan, _ = wizard.run(browser, services, prod, wizard.fields(check.text, ws))
    assert "OVERWRITE" in plan.text
    job = services.jobs.show(prod, "daily_sales").document
    values = [p["value"] for p in job["nodes"][0]["properties"] if p["name"] == "database"]
    assert values == ["other_db"]


def test_the_check_says_what_is_pending_instead_of_no_problems(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    data = wizard.export_package(services, seeded)
    _edit(services, seeded, "other_db")  # the workspace now differs from the package
    ws = seeded.workspace.id
    options = browser.get(wizard.upload(browser, ws, data))
    check = wizard.step(browser, ws, "check", wizard.fields(options.text, ws))
    assert_page(
        check,
        200,
        "Pending",
        "1 object(s) differ from this workspace&#39;s and will be skipped",
        "this is the first import from the package&#39;s source workspace",
        "choose “Overwrite it”",
    )
    assert "No problems" not in check.text
    plan = wizard.step(browser, ws, "plan", wizard.fields(check.text, ws))
    assert_page(plan, 200, "SKIP", "skipped: job &#39;daily_sales&#39; differs", "Pending")
