"""The Releases pages of an enterprise workspace: the workspace says it is in enterprise mode
and links its production side (read-only pages), pending items are filtered, ticked and
packaged with approvers (a refusal naming every problem in the console's words), and a
package's page shows its kept plan and items and deploys, revokes or plans it again through
the release service, following the deploy's task."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from jobferry.console import releases as console_releases
from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.releases.records import PackageQuery
from jobferry.storage.importing import plans as plan_repo
from jobferry.storage.releases import ItemFilter
from support.console import (
    PASSWORD,
    Browser,
    admin_actor,
    assert_no_api_terms,
    main_text,
    wait_task,
)
from support.releases import Team, connected_team, person, production_of, release, submit_job

API_SPEAK = re.compile(
    r"\b(?:GET|POST|PUT|DELETE) (?:/|…|\{)|/v[12]/|\{project_id\}|_factory_"
    r"|\b[a-z]+(?:_[a-z]+)*_(?:item|ids?|list|name|mode|type)\b"
    r"|\b(?:targetStatus|planId|onDrift|sameNamePolicy)\b"
)
"""The API's words (calls, paths, the release calls' fields) a page must not show."""


def _team(services: Services) -> Team:
    team = connected_team(services)
    admin = admin_actor(services)
    for scope in (team.developer, team.deployer):
        services.signin.set_password(admin, scope.actor.name, PASSWORD)
    submit_job(services, team.developer, "daily")
    return team


def _signed_in(client: TestClient, name: str) -> Browser:
    browser = Browser(client)
    assert browser.sign_in(name).status_code == 303
    return browser


def _item_ids(page: str) -> list[str]:
    return re.findall(r'name="item" value="(\d+)"', page)


def _released(services: Services, team: Team, package_id: int) -> str:
    """Wait for the deploy's task (the console's task runner runs it) to end: its status."""
    task_id = services.releases.show(team.admin, package_id).record.task_id
    assert task_id is not None
    admin = admin_actor(services)
    production = team.admin.workspace.production_id
    scope = services.accounts.scope(admin, admin.project_id, production)
    return wait_task(services, scope, task_id).status.value


def _package(browser: Browser, team: Team, name: str = "r1") -> int:
    """Package every pending item as the browser's user, naming the deployer approver: the
    new package's id."""
    base = f"/console/w/{team.workspace_id}/releases/pending"
    listed = browser.get(base)
    assert listed.status_code == 200, listed.text
    form = [("item", i) for i in _item_ids(listed.text)]
    form += [("package_name", name), ("approver", str(team.deployer.actor.user_id))]
    made = browser.post(f"{base}/package", form)
    assert made.status_code == 303, made.text
    found = re.search(r"/releases/packages/(\d+)", made.headers["location"])
    assert found
    return int(found[1])


def test_the_workspace_says_enterprise_mode_and_production_is_read_only(
    services: Services, client: TestClient
) -> None:
    team = _team(services)
    dev = _signed_in(client, team.developer.actor.name)
    jobs = dev.get(f"/console/w/{team.workspace_id}/jobs").text
    production = team.admin.workspace.production_id
    assert "Enterprise mode" in jobs
    assert f"/console/w/{production}/jobs" in jobs
    assert "/releases/pending" in jobs
    assert "/releases/packages" in jobs

    shown = dev.get(f"/console/w/{production}/jobs")
    assert shown.status_code == 200
    assert "data-production-banner" in shown.text
    assert "read-only" in shown.text
    assert "New job" not in shown.text
    assert "/import" not in main_text(shown.text)
    refused = dev.post(f"/console/w/{production}/editor/jobs", {"definition": "{}"})
    assert refused.status_code in (400, 409), refused.text
    assert "production changes only by a release" in main_text(refused.text)
    assert_no_api_terms(refused.text, API_SPEAK)


