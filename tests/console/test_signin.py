"""Sign-in, sessions, sign-out, lockout, CSRF and the start page."""

from __future__ import annotations

from console.helpers import Browser


def test_pages_need_a_session_and_send_the_browser_to_sign_in(anonymous: Browser) -> None:
    response = anonymous.get("/console/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/signin?next=")


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
    assert "Content-Security-Policy" in tree.headers
