"""Who administers the project, and removing a user (SQLite and PostgreSQL).

Removing: everything that lets them act goes in one step — access keys (this process's cache
included), roles, console sessions, IAM tokens, approval keys, locks —, the audit says what
went, an approval they signed no longer counts and says why, and a later user of the same
name is someone new. Refused (changing nothing): removing oneself, the project's last admin,
a user who does not exist, a caller who is no project admin. Making a user a project admin
or no longer one takes effect on their next call (their cached key too), is audited once, and
is refused for the last admin."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from jobferry.cli.remedies import refusal_text
from jobferry.domain.audit import AuditQuery
from jobferry.domain.enums import Role
from jobferry.domain.releases import StartupMode
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    ApprovalsMissingError,
    ConflictError,
    InvalidRequestError,
    PermissionDeniedError,
    UserNotFoundError,
)
from jobferry.services.accounts.service import LOCAL_OPERATOR_ID, LOCAL_OPERATOR_NAME
from jobferry.services.accounts.tokenrequest import PasswordAuth
from jobferry.services.container import Services
from jobferry.services.context import Actor
from jobferry.services.releases.records import DeployRequest
from jobferry.storage import tables
from jobferry.storage.accounts import delete_user, find_user, project_admin_count
from jobferry.storage.approvals import approval_keys, plan_approvals
from support.clients import ADMIN_AK, PROJECT_ID
from support.console import PASSWORD, admin_actor, admin_scope, make_user, seed
from support.releases import (
    approve_package,
    connected_team,
    make_package,
    register_key,
    submit_job,
)

COUNTED = (
    tables.users,
    tables.credentials,
    tables.role_bindings,
    tables.console_sessions,
    tables.iam_tokens,
    tables.locks,
    approval_keys,
)


def _rows(services: Services) -> dict[str, int]:
    with services.db.transaction(readonly=True) as tx:
        return {
            t.name: tx.conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in COUNTED
        }


def _alice(services: Services) -> dict[str, Any]:
    """alice, a developer of the default workspace holding every kind of access, and a lock."""
    make_user(services, "alice", Role.DEVELOPER)
    admin = admin_actor(services)
    seed(services, admin_scope(services))
    key = services.accounts.issue_credential(admin, PROJECT_ID, "alice").access_key
    actor = services.accounts.actor_for(key)  # cached in this process from now on
    scope = services.accounts.scope(actor, PROJECT_ID, None)
    services.governance.acquire(scope, "job", "daily_sales")
    session, _ = services.signin.start_session(actor)
    token, _ = services.tokens.issue(PasswordAuth("alice", PASSWORD, project_id=PROJECT_ID))
    assert services.tokens.actor_for(token, PROJECT_ID).name == "alice"  # cached too
    return {"key": key, "session": session, "token": token, "actor": actor}


def test_a_removed_user_can_do_nothing_more_and_the_audit_says_what_went(
    services: Services,
) -> None:
    alice = _alice(services)
    before = _rows(services)

    removed = services.users.remove(admin_actor(services), PROJECT_ID, "alice")

    assert removed.wire() == {
        "user": "alice",
        "accessKeys": [alice["key"]],
        "roles": ["default"],
        "sessionsEnded": 1,
        "tokensRevoked": 1,
        "approvalKeys": 0,
        "locksReleased": 1,
        "routesLeftShort": [],
        "packagesLeftShort": [],
    }
    assert services.accounts.secret_for(alice["key"]) is None
    with pytest.raises(PermissionDeniedError):
        services.accounts.actor_for(alice["key"])
    assert services.signin.session(alice["session"]) is None
    with pytest.raises(Exception, match="token"):
        services.tokens.actor_for(alice["token"], PROJECT_ID)
    assert services.governance.list_locks(admin_scope(services)) == []
    after = _rows(services)
    gone = {name: before[name] - after[name] for name in before}
    assert gone == {
        "users": 1,
        "credentials": 1,
        "role_bindings": 1,
        "console_sessions": 1,
        "iam_tokens": 1,
        "locks": 1,
        "approval_keys": 0,
    }
    query = AuditQuery(action="user.remove")
    (entry,) = services.audit.project_entries(admin_actor(services), 10, 0, query).entries
    assert (entry.actor, entry.object_name, entry.detail) == ("admin", "alice", removed.wire())
    assert [u.name for u in services.accounts.list_users(admin_actor(services), PROJECT_ID)] == [
        "admin"
    ]


def test_a_user_made_again_under_a_removed_name_is_someone_new(services: Services) -> None:
    alice = _alice(services)
    admin = admin_actor(services)
    services.users.remove(admin, PROJECT_ID, "alice")

    again = services.accounts.create_user(admin, PROJECT_ID, "alice", False)

    assert again.id > alice["actor"].user_id  # the removed id is given to no one (0046)
    (listed,) = [u for u in services.accounts.list_users(admin, PROJECT_ID) if u.name == "alice"]
    assert (listed.roles, listed.access_keys) == ((), ())
    assert services.accounts.secret_for(alice["key"]) is None


def _refused(services: Services, actor: Actor, name: str, error: type[Exception]) -> Any:
    before = _rows(services)
    with pytest.raises(error) as refused:
        services.users.remove(actor, PROJECT_ID, name)
    assert _rows(services) == before
    return refused.value


def test_no_one_removes_themselves_nor_the_last_project_admin(services: Services) -> None:
    _alice(services)
    admin = admin_actor(services)

    own = _refused(services, admin, "admin", ConflictError)
    assert own.code == "DLF.3051"
    assert own.context == {"rule": "user.self", "user": "admin"}
    assert "cannot remove themselves" in own.problem
    assert own.message.endswith(" Have another project admin remove this user.")

    operator = Actor(LOCAL_OPERATOR_ID, LOCAL_OPERATOR_NAME, PROJECT_ID, True)
    last = _refused(services, operator, "admin", ConflictError)
    assert last.context["rule"] == "user.last_admin"
    assert "last admin of project" in last.problem
    assert "cannot be removed" in last.problem
    assert last.message.endswith(
        f" Make another user a project admin first (PUT /v1/{PROJECT_ID}/users/NAME with "
        '{"projectAdmin": true}).'
    )
    assert last.remedy == Remedy.KEEP_PROJECT_ADMIN  # each client says it in its own terms

    services.accounts.create_user(admin, PROJECT_ID, "bea", True)
    services.users.remove(operator, PROJECT_ID, "admin")  # bea is admin now
    assert [u.name for u in services.accounts.list_users(operator, PROJECT_ID)] == [
        "alice",
        "bea",
    ]


def test_only_a_project_admin_removes_and_only_users_who_exist(services: Services) -> None:
    alice = _alice(services)
    make_user(services, "bob", Role.ADMIN)  # a workspace admin, not a project admin

    bob = services.accounts.actor_for(
        services.accounts.issue_credential(admin_actor(services), PROJECT_ID, "bob").access_key
    )
    denied = _refused(services, bob, "alice", PermissionDeniedError)
    assert "not a project admin and may not remove users" in denied.message
    missing = _refused(services, admin_actor(services), "nobody", UserNotFoundError)
    assert missing.code == "DLF.9003"
    assert "'nobody' does not exist" in missing.message
    assert services.accounts.actor_for(alice["key"]).name == "alice"


def test_an_approval_by_a_removed_user_stays_and_no_longer_counts(services: Services) -> None:
    team = connected_team(services)
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    approve_package(services, team.deployer, package, register_key(services, team.deployer))
    assert services.release_approvals.approvals(team.admin, package).document()["counted"] == 1

    name = team.deployer.actor.name
    removed = services.users.remove(admin_actor(services), PROJECT_ID, name)

    assert removed.approval_keys == 1
    document = services.release_approvals.approvals(team.admin, package).document()
    assert document["counted"] == 0
    (approval,) = document["approvals"]
    assert (approval["user"], approval["counts"]) == (name, False)
    assert approval["why"] == "its signer was removed"
    with services.db.transaction(readonly=True) as tx:
        assert tx.conn.execute(select(func.count()).select_from(plan_approvals)).scalar_one() == 1


def test_a_user_made_project_admin_is_one_at_their_next_call_and_can_be_made_no_longer_one(
    services: Services,
) -> None:
    alice = _alice(services)
    admin = admin_actor(services)
    assert not services.accounts.actor_for(alice["key"]).is_project_admin  # cached

    assert services.users.set_project_admin(admin, PROJECT_ID, "alice", True) is True
    assert services.users.set_project_admin(admin, PROJECT_ID, "alice", True) is True  # no-op

    promoted = services.accounts.actor_for(alice["key"])
    assert promoted.is_project_admin
    assert len(services.accounts.list_users(promoted, PROJECT_ID)) == 2
    assert services.users.set_project_admin(promoted, PROJECT_ID, "admin", False) is False
    assert not services.accounts.actor_for(ADMIN_AK).is_project_admin
    query = AuditQuery(action="user.project_admin")
    entries = services.audit.project_entries(promoted, 10, 0, query).entries
    assert [(e.actor, e.object_name, e.detail) for e in entries] == [
        ("alice", "admin", {"projectAdmin": False}),
        ("admin", "alice", {"projectAdmin": True}),
    ]


def test_the_last_project_admin_stays_one_and_bad_values_are_refused(services: Services) -> None:
    _alice(services)
    admin = admin_actor(services)
    before = _rows(services)
    with pytest.raises(ConflictError) as last:
        services.users.set_project_admin(admin, PROJECT_ID, "admin", False)
    assert last.value.context["rule"] == "user.last_admin"
    assert "cannot be made no longer one" in last.value.problem
    with pytest.raises(InvalidRequestError, match='projectAdmin must be true or false, not "yes"'):
        services.users.set_project_admin(admin, PROJECT_ID, "alice", "yes")
    with pytest.raises(UserNotFoundError):
        services.users.set_project_admin(admin, PROJECT_ID, "nobody", True)
    alice = services.accounts.actor_for(_key_of(services, "alice"))
    with pytest.raises(PermissionDeniedError, match="may not make users project admins"):
        services.users.set_project_admin(alice, PROJECT_ID, "alice", True)
    assert _rows(services) == before
    assert services.accounts.actor_for(ADMIN_AK).is_project_admin


def _key_of(services: Services, name: str) -> str:
    (user,) = [
        u for u in services.accounts.list_users(admin_actor(services), PROJECT_ID) if u.name == name
    ]
    return user.access_keys[0]


@pytest.mark.databases("postgresql")
def test_two_admins_removing_each_other_at_once_leave_one(services: Services) -> None:
    """The second removal waits for the first's transaction, counts again and is refused."""
    admin = admin_actor(services)
    services.accounts.create_user(admin, PROJECT_ID, "bea", True)
    bea = services.accounts.actor_for(
        services.accounts.issue_credential(admin, PROJECT_ID, "bea").access_key
    )
    outcome: list[BaseException | None] = []

    def bea_removes_admin() -> None:
        try:
            services.users.remove(bea, PROJECT_ID, "admin")
            outcome.append(None)
        except ConflictError as exc:
            outcome.append(exc)

    with services.db.transaction() as tx:  # admin's removal of bea, not yet committed
        assert project_admin_count(tx, PROJECT_ID) == 2
        user = find_user(tx, PROJECT_ID, "bea")
        assert user is not None
        delete_user(tx, user.id)
        other = threading.Thread(target=bea_removes_admin)
        other.start()
        other.join(0.5)
        assert other.is_alive()  # waiting on the admins' rows
    other.join(10)

    (refused,) = outcome
    assert isinstance(refused, ConflictError)
    assert refused.context["rule"] == "user.last_admin"
    assert [u.name for u in services.accounts.list_users(admin, PROJECT_ID)] == ["admin"]