def test_production_jobs_are_started_and_stopped_by_admins_and_operators_not_developers(
    services: Services, client: TestClient
) -> None:
    team = _team(services)
    release(services, team, "r1")  # starts daily in production
    production = team.admin.workspace.production_id
    job = f"/console/w/{production}/jobs/daily"
    dev = _signed_in(client, team.developer.actor.name)
    page = dev.get(job)
    assert page.status_code == 200, page.text
    assert f'action="{job}/scheduling"' not in page.text  # no Stop scheduling offered
    refused = dev.post(f"{job}/scheduling", {"action": "stop"})
    assert refused.status_code == 403, refused.text
    assert "may not stop jobs" in main_text(refused.text)
    assert services.jobs.status(production_of(services, team), "daily").status != "STOPPED"
    admin = Browser(client)
    assert admin.sign_in().status_code == 303
    assert f'action="{job}/scheduling"' in admin.get(job).text


def test_pending_items_are_filtered_by_change_type_name_and_who(
    services: Services, client: TestClient
) -> None:
    team = _team(services)
    dev = _signed_in(client, team.developer.actor.name)
    base = f"/console/w/{team.workspace_id}/releases/pending"
    every = dev.get(base).text
    assert len(_item_ids(every)) == 3  # the job and its two scripts
    scripts = dev.get(f"{base}?kind=script").text
    assert len(_item_ids(scripts)) == 2
    assert "daily_sql" in scripts
    assert len(_item_ids(dev.get(f"{base}?name=_sh").text)) == 1
    assert not _item_ids(dev.get(f"{base}?change=3").text)  # nothing deleted
    assert len(_item_ids(dev.get(f"{base}?change=1").text)) == 3  # all new to production
    assert not _item_ids(dev.get(f"{base}?who=nobody").text)
    assert "No pending item matches these filters." in dev.get(f"{base}?who=nobody").text
    # the approvers offered: admins and deployers, never the viewer
    assert team.deployer.actor.name in every
    assert "admin" in every
    assert f'value="{team.developer.actor.user_id}"' not in every.split("data-package-fields")[1]
    assert_no_api_terms(every, API_SPEAK)


