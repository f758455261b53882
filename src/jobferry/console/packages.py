"""An enterprise workspace's release packages: the list, and a package's page with its kept
plan (the import plan step's diff view), its items, its state and the actions that state
allows — Deploy (with the startup mode), Revoke, Plan again; once released, Roll back (the
ledger's newest release) or Restore production to it (an earlier one: ``release_undo.py``) —
each through the release service the API uses. A deploy (or a restore) is an import into
production, a task of the production side: the package's page follows it to its end, as the
import wizard follows its task."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from fastapi import APIRouter, Response

from jobferry.console.fixes import said
from jobferry.console.missing import PACKAGES, looked_up, package_number
from jobferry.console.plans import PlanObjects, plan_objects
from jobferry.console.release_fixes import API_FIX, failed_on_policy
from jobferry.console.releases import require_enterprise
from jobferry.console.tasks import TaskSummary, task_summary
from jobferry.console.web import (
    FormDep,
    Page,
    PageContext,
    PageDep,
    QueryInt,
    base_of,
    redirect,
    render,
)
from jobferry.domain.enums import Role, TaskKind, TaskStatus
from jobferry.domain.releases import CANCEL_ROLES, DEPLOY_ROLES, DeployStatus, StartupMode
from jobferry.errors import BasisChangedError, JobferryError, PlanStaleError, TaskNotFoundError
from jobferry.services.importing.plan import Plan
from jobferry.services.releases.checks import state
from jobferry.services.releases.listing import kept_plan
from jobferry.services.releases.records import DeployRequest, PackageQuery, PackageView
from jobferry.services.taskviews import Task

router = APIRouter()

PACKAGES_PAGE = 25
STATES = {
    "waiting": DeployStatus.PENDING,
    "releasing": DeployStatus.RELEASING,
    "released": DeployStatus.SUCCESS,
    "failed": DeployStatus.FAILED,
    "cancelled": None,
}
"""The list's state filter: its words and the state each stands for (``None``: the cancelled
packages, whatever state they were cancelled in)."""
UPDATES = {1: "add", 2: "change", 3: "delete"}
GONE = (
    "The plan this package kept has expired; Plan again plans its frozen content against "
    "production anew (when that content expired too, revoke the package and package its items "
    "again)."
)
"""A waiting package's plan expired (plans are kept as long as uploaded packages)."""
STALE = (
    "The release did not change production: production changed since this package was "
    "planned, or its plan expired. Plan again, review the plan, and deploy."
)
"""A release task refused for a plan gone or stale."""


@dataclass(frozen=True)
class PackageRow:
    """A package as the pages show it: the view, its state in words, its approvers' names."""

    view: PackageView
    state: str
    approvers: list[str]

    @property
    def id(self) -> int:
        """The package's id."""
        return self.view.record.id


def _row(view: PackageView) -> PackageRow:
    names = [a["user_name"] for a in view.record.approver_list()]
    return PackageRow(view, state(view), names)


@dataclass(frozen=True, kw_only=True)
class PackagesContext(PageContext):
    """The package list: a page of packages, the filters (name part, state) and where the
    page starts."""

    template = "releases_packages.html"
    rows: list[PackageRow]
    total: int
    name: str
    state: str
    states: tuple[str, ...]
    offset: int
    previous: str | None
    """The previous page's query (``None`` on the first)."""
    next: str | None
    """The next page's query (``None`` on the last)."""


def _link(name: str, state: str, offset: int) -> str:
    """The list's query at another page."""
    values = {"name": name, "state": state}
    return urlencode({**{k: v for k, v in values.items() if v}, "offset": offset})


@router.get("/w/{workspace_id}/releases/packages")
def packages_page(page: PageDep, name: str = "", state: str = "", offset: QueryInt = 0) -> Response:
    """The workspace's release packages, newest first, filtered by name and state."""
    require_enterprise(page)
    start = max(offset, 0) // PACKAGES_PAGE * PACKAGES_PAGE
    chosen = STATES.get(state)
    query = PackageQuery(
        key_word=name.strip() or None,
        statuses=(int(chosen),) if chosen is not None else (),
        cancelled=state == "cancelled",
        limit=PACKAGES_PAGE,
        page=start // PACKAGES_PAGE,
    )
    total, found = page.services.releases.packages(page.scope, query)
    name, state = name.strip(), state if state in STATES else ""
    after = start + PACKAGES_PAGE
    context = PackagesContext(
        page=page,
        rows=[_row(v) for v in found],
        total=total,
        name=name,
        state=state,
        states=tuple(STATES),
        offset=start,
        previous=_link(name, state, max(start - PACKAGES_PAGE, 0)) if start else None,
        next=_link(name, state, after) if after < total else None,
    )
    return render(page.request, context)


