"""The import wizard: source → preview and options → check (map what is missing, check again;
:mod:`jobferry.console.checking`) → plan (per-object actions, field diffs) → import (a task,
followed on the task page)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Response
from starlette.datastructures import FormData, UploadFile

from jobferry.console.fixes import said, spoken, spoken_plan
from jobferry.console.plans import PlanObjects, pending, plan_objects, task_plan
from jobferry.console.route_approvals import PlanApprovals, standing
from jobferry.console.tasks import TaskSummary, task_summary
from jobferry.console.web import FormDep, Page, PageContext, PageDep, redirect, render, text
from jobferry.console.wizard import hidden_fields, import_body, options_said, wizard_state
from jobferry.domain.enums import TargetStatus
from jobferry.domain.snapshots import snapshot_basis
from jobferry.errors import ImportRunningError, InvalidRequestError, JobferryError
from jobferry.services.context import WRITERS, now_ms
from jobferry.services.downloads import ExportedPackage
from jobferry.services.importing.contents import PackageContents
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import ImportRequest, parse_import_request
from jobferry.services.routes.meanwhile import ImportedMeanwhile, ImportUnderWay
from jobferry.services.workspaces.profiles import ProfileVersion
from jobferry.web import log_store_refusal

log = logging.getLogger("jobferry.console")
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
    """Step 1: a local package file or an obs:// path (the one typed, after a refusal), or a
    package of a download center (``export``, named by ``package``: the download center's
    "Import into…")."""

    template = "import_source.html"
    step: int = 0
    error: str = ""
    obs_path: str = ""
    export: ExportedPackage | None = None
    package: str = ""


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
class PlanContext(CarriedStep):
    """Step 4: per object what the import will do, with its field diff."""

    template = "import_plan.html"
    step: int = 3
    state: dict[str, Any]
    plan: Plan
    objects: PlanObjects
    pending: list[str]
    basis: str = ""
    """Which carried snapshot the plan stood on, when its target is a remote's shadow last
    refreshed from one ('' otherwise)."""
    approvals: PlanApprovals | None = None
    """A route's promotion whose route requires approvals: how many count, and where they
    are signed (its Import is offered once enough do)."""
    meanwhile: ImportedMeanwhile | None = None
    """A route's promotion whose changes another run imports (or imported) meanwhile: said,
    with its task, instead of an Import that would be refused."""
    under_way: ImportUnderWay | None = None
    """Else another run's import along the route still queued or running, of other changes:
    said, with its task, above the Import (this plan carries its changes too)."""


def _source_page(
    page: Page,
    *,
    error: str = "",
    obs_path: str = "",
    package: str = "",
    status_code: int = 200,
) -> Response:
    export = None
    if package:
        try:
            export = page.services.downloads.exported(page.scope.actor, package)
        except JobferryError as exc:
            error, status_code = error or said(exc), exc.status
    context = SourceContext(
        page=page,
        error=error,
        obs_path=obs_path,
        export=export,
        package=package if export is not None else "",
    )
    return render(page.request, context, status_code=status_code)


@router.get("/w/{workspace_id}/import")
def source_form(page: PageDep, package: str = "") -> Response:
    """Step 1: choose a local package file or an obs:// path, or take the package of a
    download center that ``package`` names."""
    page.scope.require(WRITERS, "import packages")
    return _source_page(page, package=package)


@router.post("/w/{workspace_id}/import/source")
def take_source(page: PageDep, form: FormDep) -> Response:
    """Keep the uploaded file (or check the obs:// path, or the download center's package)
    and go on to the preview."""
    page.scope.require(WRITERS, "import packages")
    upload = form.get("file")
    obs_path, package = text(form, "obs_path"), text(form, "package")
    try:
        if package:
            page.services.imports.packages.check_path(page.scope, package)
            path = package
        elif isinstance(upload, UploadFile) and upload.filename:
            kept = page.services.imports.upload(page.scope, upload.file, upload.filename)
            path = kept.path
        elif obs_path:  # refused here, beside what was typed, not on the next step
            page.services.imports.packages.check_path(page.scope, obs_path)
            path = obs_path
        else:
            return _source_page(
                page,
                error="Choose a package file (.zip) or type an obs:// path.",
                status_code=400,
            )
    except JobferryError as exc:
        log_store_refusal(page.request, log, exc)  # said on the page, not by the app's handler
        return _source_page(
            page, error=said(exc), obs_path=obs_path, package=package, status_code=exc.status
        )
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
        error=options_said(error),
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


def planned(
    page: Page, state: dict[str, Any], form: FormData | None, action: str, step: int
) -> tuple[Plan, str] | Response:
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
) -> tuple[Plan, str] | Response:
    """``planned`` before refusals. The check step hands its task on to the plan step (its
    "Next: plan" button), so a large package is planned once for both."""
    task_id = text(form, "planTask") if form is not None else ""
    if not task_id:
        outcome = _plan_now(page, state)
        if not isinstance(outcome, str):
            return outcome, ""
        task_id = outcome
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


def _plan_now(page: Page, state: dict[str, Any]) -> Plan | str:
    """The plan of the wizard's state, or the id of the task planning it. A route's promotion
    is planned by the route's use case, which keeps the request with the promotion for its
    apply (``services.routes.plans``)."""
    request = _request(page, state)
    if not state["route"]:
        return page.runner.plan_import(page.scope, request)
    planned = page.runner.replan_promotion(page.scope, state["route"], state["promotion"], request)
    if planned.plan is not None:
        return planned.plan
    assert planned.planning_task is not None
    return planned.planning_task


@router.post("/w/{workspace_id}/import/plan")
def plan(page: PageDep, form: FormDep) -> Response:
    """Step 4: per object what import will do, with the field diff of every overwrite."""
    page.scope.require(WRITERS, "import packages")
    state = wizard_state(form)
    outcome = planned(page, state, form, "/import/plan", 3)
    if isinstance(outcome, Response):
        return outcome
    return plan_page(page, state, outcome[0])


def plan_page(page: Page, state: dict[str, Any], plan: Plan) -> Response:
    plan = spoken_plan(plan)
    context = PlanContext(
        page=page,
        hidden=hidden_fields(state),
        state=state,
        plan=plan,
        objects=plan_objects(plan, page.scope.workspace.name),
        pending=pending(plan),
        basis=snapshot_basis(plan.remote_state, now_ms()) or "",
        approvals=standing(page, state["route"], plan.plan_id) if state["route"] else None,
    )
    if state["route"]:
        told = page.services.route_plans.meanwhile(page.scope, state["route"], state["promotion"])
        context = replace(context, meanwhile=told[0], under_way=told[1])
    return render(page.request, context)


@router.post("/w/{workspace_id}/import/run")
def run(page: PageDep, form: FormDep) -> Response:
    """Step 5: start the import (tied to the reviewed plan) and follow its task; a route's
    promotion is applied by the route's use case, which records the import on the route in
    the transaction that queues it, so its history shows it."""
    page.scope.require(WRITERS, "import packages")
    state = wizard_state(form)
    plan_id = text(form, "planId")
    # The same Import posted twice (a double click, a browser's retry) follows the import the
    # first one started, rather than be refused for it or import its plan again.
    started = page.services.plan_imports.started(page.scope, plan_id)
    try:
        if started:
            task_id = started
        elif state["route"]:  # one call: the import, recorded on the promotion
            task_id = page.runner.apply_promotion(page.scope, state["route"], plan_id).task_id
        else:
            task_id = page.runner.start_import(page.scope, _request(page, state, plan_id))
    except ImportRunningError as exc:
        task_id = page.services.plan_imports.started(page.scope, plan_id) or ""
        if not task_id:
            return _options_page(page, state, error=said(exc), status_code=exc.status)
    except JobferryError as exc:
        return _options_page(page, state, error=said(exc), status_code=exc.status)
    return redirect(page.url(f"/tasks/{task_id}"))
