"""Signed approvals of a route's plan (SQLite and PostgreSQL): a route requiring an approval
refuses ``apply`` until one of its named approvers signed the plan; its maker's signature and
a plan made again on a target that moved needs its own approval."""

from __future__ import annotations

import pytest

from jobferry.cli.remedies import refusal_text
from jobferry.console.release_fixes import approve_plan
from jobferry.domain.enums import Role
from jobferry.errors import ApprovalRefusedError, ApprovalsMissingError, PlanStaleError
from jobferry.package.approvals import check_approvals, sign_statement
from jobferry.package.keys import KeyPair, generate_key_pair
from jobferry.services.approving import Signed
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.releases.approval_keys import parse_key
from jobferry.storage.importing import target as target_repo
from support.builders import make_script
from support.clients import SignedClient, assert_error
from support.console import admin_scope
from support.exporting import seed
from support.importing import connected_workspace
from support.releases import person

ROUTE = {
    "source": {"workspace": "default"},
    "target": {"workspace": "prod"},
    "scheduling": "PAUSE_AND_RESTORE",
    "approvals": {"required": 1, "approvers": ["ada", "bob"]},
}


def _route(api: SignedClient, services: Services) -> tuple[Scope, Scope]:
    """The route 'test-prod' needing one approval of ada or bob; the admin, and ada."""
    seed(api)
    prod = connected_workspace(api)
    ada = person(services, prod, "ada", Role.DEVELOPER)
    person(services, prod, "bob", Role.DEVELOPER)  # approvers are the target's members
    saved = api.call("PUT", "/routes/test-prod", ROUTE)
    assert saved.status_code == 200, saved.text
    assert saved.json()["approvals"] == ROUTE["approvals"]
    return admin_scope(services), ada


def _key(services: Services, scope: Scope) -> KeyPair:
    pair = generate_key_pair()
    services.approval_keys.register(scope.actor, parse_key({"publicKey": pair.public_key}))
    return pair


def _signed(services: Services, scope: Scope, plan_id: str, pair: KeyPair) -> Signed:
    found = services.route_approvals.approvals(scope.actor, "test-prod", plan_id).document()
    return Signed(
        pair.key_id, found["planHash"], sign_statement(pair.private_pem, found["statement"])
    )


def test_a_route_rule_is_checked_when_saved(api: SignedClient) -> None:
    connected_workspace(api)  # prod, the routes' target
    short = {**ROUTE, "approvals": {"required": 3, "approvers": ["ada"]}}
    assert_error(api.call("PUT", "/routes/r1", short), "DLF.3051", "only 1 approvers")
    nobody = {**ROUTE, "approvals": {"required": 1}}
    assert_error(api.call("PUT", "/routes/r2", nobody), "DLF.3051", "name the approvers")
    plain = {k: v for k, v in ROUTE.items() if k != "approvals"}
    saved = api.call("PUT", "/routes/r3", plain)
    assert saved.status_code == 200, saved.text
    assert "approvals" not in saved.json()
    # Approvers with no role in the target could never sign: refused, naming them.
    strangers = api.call("PUT", "/routes/r4", ROUTE)
    assert_error(strangers, "DLF.3051", "approvers ada, bob have no role in workspace 'prod'")
    assert api.call("GET", "/routes/r4").status_code == 400  # nothing saved


def test_apply_needs_the_approved_plan(api: SignedClient, services: Services) -> None:
    admin, ada = _route(api, services)
    planned = services.route_plans.plan(admin, "test-prod", {})
    assert planned.plan is not None
    plan_id = planned.plan.plan_id
    with pytest.raises(ApprovalsMissingError, match="1 approval of its plan is required, 0"):
        services.route_plans.apply(admin, "test-prod", plan_id)
    assert services.promotions.history(admin, "test-prod") == []
    with services.db.transaction(readonly=True) as tx:  # refused in the queueing transaction
        assert target_repo.lock_holder(tx, ada.workspace.id) is None

    own = _key(services, admin)
    with pytest.raises(ApprovalRefusedError) as refused:
        services.route_approvals.approve(
            admin.actor, "test-prod", plan_id, _signed(services, admin, plan_id, own)
        )
    assert refused.value.context["rule"] == "approval.self"
    assert refused.value.context["route"] == "test-prod"
    with pytest.raises(PlanStaleError):
        services.route_approvals.approvals(ada.actor, "test-prod", "0" * 32)
    assert services.route_approvals.approvals(ada.actor, "test-prod", plan_id).missing == 1

    pair = _key(services, ada)
    kept = services.route_approvals.approve(
        ada.actor, "test-prod", plan_id, _signed(services, ada, plan_id, pair)
    )
    assert kept.missing == 0
    document = kept.document()
    assert (document["counted"], document["route"], document["planId"]) == (1, "test-prod", plan_id)
    assert check_approvals(document).ok
    applied = services.route_plans.apply(admin, "test-prod", plan_id)
    services.imports.run(applied.prepared)


def test_a_plan_made_again_on_a_moved_target_needs_its_own_approval(
    api: SignedClient, services: Services
) -> None:
    admin, ada = _route(api, services)
    first = services.route_plans.plan(admin, "test-prod", {})
    assert first.plan is not None
    pair = _key(services, ada)
    services.route_approvals.approve(
        ada.actor, "test-prod", first.plan.plan_id, _signed(services, ada, first.plan.plan_id, pair)
    )
    same = services.route_plans.plan(admin, "test-prod", {})
    assert same.plan is not None  # the same package, settings and target: the same hash
    assert (
        services.route_approvals.approvals(ada.actor, "test-prod", same.plan.plan_id).document()[
            "counted"
        ]
        == 1
    )
    prod = ada.workspace.id
    script = {**make_script("daily_sales_sql"), "content": "select 2"}
    assert api.call("POST", "/scripts", script, workspace=prod).status_code == 204
    second = services.route_plans.plan(admin, "test-prod", {})
    assert second.plan is not None
    document = services.route_approvals.approvals(
        ada.actor, "test-prod", second.plan.plan_id
    ).document()
    assert document["counted"] == 0
    assert document["approvals"][0]["why"] == "signed an earlier plan"
    with pytest.raises(ApprovalsMissingError, match="signed an earlier plan"):
        services.route_plans.apply(admin, "test-prod", second.plan.plan_id)


