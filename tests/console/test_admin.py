"""Administration pages: environment objects, users and roles, workspace settings."""

from __future__ import annotations

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from support.console import PASSWORD, Browser, admin_scope, make_user, seed


def test_environment_objects_are_saved_with_write_only_secrets(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    url = f"/console/w/{scope.workspace.id}/admin/environment"
    assert "connection" in browser.get(url).text
    saved = browser.post(
        url,
        {
            "kind": "connection",
            "name": "dws_prod",
            "type": "DWS",
            "config": '{"host": "10.1.1.1"}',
            "secrets": "password=top-secret-value\n",
        },
    )
    assert saved.status_code == 200
    assert "Saved connection" in saved.text
    assert "top-secret-value" not in saved.text
    assert "password: set" in saved.text
    stored = services.environment.get(scope, "connection", "dws_prod")
    assert stored["config"] == {"host": "10.1.1.1"}
    assert stored["secrets"] == {"password": "set"}

    edit = browser.get(url, params={"edit_kind": "connection", "edit_name": "dws_prod"})
    assert "10.1.1.1" in edit.text
    assert "top-secret-value" not in edit.text
    browser.post(
        url,
        {"kind": "connection", "name": "dws_prod", "type": "DWS", "config": "{}", "secrets": ""},
    )
    assert services.environment.get(scope, "connection", "dws_prod")["secrets"] == {
        "password": "set"
    }

    bad = browser.post(url, {"kind": "connection", "name": "x", "type": "DWS", "config": "[1]"})
    assert bad.status_code == 400
    assert "Config must be a JSON object" in bad.text
    bad_secret = browser.post(
        url, {"kind": "connection", "name": "x", "type": "DWS", "secrets": "no equals sign"}
    )
    assert bad_secret.status_code == 400
    assert "key=value" in bad_secret.text


def test_removing_an_object_in_use_is_refused_inline(browser: Browser, services: Services) -> None:
    scope = admin_scope(services)
    seed(services, scope)
    url = f"/console/w/{scope.workspace.id}/admin/environment/delete"
    browser.get(f"/console/w/{scope.workspace.id}/admin/environment")
    refused = browser.post(url, {"kind": "connection", "name": "dws_conn"})
    assert refused.status_code == 400
    assert "referenced by job(s) daily_sales" in refused.text
    services.environment.put(scope, "dli_queue", "q1", {"type": "DLI", "config": {}})
    removed = browser.post(url, {"kind": "dli_queue", "name": "q1"})
    assert "Removed dli_queue" in removed.text


def test_users_are_created_given_roles_and_passwords(
    browser: Browser, anonymous_client_browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    url = f"/console/w/{scope.workspace.id}/admin/users"
    assert "admin" in browser.get(url).text
    assert "Created user" in browser.post(url, {"action": "create", "user": "carol"}).text
    granted = browser.post(url, {"action": "grant", "user": "carol", "role": "developer"})
    assert "is now developer" in granted.text
    short = browser.post(url, {"action": "password", "user": "carol", "password": "short"})
    assert short.status_code == 400
    done = browser.post(url, {"action": "password", "user": "carol", "password": PASSWORD})
    assert "Set the console password" in done.text
    assert anonymous_client_browser.sign_in("carol").status_code == 303
    revoked = browser.post(url, {"action": "revoke", "user": "carol"})
    assert "has no role" in revoked.text
    taken = browser.post(url, {"action": "create", "user": "carol"})
    assert taken.status_code == 400
    assert "already exists" in taken.text


def test_workspace_settings_change_the_lock_policy_and_show_limits(
    browser: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    url = f"/console/w/{scope.workspace.id}/admin/settings"
    page = browser.get(url).text
    assert "Names per name-list export" in page
    saved = browser.post(url, {"lockPolicy": "hard", "approvalEnabled": "on"})
    assert saved.status_code == 303
    assert "Settings saved" in browser.get(saved.headers["location"]).text
    ws = admin_scope(services).workspace
    assert ws.lock_policy == "hard"
    assert ws.approval_enabled is True
    bad = browser.post(url, {"lockPolicy": "sometimes"})
    assert bad.status_code == 400
    assert "lockPolicy" in bad.text


def test_admin_pages_refuse_developers_and_users_page_refuses_workspace_admins(
    anonymous: Browser, services: Services
) -> None:
    scope = admin_scope(services)
    ws = scope.workspace.id
    make_user(services, "dev", Role.DEVELOPER)
    make_user(services, "wsadmin", Role.ADMIN)
    anonymous.sign_in("dev")
    for path in ("/admin/environment", "/admin/settings", "/admin/users"):
        assert anonymous.get(f"/console/w/{ws}{path}").status_code == 403, path
    posted = anonymous.post(
        f"/console/w/{ws}/admin/environment", {"kind": "connection", "name": "x", "type": "T"}
    )
    assert posted.status_code == 403
    anonymous.client.cookies.clear()
    anonymous.sign_in("wsadmin")
    assert anonymous.get(f"/console/w/{ws}/admin/environment").status_code == 200
    assert "Users and roles" not in anonymous.get(f"/console/w/{ws}/admin/settings").text
    users = anonymous.get(f"/console/w/{ws}/admin/users")
    assert users.status_code == 403
    assert "not a project admin" in users.text


def test_admin_forms_need_the_csrf_token(browser: Browser, services: Services) -> None:
    ws = admin_scope(services).workspace.id
    for path in (
        "/admin/environment",
        "/admin/environment/delete",
        "/admin/users",
        "/admin/settings",
    ):
        assert browser.post(f"/console/w/{ws}{path}", {}, csrf=False).status_code == 403, path
