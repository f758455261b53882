"""The import wizard's check step: every problem the import would hit; for each missing
connection, queue, cluster… a field to map it, offering this workspace's objects of that kind;
and the mappings made kept for the next import: saved into the environment profile of a route
into this workspace (into the route itself when it carries its profile), else into a profile
of the workspace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Response
from starlette.datastructures import FormData

from jobferry.console.fixes import console_problems, said, spoken_plan
from jobferry.console.imports import CarriedStep, plan_page, planned
from jobferry.console.plans import pending
from jobferry.console.web import FormDep, Page, PageDep, render, text
from jobferry.console.wizard import (
    MAPPING_TYPES,
    added_mapping,
    hidden_fields,
    kind_of_type,
    mapped_renames,
    wizard_state,
)
from jobferry.errors import EnvironmentObjectNotFoundError, InvalidRequestError, JobferryError
from jobferry.services.context import WRITERS
from jobferry.services.environment.objects import ObjectNames
from jobferry.services.importing.plan import Plan
from jobferry.services.workspaces.profiles import RenamesSaved

router = APIRouter()
PICKED = 500
"""Names a mapping field offers at most per kind (the first by name): a workspace may hold
thousands of connections, and every one would be an option of the page."""
ROUTE, PROFILE = "route:", "profile:"


@dataclass(frozen=True)
class MappingHome:
    """Somewhere the check step offers to save its mappings: ``into`` (``route:<name>`` or
    ``profile:<name>``) and what its button says."""

    into: str
    label: str


@dataclass(frozen=True, kw_only=True)
class CheckContext(CarriedStep):
    """Step 3: the plan's problems (fixes in the console's terms), the mappings that can
    be added (kinds, and this workspace's first names of each kind a problem misses), where
    the mappings made can be saved, and the planning task to go on with."""

    template = "import_check.html"
    step: int = 2
    state: dict[str, Any]
    plan: Plan
    plan_task: str
    problems: list[dict[str, Any]]
    pending: list[str]
    """What the plan leaves undone (skipped changes, deletions not applied): never "No
    problems" over them."""
    error: str = ""
    message: str = ""
    mapping_types: dict[str, str] = field(default_factory=lambda: dict(MAPPING_TYPES))
    candidates: dict[str, ObjectNames]
    typed: dict[str, str] = field(default_factory=dict)
    """A refused mapping's replacement as it was typed, by ``<type>:<name>``."""
    homes: list[MappingHome]
    """The routes into this workspace (or their profiles) the viewer may save mappings into."""
    profiles: list[str] | None
    """No route leads here: the workspace's profiles, one of which (or a new one) the viewer
    may save the mappings into; ``None`` when routes lead here or the viewer may not."""
    profile_name: str = ""
    """The profile name typed to save into (kept when the save is refused)."""


def _candidates(page: Page, problems: list[dict[str, Any]]) -> dict[str, ObjectNames]:
    """For each kind of object a problem misses and a mapping can replace, the workspace's
    first ``PICKED`` names of that kind."""
    kinds = {str((p.get("reference") or {}).get("kind")) for p in problems}
    return {
        kind: page.services.environment.names(page.scope, kind, PICKED)
        for kind in sorted(kinds & set(MAPPING_TYPES))
    }


def _homes(page: Page) -> tuple[list[MappingHome], list[str] | None]:
    """Where the viewer may save the check's mappings: the profile of each route into this
    workspace (a workspace admin's), or the route that carries its profile (a project
    admin's); with no route here, a profile of the workspace (its admins)."""
    routes = page.services.routes.into(page.scope)
    if not routes:
        names = [p.name for p in page.services.profiles.list_all(page.scope)]
        return [], names if page.is_admin else None
    by_profile: dict[str, list[str]] = {}
    carried: list[MappingHome] = []
    for item in routes:
        route = item.route
        if isinstance(route.profile, str):
            by_profile.setdefault(route.profile, []).append(route.name)
        elif page.scope.actor.is_project_admin:
            label = f"Save these mappings into route {route.name}"
            carried.append(MappingHome(f"{ROUTE}{route.name}", label))
    named = [
        MappingHome(
            f"{PROFILE}{profile}",
            f"Save these mappings into profile {profile} "
            f"(route{'s' if len(names) > 1 else ''} {', '.join(names)})",
        )
        for profile, names in sorted(by_profile.items())
        if page.is_admin
    ]
    return named + carried, None


def check_page(
    page: Page,
    state: dict[str, Any],
    *,
    form: FormData | None = None,
    made: tuple[Plan, str] | None = None,
    status_code: int = 200,
    error: str = "",
    message: str = "",
    typed: dict[str, str] | None = None,
    profile_name: str = "",
) -> Response:
    """The check step of the wizard's ``state`` (or the page following its planning task);
    ``made``: the plan already made (and its task)."""
    outcome = made or planned(page, state, form, "/import/check", 2)
    if isinstance(outcome, Response):
        return outcome
    plan, plan_task = outcome
    plan = spoken_plan(plan)
    found = [p.as_json() for p in plan.problems]
    problems = console_problems(found, page.scope.workspace.name, route=state["route"] or "")
    homes, profiles = _homes(page)
    context = CheckContext(
        page=page,
        hidden=hidden_fields(state),
        state=state,
        plan=plan,
        plan_task=plan_task,
        problems=problems,
        pending=pending(plan),
        error=error,
        message=message,
        candidates=_candidates(page, problems),
        typed=typed or {},
        homes=homes,
        profiles=profiles,
        profile_name=profile_name or str(state.get("profile") or ""),
    )
    return render(page.request, context, status_code=status_code)


@router.post("/w/{workspace_id}/import/check")
def check(page: PageDep, form: FormDep) -> Response:
    """Step 3: every problem the import would hit, with mappings for what is missing."""
    page.scope.require(WRITERS, "import packages")
    added = added_mapping(form)
    if added is not None and added["replace"]:
        kind = kind_of_type(added["type"])
        try:
            page.services.environment.get(page.scope, kind, added["replace"])
        except EnvironmentObjectNotFoundError:
            kept = FormData([(k, v) for k, v in form.multi_items() if k != "map"])
            return check_page(
                page,
                wizard_state(kept),
                status_code=400,
                error=f"There is no {kind.replace('_', ' ')} '{added['replace']}' in workspace "
                f"'{page.scope.workspace.name}' to map '{added['name']}' to; choose one of the "
                "listed names, or add it under Admin → Environment first.",
                typed={f"{added['type']}:{added['name']}": added["replace"]},
            )
    return check_page(page, wizard_state(form), form=form)


@router.post("/w/{workspace_id}/import/keep")
def keep(page: PageDep, form: FormDep) -> Response:
    """Save the check's mappings into a route's profile, a route, or a profile of the
    workspace (refused whole, saying which names clash), and show the check step again."""
    page.scope.require(WRITERS, "import packages")
    state, profile_name = wizard_state(form), text(form, "profile_name")
    try:
        message = _keep(page, text(form, "into"), profile_name, state)
    except JobferryError as exc:
        error = said(exc)
        return check_page(
            page, state, status_code=exc.status, error=error, profile_name=profile_name
        )
    return check_page(page, state, message=message, profile_name=profile_name)


def _keep(page: Page, into: str, profile_name: str, state: dict[str, Any]) -> str:
    """Save the mappings of ``state`` where ``into`` says: what was done, in words."""
    renames = mapped_renames(state)
    if not renames:
        raise InvalidRequestError("There are no mappings to save: map a missing name first.")
    saved: RenamesSaved
    if into.startswith(ROUTE):
        name = into.removeprefix(ROUTE)
        saved = page.services.routes.add_renames(page.scope, name, renames)
        where, then = f"route {name}", f"the next promotion along route {name}"
    elif into.startswith(PROFILE):
        name = into.removeprefix(PROFILE) or profile_name
        if not name:
            raise InvalidRequestError("Name the environment profile to save the mappings into.")
        saved = page.services.profiles.add_renames(page.scope, name, renames)
        where, then = f"profile {name}", f"an import with profile {name}"
    else:
        raise InvalidRequestError("Choose where to save the mappings.")
    if not saved.added:
        return f"The {where} maps these names already (version {saved.version}): nothing saved."
    return (
        f"Saved {saved.added} mapping(s) into {where} (version {saved.version}): "
        f"{then} maps these names without mapping them here."
    )


def promotion_plan(page: Page, state: dict[str, Any]) -> Response:
    """A route's promotion in the wizard (the Routes page's "Promote now"), ``state`` holding
    its package and the route's settings: the check step when the plan has problems to fix
    or map, else the plan step, whose Import imports exactly that plan."""
    page.scope.require(WRITERS, "import packages")
    outcome = planned(page, state, None, "/import/plan", 3)
    if isinstance(outcome, Response):
        return outcome
    if outcome[0].problems:
        return check_page(page, state, made=outcome)
    return plan_page(page, state, outcome[0])
