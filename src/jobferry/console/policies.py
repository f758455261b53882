"""Administration page of policies: the workspace's policy and each route's, their versions,
and the editor (JSON or YAML; each save a new version)."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from fastapi import APIRouter, Response

from jobferry.console.admin import AdminPage
from jobferry.console.fixes import said
from jobferry.console.missing import ROUTES, looked_up
from jobferry.console.web import FormDep, Page, PageDep, raw, read_at, read_fields, render, text
from jobferry.domain.enums import Role
from jobferry.errors import (
    JobferryError,
    PolicyNotFoundError,
    RouteNotFoundError,
    VersionMovedError,
)
from jobferry.services.policies.service import PolicyVersion

router = APIRouter()


@dataclass(frozen=True, kw_only=True)
class PoliciesContext(AdminPage):
    """The workspace's and the routes' policies, the one selected with its versions (``route``
    empty: the workspace's), the routes a policy may be kept for, and the editor's draft."""

    template = "admin_policies.html"
    policies: list[PolicyVersion]
    route: str
    versions: list[PolicyVersion]
    routes: list[str]
    draft: str
    read: dict[str, str]
    """What the draft was read at (``console.web.read_fields``)."""


def _policies_page(
    page: Page,
    *,
    route: str = "",
    draft: str | None = None,
    read: dict[str, str] | None = None,
    error: str = "",
    message: str = "",
    status_code: int = 200,
) -> Response:
    page.scope.require((Role.ADMIN,), "administer policies")
    services = page.services
    try:
        versions = services.policies.versions(page.scope, route or None)
    except PolicyNotFoundError:
        versions = []
    except RouteNotFoundError:
        if draft is None:  # asked by its address: the 404 page (``policies``)
            raise
        versions = []  # a post for a route removed since: its refusal says so, the text kept
    if draft is None:
        newest = versions[0].document if versions else None
        draft = orjson.dumps(newest, option=orjson.OPT_INDENT_2).decode() if newest else ""
        read = read_fields(_key(route), versions[0].version if versions else 0)
    context = PoliciesContext(
        page=page,
        policies=services.policies.list_all(page.scope),
        route=route,
        versions=versions,
        routes=[r.route.name for r in services.routes.list_all(page.scope)],
        draft=draft,
        read=read or read_fields(),
        error=error,
        message=message,
    )
    return render(page.request, context, status_code=status_code)


@router.get("/w/{workspace_id}/admin/policies")
def policies(page: PageDep, route: str = "") -> Response:
    """Policies: the workspace's (or ``route``'s) with its versions, and the editor."""
    with looked_up(page, ROUTES):
        return _policies_page(page, route=route)


@router.post("/w/{workspace_id}/admin/policies")
def save_policy(page: PageDep, form: FormDep) -> Response:
    """Save a new version of the workspace's policy, or of the route's the form names."""
    route, document = text(form, "route"), raw(form, "document")
    read = read_fields(form=form)
    try:
        body, expected = document.encode() or b"{}", read_at(form, _key(route))
        saved = page.services.policies.put(page.scope, route or None, body, expected)
    except JobferryError as exc:
        if isinstance(exc, VersionMovedError):  # sent again, it saves over the newest
            read = read_fields(_key(route), exc.context.get("version"))
        return _policies_page(
            page, route=route, draft=document, read=read, error=said(exc), status_code=exc.status
        )
    return _policies_page(
        page,
        route=route,
        message=f"Saved the policy of {saved.holder_kind} '{saved.holder}' as version "
        f"{saved.version}.",
    )


def _key(route: str) -> str:
    """Whose policy the editor holds, as its hidden ``read_of`` names it."""
    return f"route/{route}" if route else "workspace"
