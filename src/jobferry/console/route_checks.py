"""The Routes page form's checks against what this server holds: the route it would save
over, the target workspace's profiles and members (approvers), said with the form's labels
before the service's own checks; and what of a route the viewer may do."""

from __future__ import annotations

from typing import Any

from jobferry.console.route_approvals import members_of
from jobferry.console.route_form import CARRIED, INLINE, RouteDraft
from jobferry.console.web import Page
from jobferry.domain.routes import Route, RouteError, parse_route
from jobferry.errors import InvalidRequestError, RouteNotFoundError
from jobferry.services.accounts.records import Workspace
from jobferry.services.context import WRITERS
from jobferry.services.routes.service import RouteVersion


def may_edit_routes(page: Page) -> bool:
    """Whether the viewer changes routes (a project admin)."""
    return page.session.actor.is_project_admin


def may_promote(page: Page, route: Route | None) -> bool:
    """Whether *Promote now* of a saved route is the viewer's to run: they write in both
    ends (a project admin everywhere)."""
    if route is None:
        return False
    return all(_writes_in(page, end) for end in (route.source.workspace, route.target.workspace))


def may_import(page: Page, route: Route | None) -> bool:
    """Whether a saved route's waiting promotion's *Plan and import* is the viewer's: they
    write in its target (a viewer there would be refused)."""
    return route is not None and _writes_in(page, route.target.workspace)


def _writes_in(page: Page, workspace: str | None) -> bool:
    """Whether the viewer writes in a workspace named by name or id (a project admin in
    every one)."""
    writes = {key for ws in page.workspaces if ws.role in WRITERS for key in (ws.name, ws.id)}
    return page.session.actor.is_project_admin or workspace in writes


def existing_route(page: Page, name: str) -> RouteVersion | None:
    """The newest version of route ``name`` (``None``: there is none)."""
    try:
        return page.services.routes.get(page.scope, name)
    except RouteNotFoundError:
        return None


def route_document(page: Page, draft: RouteDraft, creating: bool) -> dict[str, Any]:
    """The document to save: refused when a new route would replace one of the same name, or
    when it would keep an inline profile the route does not have."""
    existing = existing_route(page, draft.name) if draft.name else None
    if creating and existing is not None:
        raise InvalidRequestError(
            f"A route named '{draft.name}' already exists; open it from the Routes page to "
            "change it, or give this one another name."
        )
    inline = existing.route.profile if existing is not None else None
    if draft.profile == INLINE and not isinstance(inline, dict):
        raise InvalidRequestError(
            f"Route '{draft.name}' has no profile written in it to keep; pick a profile of "
            "the target workspace, or none."
        )
    document = draft.document(inline if isinstance(inline, dict) else None)
    foreign = [p for p in (_foreign_profile(page, draft), _strangers(page, draft)) if p]
    if foreign:
        try:
            parse_route(draft.name, document)
            problems = []
        except RouteError as exc:  # said together with the server's own problems
            problems = exc.problems
        raise InvalidRequestError(
            f"Route '{draft.name}' is invalid.", route=draft.name, problems=[*problems, *foreign]
        )
    return document


def _target(page: Page, draft: RouteDraft) -> Workspace | None:
    """The workspace of this server the form names as the target (``None``: none)."""
    if draft.target == CARRIED:
        return None
    return next((w for w in page.workspaces if draft.target in (w.id, w.name)), None)


def _strangers(page: Page, draft: RouteDraft) -> str | None:
    """Why approvers chosen cannot approve: they have no role in the target workspace, where
    its plans are approved (``None``: they all have one, or the target is not here)."""
    target = _target(page, draft)
    if target is None or not draft.approvers or not may_edit_routes(page):
        return None  # the service refuses who may not change routes
    there = {m.name for m in members_of(page, target)}
    strangers = [a for a in draft.approvers if a not in there]
    if not strangers:
        return None
    return (
        f"Approvers: {', '.join(strangers)} ha{'s' if len(strangers) == 1 else 've'} no role "
        f"in workspace '{target.name}', where the route's plans are approved; choose its "
        f"members (a workspace admin there grants roles under Admin → Users and roles)"
    )


def _foreign_profile(page: Page, draft: RouteDraft) -> str | None:
    """Why the profile picked is not one of the target workspace's (``None`` when it is, or
    when the form names no profile or no workspace of this server here as the target)."""
    if draft.profile in ("", INLINE):
        return None
    target = _target(page, draft)
    if target is None:
        return None  # the service says what is wrong with the target
    services, actor = page.services, page.session.actor
    scope = services.accounts.scope(actor, actor.project_id, target.id)
    if draft.profile in {p.name for p in services.profiles.list_all(scope)}:
        return None
    return (
        f"Environment profile: workspace '{target.name}' has no profile '{draft.profile}'; pick "
        f"one of its profiles, or none (its profiles are saved under Admin → Environment "
        f"profiles in '{target.name}')"
    )