def test_the_pending_page_ticks_every_item_shown_and_says_where_the_list_ends(
    services: Services, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = _team(services)  # three items: the job and its two scripts
    monkeypatch.setattr(console_releases, "ITEMS_PAGE", 2)
    dev = _signed_in(client, team.developer.actor.name)
    base = f"/console/w/{team.workspace_id}/releases/pending"

    first = dev.get(base).text
    assert "data-pending-all" in first  # the box that ticks every item shown (with the script)
    shown = " ".join(main_text(first).split())
    assert "1–2 of 3 waiting items, newest first; Next shows the rest." in shown
    assert not re.findall(r"data-pending-item[^>]*checked|checked[^>]*data-pending-item", first)
    # Without the script: the link shows the page again with every item on it ticked.
    ticked = dev.get(f"{base}?offset=0&tick=all").text
    assert len(re.findall(r"checked data-pending-item", ticked)) == 2
    assert "<span data-pending-count>2</span> ticked" in ticked

    last = " ".join(main_text(dev.get(f"{base}?offset=2").text).split())
    assert "3–3 of 3 waiting items, newest first; no more after this one." in last
    past = dev.get(f"{base}?offset=4").text
    said = " ".join(main_text(past).split())
    assert "No more items: this page is past the last of the 3 waiting items." in said
    assert "Nothing waits for a release" not in said
    assert f'href="{base}?offset=0" data-pending-first' in past
    assert_no_api_terms(first + ticked + past, API_SPEAK)


def test_a_refused_package_names_every_problem_and_keeps_the_form(
    services: Services, client: TestClient
) -> None:
    team = _team(services)
    dev = _signed_in(client, team.developer.actor.name)
    base = f"/console/w/{team.workspace_id}/releases/pending"
    first = _item_ids(dev.get(base).text)[0]
    refused = dev.post(f"{base}/package", [("item", first), ("package_name", "")])
    assert refused.status_code == 400, refused.text
    shown = main_text(refused.text)
    assert "The release package was not created" in shown
    assert "the package needs a name" in shown
    assert "no approver is chosen" in shown
    assert f'name="item" value="{first}" aria-label' in refused.text
    assert re.search(rf'value="{first}"[^>]*checked', refused.text)
    assert_no_api_terms(refused.text, API_SPEAK)
    # a job whose scripts production lacks: the plan's problem, named, in the console's words
    job_only = [i for i in _item_ids(dev.get(f"{base}?kind=job").text)]
    form = [("item", job_only[0]), ("package_name", "job only")]
    form.append(("approver", str(team.deployer.actor.user_id)))
    lacking = dev.post(f"{base}/package", form)
    assert lacking.status_code == 400, lacking.text
    lacks = main_text(lacking.text)
    assert "references script 'daily_sql'" in lacks
    assert "production lacks it: tick its pending item into the package too" in lacks
    assert (  # said from the problem's reference, with the way in of what has no item
        "has no pending item: export what the workspace submitted (Workspace export, job "
        "status Submitted version) and import that package here with the target status "
        "Production"
    ) in " ".join(lacks.split())
    assert_no_api_terms(lacking.text, API_SPEAK)
    total, _ = services.releases.packages(team.admin, PackageQuery())
    assert total == 0


def test_the_package_form_says_the_approval_rule_and_refuses_too_few_approvers(
    services: Services, client: TestClient
) -> None:
    team = _team(services)
    dev = _signed_in(client, team.developer.actor.name)
    base = f"/console/w/{team.workspace_id}/releases/pending"
    assert "data-approval-rule" not in dev.get(base).text  # no rule: nothing said
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 2})
    listed = dev.get(base).text
    rule = main_text(listed.split("data-approval-rule", 1)[1])
    assert "once 2 of its approvers have signed its plan" in rule
    assert "Choose at least 2 approvers" in rule
    form = [("item", i) for i in _item_ids(listed)]
    form += [("package_name", "one"), ("approver", str(team.deployer.actor.user_id))]
    refused = dev.post(f"{base}/package", form)
    assert refused.status_code == 400, refused.text
    shown = main_text(refused.text)
    assert "requires 2 signed approvals" in shown
    assert "1 approver is named" in shown
    assert_no_api_terms(refused.text, API_SPEAK)
    assert services.releases.packages(team.admin, PackageQuery())[0] == 0


def test_a_package_shows_its_plan_and_items_and_deploys_following_its_task(
    services: Services, client: TestClient
) -> None:
    team = _team(services)
    dev = _signed_in(client, team.developer.actor.name)
    package_id = _package(dev, team)
    url = f"/console/w/{team.workspace_id}/releases/packages/{package_id}"
    made = dev.get(f"{url}?made=1")
    assert made.status_code == 200, made.text
    shown = main_text(made.text)
    assert "Package created" in shown
    assert "waiting for approval" in shown
    assert "daily" in shown
    assert "daily_sql" in shown
    assert "CREATE 3" in shown
    assert "data-deploy" not in made.text  # the applicant never deploys
    assert "data-revoke" in made.text
    assert_no_api_terms(made.text, API_SPEAK)
    listed = dev.get(f"/console/w/{team.workspace_id}/releases/packages").text
    assert f'data-package-row="{package_id}"' in listed
    assert team.deployer.actor.name in listed
    applicant_deploy = dev.post(f"{url}/deploy", {"startup_mode": "0"})
    assert applicant_deploy.status_code == 403
    assert "never by its applicant" in main_text(applicant_deploy.text)

    deployer = _signed_in(client, team.deployer.actor.name)
    page = deployer.get(url).text
    assert "data-deploy" in page
    assert "Start the released batch jobs" in page
    started = deployer.post(f"{url}/deploy", {"startup_mode": "0"})
    assert started.status_code == 303, started.text
    releasing = deployer.get(url).text
    assert "data-release-task" in releasing
    assert "data-poll" in releasing
    production = team.admin.workspace.production_id
    assert f"/console/w/{production}/tasks/" in releasing
    assert _released(services, team, package_id) == "SUCCESSFUL"
    released = deployer.get(url).text
    assert "released" in main_text(released)
    assert "data-deploy" not in released
    assert "SUCCESSFUL" in released
    assert "Leave scheduling as production has it" in released
    in_production = deployer.get(f"/console/w/{production}/jobs/daily")
    assert in_production.status_code == 200
    assert "data-production-banner" in in_production.text
    assert "/editor/jobs/" not in in_production.text
    assert not _item_ids(deployer.get(f"/console/w/{team.workspace_id}/releases/pending").text)


