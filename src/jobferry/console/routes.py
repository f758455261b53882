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

from dataclasses import dataclass, replace
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Response

from jobferry.console.checking import promotion_plan
from jobferry.console.fixes import said
from jobferry.console.missing import ROUTES, looked_up
from jobferry.console.route_approvals import Member, members, planned_already
from jobferry.console.route_checks import (
    existing_route,
    may_edit_routes,
    may_import,
    may_promote,
    route_document,
)
from jobferry.console.route_form import (
    CARRIED,
    INLINE,
    RouteDraft,
    end_words,
    nothing_changed,
    override_words,
    problem_fields,
    promotion_state,
    said_problem,
    selection_words,
    versions_changed,
)
from jobferry.console.tasks import promotion_task_url
from jobferry.console.web import (
    FormDep,
    MissingPageError,
    Page,
    PageContext,
    PageDep,
    QueryInt,
    base_of,
    read_at,
    redirect,
    render,
)
from jobferry.domain.routes import Route
from jobferry.errors import (
    InvalidRequestError,
    JobferryError,
    NotSupportedError,
    VersionMovedError,
)
from jobferry.services.routes.records import Promotion
from jobferry.services.routes.running import Following
from jobferry.services.routes.service import RouteVersion

router = APIRouter()

HISTORY_PAGE = 20
"""Promotions a route's page lists at a time (a route promoted into daily has hundreds)."""
VERSIONS_PAGE = 20
"""Versions of the route its page lists at a time."""


@dataclass(frozen=True)
class Pager:
    """Where one of a page's long lists starts (``offset``, a multiple of ``size``), how many
    rows it shows and holds in all; ``param`` is the address's name for its offset, ``keep``
    what the address carries of the page's other list."""

    offset: int
    size: int
    shown: int
    total: int
    param: str
    keep: str = ""


def _start(offset: int, size: int, total: int) -> int:
    """Where the page holding ``offset`` starts (the last page when past the end)."""
    last = max(total - 1, 0) // size * size
    return min(max(offset, 0) // size * size, last)


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
    may_import: bool  # and the viewer writes in the target: "Plan and import" is theirs
    target_url: str
    """The console URL of the target workspace ('' when the viewer has no role there)."""
    history: list[Promotion]
    """The page of promotions shown (on the first, the one waiting for its import first)."""
    history_pager: Pager
    overrides: dict[str, str]
    """Promotion id → what its import changed of the route's settings, in the form's words."""
    versions: list[RouteVersion]
    """The page of versions shown, newest first."""
    versions_pager: Pager
    changed: dict[int, str]
    """Version → what it changed of the one before, in the form's words."""
    approvals_url: str = ""
    """The Approvals page of the waiting promotion's plan, when the route requires approvals
    and its promotion was planned ('' otherwise): where its approvers sign."""
    error: str = ""
    problems: list[str]
    invalid_fields: frozenset[str] = frozenset()  # the form's fields the problems are about
    message: str = ""
    carried: str = CARRIED
    """The end pickers' value for an end on another server."""
    keep_inline: str = INLINE
    """The profile picker's value keeping the route's inline profile."""


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
    context = RoutesContext(page=page, routes=rows, can_edit=may_edit_routes(page), message=message)
    return render(page.request, context)


def _profiles(page: Page, chosen: str) -> dict[str, list[str]]:
    """The profile picker's groups: each workspace's profiles (for project admins, who
    change routes), and the chosen one when it is none of them."""
    services, actor = page.services, page.session.actor
    out: dict[str, list[str]] = {}
    if may_edit_routes(page):
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
    invalid: frozenset[str] = frozenset(),
    message: str = "",
    status_code: int = 200,
    offsets: tuple[int, int] = (0, 0),
) -> Response:
    route = saved.route if saved is not None else None
    history, history_pager = _history(page, route, offsets[0])
    versions, versions_pager, changed = _versions(page, route, offsets[1])
    history_pager = replace(history_pager, keep=_keep(versions_pager))
    versions_pager = replace(versions_pager, keep=_keep(history_pager))
    target_url = _workspace_url(page, route.target.workspace) if route is not None else ""
    if draft is None:
        draft = RouteDraft.of_route(saved, _names(page)) if saved is not None else RouteDraft()
    context = RouteContext(
        page=page,
        saved=saved,
        draft=draft,
        workspaces=[ws.name for ws in page.workspaces],
        profiles=_profiles(page, draft.profile),
        members=members(page, draft.target),
        inline=route is not None and isinstance(route.profile, dict),
        can_edit=may_edit_routes(page),
        promotable=route is not None and not (route.source.carried or route.target.carried),
        may_promote=may_promote(page, route),
        may_import=may_import(page, route),
        target_url=target_url,
        history=history,
        history_pager=history_pager,
        overrides={p.id: override_words(p.overrides) for p in history if p.overrides},
        versions=versions,
        versions_pager=versions_pager,
        changed=changed,
        approvals_url=_waiting_approvals(page, route, target_url) if history else "",
        error=error,
        problems=problems or [],
        invalid_fields=invalid,
        message=message,
    )
    return render(page.request, context, status_code=status_code)


