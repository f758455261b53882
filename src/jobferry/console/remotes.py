"""Admin → Remotes: the project's remote DataArts workspaces — list them with their last
refresh, add one (its secret key typed once, never shown again), edit one in place (a new key
pair or secret key, moved endpoints), test, refresh, remove."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Response
from starlette.datastructures import UploadFile

from jobferry.console.admin import AdminPage
from jobferry.console.fixes import said
from jobferry.console.web import (
    FormDep,
    Page,
    PageDep,
    base_of,
    raw,
    redirect,
    render,
    text,
    unknown_action,
)
from jobferry.domain.enums import RemoteReach, Role
from jobferry.errors import JobferryError, RemoteError, RemoteNotFoundError, all_error_classes
from jobferry.services.context import require_project_admin
from jobferry.services.remotes.records import (
    Refresh,
    Remote,
    RemoteCheck,
    parse_remote,
    parse_remote_change,
)
from jobferry.services.remotes.refresh_task import REFUSAL_CONTEXT
from jobferry.services.tasks import QueuedTask

router = APIRouter()

DRAFT_FIELDS = ("name", "endpoint", "studioEndpoint", "projectId", "workspace", "accessKey")
"""What the add form gives back after a refusal (never the secret key)."""
REACH_WORDS = {
    RemoteReach.REACHABLE: "reachable",
    RemoteReach.AUTH_REFUSED: "its credentials were refused: Edit it with the right access key "
    "and secret key",
    RemoteReach.NOT_FOUND: "its endpoint, project id or workspace id names nothing there: Edit "
    "its endpoint, or remove it and add it again with the right project and workspace ids",
    RemoteReach.REFUSED: "it refused the call",
    RemoteReach.UNREACHABLE: "it could not be reached: check its endpoint and that this "
    "server can reach it",
}


@dataclass(frozen=True)
class RemoteRow:
    """One remote as the list shows it: its record and its last refresh said in words."""

    remote: Remote
    refreshed: str
    """What its last refresh did ('' when never refreshed)."""
    source: str
    """What the last refresh read: the remote, or which snapshot."""
    refreshing: str = ""
    """The page of the refresh running now ('' when none runs)."""


def _row(base: str, remote: Remote) -> RemoteRow:
    last = remote.last_refresh
    running = remote.refreshing
    refreshing = f"{base}/w/{remote.workspace_id}/tasks/{running.id}" if running else ""
    if last is None:
        return RemoteRow(remote, "", "", refreshing)
    if last.snapshot is not None:
        source = f"snapshot {last.snapshot.file_name} (SHA-256 {last.snapshot.sha256[:12]}…)"
    else:
        source = f"the remote, {last.calls:,} calls in {last.seconds:g} s"
    return RemoteRow(remote, last.said(), source, refreshing)


@dataclass(frozen=True, kw_only=True)
class RemotesContext(AdminPage):
    """The project's remotes and the add form's draft."""

    template = "admin_remotes.html"
    remotes: list[RemoteRow]
    draft: dict[str, str]
    snapshot_error: str = ""
    """A refused snapshot refresh, said beside its form."""
    snapshot_remote: str = ""
    """The remote the snapshot form names (kept after a refusal)."""
    editing: str = ""
    """The remote whose Edit form stays open (after a refusal)."""
    edit_draft: dict[str, str] = field(default_factory=dict)
    """What that form gives back (never the secret key)."""


def _administering(page: Page) -> None:
    """Admin → Remotes is an admin page like the others: its workspace's admins (project
    admins are admins everywhere). What each action then takes is the service's to say."""
    page.scope.require((Role.ADMIN,), "administer remotes")


def _page(
    page: Page,
    *,
    error: str = "",
    message: str = "",
    draft: dict[str, str] | None = None,
    status_code: int = 200,
    snapshot_error: str = "",
    snapshot_remote: str = "",
    editing: str = "",
    edit_draft: dict[str, str] | None = None,
) -> Response:
    actor = page.session.actor
    base = base_of(page.request)
    rows = [_row(base, remote) for remote in page.services.remotes.list_all(actor)]
    context = RemotesContext(
        page=page,
        remotes=rows,
        draft=draft or {},
        error=error,
        message=message,
        snapshot_error=snapshot_error,
        snapshot_remote=snapshot_remote,
        editing=editing,
        edit_draft=edit_draft or {},
    )
    return render(page.request, context, status_code=status_code)


