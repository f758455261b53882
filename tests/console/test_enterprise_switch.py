"""The workspace settings page's switch to enterprise mode: workspace admins only, confirmed
by ticking that it cannot be undone; the Releases pages of a workspace in simple mode name it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from jobferry.domain.enums import Role
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.console import (
    Browser,
    admin_scope,
    assert_page,
    main_text,
    make_user,
    sign_in_as,
)


def _mode(services: Services, scope: Scope) -> str | None:
    """The production side's id of the workspace, read again (``None``: simple mode)."""
    return admin_scope(services, scope.workspace.id).workspace.production_id


def test_an_admin_switches_to_enterprise_mode_once_they_tick_that_it_cannot_be_undone(
    browser: Browser, services: Services, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/settings"
    production = f"{scope.workspace.name} (production)"
    page = browser.get(url)
    said = " ".join(main_text(page.text).split())
    assert "Simple mode" in said
    assert f"Enterprise mode gives the workspace a production side, {production}" in said
    assert "This cannot be undone" in said
    assert "Switch to enterprise mode" in said
    assert "I understand this cannot be undone" in said
    assert f"It creates its production side {production}; this cannot be undone." in page.text

    unticked = browser.post(f"{url}/enterprise", {})
    assert_page(unticked, 400, "Nothing was changed: tick")
    assert _mode(services, scope) is None

    switched = browser.post(f"{url}/enterprise", {"understood": "on"})
    assert switched.status_code == 303, switched.text
    production_id = _mode(services, scope)
    assert production_id is not None
    after = browser.get(switched.headers["location"]).text
    said = " ".join(main_text(after).split())
    assert "The workspace is in enterprise mode" in said
    assert f"what is submitted here reaches its production side, {production}" in said
    assert f'href="/console/w/{production_id}/jobs"' in after
    assert "Switch to enterprise mode" not in said
    # what the workspace held before has no pending item: the card says how it gets there
    assert "What this workspace submitted before the switch has no pending item" in said
    assert f'href="/console/w/{scope.workspace.id}/export/workspace"' in after
    assert "with the target status Production" in said
    assert browser.get(f"/console/w/{scope.workspace.id}/releases/pending").status_code == 200


def test_the_switch_with_approval_on_is_refused_saying_where_to_turn_it_off(
    browser: Browser, services: Services, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/settings"
    assert browser.post(url, {"lockPolicy": "soft", "approvalEnabled": "on"}).status_code == 303
    refused = browser.post(f"{url}/enterprise", {"understood": "on"})
    assert_page(refused, 400, "has approval switched on")
    said = " ".join(main_text(refused.text).split())
    assert "Untick Approval under Admin → Workspace settings and save" in said
    assert "approvalEnabled" not in said
    assert "PUT" not in said
    assert _mode(services, scope) is None


def test_only_workspace_admins_see_and_use_the_switch(
    anonymous: Browser, services: Services, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/settings"
    sign_in_as(anonymous, services, "dev", Role.DEVELOPER)
    assert anonymous.get(url).status_code == 403
    assert anonymous.post(f"{url}/enterprise", {"understood": "on"}).status_code == 403
    assert _mode(services, scope) is None

    make_user(services, "wsadmin", Role.ADMIN)
    anonymous.client.cookies.clear()
    anonymous.sign_in("wsadmin")
    assert "Switch to enterprise mode" in anonymous.get(url).text
    switched = anonymous.post(f"{url}/enterprise", {"understood": "on"})
    assert switched.status_code == 303, switched.text
    assert _mode(services, scope) is not None


def test_the_switch_needs_the_csrf_token(
    browser: Browser, services: Services, scope: Scope
) -> None:
    url = f"/console/w/{scope.workspace.id}/admin/settings/enterprise"
    assert browser.post(url, {"understood": "on"}, csrf=False).status_code == 403
    assert _mode(services, scope) is None


def test_a_production_side_s_settings_name_its_workspace_and_offer_no_switch(
    browser: Browser, services: Services, scope: Scope, client: TestClient
) -> None:
    services.releases.switch_to_enterprise(scope)
    production_id = _mode(services, scope)
    page = browser.get(f"/console/w/{production_id}/admin/settings")
    assert page.status_code == 200, page.text
    said = " ".join(main_text(page.text).split())
    assert f"Production side of workspace {scope.workspace.name}" in said
    assert "Switch to enterprise mode" not in said
