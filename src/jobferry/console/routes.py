"""The Routes page: the project's routes (the remembered paths of promotion between two
workspaces), a route's settings to create and edit, "Promote now" and its history.

"Promote now" packages what changed in the route's source since its last promotion
(``RoutePromotions.package``) and opens that package in the import wizard of the target
workspace with the route's settings (``checking.promotion_plan``): the same check and plan
steps as any import, planned by the route's use case (``RoutePlans.replan``, which keeps the
request with the promotion), whose Import is one call (``RoutePlans.apply``): it imports
exactly the plan shown and records the import on the route. Routes belong to the project, so
every workspace's Routes page lists the same ones; only project admins change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Response

from jobferry.console.checking import promotion_plan
from jobferry.console.fixes import said
from jobferry.console.route_approvals import Member, members, members_of, planned_already
from jobferry.console.route_form import (
    CARRIED,
    INLINE,
    RouteDraft,
    end_words,
    override_words,
    promotion_state,
    said_problem,
    selection_words,
    versions_changed,
)
from jobferry.console.web import (
    FormDep,
    Page,
    PageContext,
    PageDep,
    base_of,
    redirect,
    render,
    text,
    when,
)
from jobferry.domain.routes import Route, RouteError, parse_route
from jobferry.errors import (
    InvalidRequestError,
    JobferryError,
    NotSupportedError,
    RouteNotFoundError,
)
from jobferry.services.accounts.records import Workspace
from jobferry.services.context import WRITERS
from jobferry.services.routes.records import Promotion
from jobferry.services.routes.service import RouteVersion

router = APIRouter()


@dataclass(frozen=True)
class RouteRow:
    """One route in the list: its ends and selection in words, and its last promotion."""

    name: str
    description: str
    source: str
    target: str
    selection: str
    version: int
    last: Promotion | None


@dataclass(frozen=True, kw_only=True)
class RoutesContext(PageContext):
    """The project's routes, whether the viewer may change them, and what a change did."""

    template = "routes.html"
    routes: list[RouteRow]
    can_edit: bool
    message: str = ""


@dataclass(frozen=True, kw_only=True)
class RouteContext(PageContext):
    """A route's page (``saved`` is ``None`` for a new route): the settings form with the
    pickers' choices, a refusal's problems next to it, the route's versions and promotions."""

    template = "route.html"
    saved: RouteVersion | None
    draft: RouteDraft
    workspaces: list[str]
    """The names the end pickers offer."""
    profiles: dict[str, list[str]]
    """The profile picker's groups (label → profile names): each workspace's profiles (the
    target's are the ones that apply)."""
    members: dict[str, list[Member]]
    """The approvers picker's groups: each workspace's members (the target's may approve)."""
    inline: bool
    """The saved route writes its profile inline (the picker offers to keep it)."""
    can_edit: bool
    promotable: bool
    """Both ends are workspaces of this server, so promotions can run here."""
    may_promote: bool  # and the viewer writes in both: "Promote now" is theirs to run
    target_url: str
    """The console URL of the target workspace ('' when the viewer has no role there)."""
    history: list[Promotion]
    overrides: dict[str, str]
    """Promotion id → what its import changed of the route's settings, in the form's words."""
    versions: list[RouteVersion]
    changed: dict[int, str]
    """Version → what it changed of the one before, in the form's words."""
    approvals_url: str = ""
    """The Approvals page of the waiting promotion's plan, when the route requires approvals
    and its promotion was planned ('' otherwise): where its approvers sign."""
    error: str = ""
    problems: list[str]
    message: str = ""
    carried: str = CARRIED
    """The end pickers' value for an end on another server."""
    keep_inline: str = INLINE
    """The profile picker's value keeping the route's inline profile."""


def _can_edit(page: Page) -> bool:
    return page.session.actor.is_project_admin


def _names(page: Page) -> dict[str, str]:
    """Workspace id → name, for the workspaces the viewer has a role in."""
    return {ws.id: ws.name for ws in page.workspaces}


def _workspace_url(page: Page, workspace: str | None) -> str:
    """The console URL of a workspace named by name or id ('' when the viewer has none)."""
    for ws in page.workspaces:
        if workspace in (ws.id, ws.name):
            return f"{base_of(page.request)}/w/{ws.id}"
    return ""


def _row(page: Page, saved: RouteVersion) -> RouteRow:
    route = saved.route
    history = page.services.promotions.history(page.scope, route.name, limit=1)
    return RouteRow(
        name=route.name,
        description=route.description,
        source=end_words(route.source),
        target=end_words(route.target),
        selection=selection_words(route),
        version=saved.version,
        last=history[0] if history else None,
    )