def test_a_deploy_refused_by_the_policy_says_each_rule_s_change_in_release_words(
    services: Services, client: TestClient
) -> None:
    team = _team(services)
    dev = _signed_in(client, team.developer.actor.name)
    package_id = _package(dev, team)
    services.policies.put(team.admin, None, {"naming": {"jobs": "weekly_.*"}})
    deployer = _signed_in(client, team.deployer.actor.name)
    url = f"/console/w/{team.workspace_id}/releases/packages/{package_id}"
    refused = deployer.post(f"{url}/deploy", {"startup_mode": "0"})
    assert refused.status_code == 400, refused.text
    said = " ".join(main_text(refused.text).split())
    assert "the naming rule: job 'daily'" in said
    assert (
        "Rename the objects named in development to names the naming rule takes; submit what "
        "you changed, package the pending items anew (Releases → Pending items) and revoke "
        "this package; an admin can change the policy under Admin → Policies."
    ) in said
    assert "Change the plan" not in said
    assert_no_api_terms(refused.text, API_SPEAK)
    assert services.releases.show(team.admin, package_id).record.task_id is None


def test_a_release_failed_by_a_policy_rule_says_what_to_change_on_its_page(
    services: Services, client: TestClient
) -> None:
    team = _team(services)
    dev = _signed_in(client, team.developer.actor.name)
    package_id = _package(dev, team)
    # Saved after the plan, read by the release's import: its task fails.
    services.policies.put(team.admin, None, {"protectedConnections": ["dws_conn"]})
    deployer = _signed_in(client, team.deployer.actor.name)
    url = f"/console/w/{team.workspace_id}/releases/packages/{package_id}"
    assert deployer.post(f"{url}/deploy", {"startup_mode": "0"}).status_code == 303
    assert _released(services, team, package_id) == "FAILED"
    page = deployer.get(url).text
    said = " ".join(main_text(page).split())
    assert "breaks the protected connections of the policy" in said
    assert (
        "To release it: change the objects named in development so they keep the protected "
        "connections; submit what you changed, package the pending items anew (Releases → "
        "Pending items) and revoke this package; or have an admin change the policy (Admin → "
        "Policies) and deploy it again."
    ) in said
    assert "change the plan" not in said
    assert_no_api_terms(page, API_SPEAK)


def test_a_deploy_refused_for_drift_is_planned_again_then_deployed(
    services: Services, client: TestClient
) -> None:
    team = _team(services)
    dev = _signed_in(client, team.developer.actor.name)
    first = _package(dev, team, "first")
    submit_job(services, team.developer, "daily", description="second cut")
    second = _package(dev, team, "second")
    admin = _signed_in(client, "admin")
    base = f"/console/w/{team.workspace_id}/releases/packages"
    assert admin.post(f"{base}/{first}/deploy", {"startup_mode": "0"}).status_code == 303
    assert _released(services, team, first) == "SUCCESSFUL"
    refused = admin.post(f"{base}/{second}/deploy", {"startup_mode": "0"})
    assert refused.status_code == 400, refused.text
    shown = main_text(refused.text)
    assert "Production changed since release package" in shown
    assert "job 'daily'" in shown
    assert "plan the release package again" in shown
    assert "data-replan" in refused.text
    assert_no_api_terms(refused.text, API_SPEAK)
    replanned = admin.post(f"{base}/{second}/replan", {})
    assert replanned.status_code == 200
    assert "Planned again" in replanned.text
    assert "review the plan, then deploy it" in replanned.text  # no approvals required here
    assert "second cut" in replanned.text  # the diff of the description to be released
    assert admin.post(f"{base}/{second}/deploy", {"startup_mode": "1"}).status_code == 303
    assert _released(services, team, second) == "SUCCESSFUL"
    assert "released" in main_text(admin.get(f"{base}/{second}").text)