def test_an_approval_by_an_approver_no_longer_in_the_target_does_not_count(
    api: SignedClient, services: Services
) -> None:
    """A route's approvers are members of its target workspace, as when it was saved and when
    they sign; once a workspace admin takes an approver's role there away, their approval of
    the waiting plan no longer counts, and the apply is refused naming it and why."""
    admin, ada = _route(api, services)
    planned = services.route_plans.plan(admin, "test-prod", {})
    assert planned.plan is not None
    plan_id = planned.plan.plan_id
    pair = _key(services, ada)
    services.route_approvals.approve(
        ada.actor, "test-prod", plan_id, _signed(services, ada, plan_id, pair)
    )
    services.accounts.remove_role(admin.actor, admin.actor.project_id, "ada", ada.workspace.id)

    why = "its signer holds no role in its workspace now"
    document = services.route_approvals.approvals(admin.actor, "test-prod", plan_id).document()
    assert document["counted"] == 0
    assert (document["approvals"][0]["user"], document["approvals"][0]["why"]) == ("ada", why)
    with pytest.raises(ApprovalsMissingError, match=rf"1 not counted \(ada\): {why}"):
        services.route_plans.apply(admin, "test-prod", plan_id)
    assert services.promotions.history(admin, "test-prod") == []


def test_an_imported_plan_takes_no_more_approvals(api: SignedClient, services: Services) -> None:
    """Once its promotion was imported, a route's plan is approved no more (an approval posted
    from a page left open, or by the command line): refused naming the rule, nothing kept."""
    admin, ada = _route(api, services)
    carol = person(services, ada.workspace.id, "carol", Role.DEVELOPER)
    rule = {"required": 1, "approvers": ["ada", "carol"]}
    assert api.call("PUT", "/routes/test-prod", {**ROUTE, "approvals": rule}).status_code == 200
    planned = services.route_plans.plan(admin, "test-prod", {})
    assert planned.plan is not None
    plan_id = planned.plan.plan_id
    pair = _key(services, ada)
    services.route_approvals.approve(
        ada.actor, "test-prod", plan_id, _signed(services, ada, plan_id, pair)
    )
    services.imports.run(services.route_plans.apply(admin, "test-prod", plan_id).prepared)

    late = _key(services, carol)
    with pytest.raises(ApprovalRefusedError, match="its promotion was imported") as refused:
        services.route_approvals.approve(
            carol.actor, "test-prod", plan_id, _signed(services, carol, plan_id, late)
        )
    assert refused.value.context["rule"] == "approval.imported"
    document = services.route_approvals.approvals(admin.actor, "test-prod", plan_id).document()
    assert [a["user"] for a in document["approvals"]] == ["ada"]  # nothing kept


def test_a_plan_whose_approvers_left_names_other_approvers_as_its_fix(
    api: SignedClient, services: Services
) -> None:
    """Someone leaves: once the route's approvers that are still users are fewer than it
    requires, no signature brings the waiting plan in, so the refusal of its import names
    who left and asks for other approvers, not for "its approvers" to sign."""
    admin, _ = _route(api, services)
    planned = services.route_plans.plan(admin, "test-prod", {})
    assert planned.plan is not None
    plan_id = planned.plan.plan_id
    project = admin.actor.project_id
    assert not services.users.leaving(admin.actor, project, "ada")  # bob would be left
    assert not services.users.remove(admin.actor, project, "ada").left_short
    with pytest.raises(ApprovalsMissingError) as short:  # bob is left: he can still approve
        services.route_plans.apply(admin, "test-prod", plan_id)
    assert "rule" not in short.value.context

    # Removing bob leaves the route short: said first (the removal's question) and by the
    # removal, as the refusal of its import then says it.
    said = {"route": "test-prod", "gone": ["ada", "bob"], "approvers": 2, "required": 1}
    asked = services.users.leaving(admin.actor, project, "bob")
    assert asked.wire() == {"routesLeftShort": [said], "packagesLeftShort": []}
    assert services.users.leaving_all(admin.actor, project) == {"bob": asked}
    assert services.users.remove(admin.actor, project, "bob").left_short == asked
    with pytest.raises(ApprovalsMissingError) as refused:
        services.route_plans.apply(admin, "test-prod", plan_id)
    message = refused.value.message
    assert "The route names ada, bob among its approvers, no longer user(s)" in message
    assert "so 0 of them can approve where 1 are required" in message
    assert "names approvers who can (approvals.approvers of PUT" in message
    assert refused.value.context["rule"] == "approval.approvers_gone"
    assert refused.value.context["gone"] == ["ada", "bob"]
    assert services.promotions.history(admin, "test-prod") == []
    said = refusal_text(refused.value.message, refused.value.envelope())
    assert said.endswith(
        "Name approvers who can (a project admin: jobferry routes edit test-prod --approvers "
        f"A,B), then they approve the plan: jobferry routes approve test-prod {plan_id} "
        "--key FILE."
    )
    assert "Approvers sign the plan" not in said
    assert approve_plan(refused.value.context).startswith(
        "A project admin names approvers who can on the route's page (Routes)"
    )