def _keep(pager: Pager) -> str:
    """What the address of one list's pages carries of the other list: where it starts."""
    return f"&{pager.param}={pager.offset}" if pager.offset else ""


def _history(page: Page, route: Route | None, offset: int) -> tuple[list[Promotion], Pager]:
    """The page holding ``offset`` of a saved route's promotions, newest first (on the first
    page, the one waiting for its import before them), and its pager."""
    if route is None:
        return [], Pager(0, HISTORY_PAGE, 0, 0, "offset")
    promotions = page.services.promotions
    total = promotions.listed(page.scope, route.name)
    start = _start(offset, HISTORY_PAGE, total)
    listed = promotions.history(page.scope, route.name, limit=HISTORY_PAGE, offset=start)
    pager = Pager(start, HISTORY_PAGE, len(listed), total, "offset")
    waiting = promotions.waiting(page.scope, route.name) if start == 0 else None
    return ([waiting] if waiting is not None else []) + listed, pager


def _versions(
    page: Page, route: Route | None, offset: int
) -> tuple[list[RouteVersion], Pager, dict[int, str]]:
    """The page holding ``offset`` of a saved route's versions, newest first, its pager, and
    what each changed."""
    if route is None:
        return [], Pager(0, VERSIONS_PAGE, 0, 0, "versions"), {}
    routes = page.services.routes
    found = routes.version_page(page.scope, route.name, VERSIONS_PAGE, max(offset, 0))
    start = _start(offset, VERSIONS_PAGE, found.total)
    if start != max(offset, 0):  # not a page's start, or past the end
        found = routes.version_page(page.scope, route.name, VERSIONS_PAGE, start)
    pager = Pager(start, VERSIONS_PAGE, len(found.versions), found.total, "versions")
    before = [found.before] if found.before is not None else []
    changed = versions_changed([*found.versions, *before])
    return found.versions, pager, {v.version: changed[v.version] for v in found.versions}


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
def route(
    page: PageDep, name: str, saved: QueryInt = 0, offset: QueryInt = 0, versions: QueryInt = 0
) -> Response:
    """A route: its settings (to edit), "Promote now", its promotions and its versions, each
    newest first a page at a time (``offset``, ``versions``: where their pages start)."""
    with looked_up(page, ROUTES):
        found = page.services.routes.get(page.scope, name)
    message = f"Saved route '{name}' as version {saved}." if saved else ""
    return _route_page(page, found, message=message, offsets=(offset, versions))


