"""Admin → Remotes: the project's remote DataArts workspaces — list them with their last
refresh, add one (its secret key typed once, never shown again), test, refresh, remove."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Response

from jobferry.console.admin import AdminPage
from jobferry.console.fixes import said
from jobferry.console.web import FormDep, Page, PageDep, raw, render, text
from jobferry.domain.enums import RefreshAction, RemoteReach
from jobferry.errors import JobferryError, RemoteError, RemoteNotFoundError
from jobferry.services.remotes.records import Refresh, Remote, RemoteCheck, parse_remote

router = APIRouter()

DRAFT_FIELDS = ("name", "endpoint", "projectId", "workspace", "accessKey")
"""What the add form gives back after a refusal (never the secret key)."""
REACH_WORDS = {
    RemoteReach.REACHABLE: "reachable",
    RemoteReach.AUTH_REFUSED: "its credentials were refused: remove it and add it again with "
    "the right access key and secret key",
    RemoteReach.NOT_FOUND: "its endpoint, project id or workspace id names nothing there: "
    "remove it and add it again with the right ones",
    RemoteReach.REFUSED: "it refused the call",
    RemoteReach.UNREACHABLE: "it could not be reached: check its endpoint and that this "
    "server can reach it",
}


def counted(refresh: Refresh) -> str:
    """A refresh's counts over every kind, e.g. '3 created, 0 updated, 0 deleted, 12
    unchanged; 2 submitted version(s) written'."""
    said = ", ".join(f"{refresh.total(action):,} {action.value}" for action in RefreshAction)
    written = refresh.versions_written()
    return said + (f"; {written:,} submitted version(s) written" if written else "")


@dataclass(frozen=True)
class RemoteRow:
    """One remote as the list shows it: its record and its last refresh said in words."""

    remote: Remote
    refreshed: str
    """What its last refresh did ('' when never refreshed)."""
    source: str
    """What the last refresh read: the remote, or which snapshot."""


def _row(remote: Remote) -> RemoteRow:
    last = remote.last_refresh
    if last is None:
        return RemoteRow(remote, "", "")
    if last.snapshot is not None:
        source = f"snapshot {last.snapshot.file_name} (SHA-256 {last.snapshot.sha256[:12]}…)"
    else:
        source = f"the remote, {last.calls:,} calls in {last.seconds:g} s"
    return RemoteRow(remote, counted(last), source)


@dataclass(frozen=True, kw_only=True)
class RemotesContext(AdminPage):
    """The project's remotes and the add form's draft."""

    template = "admin_remotes.html"
    remotes: list[RemoteRow]
    draft: dict[str, str]


def _page(
    page: Page,
    *,
    error: str = "",
    message: str = "",
    draft: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    actor = page.session.actor
    rows = [_row(remote) for remote in page.services.remotes.list_all(actor)]
    context = RemotesContext(
        page=page, remotes=rows, draft=draft or {}, error=error, message=message
    )
    return render(page.request, context, status_code=status_code)


def remote_said(exc: JobferryError) -> str:
    """A refusal about a remote, in the console's terms."""
    context = exc.context
    if isinstance(exc, RemoteNotFoundError):
        return f"There is no remote '{context.get('remote')}' in this project any more."
    if isinstance(exc, RemoteError):
        said_by = " ".join(
            str(part)
            for part in (context.get("remote_error_code"), context.get("remote_error_msg"))
            if part
        )
        return (
            f"Remote '{context.get('remote')}' could not be read ({context.get('call')}"
            + (f": {said_by}" if said_by else "")
            + "); nothing was changed. Test it to see whether it is reachable."
        )
    return said(exc)


def check_said(check: RemoteCheck) -> str:
    """What a test found, in the console's terms."""
    if check.reach is RemoteReach.REACHABLE:
        return check.message
    detail = " ".join(
        str(part)
        for part in (check.remote_status, check.remote_error_code, check.remote_error_msg)
        if part
    )
    suffix = f" (it answered {detail})" if detail else ""
    return f"Remote '{check.remote}': {REACH_WORDS[check.reach]}{suffix}."


@router.get("/w/{workspace_id}/admin/remotes")
def remotes(page: PageDep) -> Response:
    """The project's remotes with their last refresh, and the form to add one."""
    return _page(page)


@router.post("/w/{workspace_id}/admin/remotes")
def add_remote(page: PageDep, form: FormDep) -> Response:
    """Add a remote and its shadow workspace (project admins)."""
    draft = {key: text(form, key) for key in DRAFT_FIELDS}
    try:
        spec = parse_remote({**draft, "secretKey": raw(form, "secretKey")})
        page.services.remotes.add(page.session.actor, spec)
    except JobferryError as exc:
        return _page(page, error=remote_said(exc), draft=draft, status_code=exc.status)
    return _page(
        page,
        message=f"Added remote '{spec.name}' with its shadow workspace '{spec.name}'; "
        "Refresh fills it from the remote.",
    )


@router.post("/w/{workspace_id}/admin/remotes/action")
def remote_action(page: PageDep, form: FormDep) -> Response:
    """Test, refresh or remove one remote."""
    actor, remotes = page.session.actor, page.services.remotes
    action, name = text(form, "action"), text(form, "name")
    try:
        if action == "test":
            check = remotes.test(actor, name)
            if check.reach is not RemoteReach.REACHABLE:
                return _page(page, error=check_said(check), status_code=200)
            message = check_said(check)
        elif action == "refresh":
            done = remotes.refresh(actor, name)
            message = f"Refreshed remote '{name}': {counted(done)}."
        elif action == "remove":
            remotes.remove(actor, name)
            message = (
                f"Removed remote '{name}'; its workspace '{name}' stays, holding the last "
                "refresh's copy, as an ordinary workspace."
            )
        else:
            return _page(page, error=f"Unknown action '{action}'.", status_code=400)
    except JobferryError as exc:
        return _page(page, error=remote_said(exc), status_code=exc.status)
    return _page(page, message=message)