FORM_LABELS = {
    "name": "Name",
    "endpoint": "Endpoint",
    "studioEndpoint": "Studio endpoint",
    "projectId": "Project id",
    "workspace": "Workspace id",
    "accessKey": "Access key",
    "secretKey": "Secret key",
}
"""The remote forms' labels, by the field of the request body a problem names first."""
_LEADING_FIELD = re.compile(r"^(\w+)(?= )")


def _in_form_words(problem: str) -> str:
    """A problem of a refused remote with the form's label in place of the field it names
    first (``studioEndpoint 'x' is not…`` → ``Studio endpoint 'x' is not…``)."""
    found = _LEADING_FIELD.match(problem)
    label = FORM_LABELS.get(found.group(1)) if found else None
    return label + problem[found.end() :] if found and label else problem


def remote_said(exc: JobferryError) -> str:
    """A refusal about a remote, in the console's terms (a refused form's problems with the
    form's labels)."""
    context = exc.context
    problems = context.get("problems")
    if isinstance(problems, list) and problems:
        worded = said(exc)
        for problem in problems:
            worded = worded.replace(str(problem), _in_form_words(str(problem)))
        return worded
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


REFUSALS: dict[str, type[JobferryError]] = {
    kind.code: kind
    for kind in all_error_classes()
    if issubclass(kind, RemoteError | RemoteNotFoundError)
}
"""The refusals about a remote, by code: what a failed refresh task's result names."""


def refresh_failed(message: str, result: dict[str, Any]) -> str:
    """A refresh task's failure in the console's terms (:func:`remote_said`), from what its
    result keeps of the refusal (its code and context); its own message otherwise."""
    kind = REFUSALS.get(str(result.get("errorCode")))
    if kind is None:
        return message
    context = {key: result[key] for key in REFUSAL_CONTEXT if key in result}
    return remote_said(kind(message, **context))


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
    _administering(page)
    return _page(page)


@router.post("/w/{workspace_id}/admin/remotes")
def add_remote(page: PageDep, form: FormDep) -> Response:
    """Add a remote and its shadow workspace (project admins)."""
    _administering(page)
    draft = {key: text(form, key) for key in DRAFT_FIELDS}
    try:
        require_project_admin(page.session.actor, "add remotes")  # before the form is read
        spec = parse_remote({**draft, "secretKey": raw(form, "secretKey")})
        page.services.remotes.add(page.session.actor, spec)
    except JobferryError as exc:
        return _page(page, error=remote_said(exc), draft=draft, status_code=exc.status)
    return _page(
        page,
        message=f"Added remote '{spec.name}' with its shadow workspace '{spec.name}'; "
        "Refresh fills it from the remote.",
    )


EDIT_FIELDS = ("endpoint", "studioEndpoint", "accessKey")
"""What the Edit form shows filled in with the remote's own values (the secret key is blank:
typed only to replace it)."""


def _changes(remote: Remote, draft: dict[str, str], secret: str) -> dict[str, str | None]:
    """The change a filled-in Edit form asks for: only the fields that differ from the
    remote's (a blank Studio endpoint: the calls go to the endpoint), and a secret key typed."""
    now = {
        "endpoint": remote.endpoint,
        "studioEndpoint": remote.studio_endpoint or "",
        "accessKey": remote.access_key,
    }
    body: dict[str, str | None] = {
        key: draft[key] or None for key in EDIT_FIELDS if draft[key] != now[key]
    }
    if secret:
        body["secretKey"] = secret
    return body


