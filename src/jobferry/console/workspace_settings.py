"""The workspace's settings page (workspace admins): its lock policy, approval of submits,
signed packages only, the switch to enterprise mode (one way, confirmed), and the server's
limits."""

from __future__ import annotations

from dataclasses import dataclass, replace

from fastapi import APIRouter, Response

from jobferry.console.admin import AdminPage
from jobferry.console.fixes import said
from jobferry.console.limits import server_limits
from jobferry.console.web import FormDep, Page, PageDep, redirect, render, text
from jobferry.domain.enums import LockPolicy, Role
from jobferry.domain.releases import PRODUCTION_SUFFIX
from jobferry.errors import JobferryError
from jobferry.services.workspaces.settings import parse_workspace_settings
from jobferry.storage.records import WorkspaceRecord

router = APIRouter()
LOCK_POLICIES = tuple(p.value for p in LockPolicy)
"""The lock policies the form offers."""


@dataclass(frozen=True, kw_only=True)
class SettingsContext(AdminPage):
    """The workspace's settings, the lock policies to choose from, and the server's limits
    (label, value)."""

    template = "admin_settings.html"
    workspace: WorkspaceRecord
    policies: list[str]
    limits: list[tuple[str, str]]
    production_name: str
    """The name the workspace's production side has (or takes, switched to enterprise mode)."""
    chosen: Chosen
    """What the form shows chosen: the workspace's settings, or those of a refused post."""


@dataclass(frozen=True)
class Chosen:
    """The settings form's choices: a lock policy, the approval and signed-packages boxes."""

    lock_policy: str
    approval_enabled: bool
    require_signed: bool

    @classmethod
    def of(cls, workspace: WorkspaceRecord) -> Chosen:
        """What ``workspace`` holds."""
        return cls(workspace.lock_policy, workspace.approval_enabled, workspace.require_signed)


def _settings_page(
    page: Page,
    *,
    error: str = "",
    message: str = "",
    status_code: int = 200,
    chosen: Chosen | None = None,
) -> Response:
    page.scope.require((Role.ADMIN,), "change workspace settings")
    limits = server_limits(page.services.settings)
    workspace = page.scope.workspace
    context = SettingsContext(
        page=page,
        workspace=workspace,
        chosen=chosen or Chosen.of(workspace),
        policies=list(LOCK_POLICIES),
        limits=limits,
        production_name=f"{page.scope.workspace.name}{PRODUCTION_SUFFIX}",
        error=error,
        message=message,
    )
    return render(page.request, context, status_code=status_code)


SETTINGS_SAID = {
    "saved": "Settings saved.",
    "enterprise": "The workspace is in enterprise mode: what is submitted here reaches its "
    "production side when a release package holding it is deployed (Releases).",
}
"""What the settings page says after a change, by its ``done`` query parameter."""


@router.get("/w/{workspace_id}/admin/settings")
def settings_page(page: PageDep, saved: str = "", done: str = "") -> Response:
    """Workspace settings (lock policy, approval, signed packages, enterprise mode) and the
    server's limits."""
    return _settings_page(page, message=SETTINGS_SAID.get("saved" if saved else done, ""))


@router.post("/w/{workspace_id}/admin/settings/enterprise")
def switch_to_enterprise(page: PageDep, form: FormDep) -> Response:
    """Switch the workspace to enterprise mode (workspace admins), once the admin ticked that
    it cannot be undone; refused, the settings page says why and nothing changed."""
    if text(form, "understood") != "on":
        return _settings_page(
            page,
            error="Nothing was changed: tick “I understand this cannot be undone” to switch "
            "the workspace to enterprise mode.",
            status_code=400,
        )
    try:
        page.services.releases.switch_to_enterprise(page.scope)
    except JobferryError as exc:
        return _settings_page(page, error=said(exc), status_code=exc.status)
    return redirect(page.url("/admin/settings?done=enterprise"))


@router.post("/w/{workspace_id}/admin/settings")
def save_settings(page: PageDep, form: FormDep, workspace_id: str) -> Response:
    """Change the workspace's lock policy, approval switch and signed-packages rule."""
    actor = page.session.actor
    chosen = Chosen(
        text(form, "lockPolicy"),
        text(form, "approvalEnabled") == "on",
        text(form, "requireSigned") == "on",
    )
    if chosen.lock_policy not in LOCK_POLICIES:
        kept = replace(chosen, lock_policy=page.scope.workspace.lock_policy)
        error = (
            f"Nothing was changed: choose the lock policy, {' or '.join(LOCK_POLICIES)} (the "
            "form sent none it offers; reload the page if it looks out of date)."
        )
        return _settings_page(page, error=error, status_code=400, chosen=kept)
    body = {
        "lockPolicy": chosen.lock_policy,
        "approvalEnabled": chosen.approval_enabled,
        "requireSigned": chosen.require_signed,
    }
    try:
        change = parse_workspace_settings(body)
        page.services.accounts.update_workspace(actor, actor.project_id, workspace_id, change)
    except JobferryError as exc:
        return _settings_page(page, error=said(exc), status_code=exc.status, chosen=chosen)
    # The page's scope was read before the change; read the workspace again.
    return redirect(page.url("/admin/settings?saved=1"))