@dataclass(frozen=True)
class Actions:
    """What the viewer may do with the package as it stands."""

    deploy: bool = False
    revoke: bool = False
    replan: bool = False
    rollback: bool = False
    """Its release is the ledger's newest entry: Roll back this release."""
    rollback_expired: bool = False
    """It is, but its import is past ``JOBFERRY_ROLLBACK_DAYS``: no rollback, and why."""
    restore: bool = False
    """An earlier release the ledger recorded: Restore production to this release."""


def _undo(page: Page, view: PackageView) -> Actions:
    """A released package's actions: roll back the ledger's newest release, restore an earlier
    one (deployers, operators, admins, as the services check)."""
    if view.status is not DeployStatus.SUCCESS or page.scope.role not in DEPLOY_ROLES:
        return Actions()
    found = page.services.ledger.of_package(page.scope, view.record.id)
    last = found.last_release
    return Actions(
        rollback=last and not found.rollback_expired,
        rollback_expired=last and found.rollback_expired,
        restore=found.restorable,
    )


def _actions(page: Page, view: PackageView) -> Actions:
    """The actions the package's state allows the viewer (the service refuses the rest)."""
    record = view.record
    waiting = not record.delete_flag and view.status in (DeployStatus.PENDING, DeployStatus.FAILED)
    if not waiting:
        return _undo(page, view)
    viewer = str(page.scope.actor.user_id)
    approver = viewer in {a["user_id"] for a in record.approver_list()}
    role = page.scope.role
    deployer = record.apply_user_id != viewer and (
        role is Role.ADMIN or (approver and role in DEPLOY_ROLES)
    )
    return Actions(deploy=deployer, revoke=role in CANCEL_ROLES, replan=deployer)


@dataclass(frozen=True, kw_only=True)
class PackageContext(PageContext):
    """A package's page: the package, its kept plan (``None`` once it expired, with why), the
    deploy's task while it runs or once it ended, the actions allowed, and what an action did
    or why it was refused."""

    template = "releases_package.html"
    row: PackageRow
    updates: dict[int, str]
    plan: Plan | None
    objects: PlanObjects | None
    plan_note: str
    summary: TaskSummary | None
    task_url: str
    actions: Actions
    startup_modes: dict[int, str] = field(
        default_factory=lambda: {
            int(StartupMode.START): "Start the released batch jobs (and restart those the "
            "release paused)",
            int(StartupMode.LEAVE): "Leave scheduling as production has it",
        }
    )
    message: str = ""
    error: str = ""
    drifted: bool = False
    """The deploy was refused because production changed since the plan (or the plan
    expired): offer Plan again."""
    restore: RestoreReview | None = None
    """A restore planned (its dry run): the kept plan to review before Restore applies it."""
    following: str = "Release"
    """What the task followed is: the release, or a restore to it."""
    approvals: str = ""
    """Where the workspace requires signed approvals and the package waits: how many count."""
    missing_approvals: int = 0
    """How many more must count before a deploy (Deploy then is not the page's first action)."""


@dataclass(frozen=True)
class RestoreReview:
    """A restore's kept plan, shown as the import plan step shows one."""

    plan: Plan
    objects: PlanObjects


def _plan(page: Page, view: PackageView) -> tuple[Plan | None, str]:
    """The package's kept plan, or why it is not shown (it expired with the content)."""
    plans = page.services.imports.plans
    try:
        return kept_plan(page.services.db, plans, page.scope, view.record.id), ""
    except PlanStaleError:
        if view.status is DeployStatus.SUCCESS:
            return None, "The plan this release applied has expired with the package's content."
        return None, GONE


@dataclass(frozen=True)
class Followed:
    """The task a package's page follows: its progress box, its page (in the production
    side), and what it does (a release, a restore, a rollback)."""

    summary: TaskSummary | None = None
    url: str = ""
    doing: str = "Release"


def _task(page: Page, view: PackageView, asked: str) -> Followed:
    """The deploy's task (or ``asked``: a restore's or a rollback's task; a task of the
    production side) and its page, when it has one (a link asking a task production does not
    hold shows the package without one)."""
    task_id, production = asked or view.record.task_id, page.scope.workspace.production_id
    if task_id is None or production is None:
        return Followed()
    where = f"{base_of(page.request)}/w/{production}/tasks/{task_id}"
    production_page = replace(
        page,
        scope=page.services.accounts.scope(
            page.scope.actor, page.scope.actor.project_id, production
        ),
    )
    try:
        task = page.services.tasks.show(production_page.scope, task_id, subtasks=0)
    except TaskNotFoundError:
        if not asked:
            raise
        return Followed()  # a link naming a task production does not hold: the package alone
    summary = task_summary(production_page, task)
    doing = "Rollback" if task.kind is TaskKind.ROLLBACK else "Restore" if asked else "Release"
    if not asked and view.failed_deploy:
        doing = "Failed deploy"  # its last attempt, whether or not planned again since
    return Followed(
        replace(summary, poll_url=f"{where}/status", message=_failure(task)), where, doing
    )


