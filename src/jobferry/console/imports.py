"""The import wizard: source → preview and options → check (map what is missing, check again)
→ plan (per-object actions, field diffs) → import (a task, followed on the task page)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Response
from starlette.datastructures import FormData, UploadFile

from jobferry.console.fixes import console_problems, said
from jobferry.console.plans import plan_objects, task_plan
from jobferry.console.tasks import task_summary
from jobferry.console.web import FormDep, Page, PageDep, redirect, render, text
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
from jobferry.services.importing.request import ImportRequest, parse_import_request

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


def _step_page(
    page: Page,
    template: str,
    step: int,
    state: dict[str, Any],
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """One wizard step past the source: its step bar, and the state it carries on in hidden
    fields."""
    return render(
        page.request,
        template,
        page,
        status_code=status_code,
        steps=STEPS,
        step=step,
        state=state,
        hidden=hidden_fields(state),
        **context,
    )


def _source_page(
    page: Page, *, error: str = "", obs_path: str = "", status_code: int = 200
) -> Response:
    return render(
        page.request,
        "import_source.html",
        page,
        status_code=status_code,
        steps=STEPS,
        step=0,
        error=error,
        obs_path=obs_path,
    )


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
            path = str(kept["path"])
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
    preview: dict[str, Any] | None = None
    try:
        preview = page.services.imports.check_file(page.scope, state["path"])
    except JobferryError as exc:
        error = error or said(exc)
        status_code = exc.status if status_code == 200 else status_code
    return _step_page(
        page,
        "import_options.html",
        1,
        state,
        status_code=status_code,
        preview=preview,
        profiles=page.services.profiles.list_all(page.scope),
        zones=COMMON_ZONES,
        targets=_targets(page),
        error=error,
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
    task = page.services.tasks.show(page.scope, task_id)
    plan = task_plan(task)
    if plan is not None:
        return plan, task_id
    if task["status"] != "RUNNING":
        raise InvalidRequestError(
            f"Planning the package failed: {task.get('message') or task['status']}. Fix it and "
            "plan again."
        )
    return _step_page(
        page,
        "import_planning.html",
        step,
        state,
        summary=task_summary(page, task),
        action=page.url(action),
    )


def _check_page(
    page: Page,
    state: dict[str, Any],
    *,
    form: FormData | None = None,
    status_code: int = 200,
    error: str = "",
) -> Response:
    outcome = _planned(page, state, form, "/import/check", 2)
    if isinstance(outcome, Response):
        return outcome
    plan, plan_task = outcome
    candidates = {
        kind: [o.name for o in page.services.environment.list_objects(page.scope, kind)]
        for kind in MAPPING_TYPES
    }
    problems = console_problems(plan["problems"], page.scope.workspace.name)
    return _step_page(
        page,
        "import_check.html",
        2,
        state,
        status_code=status_code,
        plan=plan,
        plan_task=plan_task,
        problems=problems,
        error=error,
        mapping_types=MAPPING_TYPES,
        candidates=candidates,
    )


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
    plan, _ = outcome
    return _step_page(
        page,
        "import_plan.html",
        3,
        state,
        plan=plan,
        objects=plan_objects(plan, page.scope.workspace.name),
    )


@router.post("/w/{workspace_id}/import/run")
def run(page: PageDep, form: FormDep) -> Response:
    """Step 5: start the import (tied to the reviewed plan) and follow its task."""
    page.scope.require(WRITERS, "import packages")
    state = wizard_state(form)
    plan_id = text(form, "planId")
    try:
        task_id = page.runner.start_import(page.scope, _request(page, state, plan_id))
    except JobferryError as exc:
        return _options_page(page, state, error=said(exc), status_code=exc.status)
    return redirect(page.url(f"/tasks/{task_id}"))
