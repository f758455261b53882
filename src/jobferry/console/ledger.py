"""The release ledger page of an enterprise workspace: every release, rollback and restore of
its production side, and what production held at a moment; the same, downloaded as CSV. A
signed release taken in from another server has no package page here, so the page offers
what a package's page offers for a release (deployers, operators, admins): its rollback while
it is the ledger's newest entry, and otherwise the restore of production to it — its plan
first, then *Restore*, whose task is followed on the task's page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response

from jobferry.console.fixes import said
from jobferry.console.plans import PlanObjects, plan_objects
from jobferry.console.release_undo import HELD, PROBLEMS
from jobferry.console.web import FormDep, Page, PageContext, PageDep, base_of, redirect, render
from jobferry.domain.releases import DEPLOY_ROLES, StartupMode
from jobferry.errors import JobferryError
from jobferry.services.importing.plan import Plan
from jobferry.services.releases.ledger import (
    DEPLOY,
    LedgerAt,
    a_release,
    ledger_csv,
    ledger_document,
    parse_moment,
)
from jobferry.services.releases.restore import RestorePlanned, RestoreStarted
from jobferry.web import attachment

router = APIRouter()

ENTRIES_PAGE = 20
"""Entries a page of the ledger shows, newest first: a workspace releasing daily for years
holds thousands, each with its objects."""

SCHEDULING = {
    int(StartupMode.START): "jobs started",
    int(StartupMode.LEAVE): "left as it was",
}
"""What a release did with scheduling (its startup mode), as the Scheduling column says it: it
started the batch jobs it released (and those it paused), or left scheduling as production had
it."""


@dataclass(frozen=True, kw_only=True)
class LedgerContext(PageContext):
    """The ledger at ``at`` (as typed, ``asked``): its entries, newest first, and what
    production held then (``ledger``: the API's document), or why it cannot be read."""

    template = "release_ledger.html"
    ledger: dict[str, Any]
    asked: str = ""
    error: str = ""
    message: str = ""
    rollback: bool = False
    """The newest entry is a signed release taken in and the viewer may roll it back."""
    restorable: tuple[int, ...] = ()
    """Entries of signed releases taken in that production can be restored to by the viewer."""
    plan: Plan | None = None
    """A restore planned (its dry run) to the entry ``restore_entry``: the plan to review."""
    objects: PlanObjects | None = None
    """That plan's objects, as the import plan step lists them."""
    restore_entry: int | None = None
    scheduling: dict[int, str] = field(default_factory=lambda: dict(SCHEDULING))
    """An entry's startup mode in words (``SCHEDULING``)."""
    newest_name: str = ""
    """The package name of the ledger's newest entry (the one *Roll back* undoes)."""
    newest_package: int | None = None
    """That entry's package (``None``: a signed release taken in, which has no package here)."""
    offset: int = 0
    """Where the page of entries starts, counted from the newest."""
    size: int = 0
    """Entries a page (``ENTRIES_PAGE``)."""


def _view(
    page: Page,
    request: Request,
    *,
    message: str = "",
    error: str = "",
    status: int | None = None,
    restore: tuple[int, Plan] | None = None,
) -> Response:
    """The ledger now, or at the moment asked, with what an action did or why it failed."""
    asked = _asked(request)
    start = _offset(request)
    try:
        moment = parse_moment(asked)
        view = page.services.ledger.ledger(page.scope, moment, (ENTRIES_PAGE, start))
    except JobferryError as exc:
        context = LedgerContext(page=page, ledger={}, asked=asked, error=said(exc))
        return render(request, context, status_code=exc.status)
    shown = ledger_document(view)
    rollback, restorable = _undoable(page, view) if not asked else (False, ())
    plan, entry = (restore[1], restore[0]) if restore else (None, None)
    context = LedgerContext(
        page=page,
        ledger=shown,
        asked=asked,
        message=message,
        error=error,
        rollback=rollback,
        restorable=restorable,
        plan=plan,
        objects=plan_objects(plan, page.scope.workspace.name) if plan else None,
        restore_entry=entry,
        newest_name=(view.newest.package_name or "") if view.newest else "",
        newest_package=view.newest.package_id if view.newest else None,
        offset=start,
        size=ENTRIES_PAGE,
    )
    return render(request, context, status_code=status or (400 if error else 200))


def _offset(request: Request) -> int:
    """The page's start (``offset``, a multiple of the page), 0 when absent or not a number."""
    text = (request.query_params.get("offset") or "").strip()
    number = int(text) if text.isdigit() and len(text) < 10 else 0
    return number // ENTRIES_PAGE * ENTRIES_PAGE


def _undoable(page: Page, view: LedgerAt) -> tuple[bool, tuple[int, ...]]:
    """Whether the viewer may roll back the ledger's newest entry (a release, a package's or
    a signed one taken in, not past ``JOBFERRY_ROLLBACK_DAYS``: what the rollback takes), and
    the earlier signed releases taken in they may restore production to (a package's release
    is restored from its page)."""
    entries = [e for e, _ in view.entries]
    if page.scope.role not in DEPLOY_ROLES or view.newest is None:
        return False, ()
    taken_in = [e.id for e in entries if e.action == DEPLOY and e.source_id is not None]
    last = view.newest
    rollback = a_release(last) and not view.newest_expired
    return rollback, tuple(e for e in reversed(taken_in) if e != last.id)


def _asked(request: Request) -> str:
    return (request.query_params.get("at") or "").strip()


@router.get("/w/{workspace_id}/release-ledger")
def release_ledger(page: PageDep, request: Request) -> Response:
    """The ledger now, or at the moment asked."""
    return _view(page, request)


@router.post("/w/{workspace_id}/release-ledger/rollback")
def rollback_last(page: PageDep, form: FormDep, request: Request) -> Response:
    """Roll back the ledger's newest release (a signed release taken in: it has no package
    page) as a rollback task of the production side, whose page follows it (refused there,
    naming every object changed in production since); refused here where it cannot start."""
    try:
        queued = page.runner.start_release_rollback(page.scope, None)
    except JobferryError as exc:  # its status too: a role that may not roll back is a 403
        return _view(page, request, error=said(exc), status=exc.status)
    return redirect(f"{base_of(request)}/w/{queued.workspace_id}/tasks/{queued.task_id}")


@router.get("/w/{workspace_id}/release-ledger.csv")
def release_ledger_csv(page: PageDep, request: Request) -> Response:
    """What production held at the moment asked, one object a row (a download). The file starts
    with a byte order mark: without one, Excel reads UTF-8 as the system's code page (GBK on a
    Chinese-language Windows) and shows Chinese names garbled."""
    view = page.services.ledger.ledger(page.scope, parse_moment(_asked(request)), (1, 0))
    return Response(
        "\ufeff" + ledger_csv(view),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment("release-ledger.csv")},
    )


