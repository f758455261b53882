"""IAM tokens over a real database: issued for a console password, stored as a hash, scoped
to one project, ended by expiry, revocation and a password change, and the password check is
the console's with its lockout."""

from __future__ import annotations

import hashlib
import time

import pytest
from sqlalchemy import delete, select, update

from jobferry.errors import (
    AuthenticationError,
    PermissionDeniedError,
    SignInError,
    TokenNotFoundError,
    TokenPasswordError,
    TokenProjectError,
)
from jobferry.services.accounts.tokenrequest import PasswordAuth
from jobferry.services.accounts.tokens import TokenService
from jobferry.services.container import Services
from jobferry.storage.tables import iam_tokens, users
from support.clients import PROJECT_ID
from support.clock import held_clock
from support.console import PASSWORD, admin_actor, make_user

OTHER_PROJECT = "fedcba9876543210fedcba9876543210"


def ask(user: str = "alice", password: str = PASSWORD, project: str = PROJECT_ID) -> PasswordAuth:
    return PasswordAuth(user, password, project_id=project)


@pytest.fixture
def alice(services: Services) -> Services:
    make_user(services, "alice", None)
    return services


def test_a_token_is_256_random_bits_kept_only_as_its_sha256(alice: Services) -> None:
    token, grant = alice.tokens.issue(ask())
    again, _ = alice.tokens.issue(ask())
    assert len(token) == 43
    assert token != again
    assert (grant.actor.name, grant.actor.project_id) == ("alice", PROJECT_ID)
    assert grant.expires_at - grant.issued_at == 24 * 3600 * 1000  # IAM's 24 hours
    with alice.db.transaction(readonly=True) as tx:
        rows = [dict(r._mapping) for r in tx.conn.execute(select(iam_tokens))]
    assert {row["id"] for row in rows} == {
        hashlib.sha256(t.encode()).hexdigest() for t in (token, again)
    }
    assert not any(token in str(value) for row in rows for value in row.values())


def test_a_token_authenticates_its_user_in_its_project_only(alice: Services) -> None:
    token, _ = alice.tokens.issue(ask())
    assert alice.tokens.actor_for(token, PROJECT_ID).name == "alice"
    assert alice.tokens.cached_actor(token, PROJECT_ID) is not None  # kept for the next call
    with pytest.raises(TokenProjectError) as other:
        alice.tokens.actor_for(token, OTHER_PROJECT)
    assert f"is for project '{PROJECT_ID}', not for project '{OTHER_PROJECT}'" in str(other.value)
    # 403: a new token cannot cure it, so a client that renews its token on a 401 does not loop
    assert (other.value.status, other.value.code) == (403, "DLF.9083")
    assert other.value.context == {"token_project": PROJECT_ID, "path_project": OTHER_PROJECT}
    with pytest.raises(TokenProjectError):
        alice.tokens.cached_actor(token, OTHER_PROJECT)


def test_a_project_is_named_by_id_or_by_name(alice: Services) -> None:
    _, grant = alice.tokens.issue(PasswordAuth("alice", PASSWORD, project_name="default"))
    assert (grant.actor.project_id, grant.project_name) == (PROJECT_ID, "default")


def test_a_user_is_named_by_the_id_a_token_answers(alice: Services) -> None:
    _, first = alice.tokens.issue(ask())
    user_id = str(first.actor.user_id)
    _, grant = alice.tokens.issue(
        PasswordAuth("", PASSWORD, project_id=PROJECT_ID, user_id=user_id)
    )
    assert (grant.actor.name, grant.actor.user_id) == ("alice", first.actor.user_id)
    wrong_password = TokenPasswordError
    for user, project, password in [
        (user_id, PROJECT_ID, "not the password"),
        (user_id, OTHER_PROJECT, PASSWORD),  # alice is not a user of that project
        ("999999", PROJECT_ID, PASSWORD),
        ("alice", PROJECT_ID, PASSWORD),  # a name is no id
        ("9" * 40, PROJECT_ID, PASSWORD),  # past what the database stores
    ]:
        with pytest.raises(wrong_password):
            alice.tokens.issue(PasswordAuth("", password, project_id=project, user_id=user))


@pytest.mark.parametrize(
    "wrong",
    [
        ask(password="not the password"),
        ask(user="nobody"),
        ask(project=OTHER_PROJECT),
        ask(user="admin"),  # a user without a console password gets no token
        PasswordAuth("alice", PASSWORD, project_name="no such project"),
    ],
)
def test_every_refusal_of_a_token_is_one_answer(alice: Services, wrong: PasswordAuth) -> None:
    with pytest.raises(TokenPasswordError) as refused:
        alice.tokens.issue(wrong)
    assert refused.value.status == 401
    assert refused.value.message.startswith(
        "Incorrect IAM authentication information: the project, user name or password is wrong"
    )


def test_wrong_passwords_lock_the_user_for_tokens_and_the_console_alike(alice: Services) -> None:
    for _ in range(alice.settings.console_lockout_failures):
        with pytest.raises(TokenPasswordError):
            alice.tokens.issue(ask(password="not the password"))
    with pytest.raises(TokenPasswordError):
        alice.tokens.issue(ask())  # the right password, while the wait runs
    with pytest.raises(SignInError):
        alice.signin.authenticate(PROJECT_ID, "alice", PASSWORD)
    alice.signin.set_password(admin_actor(alice), "alice", "a new password 1")
    assert alice.tokens.issue(ask(password="a new password 1"))[1].actor.name == "alice"