@router.post("/w/{workspace_id}/routes")
def save_route(page: PageDep, form: FormDep) -> Response:
    """Save the form as a new version of the route: over the version it was read from
    (``based_on``), or a new route when that is 0."""
    draft = RouteDraft.of_form(form)
    creating = draft.based_on == "0"
    try:
        document = route_document(page, draft, creating)
        saved = page.services.routes.put(page.scope, draft.name, document, draft.expected())
    except JobferryError as exc:
        raw = exc.context.get("problems") or []
        problems = [said_problem(p) for p in raw]
        error = (
            f"Route '{draft.name}' was not saved: fix what is listed below and save again."
            if problems
            else said(exc)
        )
        current = None if creating else existing_route(page, draft.name)
        if isinstance(exc, VersionMovedError):  # sent again, it saves over the newest
            draft = replace(draft, based_on=str(exc.context.get("version", "")))
        return _route_page(
            page,
            current,
            draft=draft,
            error=error,
            problems=problems,
            invalid=problem_fields(raw),
            status_code=exc.status,
        )
    url = page.url(f"/routes/{quote(draft.name, safe='')}")
    return redirect(f"{url}?{urlencode({'saved': saved.version})}")


@router.post("/w/{workspace_id}/routes/{name}/delete")
def delete_route(page: PageDep, form: FormDep, name: str) -> Response:
    """Remove a route with its versions and its history (after the browser's confirmation)."""
    try:
        page.services.routes.delete(page.scope, name, read_at(form, name))
    except JobferryError as exc:
        found = existing_route(page, name)
        if found is None:
            with looked_up(page, ROUTES):
                raise
        return _route_page(page, found, error=said(exc), status_code=exc.status)
    return redirect(page.url(f"/routes?{urlencode({'removed': name})}"))


@router.post("/w/{workspace_id}/routes/{name}/promote")
def promote(page: PageDep, form: FormDep, name: str) -> Response:
    """Package what changed in the source since the last promotion and open its plan in the
    target (past the budget, from its task's page), with the route's settings; or say so."""
    with looked_up(page, ROUTES):  # a page read before another admin removed the route
        found = page.services.routes.get(page.scope, name)
    try:
        if found.route.source.carried or found.route.target.carried:
            raise NotSupportedError(
                f"Route '{name}' has an end on another server: promote it with jobferry "
                "promote --out / --in.",
                route=name,
            )
        made = page.services.promotion_runs.package(page.scope, name)
    except JobferryError as exc:
        return _route_page(page, found, error=said(exc), status_code=exc.status)
    if isinstance(made, Following):  # a source refreshed from its remote first, say
        return redirect(promotion_task_url(page, made))
    if made.promotion is None or made.source is None or made.target is None:
        source = made.source.workspace.name if made.source is not None else "?"
        message = nothing_changed(source, made.since)
        return _route_page(page, found, message=message)
    target = f"{base_of(page.request)}/w/{made.target.workspace.id}"
    return redirect(f"{target}/routes/{quote(name, safe='')}/promotions/{made.promotion.id}")


def _is_target(page: Page, route: Route) -> bool:
    workspace = page.scope.workspace
    return route.target.workspace in (workspace.id, workspace.name)


@router.get("/w/{workspace_id}/routes/{name}/promotions/{promotion_id}")
def promotion(page: PageDep, name: str, promotion_id: str, again: QueryInt = 0) -> Response:
    """A promotion's package in the import wizard of the route's target, with the settings
    of the route's version it was made with: the check step when the plan has problems, else
    the plan; once imported, its task. On a route that requires approvals, a promotion
    already planned opens that plan's Approvals page unless ``again`` asks for a new plan."""
    with looked_up(page, ROUTES):
        found = page.services.promotions.promotion(page.scope, name, promotion_id)
    if found is None:
        raise MissingPageError(
            f"Route '{name}' has no promotion {promotion_id}; promote it again from the "
            "route's page.",
            page.url(f"/routes/{quote(name, safe='')}"),
            f"route '{name}'",
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
