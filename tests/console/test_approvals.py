"""A release package's Approvals page: its plan hash, the rule, each approval and whether it
counts, and the command an approver signs with (the console does not sign)."""

from __future__ import annotations

from jobferry.package.approvals import sign_statement
from jobferry.package.keys import generate_key_pair
from jobferry.services.approving import Signed
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.releases.approval_keys import parse_key
from jobferry.services.releases.records import PackageRequest
from jobferry.storage.releases import ItemFilter
from support import wizard
from support.console import Browser, assert_page
from support.releases import enterprise_team, register_connections, submit_job


def test_the_approvals_page_lists_who_signed_the_plan(browser: Browser, services: Services) -> None:
    team = enterprise_team(services)
    register_connections(services, team)
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    submit_job(services, team.developer, "daily")
    items = services.releases.pending(team.developer, ItemFilter(), 100, 0)[1]
    request = PackageRequest(
        str(team.developer.actor.user_id),
        "p1",
        tuple(str(i.id) for i in items),
        (str(team.deployer.actor.user_id),),
    )
    package = services.releases.create(team.developer, request, []).package_id
    url = f"/console/w/{team.workspace_id}/releases/packages/{package}/approvals"
    package_page = browser.get(f"/console/w/{team.workspace_id}/releases/packages/{package}")
    assert package_page.status_code == 200
    assert f'href="{url}"' in package_page.text
    assert_page(browser.get(url), 200, "Nobody has approved this package yet", "1 before a deploy")

    pair = generate_key_pair()
    services.approval_keys.register(team.deployer.actor, parse_key({"publicKey": pair.public_key}))
    found = services.release_approvals.approvals(team.deployer, package).document()
    signature = sign_statement(pair.private_pem, found["statement"])
    signed = Signed(pair.key_id, found["planHash"], signature)
    services.release_approvals.approve(team.deployer, package, signed)
    page = browser.get(url)
    assert_page(
        page,
        200,
        found["planHash"],
        team.deployer.actor.name,
        pair.key_id,
        f"jobferry releases approve {package} --key",
        "The console does not sign",
    )
    assert "status-successful" in page.text
    assert (
        browser.get(f"/console/w/{team.workspace_id}/releases/packages/x/approvals").status_code
        == 400
    )


def test_a_route_saved_from_the_form_keeps_the_approvals_it_requires(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    ws, source = seeded.workspace.id, seeded.workspace.name
    wizard.prod_workspace(services, "dws_conn")
    rule = {"required": 1, "approvers": ["ada"]}
    document = {"source": {"workspace": source}, "target": {"workspace": "prod"}}
    services.routes.put(seeded, "to-prod", {**document, "approvals": rule})
    form = {
        "creating": "no",
        "name": "to-prod",
        "description": "edited",
        "source": source,
        "source_id": "",
        "target": "prod",
        "selection": "ALL",
        "values": "",
        "upstream": "on",
        "profile": "",
        "sameNamePolicy": "AUTO",
        "onDrift": "FAIL",
        "scheduling": "REFUSE",
        "mode": "ATOMIC",
    }
    edited = browser.post(f"/console/w/{ws}/routes", list(form.items()))
    assert edited.status_code == 303, edited.text
    saved = services.routes.get(seeded, "to-prod")
    assert (saved.version, saved.route.description) == (2, "edited")
    assert saved.route.document()["approvals"] == rule
