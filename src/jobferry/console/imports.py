"""The import wizard: source → preview and options → check (map what is missing, check again)
→ plan (per-object actions, field diffs) → import (a task, followed on the task page)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Response
from starlette.datastructures import FormData, UploadFile

from jobferry.console.fixes import console_problems, said, spoken, spoken_plan
from jobferry.console.plans import PlanObjects, pending, plan_objects, task_plan
from jobferry.console.tasks import TaskSummary, task_summary
from jobferry.console.web import FormDep, Page, PageContext, PageDep, redirect, render, text
from jobferry.console.wizard import (
    MAPPING_TYPES,
    added_mapping,
    hidden_fields,
    import_body,
    kind_of_type,
    wizard_state,
)
from jobferry.domain.enums import TargetStatus
from jobferry.errors import InvalidRequestError, JobferryError
from jobferry.services.context import WRITERS
from jobferry.services.importing.contents import PackageContents
from jobferry.services.importing.request import ImportRequest, parse_import_request
from jobferry.services.workspaces.profiles import ProfileVersion

router = APIRouter()
COMMON_ZONES = (
    "UTC",
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Paris",
    "Africa/Johannesburg",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "Australia/Sydney",
)
STEPS = ("Source", "Preview and options", "Check", "Plan", "Import")


def _targets(page: Page) -> list[str]:
    """Target statuses the viewer may pick (PRODUCTION is for admins)."""
    allowed = [TargetStatus.SAVED.value, TargetStatus.SUBMITTED.value]
    return [*allowed, TargetStatus.PRODUCTION.value] if page.is_admin else allowed


@dataclass(frozen=True, kw_only=True)
class WizardStep(PageContext):
    """A wizard page: the step bar (``steps``, the ``step`` shown)."""

    steps: tuple[str, ...] = STEPS
    step: int


@dataclass(frozen=True, kw_only=True)
class SourceContext(WizardStep):
    """Step 1: a local package file or an obs:// path (the one typed, after a refusal)."""

    template = "import_source.html"
    step: int = 0
    error: str = ""
    obs_path: str = ""


@dataclass(frozen=True, kw_only=True)
class CarriedStep(WizardStep):
    """A step past the source: the wizard's state goes on in ``hidden`` fields."""

    hidden: list[tuple[str, str]]


@dataclass(frozen=True, kw_only=True)
class OptionsContext(CarriedStep):
    """Step 2: the package's name (an upload's file name), what it holds (``None`` when it
    cannot be read) and the options."""

    template = "import_options.html"
    step: int = 1
    state: dict[str, Any]
    package: str
    preview: PackageContents | None
    profiles: list[ProfileVersion]
    zones: tuple[str, ...] = COMMON_ZONES
    targets: list[str]
    error: str = ""


@dataclass(frozen=True, kw_only=True)
class PlanningContext(CarriedStep):
    """A large package's plan running as a task: its progress, and where "continue" posts."""

    template = "import_planning.html"
    summary: TaskSummary
    action: str


@dataclass(frozen=True, kw_only=True)
class CheckContext(CarriedStep):
    """Step 3: the plan's problems (fixes in the console's terms), the mappings that can
    be added (kinds and the workspace's names of each), the planning task to go on with."""

    template = "import_check.html"
    step: int = 2
    state: dict[str, Any]
    plan: dict[str, Any]
    plan_task: str
    problems: list[dict[str, Any]]
    pending: list[str]
    """What the plan leaves undone (skipped changes, deletions not applied): never "No
    problems" over them."""
    error: str = ""
    mapping_types: dict[str, str] = field(default_factory=lambda: dict(MAPPING_TYPES))
    candidates: dict[str, list[str]]
    typed: dict[str, str] = field(default_factory=dict)
    """A refused mapping's replacement as it was typed, by ``<type>:<name>``."""


@dataclass(frozen=True, kw_only=True)
class PlanContext(CarriedStep):
    """Step 4: per object what the import will do, with its field diff."""

    template = "import_plan.html"
    step: int = 3
    state: dict[str, Any]
    plan: dict[str, Any]
    objects: PlanObjects
    pending: list[str]


def _source_page(
    page: Page, *, error: str = "", obs_path: str = "", status_code: int = 200
) -> Response:
    context = SourceContext(page=page, error=error, obs_path=obs_path)
    return render(page.request, context, status_code=status_code)


