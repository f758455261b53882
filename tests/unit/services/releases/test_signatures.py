"""Signed approvals of release packages through the service (SQLite and PostgreSQL): keys
registered, listed and revoked; N of M approvals required before a deploy; self-approval, an
approver not named, a revoked key, a bad signature and another plan's hash refused; a package
planned again against a changed production loses its approvals; the approvals file verifies
offline."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from jobferry.cli.app import app
from jobferry.cli.remedies import refusal_text
from jobferry.domain.enums import Role
from jobferry.domain.releases import DeployStatus, StartupMode
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    ApprovalRefusedError,
    ApprovalsMissingError,
    InvalidRequestError,
    KeyNotFoundError,
    NameTakenError,
    PermissionDeniedError,
)
from jobferry.package.approvals import check_approvals, sign_statement, signature_valid
from jobferry.package.keys import KeyPair, generate_key_pair
from jobferry.services.approving import Signed
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.releases import signatures as signatures_module
from jobferry.services.releases.approval_keys import parse_key
from jobferry.services.releases.records import DeployRequest, PackageQuery
from jobferry.storage.approvals import plan_approvals
from support.releases import (
    Team,
    approve_package,
    make_package,
    pending_items,
    person,
    production_of,
    register_key,
    run_release,
    submit_job,
)


def _deploy(services: Services, team: Team, package_id: int) -> None:
    services.releases.deploy(team.deployer, DeployRequest((package_id,), StartupMode.START))


@pytest.fixture
def approver2(services: Services, team: Team) -> Scope:
    return person(services, team.workspace_id, "ada", Role.DEPLOYER)


def test_keys_are_registered_listed_and_revoked(services: Services, team: Team) -> None:
    me = team.deployer.actor
    first, second = register_key(services, team.deployer), register_key(services, team.deployer)
    # listed by registration time (two registered in one millisecond: by key id)
    mine = services.approval_keys.mine(me)
    assert {k.key_id for k in mine} == {first.key_id, second.key_id}
    assert [(k.registered_at, k.key_id) for k in mine] == sorted(
        (k.registered_at, k.key_id) for k in mine
    )
    with pytest.raises(NameTakenError):
        services.approval_keys.register(me, parse_key({"publicKey": first.public_key}))
    with pytest.raises(NameTakenError, match="another user's"):
        services.approval_keys.register(
            team.developer.actor, parse_key({"publicKey": first.public_key})
        )
    revoked = services.approval_keys.revoke(me, first.key_id)
    assert revoked.revoked_at is not None
    states = {k.key_id: k.revoked_at is None for k in services.approval_keys.mine(me)}
    assert states == {first.key_id: False, second.key_id: True}
    with pytest.raises(KeyNotFoundError):
        services.approval_keys.revoke(team.developer.actor, second.key_id)
    listed = {k.key_id for k in services.approval_keys.members(team.admin)}
    assert listed == {first.key_id, second.key_id}
    # the production side's members are the development workspace's (their roles reach it)
    on_production = services.approval_keys.members(production_of(services, team))
    assert {k.key_id for k in on_production} == listed
    with pytest.raises(PermissionDeniedError):
        services.approval_keys.members(team.developer)


def test_a_key_refused_at_registration_or_revocation_names_the_fix_that_applies(
    services: Services, team: Team
) -> None:
    # a key registered already: make a new pair (the refusal said it only in its words, and
    # named no command); a key id that is none of mine at revocation: list mine (it pointed
    # at registering a key and signing with it)
    me = team.deployer.actor
    first = register_key(services, team.deployer)
    with pytest.raises(NameTakenError) as taken:
        services.approval_keys.register(me, parse_key({"publicKey": first.public_key}))
    assert taken.value.remedy == Remedy.NEW_APPROVAL_KEY
    said = refusal_text(taken.value.message, taken.value.envelope())
    assert "jobferry users keys new FILE" in said
    with pytest.raises(KeyNotFoundError) as unknown:
        services.approval_keys.revoke(team.developer.actor, first.key_id)
    assert unknown.value.remedy == Remedy.LIST_APPROVAL_KEYS
    said = refusal_text(unknown.value.message, unknown.value.envelope())
    assert "jobferry users keys list lists your approval keys" in said
    assert "sign" not in said


def test_no_rule_deploys_as_before(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    _deploy(services, team, package)
    run_release(services)


def test_two_of_three_approvals_are_needed(
    services: Services, team: Team, approver2: Scope
) -> None:
    third = person(services, team.workspace_id, "bob", Role.DEPLOYER)
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 2})
    submit_job(services, team.developer, "daily")
    package = make_package(services, team, approvers=[team.deployer, approver2, third])
    with pytest.raises(ApprovalsMissingError, match="2 approvals of its plan are required, 0"):
        _deploy(services, team, package)
    approve_package(services, team.deployer, package, register_key(services, team.deployer))
    approve_package(services, team.deployer, package, register_key(services, team.deployer))
    with pytest.raises(ApprovalsMissingError, match="required, 1 count") as refused:
        _deploy(services, team, package)
    assert refused.value.code == "DLF.9044"
    assert refused.value.remedy == "approve_plan"
    approve_package(services, approver2, package, register_key(services, approver2))
    document = services.release_approvals.approvals(team.admin, package).document()
    assert document["counted"] == 2
    assert check_approvals(document).ok
    _deploy(services, team, package)
    run_release(services)


def test_a_package_naming_fewer_approvers_than_the_rule_requires_is_refused_at_creation(
    services: Services, team: Team, approver2: Scope
) -> None:
    """Each approver counts once, so a package with fewer approvers than the rule requires
    could never be deployed: refused with the other creation problems, nothing packaged."""
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 2})
    submit_job(services, team.developer, "daily")
    with pytest.raises(InvalidRequestError) as refused:
        make_package(services, team, approvers=[team.deployer])
    (problem,) = refused.value.context["problems"]
    assert refused.value.code == "DLF.3051"
    assert "requires 2 signed approvals" in problem
    assert "1 approver is named" in problem
    assert services.releases.packages(team.admin, PackageQuery())[0] == 0
    assert all(i.package_id is None for i in pending_items(services, team.developer))

    viewer = person(services, team.workspace_id, "vic", Role.VIEWER)
    with pytest.raises(InvalidRequestError) as refused:
        make_package(services, team, approvers=[team.deployer, viewer])
    problems = refused.value.context["problems"]
    assert any("role 'viewer'" in p for p in problems)
    assert any("2 approvers are named, 1 of them able to approve" in p for p in problems)

    package = make_package(services, team, approvers=[team.deployer, approver2])
    assert services.releases.show(team.admin, package).record.approver_list()


def test_who_signs_and_what_is_refused(services: Services, team: Team, approver2: Scope) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    document = services.release_approvals.approvals(team.admin, package).document()
    statement, plan_hash = document["statement"], document["planHash"]

    def refused(scope: Scope, pair: KeyPair, signed: Signed, rule: str) -> str:
        """The refusal as the CLI says it."""
        with pytest.raises(ApprovalRefusedError) as caught:
            services.release_approvals.approve(scope, package, signed)
        assert caught.value.context["rule"] == rule
        assert caught.value.code == "DLF.9043"
        assert str(package) in caught.value.message
        return refusal_text(caught.value.message, caught.value.envelope())

    dev = register_key(services, team.developer)
    own = Signed(dev.key_id, plan_hash, sign_statement(dev.private_pem, statement))
    said = refused(team.developer, dev, own, "approval.self")
    # who may approve it, not the command the applicant just ran
    assert said.endswith(
        "Ask one of its approvers (sales_deployer) to approve it with their own key."
    )
    assert "jobferry releases approve" not in said
    other = register_key(services, approver2)
    named = Signed(other.key_id, plan_hash, sign_statement(other.private_pem, statement))
    said = refused(approver2, other, named, "approval.approver")
    assert "Ask one of its approvers (sales_deployer) to approve it" in said
    pair = register_key(services, team.deployer)
    good = sign_statement(pair.private_pem, statement)
    refused(team.deployer, pair, Signed(other.key_id, plan_hash, good), "approval.key")
    elsewhere = statement.replace(plan_hash, "0" * 64)
    wrong_plan = sign_statement(pair.private_pem, elsewhere)
    refused(team.deployer, pair, Signed(pair.key_id, "0" * 64, wrong_plan), "approval.plan")
    refused(team.deployer, pair, Signed(pair.key_id, plan_hash, wrong_plan), "approval.signature")
    services.approval_keys.revoke(team.deployer.actor, pair.key_id)
    refused(team.deployer, pair, Signed(pair.key_id, plan_hash, good), "approval.key")


def test_a_revoked_key_no_longer_counts(services: Services, team: Team) -> None:
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    pair = register_key(services, team.deployer)
    approve_package(services, team.deployer, package, pair)
    services.approval_keys.revoke(team.deployer.actor, pair.key_id)
    with pytest.raises(ApprovalsMissingError, match="its key is revoked"):
        _deploy(services, team, package)


def test_a_package_planned_again_on_a_changed_production_loses_its_approvals(
    services: Services, team: Team
) -> None:
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    pair = register_key(services, team.deployer)
    submit_job(services, team.developer, "daily", description="v1")
    first = make_package(services, team, "v1")
    submit_job(services, team.developer, "daily", description="v2")
    second = make_package(services, team, "v2")
    approve_package(services, team.deployer, second, pair)
    before = services.release_approvals.approvals(team.admin, second).document()["planHash"]

    # A plan made again on an unchanged production has the same hash: its approvals stand.
    services.releases.replan(team.deployer, second)
    assert services.release_approvals.approvals(team.admin, second).document()["counted"] == 1

    approve_package(services, team.deployer, first, pair)
    _deploy(services, team, first)
    run_release(services)
    services.releases.replan(team.deployer, second)
    document = services.release_approvals.approvals(team.admin, second).document()
    assert document["planHash"] != before
    assert document["counted"] == 0
    assert document["approvals"][0]["why"] == "signed an earlier plan"
    with pytest.raises(ApprovalsMissingError, match="signed an earlier plan"):
        _deploy(services, team, second)
    approve_package(services, team.deployer, second, pair)
    _deploy(services, team, second)
    run_release(services)


def test_the_approvals_file_fails_offline_when_tampered(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    pair = register_key(services, team.deployer)
    approve_package(services, team.deployer, package, pair)
    document = services.release_approvals.approvals(team.admin, package).document()
    verdict = check_approvals(document)
    assert (verdict.ok, verdict.counted, verdict.required) == (True, 1, 0)
    other = frozenset({generate_key_pair().public_key})
    assert (
        check_approvals(document, other).checks[0].why == "its key is not one of the keys trusted"
    )
    assert check_approvals(document, frozenset({pair.public_key})).ok

    moved = {**document, "plan": {**document["plan"], "packageSha256": "f" * 64}}
    assert "planHash is not the hash of the plan's facts" in check_approvals(moved).problems
    forged = dict(document)
    forged["approvals"] = [{**document["approvals"][0], "signature": "A" * 86 + "=="}]
    forged["required"] = 1
    verdict = check_approvals(forged)
    assert not verdict.ok
    assert verdict.checks[0].why.startswith("the signature is not")


def test_the_ledger_keeps_the_approvals_that_counted_for_the_release(
    services: Services, team: Team, approver2: Scope
) -> None:
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    submit_job(services, team.developer, "ledger_signed")
    package_id = make_package(services, team, approvers=[team.deployer, approver2])
    mine, hers = register_key(services, team.deployer), register_key(services, approver2)
    approve_package(services, team.deployer, package_id, mine)
    approve_package(services, approver2, package_id, hers)
    approved = services.release_approvals.approvals(team.deployer, package_id).document()
    services.approval_keys.revoke(approver2.actor, hers.key_id)  # hers counts no more
    _deploy(services, team, package_id)
    run_release(services)

    entry, _ = services.ledger.ledger(team.deployer).entries[-1]
    kept = json.loads(entry.approvals)
    assert [(a["user_name"], a["key_id"]) for a in kept] == [("sales_deployer", mine.key_id)]
    (signed,) = kept
    assert signed["plan_hash"] == approved["planHash"]
    assert signed["statement"] == approved["statement"]
    assert signed["public_key"] == mine.public_key
    assert signature_valid(signed["public_key"], signed["statement"], signed["signature"])
    assert signed["approved_at"] <= entry.at
    rollback = services.release_rollback.rollback(team.deployer, package_id)
    entries = services.ledger.ledger(team.deployer).entries
    assert entries[-1][0].id == rollback.entry_id
    assert json.loads(entries[-1][0].approvals) == []  # a rollback approves nothing


def test_a_release_with_no_approval_keeps_none(services: Services, team: Team) -> None:
    submit_job(services, team.developer, "ledger_unsigned")
    _deploy(services, team, make_package(services, team, approvers=[team.deployer]))
    run_release(services)
    entry, _ = services.ledger.ledger(team.deployer).entries[-1]
    assert (entry.action, json.loads(entry.approvals)) == ("deploy", [])


def test_a_package_whose_release_failed_is_approved_and_deployed_again(
    services: Services, team: Team
) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    # Saved after the plan, read by the release's import: its task fails.
    services.policies.put(team.admin, None, {"protectedConnections": ["dws_conn"]})
    _deploy(services, team, package)
    run_release(services)
    assert services.releases.show(team.admin, package).status is DeployStatus.FAILED
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    with pytest.raises(ApprovalsMissingError):
        _deploy(services, team, package)

    # Its row still says releasing; the package waits again, as it reads: approved, deployed.
    approve_package(services, team.deployer, package, register_key(services, team.deployer))
    assert services.release_approvals.approvals(team.admin, package).document()["counted"] == 1
    services.policies.put(team.admin, None, {})
    _deploy(services, team, package)
    run_release(services)
    assert services.releases.show(team.admin, package).status is DeployStatus.SUCCESS


def test_an_approval_at_the_moment_of_a_cancel_is_kept_before_it_never_on_a_cancelled_package(
    services: Services, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    pair = register_key(services, team.deployer)
    read, subject_of = threading.Event(), signatures_module.package_subject_of

    calls: list[int] = []

    def slow_subject(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:  # the approval's own read (the first: the statement to sign)
            # The approval has read the package waiting; the cancel comes now.
            read.set()
            time.sleep(0.3)
        return subject_of(*args)

    monkeypatch.setattr(signatures_module, "package_subject_of", slow_subject)
    ended: list[str] = []
    kept_before: list[int] = []

    def approve() -> None:
        approve_package(services, team.deployer, package, pair)
        ended.append("approved")

    def cancel() -> None:
        read.wait(10)
        services.releases.cancel(team.developer, (package,))
        # what the cancel found committed when it ended (after the thread returns, the two
        # appends could come in either order: both wake at the approval's commit)
        with services.db.transaction(readonly=True) as tx:
            count = sa.select(sa.func.count()).select_from(plan_approvals)
            kept_before.append(tx.conn.execute(count).scalar_one())
        ended.append("cancelled")

    threads = [threading.Thread(target=approve), threading.Thread(target=cancel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    # The cancel waits for the approval it met, rather than the approval being kept on a
    # package cancelled while it was being made.
    assert sorted(ended) == ["approved", "cancelled"]
    assert kept_before == [1]


def test_the_approvals_file_fails_offline_when_a_saved_listing_distrusts_its_signer(
    services: Services, team: Team, tmp_path: Path
) -> None:
    """``jobferry releases verify FILE --key LISTING``: an approval signed by a key the saved
    listing (``keys list --distrusted --json``) marks distrusted fails the whole file, as a
    server refuses such a release (``DLF.9067``); before, the key was left out and the file
    failed only when too few approvals were left, saying its key was not trusted."""
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    pair = register_key(services, team.deployer)
    approve_package(services, team.deployer, package, pair)
    document = services.release_approvals.approvals(team.admin, package).document()
    kept = tmp_path / "approvals.json"
    kept.write_text(json.dumps(document), encoding="utf-8")
    listing = tmp_path / "keys.json"
    listing.write_text(
        json.dumps({"keys": [{"publicKey": pair.public_key, "distrusted": True}]}),
        encoding="utf-8",
    )

    result = CliRunner().invoke(app, ["releases", "verify", str(kept), "--key", str(listing)])

    assert result.exit_code == 3, result.output
    said = " ".join(result.output.split())
    assert f"{team.deployer.actor.name}'s approval is signed by a distrusted key" in said
    assert "its key is distrusted" in said


def test_an_approver_who_no_longer_holds_an_approvers_role_cannot_approve(
    services: Services, team: Team
) -> None:
    """An approver is named on a package holding admin or deployer; one whose role was changed
    to developer since cannot sign its plan (the rule the package was made by)."""
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    pair = register_key(services, team.deployer)
    actor = team.deployer.actor
    services.accounts.set_role(
        team.admin.actor, actor.project_id, actor.name, team.workspace_id, Role.DEVELOPER.value
    )
    demoted = services.accounts.scope(actor, actor.project_id, team.workspace_id)
    with pytest.raises(ApprovalRefusedError) as refused:
        approve_package(services, demoted, package, pair)
    error = refused.value
    assert error.context["rule"] == "approval.role"
    assert f"'{actor.name}' holds role 'developer' in workspace" in error.problem
    assert "an approver holds admin or deployer" in error.problem
    assert error.remedy == "approve_plan"
    document = services.release_approvals.approvals(team.admin, package).document()
    assert document["approvals"] == []
