"""Administration pages: environment objects, users and roles, workspace settings."""

from __future__ import annotations

import re

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.busy import short_busy_wait, write_lock_held
from support.clients import PROJECT_ID
from support.console import (
    PASSWORD,
    Browser,
    admin_actor,
    admin_scope,
    assert_page,
    main_text,
    make_user,
    sign_in_as,
)
from test_wording import api_terms


def test_environment_objects_are_saved_with_write_only_secrets(
    browser: Browser, services: Services, scope: Scope
) -> None:
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
    assert_page(saved, 200, "Saved connection", "password: set")
    assert "top-secret-value" not in saved.text
    stored = services.environment.get(scope, "connection", "dws_prod")
    assert stored.config == {"host": "10.1.1.1"}
    assert stored.secret_keys == ("password",)

    edit = browser.get(url, params={"edit_kind": "connection", "edit_name": "dws_prod"})
    assert "10.1.1.1" in edit.text
    assert "top-secret-value" not in edit.text
    browser.post(
        url,
        {"kind": "connection", "name": "dws_prod", "type": "DWS", "config": "{}", "secrets": ""},
    )
    assert services.environment.get(scope, "connection", "dws_prod").secret_keys == ("password",)

    bad = browser.post(url, {"kind": "connection", "name": "x", "type": "DWS", "config": "[1]"})
    assert_page(bad, 400, "Config must be a JSON object")
    bad_secret = browser.post(
        url, {"kind": "connection", "name": "x", "type": "DWS", "secrets": "no equals sign"}
    )
    assert_page(bad_secret, 400, "key=value")


def test_environment_objects_show_their_config_with_chinese_text_as_typed(
    browser: Browser, services: Services, scope: Scope
) -> None:
    config = {"host": "10.1.1.1", "note": "生产库 <主> & 'b'"}
    services.environment.put(scope, "connection", "dws_cn", {"type": "DWS", "config": config})
    page = browser.get(f"/console/w/{scope.workspace.id}/admin/environment")
    shown = '<code>{"host": "10.1.1.1", "note": "生产库 &lt;主&gt; &amp; &#39;b&#39;"}</code>'
    assert_page(page, 200, shown)
    assert "\\u751f" not in page.text  # not the escapes of tojson


def test_removing_an_object_in_use_is_refused_inline(
    browser: Browser, services: Services, seeded: Scope
) -> None:
    url = f"/console/w/{seeded.workspace.id}/admin/environment/delete"
    browser.get(f"/console/w/{seeded.workspace.id}/admin/environment")
    refused = browser.post(url, {"kind": "connection", "name": "dws_conn"})
    assert_page(refused, 400, "referenced by job(s) daily_sales")
    services.environment.put(seeded, "dli_queue", "q1", {"type": "DLI", "config": {}})
    removed = browser.post(url, {"kind": "dli_queue", "name": "q1"})
    assert "Removed dli_queue" in removed.text


def test_users_are_created_given_roles_and_passwords(
    browser: Browser, anonymous_client_browser: Browser, services: Services, scope: Scope
) -> None:
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
    assert_page(browser.post(url, {"action": "create", "user": "carol"}), 400, "already exists")


