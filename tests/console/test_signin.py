"""Sign-in, sessions, sign-out, lockout, CSRF, passwords and the start page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from jobferry.cli.app import app as cli_app
from jobferry.domain.enums import Role
from jobferry.errors import SignInError
from jobferry.services.container import Services
from jobferry.storage import Database
from support.console import PASSWORD, Browser, admin_actor, field, make_user


def test_pages_need_a_session_and_send_the_browser_to_sign_in(anonymous: Browser) -> None:
    response = anonymous.get("/console/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/signin?next=")
    assert anonymous.client.get("/", follow_redirects=False).headers["location"] == "/console/"
    typed = anonymous.client.get("/console", follow_redirects=False)  # the address as typed
    assert (typed.status_code, typed.headers["location"]) == (307, "/console/")


def test_sign_in_sets_an_http_only_same_site_cookie_and_opens_the_job_tree(
    anonymous: Browser,
) -> None:
    response = anonymous.sign_in()
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "jobferry_console=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    start = anonymous.get("/console/")
    assert start.status_code == 303
    tree = anonymous.get(start.headers["location"])
    assert tree.status_code == 200
    assert "Jobs" in tree.text
    assert "script-src 'self'" in tree.headers["Content-Security-Policy"]
    assert tree.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    ("origin", "headers"),
    [("https://testserver", {}), ("http://testserver", {"X-Forwarded-Proto": "https"})],
    ids=["https", "behind a proxy ending TLS"],
)
def test_over_https_the_cookies_are_secure_directly_or_behind_a_proxy_that_says_so(
    client: TestClient, origin: str, headers: dict[str, str]
) -> None:
    page = client.get(f"{origin}/console/signin", headers=headers)
    form_cookie = page.headers["set-cookie"]
    assert "; Secure" in form_cookie  # the sign-in form's token
    token = field(page.text, "signin_token")
    client.cookies.clear()  # sent back by hand: a client keeps a Secure cookie off plain HTTP
    signed = client.post(
        f"{origin}/console/signin",
        data={"user": "admin", "password": PASSWORD, "signin_token": token},
        headers={**headers, "Cookie": form_cookie.split(";")[0]},
    )
    assert signed.status_code == 303, signed.text
    session = [c for c in signed.headers.get_list("set-cookie") if "jobferry_console=" in c]
    assert len(session) == 1
    assert "; Secure" in session[0]


def test_over_plain_http_the_cookie_is_not_marked_secure(anonymous: Browser) -> None:
    assert "Secure" not in anonymous.sign_in().headers["set-cookie"]


def test_the_cookie_holds_a_token_whose_hash_only_is_stored(
    anonymous: Browser, services: Services
) -> None:
    response = anonymous.sign_in()
    token = re.search(r"jobferry_console=([^;]+)", response.headers["set-cookie"])
    assert token
    assert services.signin.session(token.group(1)) is not None
    assert services.signin.session(token.group(1) + "x") is None


def test_a_wrong_password_is_refused_on_the_page_without_saying_which_part_was_wrong(
    anonymous: Browser,
) -> None:
    response = anonymous.sign_in(password="not the password")
    assert response.status_code == 401
    assert "user name or password is wrong" in response.text
    unknown = anonymous.sign_in(user="nobody")
    assert unknown.status_code == 401
    assert "user name or password is wrong" in unknown.text


def test_repeated_failures_impose_a_growing_wait_even_for_the_right_password(
    anonymous: Browser, services: Services
) -> None:
    for _ in range(services.settings.console_lockout_failures):
        assert anonymous.sign_in(password="wrong password!").status_code == 401
    locked = anonymous.sign_in()
    assert locked.status_code == 401
    assert "or the user is locked: after 5 failed sign-ins in a row" in locked.text
    assert "30 s at first, doubling" in locked.text
    assert anonymous.sign_in(password="wrong again!!").status_code == 401
    # A new password (set by an admin) lifts the wait.
    services.signin.set_password(admin_actor(services), "admin", PASSWORD)
    assert anonymous.sign_in().status_code == 303


def test_sign_in_without_its_form_token_is_refused(anonymous: Browser) -> None:
    anonymous.get("/console/signin")
    response = anonymous.client.post(
        "/console/signin", data={"user": "admin", "password": PASSWORD, "next": "/console/"}
    )
    assert response.status_code == 403
    assert "security token" in response.text


def test_sign_in_only_follows_console_paths(anonymous: Browser) -> None:
    page = anonymous.get("/console/signin")
    response = anonymous.client.post(
        "/console/signin",
        data={
            "user": "admin",
            "password": PASSWORD,
            "signin_token": field(page.text, "signin_token"),
            "next": "https://elsewhere.example/",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console/"


def test_a_form_without_the_session_csrf_token_is_refused_and_changes_nothing(
    browser: Browser,
) -> None:
    refused = browser.post("/console/signout", {}, csrf=False)
    assert refused.status_code == 403
    assert "security token" in refused.text
    wrong = browser.post("/console/signout", {"csrf_token": "forged"})
    assert wrong.status_code == 403
    assert browser.get("/console/").status_code == 303  # still signed in: goes to the tree
    assert "/w/" in browser.get("/console/").headers["location"]


def test_sign_out_ends_the_session(browser: Browser, client: TestClient) -> None:
    cookie = client.cookies.get("jobferry_console")
    browser.get("/console/account")
    response = browser.post("/console/signout", {})
    assert response.status_code == 303
    client.cookies.set("jobferry_console", cookie or "", path="/console")
    assert browser.get("/console/").headers["location"].startswith("/console/signin")


def test_ended_and_idle_sessions_are_swept(browser: Browser, services: Services) -> None:
    far = 10**15
    assert services.signin.sweep(now=far) >= 1
    assert browser.get("/console/").headers["location"].startswith("/console/signin")


def test_a_user_without_a_role_is_told_to_ask_for_one(
    anonymous: Browser, services: Services
) -> None:
    make_user(services, "newbie", None)
    assert anonymous.sign_in("newbie").status_code == 303
    response = anonymous.get("/console/")
    assert response.status_code == 403
    assert "no role in any workspace" in response.text


def test_changing_ones_own_password_needs_the_current_one_and_ends_sessions(
    anonymous: Browser, services: Services
) -> None:
    make_user(services, "dev", Role.DEVELOPER)
    anonymous.sign_in("dev")
    anonymous.get("/console/account")
    wrong = anonymous.post(
        "/console/account/password",
        {"current": "nope nope nope", "password": "a new password", "again": "a new password"},
    )
    assert wrong.status_code == 401
    short = anonymous.post(
        "/console/account/password", {"current": PASSWORD, "password": "short", "again": "short"}
    )
    assert short.status_code == 400
    assert "at least 10 characters" in short.text
    done = anonymous.post(
        "/console/account/password",
        {"current": PASSWORD, "password": "a new password", "again": "a new password"},
    )
    assert done.status_code == 303
    assert anonymous.get("/console/").headers["location"].startswith("/console/signin")
    assert anonymous.sign_in("dev", "a new password").status_code == 303


def test_the_cli_sets_the_bootstrap_admins_password(services: Services) -> None:
    settings = services.settings
    env = {
        "JOBFERRY_DATA_DIR": str(settings.data_dir),
        "JOBFERRY_DATABASE_URL": settings.resolved_database_url(),
    }
    result = CliRunner().invoke(
        cli_app,
        ["admin", "set-password", "admin", "--password-stdin"],
        input="cli password 123\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    project = services.signin.first_project()
    assert services.signin.authenticate(project, "admin", "cli password 123").name == "admin"
    short = CliRunner().invoke(
        cli_app, ["admin", "set-password", "admin", "--password-stdin"], input="short\n", env=env
    )
    assert short.exit_code != 0


def test_the_cli_asks_for_a_password_only_at_a_terminal(services: Services) -> None:
    settings = services.settings
    env = {
        "JOBFERRY_DATA_DIR": str(settings.data_dir),
        "JOBFERRY_DATABASE_URL": settings.resolved_database_url(),
    }
    # piped without --password-stdin: nothing is asked (its echo could not be hidden), nothing set
    piped = CliRunner().invoke(
        cli_app, ["admin", "set-password", "admin"], input="cli password 123\n", env=env
    )
    assert piped.exit_code == 2, piped.output
    assert "--password-stdin" in piped.stderr
    assert "Aborted" not in piped.output
    assert "Warning" not in piped.output
    project = services.signin.first_project()
    with pytest.raises(SignInError):
        services.signin.authenticate(project, "admin", "cli password 123")


class CountingHasher(PasswordHasher):
    """The tests' cheap argon2 hasher, counting the verifications it runs."""

    def __init__(self) -> None:
        base = PasswordHasher.from_parameters(CHEAPEST)
        super().__init__(
            time_cost=base.time_cost,
            memory_cost=base.memory_cost,
            parallelism=base.parallelism,
            hash_len=base.hash_len,
            salt_len=base.salt_len,
            type=base.type,
        )
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