def test_a_package_whose_approvers_left_is_refused_naming_them_and_packaging_again(
    services: Services,
) -> None:
    """Someone leaves who was a release package's only approver: no signature can bring its
    deploy in, and the approvers of a package are fixed when it is made, so the refusal names
    who left and asks to package the items again (not for "its approvers" to sign)."""
    team = connected_team(services)
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    name = team.deployer.actor.name
    services.users.remove(admin_actor(services), PROJECT_ID, name)

    with pytest.raises(ApprovalsMissingError) as refused:
        services.releases.deploy(team.admin, DeployRequest((package,), StartupMode.LEAVE))
    message = refused.value.message
    assert "cannot be deployed: 1 approval of its plan is required, 0 count" in message
    assert f"It names {name} among its approvers, no longer user(s) of the project" in message
    assert "so 0 of them can approve where 1 are required" in message
    assert refused.value.remedy == Remedy.PACKAGE_AGAIN
    assert refused.value.context["rule"] == "approval.approvers_gone"
    said = refusal_text(refused.value.message, refused.value.envelope())
    assert said.endswith(
        f"Cancel it with jobferry releases cancel {package}, then package its items again "
        "with jobferry releases create."
    )


def test_a_removal_says_first_the_packages_it_leaves_with_too_few_approvers(
    services: Services,
) -> None:
    """Asked before the removal and said by it (its answer, its audit entry): the waiting
    release package whose named approvers would be too few once the user is gone — the deploy
    the refusal (DLF.9044, approval.approvers_gone) then stops, found by the same count."""
    team = connected_team(services)
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    name = team.deployer.actor.name
    admin = admin_actor(services)
    assert services.users.leaving(admin, PROJECT_ID, team.developer.actor.name).wire() == {
        "routesLeftShort": [],
        "packagesLeftShort": [],
    }
    short = {
        "id": str(package),
        "name": "p1",
        "workspace": team.admin.workspace.name,
        "gone": [name],
        "approvers": 1,
        "required": 1,
    }

    asked = services.users.leaving(admin, PROJECT_ID, name)
    assert asked.wire() == {"routesLeftShort": [], "packagesLeftShort": [short]}
    assert services.users.leaving_all(admin, PROJECT_ID) == {name: asked}
    removed = services.users.remove(admin, PROJECT_ID, name)

    assert removed.left_short == asked
    assert removed.wire()["packagesLeftShort"] == [short]
    query = AuditQuery(action="user.remove")
    (entry,) = services.audit.project_entries(admin, 10, 0, query).entries
    assert entry.detail["packagesLeftShort"] == [short]
    with pytest.raises(ApprovalsMissingError) as refused:
        services.releases.deploy(team.admin, DeployRequest((package,), StartupMode.LEAVE))
    assert refused.value.context["rule"] == "approval.approvers_gone"
    assert services.users.leaving_all(admin, PROJECT_ID) == {}  # its approver is gone already


def test_a_removal_names_no_package_its_workspace_does_not_wait_on(services: Services) -> None:
    """No approval rule in the workspace (nothing waits on approvers), or the package
    cancelled (no deploy will take it): nothing is left short."""
    team = connected_team(services)
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    admin, name = admin_actor(services), team.deployer.actor.name
    assert not services.users.leaving(admin, PROJECT_ID, name)
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    assert services.users.leaving(admin, PROJECT_ID, name)
    services.releases.cancel(team.admin, (package,))
    assert not services.users.leaving(admin, PROJECT_ID, name)
    with pytest.raises(UserNotFoundError):
        services.users.leaving(admin, PROJECT_ID, "nobody")