def test_a_user_is_removed_once_the_box_is_ticked_and_is_signed_out(
    browser: Browser, anonymous_client_browser: Browser, services: Services, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/users"
    make_user(services, "carol", Role.DEVELOPER)
    assert anonymous_client_browser.sign_in("carol").status_code == 303
    page = browser.get(url).text
    assert "Remove a user" in page
    assert "<option>carol</option>" in page.split("Remove a user")[1]
    assert "<option>admin</option>" not in page.split("Remove a user")[1]  # not oneself

    unticked = browser.post(url, {"action": "remove", "user": "carol"})
    assert_page(unticked, 400, "was not removed: tick the box")
    assert "carol" in [
        u.name for u in services.accounts.list_users(admin_actor(services), PROJECT_ID)
    ]

    removed = browser.post(url, {"action": "remove", "user": "carol", "confirm": "on"})

    assert "Removed user &#39;carol&#39;: 0 access key(s), 1 role(s), 1 console session(s)" in (
        removed.text
    )
    users = services.accounts.list_users(admin_actor(services), PROJECT_ID)
    assert [u.name for u in users] == ["admin"]
    assert anonymous_client_browser.get(url).status_code in (303, 401)
    own = browser.post(url, {"action": "remove", "user": "admin", "confirm": "on"})
    assert_page(own, 400, "cannot remove themselves")
    last = browser.post(url, {"action": "not_project_admin", "user": "admin"})
    assert_page(
        last, 400, "last admin", "Make another user a project admin first: choose them under"
    )
    browser.post(url, {"action": "create", "user": "dan"})
    made = browser.post(url, {"action": "project_admin", "user": "dan"})
    assert "User &#39;dan&#39; is a project admin." in made.text
    listed = services.accounts.list_users(admin_actor(services), PROJECT_ID)
    assert [(u.name, u.project_admin) for u in listed] == [("admin", True), ("dan", True)]


def test_a_refused_new_user_keeps_the_name_typed(browser: Browser, scope: Scope) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/users"
    browser.get(url)

    refused = browser.post(url, {"action": "create", "user": "carol smith"})

    assert_page(refused, 400, "is not allowed", "e.g. &#39;carol_smith&#39;")
    assert '<input name="user" value="carol smith" required>' in refused.text


def test_a_refused_key_to_trust_keeps_what_was_typed_and_says_it_in_the_forms_words(
    browser: Browser, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/keys"
    browser.get(url)

    bad = browser.post(url, {"action": "trust", "name": "test env", "publicKey": "ed25519:nope"})

    assert_page(bad, 400, "The public key is not usable")
    assert "publicKey is" not in bad.text
    assert 'name="name" value="test env"' in bad.text
    assert 'name="publicKey" value="ed25519:nope"' in bad.text


def test_workspace_settings_change_the_lock_policy_and_show_limits(
    browser: Browser, services: Services, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/settings"
    page = browser.get(url).text
    assert "Names per name-list export" in page
    saved = browser.post(url, {"lockPolicy": "hard", "approvalEnabled": "on"})
    assert saved.status_code == 303
    assert "Settings saved" in browser.get(saved.headers["location"]).text
    ws = admin_scope(services).workspace  # read again
    assert ws.lock_policy == "hard"
    assert ws.approval_enabled is True
    assert_page(browser.post(url, {"lockPolicy": "sometimes"}), 400, "choose the lock policy")


def test_a_refused_settings_post_says_why_in_the_forms_words_and_keeps_the_choices(
    browser: Browser, services: Services, scope: Scope
) -> None:
    """A lock policy the form does not offer (a form from before a change, a hand-made post)
    was refused as "lockPolicy '' is not valid", the API's field; and a refused post showed
    the workspace's settings again, not the boxes as ticked."""
    url = f"/console/w/{scope.workspace.id}/admin/settings"
    browser.get(url)
    blank = browser.post(url, {"lockPolicy": "", "requireSigned": "on"})
    assert_page(blank, 400, "Nothing was changed: choose the lock policy, soft or hard")
    assert not api_terms(main_text(blank.text).split("Save settings")[0])
    assert re.search(r'name="requireSigned" checked', blank.text)  # as ticked
    assert '<option value="soft" selected>' in blank.text  # the workspace's, as none was sent
    services.releases.switch_to_enterprise(admin_scope(services))
    refused = browser.post(url, {"lockPolicy": "hard", "approvalEnabled": "on"})
    assert_page(refused, 400, "is in enterprise mode, which has no review of submissions")
    assert re.search(r'name="approvalEnabled" checked', refused.text)
    assert '<option value="hard" selected>' in refused.text
    ws = admin_scope(services).workspace
    assert (ws.lock_policy, ws.approval_enabled, ws.require_signed) == ("soft", False, False)


def test_each_settings_checkbox_reads_as_one_label(browser: Browser, scope: Scope) -> None:
    """A choice's label is laid out as a row of flex items: its words and the link among them
    are one item beside the checkbox, not three columns split around the link."""
    page = browser.get(f"/console/w/{scope.workspace.id}/admin/settings").text
    labels = re.findall(r'<label class="choice">(.*?)</label>', page, re.S)
    assert len(labels) == 3, labels  # approval, signed packages, enterprise mode's "I understand"
    for label in labels:
        after = re.sub(r"^<input [^>]*>\s*", "", label)
        assert re.fullmatch(r"[^<]*|<span>.*</span>", after, re.S), label  # words, or one span
    assert "<span>Require signed packages: imports of packages without" in page


def test_admin_pages_refuse_developers_and_users_page_refuses_workspace_admins(
    anonymous: Browser, services: Services, scope: Scope
) -> None:
    ws = scope.workspace.id
    sign_in_as(anonymous, services, "dev", Role.DEVELOPER)
    make_user(services, "wsadmin", Role.ADMIN)
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
    assert_page(anonymous.get(f"/console/w/{ws}/admin/users"), 403, "not a project admin")


def test_admin_forms_need_the_csrf_token(
    browser: Browser, services: Services, scope: Scope
) -> None:
    ws = scope.workspace.id
    for path in (
        "/admin/environment",
        "/admin/environment/delete",
        "/admin/users",
        "/admin/settings",
        "/admin/settings/enterprise",
    ):
        assert browser.post(f"/console/w/{ws}{path}", {}, csrf=False).status_code == 403, path


def test_a_form_beside_an_import_s_write_lock_says_the_database_is_busy(
    browser: Browser, services: Services, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/users"
    with short_busy_wait(services.db), write_lock_held(services.db.url):
        assert "admin" in browser.get(url).text  # pages read beside the lock
        refused = browser.post(url, {"action": "create", "user": "carol"})
    assert_page(
        refused,
        503,
        "The database is busy with another write",
        "Try again in 1 s or once that import ends",
    )
    assert "carol" not in browser.get(url).text


def test_a_form_asking_for_an_action_its_page_has_not_says_what_to_do(
    browser: Browser, scope: Scope
) -> None:
    """A post naming no action of the page (an older page's form, a hand-made post) was
    answered "Unknown action 'bogus'.", saying nothing of what to do."""
    for path in ("/admin/users", "/admin/keys"):
        url = f"/console/w/{scope.workspace.id}{path}"
        browser.get(url)
        refused = browser.post(url, {"action": "bogus", "user": "ana"})
        assert_page(refused, 400, "Nothing was changed: the form asked for “bogus”")
        assert "reload the page and use its buttons" in refused.text


def _entries(services: Services, scope: Scope) -> list[tuple[str, str]]:
    listed = services.audit.list_entries(scope, 100, 0).entries
    return [(e.action, e.object_name) for e in listed]


def test_a_workspace_admin_who_is_not_a_project_admin_is_refused_the_users_form_unchanged(
    anonymous: Browser, services: Services, scope: Scope
) -> None:
    """Before: a workspace admin's *Grant role* gave the role, then answered 403 (the page it
    showed next lists users, which takes a project admin): refused, yet changed."""
    ws = scope.workspace.id
    make_user(services, "viv", Role.VIEWER)
    sign_in_as(anonymous, services, "wsadmin", Role.ADMIN)
    entries = _entries(services, scope)
    for action in ("grant", "revoke", "bogus"):
        form = {"action": action, "user": "viv", "role": "developer"}
        refused = anonymous.post(f"/console/w/{ws}/admin/users", form)
        assert_page(refused, 403, "not a project admin")
    users = services.accounts.list_users(admin_actor(services), PROJECT_ID)
    viv = next(u for u in users if u.name == "viv")
    assert [r.role.value for r in viv.roles] == ["viewer"]
    assert _entries(services, scope) == entries


def test_granting_the_role_a_user_holds_already_writes_no_audit_entry(
    browser: Browser, services: Services, scope: Scope
) -> None:
    """Before: each *Grant role* of the role held already wrote a ``role.set`` entry."""
    url = f"/console/w/{scope.workspace.id}/admin/users"
    make_user(services, "viv", Role.VIEWER)
    entries = _entries(services, scope)
    again = browser.post(url, {"action": "grant", "user": "viv", "role": "viewer"})
    assert_page(again, 200, "User &#39;viv&#39; is now viewer")
    assert _entries(services, scope) == entries
    browser.post(url, {"action": "grant", "user": "viv", "role": "developer"})
    assert _entries(services, scope) == [("role.set", "viv"), *entries]


def test_saving_the_settings_unchanged_writes_no_audit_entry(
    browser: Browser, services: Services, scope: Scope
) -> None:
    """Before: each *Save* of the settings as they were wrote a ``workspace.update`` entry."""
    url = f"/console/w/{scope.workspace.id}/admin/settings"
    entries = _entries(services, scope)
    assert browser.post(url, {"lockPolicy": scope.workspace.lock_policy}).status_code == 303
    assert _entries(services, scope) == entries
    assert browser.post(url, {"lockPolicy": "hard"}).status_code == 303
    assert [a for a, _ in _entries(services, scope)] == [
        "workspace.update",
        *[a for a, _ in entries],
    ]


def test_a_role_that_may_not_edit_environment_objects_is_refused_before_the_object_is_read(
    anonymous: Browser, services: Services, scope: Scope
) -> None:
    """Before: the edit link of an object not there (or of no kind) answered a developer 400
    saying so, rather than the 403 every other object's link answers them."""
    ws = scope.workspace.id
    sign_in_as(anonymous, services, "dev", Role.DEVELOPER)
    for kind, name in (("connection", "gone"), ("bogus", "x")):
        params = {"edit_kind": kind, "edit_name": name}
        refused = anonymous.get(f"/console/w/{ws}/admin/environment", params=params)
        assert_page(refused, 403, "may not administer environment objects")


def test_an_admin_page_address_naming_something_gone_answers_the_404_page(
    browser: Browser, scope: Scope
) -> None:
    """Before: a route's policy, a profile or an environment object named in the address and
    not there answered 400 *Cannot do that*."""
    ws = scope.workspace.id
    for path, params, back in (
        ("/admin/policies", {"route": "gone"}, "Back to Routes"),
        ("/admin/profiles", {"name": "gone"}, "Back to Environment profiles"),
        (
            "/admin/environment",
            {"edit_kind": "connection", "edit_name": "gone"},
            "Back to Environment objects",
        ),
    ):
        answer = browser.get(f"/console/w/{ws}{path}", params=params)
        assert_page(answer, 404, "Not found", back)


def test_saving_an_environment_object_as_it_is_writes_no_audit_entry(
    browser: Browser, services: Services, scope: Scope
) -> None:
    """Before: each *Save* of an object as it was wrote an ``environment.update`` entry."""
    url = f"/console/w/{scope.workspace.id}/admin/environment"
    form = {"kind": "connection", "name": "c1", "type": "DWS", "config": '{"host": "h1"}'}
    assert_page(browser.post(url, {**form, "secrets": "password=pw-1234567\n"}), 200, "Saved")
    entries = _entries(services, scope)
    assert_page(browser.post(url, form), 200, "Saved connection")
    assert_page(browser.post(url, {**form, "secrets": "password=pw-1234567\n"}), 200, "Saved")
    assert _entries(services, scope) == entries
    browser.post(url, {**form, "secrets": "password=another-one\n"})
    browser.post(url, {**form, "config": '{"host": "h2"}'})
    assert _entries(services, scope)[:2] == [("environment.update", "c1")] * 2


def test_the_removal_box_names_the_packages_a_removal_leaves_short_of_approvers(
    browser: Browser, services: Services, scope: Scope
) -> None:
    """The box to tick names, by user, the waiting release package whose only approver they
    are, with what to do after; the removal's message names it again."""
    from support.releases import connected_team, make_package, submit_job

    team = connected_team(services)
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    name = team.deployer.actor.name
    url = f"/console/w/{scope.workspace.id}/admin/users"

    box = " ".join(browser.get(url).text.split("Remove a user")[1].split())

    assert "Some removals leave routes or waiting release packages with too few" in box
    assert (
        f"{name}: release package {package} (p1) in workspace sales — without {name}, 0 of "
        "its 1 approver(s) can approve where 1 are required; then revoke it on its page "
        "(Releases → Packages) and package its items again (Releases → Pending items)"
    ) in box
    removed = browser.post(url, {"action": "remove", "user": name, "confirm": "on"})
    said = " ".join(removed.text.split())
    assert f"Left with too few approvers: release package {package} (p1);" in said
    assert "Some removals leave" not in said  # nothing is left to name