@router.post("/w/{workspace_id}/admin/remotes/edit")
def edit_remote(page: PageDep, form: FormDep) -> Response:
    """Change a remote in place (project admins): the same parser and service call as the
    API's change; its shadow workspace, routes and history stay."""
    _administering(page)
    actor, remotes = page.session.actor, page.services.remotes
    name = text(form, "name")
    draft = {key: text(form, key) for key in EDIT_FIELDS}
    try:
        require_project_admin(actor, "change remotes")  # before the remote is looked up
        body = _changes(remotes.get(actor, name), draft, raw(form, "secretKey"))
        if not body:
            return _page(
                page,
                error=f"Nothing to change in remote '{name}': type a new endpoint, access key "
                "(with its secret key) or secret key.",
                editing=name,
                edit_draft=draft,
                status_code=400,
            )
        if "accessKey" in body and "secretKey" not in body:
            return _page(
                page,
                error=f"A new access key for remote '{name}' comes with its secret key: type both.",
                editing=name,
                edit_draft=draft,
                status_code=400,
            )
        changed = remotes.change(actor, name, parse_remote_change(body))
    except JobferryError as exc:
        return _page(
            page, error=remote_said(exc), editing=name, edit_draft=draft, status_code=exc.status
        )
    words = {"endpoint": "endpoint", "studioEndpoint": "Studio endpoint"}
    words |= {"accessKey": "access key", "secretKey": "secret key"}
    return _page(
        page,
        message=f"Changed remote '{changed.name}' ({', '.join(words[k] for k in body)}); its "
        "shadow workspace and routes are as they were. Test checks the new settings.",
    )


def _refresh_page(page: Page, queued: QueuedTask) -> Response:
    """The page of a refresh's task, in the remote's shadow workspace, which follows it."""
    return redirect(f"{base_of(page.request)}/w/{queued.workspace_id}/tasks/{queued.task_id}")


@router.post("/w/{workspace_id}/admin/remotes/action")
def remote_action(page: PageDep, form: FormDep) -> Response:
    """Test, refresh (a task of its own, whose page follows it) or remove one remote."""
    _administering(page)
    actor, remotes = page.session.actor, page.services.remotes
    action, name = text(form, "action"), text(form, "name")
    try:
        if action == "test":
            check = remotes.test(actor, name)
            if check.reach is not RemoteReach.REACHABLE:
                return _page(page, error=check_said(check), status_code=200)
            message = check_said(check)
        elif action == "refresh":
            return _refresh_page(page, page.runner.start_refresh(actor, name))
        elif action == "remove":
            remotes.remove(actor, name)
            message = (
                f"Removed remote '{name}'; its workspace '{name}' stays, holding the last "
                "refresh's copy, as an ordinary workspace."
            )
        else:
            return _page(page, error=unknown_action(action), status_code=400)
    except JobferryError as exc:
        return _page(page, error=remote_said(exc), status_code=exc.status)
    return _page(page, message=message)


def snapshot_said(name: str, done: Refresh) -> str:
    """What a refresh from a snapshot did, with the snapshot's name and SHA-256."""
    snapshot = done.snapshot
    assert snapshot is not None, "a refresh from a snapshot records it"
    return (
        f"Refreshed remote '{name}' from snapshot {snapshot.file_name} (SHA-256 "
        f"{snapshot.sha256}): {done.said()}." + "".join(f" Note: {note}." for note in done.notes)
    )


@router.post("/w/{workspace_id}/admin/remotes/snapshot")
def refresh_from_snapshot(page: PageDep, form: FormDep) -> Response:
    """Refresh a remote from a snapshot carried from its side, uploaded with the form (the
    same service call as the API's refresh with a path). It is read here and now, not as a task
    as the refresh from the remote is: reading a file is bounded by the file, not by a remote's
    latency, and a wrong snapshot is refused beside the form that chose it."""
    _administering(page)
    name, upload = text(form, "name"), form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            return _page(
                page,
                snapshot_error="Choose the snapshot file (.zip): a whole-workspace export made "
                "on the remote's side.",
                snapshot_remote=name,
                status_code=400,
            )
        done = page.services.remotes.refresh_upload(
            page.session.actor, name, upload.file, upload.filename
        )
    except JobferryError as exc:
        return _page(
            page, snapshot_error=remote_said(exc), snapshot_remote=name, status_code=exc.status
        )
    return _page(page, message=snapshot_said(name, done))