def refusal(services: Services, user: str, password: str) -> str:
    """The message of a refused sign-in (it must be refused)."""
    project = services.signin.first_project()
    with pytest.raises(SignInError) as refused:
        services.signin.authenticate(project, user, password)
    assert refused.value.context == {}
    return refused.value.message


def test_a_locked_user_an_unknown_name_and_a_wrong_password_get_the_same_answer_and_cost(
    services: Services,
) -> None:
    counting = CountingHasher()
    services.signin.hasher = counting
    admin = admin_actor(services)
    services.signin.set_password(admin, "admin", PASSWORD)
    services.accounts.create_user(admin, admin.project_id, "nopass", False)
    answers = []
    limit = services.settings.console_lockout_failures
    for user, password in (
        *[("admin", "wrong password!")] * limit,  # the last one locks admin
        ("admin", PASSWORD),  # locked: refused although right
        ("admin", "wrong again!!"),
        ("nobody", "wrong password!"),
        ("nobody", PASSWORD),
        ("nopass", PASSWORD),
        ("", PASSWORD),
    ):
        before = counting.verified
        answers.append(refusal(services, user, password))
        assert counting.verified == before + 1, (user, password)
    assert len(set(answers)) == 1


def test_a_database_that_does_not_answer_is_said_without_where_it_is(
    browser: Browser,
    services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "secret-place.db"
    folder.mkdir()
    away = Database(f"sqlite:///{folder}")
    for holder in (services, services.signin, services.accounts):
        monkeypatch.setattr(holder, "db", away)
    try:
        page = browser.get("/console/")
    finally:
        away.dispose()

    assert page.status_code == 503
    assert "The database is not available" in page.text
    assert "The server log says why, under request id" in page.text
    assert "secret-place" not in page.text
