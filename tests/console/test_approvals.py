"""A release package's Approvals page: its plan hash, the rule, each approval and whether it
counts; an approver named on the package approves it there with a signature the page's script
makes in the browser (made here with ``cryptography``, as WebCrypto makes it: Ed25519 over the
statement the page carries), kept through the release approvals service, every refusal said in
the console's words; the command line's way stays shown."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from jobferry.domain.releases import StartupMode
from jobferry.package.approvals import sign_statement
from jobferry.package.keys import generate_key_pair
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.releases.approval_keys import parse_key
from jobferry.services.releases.records import DeployRequest
from support.console import (
    PASSWORD,
    Browser,
    admin_actor,
    assert_page,
    hidden_value,
    main_text,
    signing_statement,
)
from support.releases import (
    Team,
    approve_package,
    connected_team,
    make_package,
    register_key,
    run_release,
    submit_job,
)

API_SPEAK = re.compile(
    r"\b(?:GET|POST|PUT|DELETE) (?:/|…|\{)|/v[12]/|\{project_id\}|_factory_"
    r"|\b(?:keyId|planHash|publicKey|signature_b64)\b"
)
"""The API's words (calls, paths, the approval call's fields) a page must not show."""


def test_the_approvals_page_lists_who_signed_the_plan(browser: Browser, services: Services) -> None:
    team = connected_team(services)
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    url = f"/console/w/{team.workspace_id}/releases/packages/{package}/approvals"
    package_page = browser.get(f"/console/w/{team.workspace_id}/releases/packages/{package}")
    assert package_page.status_code == 200
    assert f'href="{url}"' in package_page.text
    # The rule shows before a deploy is refused: how many count, and Deploy waits.
    assert "0 of 1 count: 1 more before a deploy" in package_page.text
    assert 'class="secondary" data-deploy>Deploy (waits for 1 more approval(s))' in (
        package_page.text
    )
    assert_page(browser.get(url), 200, "Nobody has approved this package yet", "1 before a deploy")

    pair = register_key(services, team.deployer)
    approve_package(services, team.deployer, package, pair)
    found = services.release_approvals.approvals(team.deployer, package).document()
    counted = browser.get(f"/console/w/{team.workspace_id}/releases/packages/{package}").text
    assert "1 of 1 count</dd>" in counted
    assert 'class="primary" data-deploy>Deploy</button>' in counted
    page = browser.get(url)
    assert_page(
        page,
        200,
        found["planHash"],
        team.deployer.actor.name,
        pair.key_id,
        f"jobferry releases approve {package} --key",
        "You are not one of its approvers.",  # the admin, who is not named
    )
    assert "data-approve-form" not in page.text
    assert "approve.js" not in page.text  # no script where nothing is signed
    assert "status-successful" in page.text
    misspelt = browser.get(f"/console/w/{team.workspace_id}/releases/packages/x/approvals")
    assert misspelt.status_code == 404  # no such page: the package it names cannot be
    # Planned again, the plan moves: the page says its approvers sign it before a deploy.
    replanned = browser.post(f"/console/w/{team.workspace_id}/releases/packages/{package}/replan")
    assert_page(replanned, 200, "its approvers sign this plan (1 approval(s) needed")


def test_the_approvals_page_leads_back_to_its_package_and_offers_no_approval_once_closed(
    browser: Browser, services: Services
) -> None:
    team = connected_team(services)
    submit_job(services, team.developer, "daily")
    waiting = make_package(services, team, "waits")
    base = f"/console/w/{team.workspace_id}/releases/packages"
    page = browser.get(f"{base}/{waiting}/approvals")
    assert_page(page, 200, '<dl class="facts">', "Approve it", "data-approve")
    assert f'<a href="{base}/{waiting}" data-package-link>#{waiting} waits</a>' in page.text
    assert "See the approvals, or approve with your key" in browser.get(f"{base}/{waiting}").text

    services.releases.deploy(team.deployer, DeployRequest((waiting,), StartupMode.START))
    run_release(services)
    submit_job(services, team.developer, "daily", description="again")
    cancelled = make_package(services, team, "dropped")
    services.releases.cancel(team.developer, (cancelled,))
    for package, state in ((waiting, "released"), (cancelled, "cancelled")):
        page = browser.get(f"{base}/{package}/approvals")
        assert_page(
            page,
            200,
            f'href="{base}/{package}" data-package-link>',
            f"This package is {state}: it takes no more approvals",
            f"jobferry releases approvals {package} --out approvals.json",  # still checked
        )
        for offer in ("Approve it", "data-approve", "jobferry releases approve "):
            assert offer not in page.text, (state, offer)
    assert "or approve with your key" not in browser.get(f"{base}/{waiting}").text


def _waiting_package(services: Services) -> tuple[Team, int]:
    """An enterprise team (developer and deployer with console passwords) and a package the
    developer made naming the deployer its approver."""
    team = connected_team(services)
    for scope in (team.developer, team.deployer):
        services.signin.set_password(admin_actor(services), scope.actor.name, PASSWORD)
    submit_job(services, team.developer, "daily")
    return team, make_package(services, team)


def _signed_in(client: TestClient, scope: Scope) -> Browser:
    browser = Browser(client)
    assert browser.sign_in(scope.actor.name).status_code == 303
    return browser


def test_an_approver_approves_with_the_signature_the_page_asks_for(
    services: Services, client: TestClient
) -> None:
    team, package = _waiting_package(services)
    url = f"/console/w/{team.workspace_id}/releases/packages/{package}/approvals"
    browser = _signed_in(client, team.deployer)
    before = browser.get(url)
    assert_page(before, 200, "You have no approval key yet", "jobferry users keys add")
    assert "data-approve-form" not in before.text

    pair = generate_key_pair()
    services.approval_keys.register(team.deployer.actor, parse_key({"publicKey": pair.public_key}))
    page = browser.get(url)
    assert_page(page, 200, "Approve with my key", 'type="file"', pair.key_id, "/static/approve.js")
    assert re.search(r'<input type="file"(?![^>]*name=)', page.text), "the key file is posted"
    statement = signing_statement(page.text)
    expected = services.release_approvals.approvals(team.deployer, package).document()
    assert statement == expected["statement"]
    assert hidden_value(page.text, "plan_hash") == expected["planHash"]

    form = {
        "plan_hash": hidden_value(page.text, "plan_hash"),
        "key_id": pair.key_id,
        "signature": sign_statement(pair.private_pem, statement),
    }
    refused = browser.post(url, form, csrf=False)
    assert refused.status_code == 403, refused.text
    assert services.release_approvals.approvals(team.admin, package).found.users == 0

    approved = browser.post(url, form)
    assert approved.status_code == 303, approved.text
    assert approved.headers["location"].endswith(
        f"/releases/packages/{package}/approvals?approved=1"
    )
    shown = browser.get(approved.headers["location"])
    assert_page(shown, 200, "Approved: your signature of the package", pair.key_id)
    assert re.search(r"data-approvals-counted>1<", shown.text)
    found = services.release_approvals.approvals(team.admin, package)
    assert [a.user_name for a in found.found.counted] == [team.deployer.actor.name]


def test_each_refused_approval_is_said_in_the_consoles_words(
    services: Services, client: TestClient
) -> None:
    team, package = _waiting_package(services)
    url = f"/console/w/{team.workspace_id}/releases/packages/{package}/approvals"
    keys = {}
    for scope in (team.developer, team.deployer):
        pair = generate_key_pair()
        services.approval_keys.register(scope.actor, parse_key({"publicKey": pair.public_key}))
        keys[scope.actor.name] = pair
    statement = services.release_approvals.approvals(team.admin, package).document()["statement"]
    plan_hash = statement.rsplit("plan ", 1)[1].strip()

    def post(browser: Browser, key: str, signature: str, plan: str = plan_hash) -> str:
        browser.get(url)
        refused = browser.post(url, {"plan_hash": plan, "key_id": key, "signature": signature})
        assert refused.status_code == 400, refused.text  # DataArts answers a conflict so
        assert "data-approve-refused" in refused.text
        text = main_text(refused.text)
        assert not API_SPEAK.findall(text), API_SPEAK.findall(text)
        return " ".join(text.split())

    developer = _signed_in(client, team.developer)
    mine = keys[team.developer.actor.name]
    said = post(developer, mine.key_id, sign_statement(mine.private_pem, statement))
    assert "nobody approves their own plan" in said
    assert "One of its approvers approves it, on its Approvals page" in said
    assert "You made this package" in said  # and the page offers no form to them

    admin = Browser(client)
    assert admin.sign_in().status_code == 303
    pair = generate_key_pair()
    services.approval_keys.register(
        admin_actor(services), parse_key({"publicKey": pair.public_key})
    )
    said = post(admin, pair.key_id, sign_statement(pair.private_pem, statement))
    assert f"is not one of its approvers ({team.deployer.actor.name})" in said

    deployer = _signed_in(client, team.deployer)
    theirs = keys[team.deployer.actor.name]
    other = statement.replace(plan_hash, "0" * 64)
    said = post(deployer, theirs.key_id, sign_statement(theirs.private_pem, other), "0" * 64)
    assert "it was planned again" in said
    assert "Open its Approvals page again and approve the plan as it is now" in said
    said = post(deployer, theirs.key_id, sign_statement(theirs.private_pem, other))
    assert f"is not key {theirs.key_id}'s signature of its statement" in said
    assert "Choose the private key file of that key" in said
    said = post(deployer, mine.key_id, sign_statement(mine.private_pem, statement))
    assert f"key {mine.key_id} is not one of your registered keys" in said
    assert "jobferry users keys add" in said
    said = post(deployer, theirs.key_id, "")
    assert "it arrived without its signature, key or plan" in said

    services.approval_keys.revoke(team.deployer.actor, theirs.key_id)
    said = post(deployer, theirs.key_id, sign_statement(theirs.private_pem, statement))
    assert f"key {theirs.key_id} is revoked" in said
    assert "You have no approval key yet" in said
    assert services.release_approvals.approvals(team.admin, package).found.users == 0
