"""A route's approvals in the console: the route form shows and edits the approvals a route
requires (the count and the approvers, chosen among the target workspace's members), refusing
what the API refuses in the form's words; a promotion's plan says how many count and links its
Approvals page, where an approver signs it with the signature the page's script makes in the
browser (made here with ``cryptography``, as WebCrypto makes it) and the plan is imported once
enough approvals count."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jobferry.domain.enums import Role
from jobferry.package.approvals import sign_statement
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope
from support import wizard
from support.console import (
    PASSWORD,
    Browser,
    admin_actor,
    assert_page,
    finish_task,
    hidden_value,
    main_text,
    route_form,
    signing_statement,
)
from support.releases import register_key

API_SPEAK = re.compile(
    r"\b(?:GET|POST|PUT|DELETE) (?:/|…|\{)|/v[12]/|\{project_id\}|\bapprovals: "
    r"|\b(?:keyId|planHash|publicKey|requireApprovals|approvers are named)\b"
)
"""The API's words (calls, paths, the route document's keys and problems) no page may show."""


def _people(services: Services, prod: Scope, source: Scope) -> dict[str, Scope]:
    """ada and bo, developers of prod with console passwords; cy, a developer of the source:
    each in their workspace."""
    admin = admin_actor(services)
    out = {}
    for name, ws in (("ada", prod), ("bo", prod), ("cy", source)):
        user = services.accounts.create_user(admin, admin.project_id, name, False)
        role = Role.DEVELOPER.value
        services.accounts.set_role(admin, admin.project_id, name, ws.workspace.id, role)
        services.signin.set_password(admin, name, PASSWORD)
        actor = Actor(user.id, name, admin.project_id, False)
        out[name] = services.accounts.scope(actor, admin.project_id, ws.workspace.id)
    return out


def _save(browser: Browser, ws: str, form: list[tuple[str, str]]) -> Any:
    browser.get(f"/console/w/{ws}/routes/to-prod")
    return browser.post(f"/console/w/{ws}/routes", form)


def _checked(page: str) -> list[str]:
    """The approvers the form shows ticked."""
    return re.findall(r'name="approver" value="([^"]+)" checked', page)


def test_the_route_form_shows_edits_and_keeps_the_approvals_a_route_requires(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    prod = wizard.prod_workspace(services, "dws_conn")
    _people(services, prod, seeded)
    browser.get(f"/console/w/{ws}/new-route")
    form = route_form("to-prod", source, "prod", approvals_required="1")
    created = browser.post(f"/console/w/{ws}/routes", [*form, ("approver", "ada")])
    assert created.status_code == 303, created.text
    rule = {"required": 1, "approvers": ["ada"]}
    assert services.routes.get(seeded, "to-prod").route.document()["approvals"] == rule

    page = browser.get(f"/console/w/{ws}/routes/to-prod")
    assert_page(page, 200, "Approvals before an import", 'data-approvers-of="prod"', "(developer)")
    assert 'name="approvals_required" value="1"' in page.text
    assert _checked(page.text) == ["ada"]
    assert 'value="cy"' not in page.text  # the target's members only, once it is chosen

    edited = route_form("to-prod", source, "prod", based_on="1", description="edited")
    shown = [*edited, ("approvals_required", "1"), ("approver", "ada")]
    assert _save(browser, ws, shown).status_code == 303  # saved as shown: kept
    saved = services.routes.get(seeded, "to-prod")
    assert (saved.version, saved.route.description) == (2, "edited")
    assert saved.route.document()["approvals"] == rule

    edited = route_form("to-prod", source, "prod", based_on="2", description="edited")
    two = [*edited, ("approvals_required", "2"), ("approver", "ada"), ("approver", "bo")]
    assert _save(browser, ws, two).status_code == 303
    assert services.routes.get(seeded, "to-prod").route.document()["approvals"] == {
        "required": 2,
        "approvers": ["ada", "bo"],
    }
    assert _checked(browser.get(f"/console/w/{ws}/routes/to-prod").text) == ["ada", "bo"]

    edited = route_form("to-prod", source, "prod", based_on="3", description="edited")
    assert _save(browser, ws, edited).status_code == 303  # 0 and nobody ticked: none
    assert "approvals" not in services.routes.get(seeded, "to-prod").route.document()


def test_a_routes_page_reads_the_members_of_its_target_only(
    browser: Browser, services: Services, seeded: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    wizard.prod_workspace(services, "dws_conn")
    admin = admin_actor(services)
    services.accounts.create_workspace(admin, admin.project_id, "staging")
    read: list[str] = []
    listing = services.studio_workspaces.members

    def members(scope: Scope, limit: int | None, offset: int | None) -> Any:
        read.append(scope.workspace.name)
        return listing(scope, limit, offset)

    monkeypatch.setattr(services.studio_workspaces, "members", members)
    browser.get(f"/console/w/{ws}/new-route")  # no target yet: every workspace's members
    assert sorted(read) == sorted({source, "prod", "staging"})
    created = browser.post(f"/console/w/{ws}/routes", route_form("to-prod", source, "prod"))
    assert created.status_code == 303, created.text
    read.clear()
    page = browser.get(f"/console/w/{ws}/routes/to-prod")
    assert_page(page, 200, 'data-approvers-of="prod"')
    assert read == ["prod"]
    assert 'data-approvers-of="staging"' not in page.text


def test_refused_approvals_are_said_in_the_forms_words_and_nothing_is_saved(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    prod = wizard.prod_workspace(services, "dws_conn")
    _people(services, prod, seeded)
    services.routes.put(
        seeded, "to-prod", {"source": {"workspace": source}, "target": {"workspace": "prod"}}
    )
    base = route_form("to-prod", source, "prod", based_on="1")

    def refused(*changes: tuple[str, str]) -> str:
        answer = _save(browser, ws, [*base, *changes])
        assert answer.status_code == 400, answer.text
        assert "data-route-problems" in answer.text
        text = main_text(answer.text)
        assert not API_SPEAK.findall(text), API_SPEAK.findall(text)
        assert services.routes.get(seeded, "to-prod").version == 1  # nothing saved
        return " ".join(text.split())

    said = refused(("approvals_required", "3"), ("approver", "ada"))
    assert "Approvals: 3 are required but only 1 approver(s) are chosen" in said
    assert (
        'name="approver" value="ada" checked'
        in _save(browser, ws, [*base, ("approvals_required", "3"), ("approver", "ada")]).text
    )  # what was typed is kept
    said = refused(("approvals_required", "1"))
    assert "Approvals: choose who may approve (members of the target workspace)" in said
    said = refused(("approvals_required", "many"), ("approver", "ada"))
    assert "Approvals required: a whole number, 0 (none) or more" in said
    said = refused(("approvals_required", "1"), ("approver", "cy"))
    assert "Approvers: cy has no role in workspace 'prod', where the route's plans are" in said
    assert (
        "Named by the route"
        in _save(browser, ws, [*base, ("approvals_required", "1"), ("approver", "cy")]).text
    )  # a name the target's members lack stays shown, ticked


def _signed_in(client: TestClient, user: str) -> Browser:
    browser = Browser(client)
    assert browser.sign_in(user).status_code == 303
    return browser


@dataclass(frozen=True)
class Planned:
    """A promotion planned by the admin along a route requiring one approval by ada."""

    prod: Scope
    people: dict[str, Scope]
    url: str
    """The plan's Approvals page."""
    plan: Any
    """Its plan page."""


