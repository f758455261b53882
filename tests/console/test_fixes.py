"""What the console tells people to do speaks its own pages and the jobferry command, never
API calls: the import check's fixes, a task's problems, refusals, and the pages themselves."""

from __future__ import annotations

import html
import re

import pytest

from jobferry.console.fixes import console_fix, said, without_fix
from jobferry.domain.enums import JobStatus
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    EnvironmentObjectNotFoundError,
    ImportRunningError,
    KeyNotFoundError,
    NotSupportedError,
    PlanStaleError,
    PolicyViolationError,
    RouteNotFoundError,
    WorkspaceNotFoundError,
)
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.workspaces.settings import parse_workspace_settings
from support import wizard
from support.builders import editable
from support.console import Browser, assert_no_api_terms, finish_task, seed

API_SPEAK = re.compile(
    r"\b(?:GET|PUT|POST|DELETE) (?:/|\.\.\.)|sameNamePolicy|exportDepend|targetStatus|"
    r"planId|resources \[|/v1/|\bAUTO\b"
)


@pytest.mark.parametrize(
    ("problem", "words"),
    [
        (
            {"reason": "missing_reference", "reference": {"kind": "connection", "name": "c"}},
            "Map connection 'c' below to one that exists in 'prod', or add 'c' under Admin",
        ),
        (
            {"reason": "missing_reference", "reference": {"kind": "dli_queue", "name": "q"}},
            "jobferry env put dli_queue q",
        ),
        (
            {"reason": "missing_reference", "reference": {"kind": "script", "name": "s"}},
            "“Jobs and their dependency scripts and resource definitions”",
        ),
        (
            {"reason": "missing_reference", "reference": {"kind": "job", "name": "up"}},
            "jobferry export --with-upstream), or import job 'up' into 'prod' first.",
        ),
        ({"reason": "missing_secret"}, "Set the connection's secrets under Admin"),
        ({"reason": "scheduled"}, "Stop its scheduling on its job page in 'prod'"),
        ({"reason": "locked"}, "Ask the lock's holder to release it, or go back to the options"),
        (
            {"reason": "locked", "action": "DELETE"},
            "Ask the lock's holder to release it, or keep it: untick “Delete what the source",
        ),
        (
            {"reason": "signature", "detail": "package signature is untrusted: …"},
            "Trust the key that signed it under Admin → Signing and trusted keys",
        ),
        (
            {"reason": "signature", "detail": "package signature is unsigned: …"},
            "jobferry package sign FILE --key KEY.pem",
        ),
        ({"reason": "time_zone"}, "“Keep the wall-clock time”"),
        ({"reason": "remote", "kind": "package"}, "choose “Atomic: import nothing”"),
        (
            {"reason": "remote", "kind": "package", "rule": "remote.submits"},
            "choose “Submitted (a new version)”",
        ),
    ],
)
def test_each_import_problem_gets_a_console_fix(problem: dict[str, str], words: str) -> None:
    fixed = console_fix({**problem, "fix": "PUT /environment/x"}, "prod")
    assert words in fixed["fix"]
    assert not API_SPEAK.search(fixed["fix"])


def test_outside_the_wizard_a_mapping_is_made_in_its_check_step() -> None:
    problem = {"reason": "missing_reference", "reference": {"kind": "connection", "name": "c"}}
    assert "in the import wizard's check step" in console_fix(problem, "p", in_wizard=False)["fix"]


def test_refusals_that_name_api_calls_are_said_with_console_pages() -> None:
    cases = [
        (ImportRunningError("… (GET /v1/{project_id}/system-tasks/t1) …", task_id="t1"), "Tasks"),
        (PlanStaleError("… (POST /jobs/import/plan) …", plan_id="p"), "check step"),
        (
            PlanStaleError(
                "The target changed since plan p was made (job.delete of job 'a' by bob at T); "
                "nothing was imported.",
                fix="Review a new plan (POST /jobs/import/plan) …",
                plan_id="p",
                changed=[{"action": "job.delete", "kind": "job", "name": "a"}],
            ),
            "(job.delete of job 'a' by bob at T); nothing was imported. To import, go back to "
            "the check step",
        ),
        (
            EnvironmentObjectNotFoundError("… PUT /v1/…", kind="dli_queue", name="q"),
            "Admin → Environment objects (jobferry env put dli_queue q …)",
        ),
        (KeyNotFoundError("… POST /v1/{project_id}/signing-key."), "jobferry keys create"),
        (KeyNotFoundError("… GET /v1/…", key_id="k1"), "'k1'"),
        (RouteNotFoundError("… GET /v1/{project_id}/routes.", route="r"), "the Routes page"),
        (
            WorkspaceNotFoundError("… (jobferry routes edit r).", workspace="w", route="r"),
            "Route 'r' names workspace 'w', which does not exist in this project; choose another",
        ),
        (
            NotSupportedError("… (promote --out / --in) …", route="r"),
            "the console promotes only between workspaces of this server",
        ),
    ]
    for exc, words in cases:
        assert words in said(exc)
        assert not API_SPEAK.search(said(exc))