@router.get("/w/{workspace_id}/import")
def source_form(page: PageDep) -> Response:
    """Step 1: choose a local package file or an obs:// path."""
    page.scope.require(WRITERS, "import packages")
    return _source_page(page)


@router.post("/w/{workspace_id}/import/source")
def take_source(page: PageDep, form: FormDep) -> Response:
    """Keep the uploaded file (or check the obs:// path) and go on to the preview."""
    page.scope.require(WRITERS, "import packages")
    upload = form.get("file")
    obs_path = text(form, "obs_path")
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            kept = page.services.imports.upload(page.scope, upload.file, upload.filename)
            path = kept.path
        elif obs_path:
            path = obs_path
        else:
            return _source_page(
                page,
                error="Choose a package file (.zip) or type an obs:// path.",
                status_code=400,
            )
    except JobferryError as exc:
        return _source_page(page, error=said(exc), obs_path=obs_path, status_code=exc.status)
    finally:
        if isinstance(upload, UploadFile):
            upload.file.close()
    return redirect(page.url("/import/options?" + urlencode({"path": path})))


def _request(page: Page, state: dict[str, Any], plan_id: str = "") -> ImportRequest:
    """The import request of a wizard state (stored profiles read from the workspace)."""
    body = import_body(
        state, lambda name: dict(page.services.profiles.get(page.scope, name).document or {})
    )
    if plan_id:
        body["planId"] = plan_id
    return parse_import_request(body)


def _options_page(
    page: Page, state: dict[str, Any], *, error: str = "", status_code: int = 200
) -> Response:
    preview: PackageContents | None = None
    package = str(state["path"])
    try:
        package = page.services.imports.packages.title(page.scope, package)
        preview = _sorted(page.services.imports.check_file(page.scope, state["path"]))
    except JobferryError as exc:
        error = error or said(exc)
        status_code = exc.status if status_code == 200 else status_code
    context = OptionsContext(
        page=page,
        hidden=hidden_fields(state),
        state=state,
        package=package,
        preview=preview,
        profiles=page.services.profiles.list_all(page.scope),
        targets=_targets(page),
        error=error,
    )
    return render(page.request, context, status_code=status_code)


def _sorted(preview: PackageContents) -> PackageContents:
    """A package preview listing its jobs and scripts by name, other objects by kind and name
    (a package holds them in the order they were written), its signature said in the
    console's terms."""
    signature = preview.signature
    return replace(
        preview,
        jobs=tuple(sorted(preview.jobs, key=lambda j: j.name)),
        scripts=tuple(sorted(preview.scripts, key=lambda s: s.name)),
        others=tuple(sorted(preview.others, key=lambda o: (str(o.kind), o.name))),
        signature=replace(signature, detail=spoken(signature.detail)),
    )


@router.get("/w/{workspace_id}/import/options")
def options_form(page: PageDep, path: str = "") -> Response:
    """Step 2: what the package holds, and the import options."""
    page.scope.require(WRITERS, "import packages")
    if not path:
        return redirect(page.url("/import"))
    return _options_page(page, wizard_state(FormData([("path", path)])))


@router.post("/w/{workspace_id}/import/options")
def options_again(page: PageDep, form: FormDep) -> Response:
    """Step 2 again, keeping what was chosen (the check page's "back")."""
    page.scope.require(WRITERS, "import packages")
    return _options_page(page, wizard_state(form))


def _planned(
    page: Page, state: dict[str, Any], form: FormData | None, action: str, step: int
) -> tuple[dict[str, Any], str] | Response:
    """The plan the wizard goes on with and the planning task it came from ('' when it was
    computed now), or a page: following the planning task of a package too large to plan
    during a request while that task runs, or the options again, saying why planning was
    refused."""
    try:
        return _plan_or_progress(page, state, form, action, step)
    except JobferryError as exc:
        return _options_page(page, state, error=said(exc), status_code=exc.status)


def _plan_or_progress(
    page: Page, state: dict[str, Any], form: FormData | None, action: str, step: int
) -> tuple[dict[str, Any], str] | Response:
    """``_planned`` before refusals. The check step hands its task on to the plan step (its
    "Next: plan" button), so a large package is planned once for both."""
    task_id = text(form, "planTask") if form is not None else ""
    if not task_id:
        outcome = page.runner.plan_import(page.scope, _request(page, state))
        if "taskId" not in outcome:
            return outcome, ""
        task_id = str(outcome["taskId"])
    task = page.services.tasks.show(page.scope, task_id, subtasks=0)
    plan = task_plan(task)
    if plan is not None:
        return plan, task_id
    if task.done:
        raise InvalidRequestError(
            f"Planning the package failed: {task.message or task.status}. Fix it and plan again."
        )
    context = PlanningContext(
        page=page,
        step=step,
        hidden=hidden_fields(state),
        summary=task_summary(page, task),
        action=page.url(action),
    )
    return render(page.request, context)


