"""Undoing releases from a package's page: *Roll back this release* (the ledger's newest
release: production back to exactly what it held before, a task the page follows) and *Restore
production to this release* (an earlier one: a dry run shows the kept plan, *Restore* applies
that plan as an import of the production side, and the page follows its task) — through the
services the API's rollback and restore calls use, refusals said in the console's words."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Response

from jobferry.console.packages import RestoreReview, package_view, refused
from jobferry.console.plans import plan_objects
from jobferry.console.releases import require_enterprise
from jobferry.console.web import FormDep, PageDep, redirect
from jobferry.errors import JobferryError
from jobferry.services.releases.restore import RestorePlanned, RestoreStarted

router = APIRouter()

HELD = "Production already holds what it held right after this release: nothing to restore."
PROBLEMS = (
    "Production cannot be restored to this release as planned: the plan below lists the "
    "problems; mend them and plan the restore again."
)


@router.post("/w/{workspace_id}/releases/packages/{package_id}/rollback")
def rollback(page: PageDep, form: FormDep, package_id: int) -> Response:
    """Roll back the package's release (the ledger's newest) as a rollback task of the
    production side, which the package's page follows (refused there, naming every object
    changed in production since); refused at once where it cannot start."""
    require_enterprise(page)
    try:
        queued = page.runner.start_release_rollback(page.scope, package_id)
    except JobferryError as exc:
        return refused(page, package_id, exc)
    query = urlencode({"task": queued.task_id})
    return redirect(page.url(f"/releases/packages/{package_id}?{query}"))


@router.post("/w/{workspace_id}/releases/packages/{package_id}/restore")
def plan_restore(page: PageDep, form: FormDep, package_id: int) -> Response:
    """Plan production back to its state right after this release (a dry run): the kept plan
    to review, with *Restore* to apply it."""
    require_enterprise(page)
    try:
        planned = page.services.restores.restore(page.scope, package_id, dry_run=True)
    except JobferryError as exc:
        return refused(page, package_id, exc)
    assert isinstance(planned, RestorePlanned)
    if planned.plan is None:
        return package_view(page, package_id, message=HELD)
    review = RestoreReview(planned.plan, plan_objects(planned.plan, page.scope.workspace.name))
    if planned.plan.problems:
        return package_view(page, package_id, error=PROBLEMS, restore=review, status_code=400)
    return package_view(page, package_id, restore=review)


@router.post("/w/{workspace_id}/releases/packages/{package_id}/restore/apply")
def apply_restore(page: PageDep, form: FormDep, package_id: int) -> Response:
    """Apply the restore's plan the dry run kept (refused when production moved since), then
    follow its task on the package's page."""
    require_enterprise(page)
    plan_id = str(form.get("plan") or "").strip()
    try:
        started = page.services.restores.restore(page.scope, package_id, plan_id=plan_id)
    except JobferryError as exc:
        return refused(page, package_id, exc)
    assert isinstance(started, RestoreStarted)
    page.runner.kick(queued_here=True)
    query = urlencode({"task": started.task_id})
    return redirect(page.url(f"/releases/packages/{package_id}?{query}"))