def _planned(browser: Browser, services: Services, seeded: Scope) -> Planned:
    """Route to-prod requiring one approval by ada, promoted by the admin."""
    ws, source = seeded.workspace.id, seeded.workspace.name
    prod = wizard.prod_workspace(services, "dws_conn", "ssh_conn")
    people = _people(services, prod, seeded)
    document = {"source": {"workspace": source}, "target": {"workspace": "prod"}}
    rule = {"required": 1, "approvers": ["ada"]}
    services.routes.put(seeded, "to-prod", {**document, "approvals": rule})
    browser.get(f"/console/w/{ws}/routes/to-prod")
    started = browser.post(f"/console/w/{ws}/routes/to-prod/promote", [])
    assert started.status_code == 303, started.text
    plan = browser.get(started.headers["location"])
    found = re.search(r'href="([^"]+/approvals)" data-approvals-link', plan.text)
    assert found, "the plan links no Approvals page"
    return Planned(prod, people, html.unescape(found[1]), plan)


def test_a_promotion_waits_for_its_approvals_signed_on_the_plans_page_then_imports(
    browser: Browser, client: TestClient, services: Services, seeded: Scope
) -> None:
    planned = _planned(browser, services, seeded)
    prod, url, plan = planned.prod, planned.url, planned.plan
    plan_id = dict(wizard.fields(plan.text, prod.workspace.id, "run"))["planId"]
    assert url == f"/console/w/{prod.workspace.id}/routes/to-prod/plans/{plan_id}/approvals"
    assert_page(plan, 200, "requires 1 signed approval of this plan before its import: 0 count")
    assert "Import (waits for 1 more approval)" in plan.text
    assert re.search(r"<button type=\"button\" class=\"primary\" disabled", plan.text)

    page = browser.get(url)  # the admin planned it: shown, not theirs to sign
    assert_page(page, 200, "Nobody has approved this plan yet", "You made this plan")
    assert_page(page, 200, "1 more approval must count before its import", "jobferry routes")
    assert "data-route-import-button" not in page.text
    early = browser.post(url.replace("/approvals", "/import"), [])
    assert early.status_code == 400, early.text
    said = " ".join(main_text(early.text).split())
    assert "1 approval of its plan is required, 0 count; nothing was imported" in said
    assert "on the plan's Approvals page" in said
    assert not API_SPEAK.findall(said), API_SPEAK.findall(said)

    ada = _signed_in(client, "ada")
    route_page = ada.get(f"/console/w/{prod.workspace.id}/routes/to-prod")  # how ada finds it
    assert_page(route_page, 200, "Approvals of its plan")
    assert f'href="{url}">Approvals of its plan' in route_page.text
    pair = register_key(services, planned.people["ada"])
    page = ada.get(url)
    assert_page(page, 200, "Approve with my key", "/static/approve.js", pair.key_id)
    statement = signing_statement(page.text)
    form = {
        "plan_hash": hidden_value(page.text, "plan_hash"),
        "key_id": pair.key_id,
        "signature": sign_statement(pair.private_pem, statement),
    }
    approved = ada.post(url, form)
    assert approved.status_code == 303, approved.text
    shown = ada.get(approved.headers["location"])
    assert_page(shown, 200, "Approved: your signature of the route", "data-route-import-button")
    assert re.search(r"data-approvals-counted>1<", shown.text)

    admin = _signed_in(client, "admin")  # who planned it imports it
    again = admin.get(url)
    assert "data-route-import-button" in again.text
    task_id = finish_task(services, prod, admin.post(url.replace("/approvals", "/import"), []))
    assert services.promotions.history(seeded, "to-prod")[0].task_id == task_id
    done = admin.get(url)
    assert_page(done, 200, "This plan&#39;s promotion was imported")
    assert "data-approve-form" not in done.text