def _failure(task: Task) -> str:
    """The release task's message, a failure said in the console's words: a plan gone or
    stale (production changed meanwhile) asks to plan the package again; another failure's
    sentences naming the API are left out."""
    if task.status is not TaskStatus.FAILED:
        return task.message
    if task.outcome.get("errorCode") == PlanStaleError.code:
        return STALE
    kept = [s for s in task.message.split(". ") if not API_FIX.search(s)]
    said = ". ".join(kept) or "The release failed; its task (in production) says why."
    fix = failed_on_policy(task.outcome)
    return f"{said.rstrip().rstrip('.')}. {fix}" if fix else said


def package_view(
    page: Page,
    package_id: int,
    *,
    message: str = "",
    error: str = "",
    drifted: bool = False,
    status_code: int = 200,
    restore: RestoreReview | None = None,
    task: str = "",
) -> Response:
    require_enterprise(page)
    with looked_up(page, PACKAGES):  # a stale link, or a refused action on a package gone
        view = page.services.releases.show(page.scope, package_id)
    followed = _task(page, view, task)
    summary = followed.summary
    if summary is not None and summary.done and view.status is DeployStatus.RELEASING:
        # The release ended between the two reads (its end marks the package in the same
        # transaction): read the package again, or the page would stop following a task
        # that ended and keep saying the package is being released.
        view = page.services.releases.show(page.scope, package_id)
    plan, note = _plan(page, view)
    actions = _actions(page, view)
    counted, missing = _approvals_said(page, package_id, actions)
    context = PackageContext(
        page=page,
        row=_row(view),
        updates=UPDATES,
        plan=plan,
        objects=plan_objects(plan, page.scope.workspace.name) if plan is not None else None,
        plan_note=note,
        summary=summary,
        task_url=followed.url,
        actions=actions,
        message=message,
        error=error,
        drifted=drifted,
        restore=restore,
        following=followed.doing,
        approvals=counted,
        missing_approvals=missing,
    )
    return render(page.request, context, status_code=status_code)


def _approvals_said(page: Page, package_id: int, actions: Actions) -> tuple[str, int]:
    """How many signed approvals of a package the viewer may deploy count (``1 of 2 count``),
    and how many more must ('' and 0: none is required, or no deploy is offered)."""
    if not actions.deploy:
        return "", 0
    standing = page.services.release_approvals.approvals(page.scope, package_id)
    if not standing.required:
        return "", 0
    return f"{standing.found.users} of {standing.required} count", standing.missing


@router.get("/w/{workspace_id}/releases/packages/{package_id}")
def package_page(page: PageDep, package_id: str, made: str = "", task: str = "") -> Response:
    """A package: its state, items, kept plan and the actions its state allows (``task``:
    follow a restore or a rollback to it)."""
    message = "Package created: its content is frozen and planned into production." if made else ""
    number = package_number(page, package_id)
    return package_view(page, number, message=message, task=task.strip())


def refused(page: Page, package_id: int, exc: JobferryError) -> Response:
    """The package's page with the refusal, offering Plan again where that mends it."""
    stale = isinstance(exc, PlanStaleError)
    drifted = stale or isinstance(exc, BasisChangedError)
    error = GONE if stale else said(exc)
    return package_view(page, package_id, error=error, drifted=drifted, status_code=exc.status)


@router.post("/w/{workspace_id}/releases/packages/{package_id}/deploy")
def deploy(page: PageDep, form: FormDep, package_id: int) -> Response:
    """Deploy the package with the startup mode chosen, then follow its task on its page."""
    require_enterprise(page)
    mode = form.get("startup_mode")
    startup = StartupMode.LEAVE if mode == str(int(StartupMode.LEAVE)) else StartupMode.START
    try:
        page.services.releases.deploy(page.scope, DeployRequest((package_id,), startup))
    except JobferryError as exc:
        return refused(page, package_id, exc)
    page.runner.kick(queued_here=True)
    return redirect(page.url(f"/releases/packages/{package_id}"))


@router.post("/w/{workspace_id}/releases/packages/{package_id}/revoke")
def revoke(page: PageDep, form: FormDep, package_id: int) -> Response:
    """Revoke (cancel) the package: its items wait for another package again."""
    require_enterprise(page)
    try:
        page.services.releases.cancel(page.scope, (package_id,))
    except JobferryError as exc:
        return refused(page, package_id, exc)
    return package_view(page, package_id, message="Package revoked: its items are pending again.")


@router.post("/w/{workspace_id}/releases/packages/{package_id}/replan")
def replan(page: PageDep, form: FormDep, package_id: int) -> Response:
    """Plan the package's frozen content again against production as it is now."""
    require_enterprise(page)
    try:
        page.services.releases.replan(page.scope, package_id)
    except JobferryError as exc:
        return refused(page, package_id, exc)
    required = page.services.release_approvals.rule(page.scope)
    then = (
        f"its approvers sign this plan ({required} approval(s) needed: those of the earlier "
        "plan no longer count), then it is deployed"
        if required
        else "then deploy it"
    )
    return package_view(
        page,
        package_id,
        message=f"Planned again against production as it is now; review the plan, {then}.",
    )