@pytest.mark.parametrize(
    ("remedy", "context", "words"),
    [
        (
            Remedy.RELEASE_POLICY,
            {"rules": ["freeze"], "package_id": "7"},
            "Wait for the freeze window to end, then deploy it again; an admin can change the "
            "policy under Admin → Policies.",
        ),
        (
            Remedy.RELEASE_POLICY,
            {"rules": ["freeze", "owners"], "package_id": "7"},
            "Change the objects named in development so they keep the owner rule; submit what "
            "you changed, package the pending items anew (Releases → Pending items) and revoke "
            "this package, and deploy the new package once the freeze window ends; an admin",
        ),
        (Remedy.FOLLOW_POLICY, {"rule": "freeze"}, "or wait for the freeze window to end;"),
        (Remedy.FOLLOW_POLICY, {"rules": ["naming"]}, "keeps the rule; an admin can change"),
    ],
)
def test_a_policy_refusal_is_said_by_the_rules_it_names(
    remedy: Remedy, context: dict[str, object], words: str
) -> None:
    refused = PolicyViolationError("The policy refuses it.", fix="…", remedy=remedy, **context)
    assert words in said(refused)
    assert not API_SPEAK.search(said(refused))


def test_a_task_object_message_drops_the_api_fix() -> None:
    message = "job 'a' is scheduled — fix: stop it (POST .../jobs/a/stop); job 'b' x — fix: y"
    assert without_fix(message) == "job 'a' is scheduled; job 'b' x"


def test_the_check_step_and_a_failed_task_speak_console_actions(
    browser: Browser, services: Services, scope: Scope
) -> None:
    seed(services, scope, ("daily_sales", "weekly_report"))
    data = wizard.export_package(services, scope, ("daily_sales", "weekly_report"))
    changed = editable(services.jobs.show(scope, "daily_sales").document)
    changed["nodes"][0]["properties"][2]["value"] = "other_db"
    services.jobs.update(scope, "daily_sales", changed)  # so the import overwrites it
    services.jobs.start(scope, "daily_sales")
    ws = scope.workspace.id
    options = browser.get(wizard.upload(browser, ws, data))
    chosen = wizard.choose(
        wizard.fields(options.text, ws), sameNamePolicy="OVERWRITE", mode="PER_OBJECT"
    )

    check = wizard.step(browser, ws, "check", chosen)
    plan = wizard.step(browser, ws, "plan", chosen)
    started = wizard.step(browser, ws, "run", wizard.fields(plan.text, ws, "run"))
    finish_task(services, scope, started, "FAILED")  # its one write failed
    task = browser.get(started.headers["location"]).text

    assert "Stop its scheduling on its job page" in html.unescape(check.text)
    assert "Stop its scheduling on its job page" in html.unescape(plan.text)
    assert "Stop its scheduling on its job page" in html.unescape(task)
    for page in (check.text, plan.text, task):
        assert_no_api_terms(page, API_SPEAK)
    job_page = browser.get(f"/console/w/{ws}/jobs/daily_sales").text
    assert ">Stop scheduling</button>" in job_page
    stopped = browser.post(f"/console/w/{ws}/jobs/daily_sales/scheduling", {"action": "stop"})
    assert stopped.status_code == 303
    assert services.jobs.status(scope, "daily_sales").status is JobStatus.STOPPED


def test_no_console_page_speaks_api(browser: Browser, services: Services, scope: Scope) -> None:
    seed(services, scope, ("daily_sales",))
    services.accounts.update_workspace(
        scope.actor,
        scope.actor.project_id,
        scope.workspace.id,
        parse_workspace_settings({"requireSigned": True}),
    )
    wizard.prod_workspace(services)
    source = {"workspace": scope.workspace.name}
    route = {"source": source, "target": {"workspace": "prod"}, "profile": {"params": {}}}
    services.routes.put(scope, "to-prod", route)
    base = f"/console/w/{scope.workspace.id}"
    pages = [
        "/jobs",
        "/jobs?folder=/sales&select=1",
        "/jobs/daily_sales",
        "/scripts",
        "/scripts/daily_sales_sql",
        "/resources",
        "/resources/udf_jar",
        "/tasks",
        "/downloads",
        "/export/names",
        "/export/workspace",
        "/import",
        "/admin/environment",
        "/admin/profiles",
        "/admin/keys",
        "/admin/users",
        "/admin/settings",
        "/routes",
        "/new-route",
        "/routes/to-prod",
    ]
    for path in pages:
        response = browser.get(base + path)
        assert response.status_code == 200, (path, response.text[:200])
        assert_no_api_terms(response.text, API_SPEAK)


def test_a_missing_connection_the_package_describes_is_added_as_the_source_has_it() -> None:
    """The plan says what the package says the connection is (``needs``): the fix says to add
    it of that type, with those secrets."""
    missing = {
        "reason": "missing_reference",
        "reference": {"kind": "connection", "name": "dws_conn"},
        "needs": {"type": "DWS", "secrets": ["password"]},
    }
    said = console_fix(missing, "prod")["fix"]
    assert "add 'dws_conn' of type DWS, with its secret password under" in said
    two = {**missing, "needs": {"secrets": ["user", "password"]}}
    assert (
        "add 'dws_conn', with its secrets user, password under" in console_fix(two, "prod")["fix"]
    )
    plain = {k: v for k, v in missing.items() if k != "needs"}
    assert "add 'dws_conn' under" in console_fix(plain, "prod")["fix"]