def _check_page(
    page: Page,
    state: dict[str, Any],
    *,
    form: FormData | None = None,
    planned: tuple[dict[str, Any], str] | None = None,
    status_code: int = 200,
    error: str = "",
    typed: dict[str, str] | None = None,
) -> Response:
    outcome = planned or _planned(page, state, form, "/import/check", 2)
    if isinstance(outcome, Response):
        return outcome
    plan, plan_task = outcome
    plan = spoken_plan(plan)
    candidates = {
        kind: [o.name for o in page.services.environment.list_objects(page.scope, kind)]
        for kind in MAPPING_TYPES
    }
    problems = console_problems(plan["problems"], page.scope.workspace.name)
    context = CheckContext(
        page=page,
        hidden=hidden_fields(state),
        state=state,
        plan=plan,
        plan_task=plan_task,
        problems=problems,
        pending=pending(plan),
        error=error,
        candidates=candidates,
        typed=typed or {},
    )
    return render(page.request, context, status_code=status_code)


@router.post("/w/{workspace_id}/import/check")
def check(page: PageDep, form: FormDep) -> Response:
    """Step 3: every problem the import would hit, with mappings for what is missing."""
    page.scope.require(WRITERS, "import packages")
    added = added_mapping(form)
    if added is not None and added["replace"]:
        kind = kind_of_type(added["type"])
        known = {o.name for o in page.services.environment.list_objects(page.scope, kind)}
        if added["replace"] not in known:
            kept = FormData([(k, v) for k, v in form.multi_items() if k != "map"])
            return _check_page(
                page,
                wizard_state(kept),
                status_code=400,
                error=f"There is no {kind.replace('_', ' ')} '{added['replace']}' in workspace "
                f"'{page.scope.workspace.name}' to map '{added['name']}' to; choose one of the "
                "listed names, or add it under Admin → Environment first.",
                typed={f"{added['type']}:{added['name']}": added["replace"]},
            )
    return _check_page(page, wizard_state(form), form=form)


@router.post("/w/{workspace_id}/import/plan")
def plan(page: PageDep, form: FormDep) -> Response:
    """Step 4: per object what import will do, with the field diff of every overwrite."""
    page.scope.require(WRITERS, "import packages")
    state = wizard_state(form)
    outcome = _planned(page, state, form, "/import/plan", 3)
    if isinstance(outcome, Response):
        return outcome
    return _plan_page(page, state, outcome[0])


def _plan_page(page: Page, state: dict[str, Any], plan: dict[str, Any]) -> Response:
    plan = spoken_plan(plan)
    context = PlanContext(
        page=page,
        hidden=hidden_fields(state),
        state=state,
        plan=plan,
        objects=plan_objects(plan, page.scope.workspace.name),
        pending=pending(plan),
    )
    return render(page.request, context)


def promotion_plan(page: Page, state: dict[str, Any]) -> Response:
    """A route's promotion in the wizard (the Routes page's "Promote now"), ``state`` holding
    its package and the route's settings: the check step when the plan has problems to fix
    or map, else the plan step, whose Import imports exactly that plan."""
    page.scope.require(WRITERS, "import packages")
    outcome = _planned(page, state, None, "/import/plan", 3)
    if isinstance(outcome, Response):
        return outcome
    if outcome[0].get("problems"):
        return _check_page(page, state, planned=outcome)
    return _plan_page(page, state, outcome[0])


@router.post("/w/{workspace_id}/import/run")
def run(page: PageDep, form: FormDep) -> Response:
    """Step 5: start the import (tied to the reviewed plan) and follow its task; a route's
    promotion records the import on the route, so its history shows it."""
    page.scope.require(WRITERS, "import packages")
    state = wizard_state(form)
    plan_id = text(form, "planId")
    try:
        task_id = page.runner.start_import(page.scope, _request(page, state, plan_id))
    except JobferryError as exc:
        return _options_page(page, state, error=said(exc), status_code=exc.status)
    if state["route"]:
        promotions = page.services.promotions
        promotions.record(page.scope, state["route"], state["promotion"], task_id)
    return redirect(page.url(f"/tasks/{task_id}"))