@router.post("/w/{workspace_id}/release-ledger/{entry_id}/restore")
def plan_restore(page: PageDep, form: FormDep, request: Request, entry_id: int) -> Response:
    """Plan production back to its state right after a signed release taken in (a dry run):
    the kept plan to review, with *Restore* to apply it."""
    try:
        planned = page.services.restores.restore_entry(page.scope, entry_id, dry_run=True)
    except JobferryError as exc:
        return _view(page, request, error=said(exc), status=exc.status)
    assert isinstance(planned, RestorePlanned)
    if planned.plan is None:
        return _view(page, request, message=HELD)
    error = PROBLEMS if planned.plan.problems else ""
    return _view(page, request, error=error, restore=(entry_id, planned.plan))


@router.post("/w/{workspace_id}/release-ledger/{entry_id}/restore/apply")
def apply_restore(page: PageDep, form: FormDep, request: Request, entry_id: int) -> Response:
    """Apply the restore's plan the dry run kept (refused when production moved since), then
    follow its task on the task's page (a task of the production side)."""
    plan_id = str(form.get("plan") or "").strip()
    try:
        started = page.services.restores.restore_entry(page.scope, entry_id, plan_id=plan_id)
    except JobferryError as exc:
        return _view(page, request, error=said(exc), status=exc.status)
    assert isinstance(started, RestoreStarted)
    page.runner.kick(queued_here=True)
    production = page.scope.workspace.production_id
    return redirect(f"{base_of(request)}/w/{production}/tasks/{started.task_id}")