def test_a_revoked_package_gives_its_items_back(services: Services, client: TestClient) -> None:
    team = _team(services)
    dev = _signed_in(client, team.developer.actor.name)
    package_id = _package(dev, team)
    url = f"/console/w/{team.workspace_id}/releases/packages/{package_id}"
    revoked = dev.post(f"{url}/revoke", {})
    assert revoked.status_code == 200, revoked.text
    assert "Package revoked" in revoked.text
    assert "cancelled" in revoked.text
    assert "data-package-actions" not in revoked.text
    again = dev.post(f"{url}/revoke", {})
    assert again.status_code == 400
    assert "nothing was cancelled" in main_text(again.text)
    assert_no_api_terms(again.text, API_SPEAK)
    pending = dev.get(f"/console/w/{team.workspace_id}/releases/pending").text
    assert len(_item_ids(pending)) == 3
    listed = f"/console/w/{team.workspace_id}/releases/packages"
    assert f'packages/{package_id}"' not in dev.get(f"{listed}?state=waiting").text
    assert f'packages/{package_id}"' in dev.get(f"{listed}?state=cancelled").text
    assert f'packages/{package_id}"' in dev.get(listed).text


def test_a_workspace_in_simple_mode_has_no_releases_pages(browser: Browser) -> None:
    jobs = browser.get("/console/").headers.get("location", "")
    assert "Enterprise mode" not in browser.get(jobs or "/console/w/x/jobs").text
    found = re.search(r"/console/w/([^/]+)/", jobs)
    assert found
    for path in ("pending", "packages", "packages/1", "packages/1/approvals"):
        page = browser.get(f"/console/w/{found[1]}/releases/{path}")
        assert page.status_code == 400, path
        assert "simple mode" in main_text(page.text), path
        assert_no_api_terms(page.text, API_SPEAK)
        assert "update_work_space" not in page.text, path  # the API's call to switch modes
        said = " ".join(main_text(page.text).split())
        assert (
            "A workspace admin switches it to enterprise mode under Admin → Workspace settings "
            "(Switch to enterprise mode), which creates its production side and cannot be undone."
        ) in said, path


def test_who_may_package_and_an_unknown_package_in_the_consoles_words(
    services: Services, client: TestClient
) -> None:
    team = _team(services)
    operator = person(services, team.workspace_id, "sales_operator", Role.OPERATOR)
    services.signin.set_password(admin_actor(services), operator.actor.name, PASSWORD)
    watcher = _signed_in(client, operator.actor.name)
    base = f"/console/w/{team.workspace_id}/releases"
    listed = watcher.get(f"{base}/pending")
    assert listed.status_code == 200
    assert "daily_sql" in listed.text
    assert "data-package-fields" not in listed.text
    assert not _item_ids(listed.text)
    _, items = services.releases.pending(team.developer, ItemFilter(), 100, 0)
    form = [("item", str(i.id)) for i in items] + [("package_name", "by an operator")]
    form.append(("approver", str(team.deployer.actor.user_id)))
    refused = watcher.post(f"{base}/pending/package", form)
    assert refused.status_code == 403, refused.text
    assert "may not package pending items" in main_text(refused.text)
    dev = _signed_in(client, team.developer.actor.name)  # the same client: its cookie now
    forged = dev.post(f"{base}/pending/package", [*form, ("csrf_token", "forged")])
    assert forged.status_code == 403
    assert "security token" in main_text(forged.text)
    total, _ = services.releases.packages(team.admin, PackageQuery())
    assert total == 0
    unknown = dev.get(f"{base}/packages/999")
    assert unknown.status_code == 404  # the API answers 400, as DataArts; a page is not there
    assert "Releases → Packages lists them" in main_text(unknown.text)
    assert_no_api_terms(unknown.text, API_SPEAK)