@router.get("/w/{workspace_id}/routes")
def routes(page: PageDep, removed: str = "") -> Response:
    """The project's routes: ends, selection, last promotion and where it stands."""
    rows = [_row(page, saved) for saved in page.services.routes.list_all(page.scope)]
    message = f"Removed route '{removed}' with its versions and history." if removed else ""
    context = RoutesContext(page=page, routes=rows, can_edit=_can_edit(page), message=message)
    return render(page.request, context)


def _profiles(page: Page, chosen: str) -> dict[str, list[str]]:
    """The profile picker's groups: each workspace's profiles (for project admins, who
    change routes), and the chosen one when it is none of them."""
    services, actor = page.services, page.session.actor
    out: dict[str, list[str]] = {}
    if _can_edit(page):
        for ws in page.workspaces:
            scope = services.accounts.scope(actor, actor.project_id, ws.id)
            names = [p.name for p in services.profiles.list_all(scope)]
            if names:
                out[f"Profiles of {ws.name}"] = names
    listed = {name for names in out.values() for name in names}
    if chosen and chosen != INLINE and chosen not in listed:
        out["Named by the route"] = [chosen]
    return out


def _route_page(
    page: Page,
    saved: RouteVersion | None,
    *,
    draft: RouteDraft | None = None,
    error: str = "",
    problems: list[str] | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    route = saved.route if saved is not None else None
    history, versions = _history(page, route)
    target_url = _workspace_url(page, route.target.workspace) if route is not None else ""
    if draft is None:
        draft = RouteDraft.of_route(route, _names(page)) if route is not None else RouteDraft()
    context = RouteContext(
        page=page,
        saved=saved,
        draft=draft,
        workspaces=[ws.name for ws in page.workspaces],
        profiles=_profiles(page, draft.profile),
        members=members(page, draft.target),
        inline=route is not None and isinstance(route.profile, dict),
        can_edit=_can_edit(page),
        promotable=route is not None and not (route.source.carried or route.target.carried),
        may_promote=route is not None and _may_promote(page, route),
        target_url=target_url,
        history=history,
        overrides={p.id: override_words(p.overrides) for p in history if p.overrides},
        versions=versions,
        changed=versions_changed(versions),
        approvals_url=_waiting_approvals(page, route, target_url) if history else "",
        error=error,
        problems=problems or [],
        message=message,
    )
    return render(page.request, context, status_code=status_code)


def _history(page: Page, route: Route | None) -> tuple[list[Promotion], list[RouteVersion]]:
    """A saved route's promotions (the waiting one first, then newest first) and versions."""
    if route is None:
        return [], []
    promotions = page.services.promotions
    waiting = promotions.waiting(page.scope, route.name)
    history = [waiting] if waiting is not None else []
    history += promotions.history(page.scope, route.name)
    return history, page.services.routes.versions(page.scope, route.name)


def _may_promote(page: Page, route: Route) -> bool:
    """Whether *Promote now* is the viewer's to run: they write in both ends (a project
    admin everywhere)."""
    writes = {key for ws in page.workspaces if ws.role in WRITERS for key in (ws.name, ws.id)}
    ends = (route.source.workspace, route.target.workspace)
    return page.session.actor.is_project_admin or all(end in writes for end in ends)


def _waiting_approvals(page: Page, route: Route | None, target_url: str) -> str:
    """The Approvals page of the waiting promotion's newest plan ('' when the route requires
    none, none waits, its promotion was not planned, or the viewer has no role in its
    target)."""
    if route is None or not route.approvals.on or not target_url:
        return ""
    try:
        plan_id = page.services.route_plans.waiting_plan(page.scope, route.name)
    except JobferryError:  # a target the viewer may not read, a carried end
        return ""
    if plan_id is None:
        return ""
    return f"{target_url}/routes/{quote(route.name, safe='')}/plans/{plan_id}/approvals"


@router.get("/w/{workspace_id}/new-route")
def new_route(page: PageDep) -> Response:
    """The form of a new route."""
    return _route_page(page, None)


@router.get("/w/{workspace_id}/routes/{name}")
def route(page: PageDep, name: str, saved: int = 0) -> Response:
    """A route: its settings (to edit), "Promote now", its promotions and versions."""
    found = page.services.routes.get(page.scope, name)
    message = f"Saved route '{name}' as version {saved}." if saved else ""
    return _route_page(page, found, message=message)


def _existing(page: Page, name: str) -> RouteVersion | None:
    try:
        return page.services.routes.get(page.scope, name)
    except RouteNotFoundError:
        return None


def _document(page: Page, draft: RouteDraft, creating: bool) -> dict[str, Any]:
    """The document to save: refused when a new route would replace one of the same name, or
    when it would keep an inline profile the route does not have."""
    existing = _existing(page, draft.name) if draft.name else None
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
    if target is None or not draft.approvers or not _can_edit(page):
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


@router.post("/w/{workspace_id}/routes")
def save_route(page: PageDep, form: FormDep) -> Response:
    """Save the form as a new version of the route (a new route when ``creating``)."""
    draft = RouteDraft.of_form(form)
    creating = text(form, "creating") == "yes"
    try:
        document = _document(page, draft, creating)
        saved = page.services.routes.put(page.scope, draft.name, document)
    except JobferryError as exc:
        problems = [said_problem(p) for p in exc.context.get("problems") or []]
        error = (
            f"Route '{draft.name}' was not saved: fix what is listed below and save again."
            if problems
            else said(exc)
        )
        current = None if creating else _existing(page, draft.name)
        return _route_page(
            page,
            current,
            draft=draft,
            error=error,
            problems=problems,
            status_code=exc.status,
        )
    url = page.url(f"/routes/{quote(draft.name, safe='')}")
    return redirect(f"{url}?{urlencode({'saved': saved.version})}")


@router.post("/w/{workspace_id}/routes/{name}/delete")
def delete_route(page: PageDep, form: FormDep, name: str) -> Response:
    """Remove a route with its versions and its history (after the browser's confirmation)."""
    try:
        page.services.routes.delete(page.scope, name)
    except JobferryError as exc:
        found = _existing(page, name)
        if found is None:
            raise
        return _route_page(page, found, error=said(exc), status_code=exc.status)
    return redirect(page.url(f"/routes?{urlencode({'removed': name})}"))


def _nothing_changed(source: str, since: int | None) -> str:
    if since is None:
        return f"Nothing to promote: workspace '{source}' has none of the jobs the route selects."
    moment = when(since).replace("T", " ").replace("Z", " UTC")
    return f"Nothing changed in workspace '{source}' since the last promotion ({moment})."


@router.post("/w/{workspace_id}/routes/{name}/promote")
def promote(page: PageDep, form: FormDep, name: str) -> Response:
    """Package what changed in the source since the last promotion and open that package's
    plan in the target workspace, with the route's settings; or say that nothing changed."""
    found = page.services.routes.get(page.scope, name)
    try:
        if found.route.source.carried or found.route.target.carried:
            raise NotSupportedError(
                f"Route '{name}' has an end on another server: promote it with jobferry "
                "promote --out / --in.",
                route=name,
            )
        made = page.services.promotions.package(page.scope, name)
    except JobferryError as exc:
        return _route_page(page, found, error=said(exc), status_code=exc.status)
    if made.promotion is None or made.source is None or made.target is None:
        source = made.source.workspace.name if made.source is not None else "?"
        message = _nothing_changed(source, made.since)
        return _route_page(page, found, message=message)
    target = f"{base_of(page.request)}/w/{made.target.workspace.id}"
    return redirect(f"{target}/routes/{quote(name, safe='')}/promotions/{made.promotion.id}")


def _is_target(page: Page, route: Route) -> bool:
    workspace = page.scope.workspace
    return route.target.workspace in (workspace.id, workspace.name)


@router.get("/w/{workspace_id}/routes/{name}/promotions/{promotion_id}")
def promotion(page: PageDep, name: str, promotion_id: str, again: int = 0) -> Response:
    """A promotion's package in the import wizard of the route's target, with the settings
    of the route's version it was made with: the check step when the plan has problems, else
    the plan; once imported, its task. On a route that requires approvals, a promotion
    already planned opens that plan's Approvals page unless ``again`` asks for a new plan."""
    found = page.services.promotions.promotion(page.scope, name, promotion_id)
    if found is None:
        raise InvalidRequestError(
            f"Route '{name}' has no promotion {promotion_id}; promote it again from the "
            "route's page on the Routes page."
        )
    made_with = page.services.routes.get(page.scope, name, found.route_version).route
    if not _is_target(page, made_with):
        target = _workspace_url(page, made_with.target.workspace)
        if not target:
            raise InvalidRequestError(
                f"Route '{name}' promotes into workspace '{made_with.target.workspace}', "
                "where you have no role; ask a workspace admin there for one."
            )
        return redirect(f"{target}/routes/{quote(name, safe='')}/promotions/{promotion_id}")
    if found.task_id:
        return redirect(page.url(f"/tasks/{found.task_id}"))
    planned = "" if again else planned_already(page, made_with, found)
    if planned:
        return redirect(planned)
    return promotion_plan(page, promotion_state(made_with, found))