def test_an_expired_token_is_refused_saying_how_to_get_a_new_one(alice: Services) -> None:
    token, _ = alice.tokens.issue(ask())
    alice.tokens.actor_for(token, PROJECT_ID)  # now in memory too
    with alice.db.transaction() as tx:
        tx.conn.execute(update(iam_tokens).values(expires_at=int(time.time() * 1000) - 1))
    fresh = TokenService(alice.db, alice.signin, hours=24, cache_seconds=0)
    for tokens in (alice.tokens, fresh):
        with pytest.raises(AuthenticationError) as ended:
            tokens.actor_for(token, PROJECT_ID)
        assert "unknown, expired or revoked" in ended.value.message
        assert "POST /v3/auth/tokens" in ended.value.message
    assert alice.tokens.sweep() == 1
    assert alice.tokens.sweep() == 0


def test_a_password_change_revokes_the_users_tokens_at_once(alice: Services) -> None:
    token, _ = alice.tokens.issue(ask())
    alice.tokens.actor_for(token, PROJECT_ID)  # in this process's memory
    alice.signin.set_password(admin_actor(alice), "alice", "a new password 1")
    assert alice.tokens.cached_actor(token, PROJECT_ID) is None
    with pytest.raises(AuthenticationError):
        alice.tokens.actor_for(token, PROJECT_ID)


def test_a_user_revokes_their_token_and_only_theirs_unless_a_project_admin(
    alice: Services,
) -> None:
    make_user(alice, "bob", None)
    mine, _ = alice.tokens.issue(ask())
    bobs, _ = alice.tokens.issue(ask(user="bob"))
    alice.tokens.actor_for(bobs, PROJECT_ID)  # in memory: still revoked at once here
    me = alice.tokens.caller(mine)
    assert alice.tokens.validate(me, mine).actor.name == "alice"
    with pytest.raises(PermissionDeniedError):
        alice.tokens.revoke(me, bobs)
    alice.tokens.revoke(admin_actor(alice), bobs)
    with pytest.raises(AuthenticationError):
        alice.tokens.actor_for(bobs, PROJECT_ID)
    with pytest.raises(TokenNotFoundError):
        alice.tokens.validate(me, bobs)
    alice.tokens.revoke(me, mine)
    with pytest.raises(AuthenticationError):
        alice.tokens.caller(mine)


def test_another_process_sees_a_revoked_token_within_its_cache_time(alice: Services) -> None:
    token, _ = alice.tokens.issue(ask())
    other = TokenService(alice.db, alice.signin, hours=24, cache_seconds=0.2)
    assert other.actor_for(token, PROJECT_ID).name == "alice"
    alice.tokens.revoke(alice.tokens.caller(token), token)
    assert other.cached_actor(token, PROJECT_ID) is not None  # within its cache time
    time.sleep(0.25)
    assert other.cached_actor(token, PROJECT_ID) is None
    with pytest.raises(AuthenticationError):
        other.actor_for(token, PROJECT_ID)


def test_roles_in_the_answer_are_the_users_at_issue(alice: Services) -> None:
    make_user(alice, "carol", None)
    alice.signin.set_password(admin_actor(alice), "admin", PASSWORD)
    assert alice.tokens.issue(ask(user="admin"))[1].roles == ("project_admin",)
    assert alice.tokens.issue(ask(user="carol"))[1].roles == ()


def test_a_token_dies_with_its_user(alice: Services) -> None:
    token, grant = alice.tokens.issue(ask())
    with alice.db.transaction() as tx:
        tx.conn.execute(delete(users).where(users.c.id == grant.actor.user_id))
        left = tx.conn.execute(select(iam_tokens.c.id)).all()
    assert left == []  # deleted with the user (ON DELETE CASCADE)
    with pytest.raises(AuthenticationError):
        TokenService(alice.db, alice.signin, hours=24, cache_seconds=0).actor_for(token, PROJECT_ID)


def test_a_password_change_audits_only_the_sessions_and_tokens_it_ended(alice: Services) -> None:
    """A session and a token that ended on their own (still in storage until the sweep) are
    not counted as ended by the password change; the live ones are."""
    admin, actor = admin_actor(alice), alice.signin.authenticate(PROJECT_ID, "alice", PASSWORD)
    with held_clock(int(time.time() * 1000)) as clock:
        alice.signin.start_session(actor)
        alice.tokens.issue(ask())
        clock.move(alice.tokens.lifetime_ms)  # both ended: a session lasts 12 hours, a token 24
        alice.signin.start_session(actor)
        alice.tokens.issue(ask())
        alice.signin.set_password(admin, "alice", "a new password 1")
    entry = alice.audit.project_entries(admin, 1, 0).entries[0]
    assert (entry.action, entry.detail) == (
        "user.password",
        {"sessionsEnded": 1, "tokensRevoked": 1},
    )
    with alice.db.transaction(readonly=True) as tx:
        assert tx.conn.execute(select(iam_tokens.c.id)).all() == []  # every row goes