def test_a_package_whose_plan_expired_says_so_and_is_planned_again(
    services: Services, client: TestClient
) -> None:
    team = _team(services)
    dev = _signed_in(client, team.developer.actor.name)
    package_id = _package(dev, team)
    plan_id = services.releases.show(team.admin, package_id).record.plan_id
    assert plan_id is not None
    with services.db.transaction() as tx:
        plan_repo.delete_plan(tx, plan_id)  # as the sweep does once plans expire
    admin = _signed_in(client, "admin")
    url = f"/console/w/{team.workspace_id}/releases/packages/{package_id}"
    shown = admin.get(url)
    assert shown.status_code == 200
    assert "The plan this package kept has expired" in main_text(shown.text)
    assert admin.post(f"{url}/deploy", {"startup_mode": "0"}).status_code == 303
    assert _released(services, team, package_id) == "FAILED"
    failed = main_text(admin.get(url).text)
    assert "production changed since this package was planned, or its plan expired" in failed
    assert "Plan again" in failed
    assert "Failed deploy task" in failed
    assert_no_api_terms(admin.get(url).text, API_SPEAK)
    replanned = admin.post(f"{url}/replan", {}).text
    assert "CREATE 3" in replanned
    # planned again, it waits: its failed deploy is said as one, with its task, not as done
    task_id = services.releases.show(team.admin, package_id).record.task_id
    facts = main_text(replanned.split("data-failed-deploy>", 1)[1].split("</dd>", 1)[0])
    assert facts.startswith("failed: ")
    assert "by admin" in facts
    assert "planned again since" in facts
    assert f"/tasks/{task_id}" in replanned.split("data-failed-deploy", 1)[1].split("</dd>")[0]
    assert re.search(r"Deployed\s+not yet", main_text(replanned))
    listed = admin.get(f"/console/w/{team.workspace_id}/releases/packages").text
    assert "data-failed-deploy" in listed.split(f'data-package-row="{package_id}"', 1)[1]
    assert admin.post(f"{url}/deploy", {"startup_mode": "0"}).status_code == 303
    assert _released(services, team, package_id) == "SUCCESSFUL"
    released = admin.get(url).text
    assert "data-failed-deploy" not in released
    assert "Deployed" in main_text(released)


@pytest.mark.databases("sqlite", "postgresql")
def test_numbers_past_what_the_database_stores_are_unknown_packages_or_refused_parameters(
    services: Services, client: TestClient
) -> None:
    team = _team(services)
    dev = _signed_in(client, team.developer.actor.name)
    base = f"/console/w/{team.workspace_id}"
    big = str(10**23)
    for number in (big, str(2**31)):
        for shown in (
            dev.get(f"{base}/releases/packages/{number}"),
            dev.get(f"{base}/releases/packages/{number}/approvals"),
            dev.post(f"{base}/releases/packages/{number}/revoke", {}),
        ):
            assert shown.status_code == 404, shown.text  # no such package, no such page
            assert f"Release package '{number}' does not exist" in main_text(shown.text)
            assert_no_api_terms(shown.text, API_SPEAK)
    for path, parameter in (
        ("releases/pending", "offset"),
        ("releases/packages", "offset"),
        ("tasks", "offset"),
    ):
        refused = dev.get(f"{base}/{path}?offset={big}")
        assert refused.status_code == 400, refused.text
        said = main_text(refused.text)
        assert f"wrong value for: {parameter} (input should be less than or equal to" in said
        assert "DLF.3051" in said
    at = dev.get(f"{base}/release-ledger?at={big}")
    assert at.status_code == 400, at.text
    assert f"at {big} is out of range" in main_text(at.text)