def test_a_planned_promotion_opens_its_plan_for_approval_and_is_planned_again_only_when_asked(
    browser: Browser, client: TestClient, services: Services, seeded: Scope
) -> None:
    planned = _planned(browser, services, seeded)
    prod, url = planned.prod, planned.url
    promotion = services.promotions.waiting(seeded, "to-prod")
    assert promotion is not None
    opened = f"/console/w/{prod.workspace.id}/routes/to-prod/promotions/{promotion.id}"
    ada = _signed_in(client, "ada")  # an approver following "Plan and import"
    again = ada.get(opened, follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"] == url  # the plan made, not a plan of ada's own
    assert services.route_plans.waiting_plan(seeded, "to-prod") in url
    page = ada.get(url)
    assert_page(page, 200, "Plan it again", "Nobody has approved this plan yet")
    assert f'href="{opened}?again=1" data-route-replan' in page.text

    replanned = browser.get(f"{opened}?again=1")  # the admin asks for a new plan
    assert_page(replanned, 200, "requires 1 signed approval of this plan before its import")
    newer = services.route_plans.waiting_plan(seeded, "to-prod")
    assert newer is not None
    assert newer not in url
    assert (
        browser.get(opened, follow_redirects=False)
        .headers["location"]
        .endswith(f"/plans/{newer}/approvals")
    )


def test_each_refused_route_approval_is_said_in_the_consoles_words(
    browser: Browser, client: TestClient, services: Services, seeded: Scope
) -> None:
    planned = _planned(browser, services, seeded)
    url = planned.url
    keys = {name: register_key(services, scope) for name, scope in planned.people.items()}
    keys["admin"] = register_key(services, planned.prod)
    statement = signing_statement(_signed_in(client, "ada").get(url).text)
    plan_hash = statement.rsplit("plan ", 1)[1].strip()

    def post(user: str, key: str, signature: str, plan: str = plan_hash) -> str:
        who = _signed_in(client, user)  # the client keeps one session's cookies
        who.get(url)
        refused = who.post(url, {"plan_hash": plan, "key_id": key, "signature": signature})
        assert refused.status_code == 400, refused.text
        assert "data-approve-refused" in refused.text
        text = " ".join(main_text(refused.text).split())
        assert not API_SPEAK.findall(text), API_SPEAK.findall(text)
        return text

    mine = keys["admin"]
    said = post("admin", mine.key_id, sign_statement(mine.private_pem, statement))
    assert "nobody approves their own plan" in said
    assert "One of its approvers approves it, on the plan's Approvals page" in said
    assert "jobferry routes approve" in said
    said = post("bo", keys["bo"].key_id, sign_statement(keys["bo"].private_pem, statement))
    assert "'bo' is not one of its approvers (ada)" in said
    assert "You are not one of its approvers." in said
    theirs = keys["ada"]
    other = statement.replace(plan_hash, "0" * 64)
    said = post("ada", theirs.key_id, sign_statement(theirs.private_pem, other), "0" * 64)
    assert "Open its Approvals page again and approve the plan as it is now" in said
    said = post("ada", theirs.key_id, sign_statement(theirs.private_pem, other))
    assert "Choose the private key file of that key" in said
    said = post("ada", theirs.key_id, "")
    assert "it arrived without its signature, key or plan" in said
    assert "jobferry routes approve" in said
    actor = admin_actor(services)
    found = services.route_approvals.approvals(actor, "to-prod", url.split("/")[-2])
    assert found.found.users == 0  # nothing kept
