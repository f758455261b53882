"""What every console page shares: the signed-in viewer, CSRF checks, rendering, formats."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar
from urllib.parse import quote

from fastapi import Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from jobferry.console.fixes import said
from jobferry.domain.bounds import INT64_MAX, INT64_MIN
from jobferry.domain.enums import Role
from jobferry.domain.routes import carried_words
from jobferry.domain.saving import CREATE, Expected
from jobferry.domain.sizes import size_in_words
from jobferry.errors import (
    CsrfError,
    InvalidRequestError,
    ProductionSideError,
    ShadowWorkspaceError,
    WorkspaceNotFoundError,
)
from jobferry.services.accounts.records import Workspace
from jobferry.services.accounts.signin import ConsoleSession, same_token
from jobferry.services.container import Services
from jobferry.services.context import WRITERS, Scope, scheduling_roles, writing_roles
from jobferry.tasks.runner import TaskRunner
from jobferry.web import runner_of, services_of

SESSION_COOKIE = "jobferry_console"
SIGNIN_CSRF_COOKIE = "jobferry_console_signin"
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


class SignInRequiredError(Exception):
    """No live session: the handler sends the browser to the sign-in page."""


class MissingPageError(Exception):
    """The object a console page's address names does not exist (``console/missing.py``): the
    console answers a 404 page with ``message`` and a link to ``back_url``, titled
    ``back_title``."""

    def __init__(self, message: str, back_url: str, back_title: str) -> None:
        super().__init__(message)
        self.message = message
        self.back_url = back_url
        self.back_title = back_title


def base_of(request: Request) -> str:
    """The path the console is mounted at (``/console``)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def current_session(request: Request) -> ConsoleSession:
    """The live session of the cookie, or SignInRequiredError."""
    token = request.cookies.get(SESSION_COOKIE, "")
    found = services_of(request).signin.session(token) if token else None
    if found is None:
        raise SignInRequiredError()
    request.state.console_session = found
    return found


SessionDep = Annotated[ConsoleSession, Depends(current_session)]


@dataclass(frozen=True)
class Page:
    """The signed-in viewer in one workspace, and what the pages need to know about them."""

    request: Request
    session: ConsoleSession
    scope: Scope
    workspaces: list[Workspace]

    @property
    def services(self) -> Services:
        """The services."""
        return services_of(self.request)

    @property
    def runner(self) -> TaskRunner:
        """The background task runner."""
        return runner_of(self.request)

    @property
    def can_write(self) -> bool:
        """Admins and developers: export, import, download center."""
        return self.scope.role in WRITERS

    @property
    def is_admin(self) -> bool:
        """Workspace admins: admin pages, PRODUCTION target status."""
        return self.scope.role is Role.ADMIN

    @property
    def shadow_of(self) -> str | None:
        """The remote this workspace is the shadow of (``None``: an ordinary workspace)."""
        return self.scope.workspace.shadow_of

    @property
    def production_of(self) -> str | None:
        """The development workspace this workspace is the production side of (``None``: not
        a production side)."""
        return self.scope.workspace.production_of

    @property
    def enterprise(self) -> bool:
        """Whether the workspace is in enterprise mode (it has a production side)."""
        return self.scope.workspace.production_id is not None

    @property
    def development_name(self) -> str:
        """A production side's development workspace, by name (its own name otherwise)."""
        development = self.production_of
        for ws in self.workspaces:
            if ws.id == development:
                return ws.name
        return self.scope.workspace.name

    @property
    def can_change(self) -> bool:
        """Admins and developers of a workspace that changes here (not a remote's shadow, not
        a production side): create and edit jobs and scripts."""
        return self.can_write and self.shadow_of is None and self.production_of is None

    @property
    def can_lock(self) -> bool:
        """Who may lock a job or script: admins and developers (of a production side, which a
        developer only reads, admins), never in a remote's shadow, where nobody edits."""
        return self.can_unlock and self.shadow_of is None

    @property
    def can_unlock(self) -> bool:
        """Who may release their own lock (and admins anyone's): those who may lock, and in a
        remote's shadow too, where a lock taken before it became one is released."""
        return self.scope.role in writing_roles(self.scope.workspace)

    @property
    def can_import(self) -> bool:
        """Admins and developers of a workspace that imports (a production side takes only
        releases)."""
        return self.can_write and self.production_of is None

    @property
    def can_schedule(self) -> bool:
        """Admins, developers and operators of a workspace that changes here (not a remote's
        shadow; of a production side, admins and operators): start and stop scheduling jobs."""
        return self.scope.role in scheduling_roles(self.scope.workspace) and self.shadow_of is None

    def require_change(
        self, allowed: tuple[Role, ...], action: str, *, scheduling: bool = False
    ) -> None:
        """Refuse unless the viewer's role is one of ``allowed`` and the workspace changes
        here, as the services refuse (``Scope.require_change``), said with the console's
        pages: a remote's shadow changes only with the remote, a production side only by a
        release (and, ``scheduling``, by the start and stop of its jobs, by its admins and
        operators)."""
        if scheduling:
            allowed = tuple(r for r in allowed if r in scheduling_roles(self.scope.workspace))
        self.scope.require(allowed, action)
        if self.production_of is not None and not scheduling:
            name = self.scope.workspace.name
            raise ProductionSideError(
                f"Workspace '{name}' is the production side of workspace "
                f"'{self.development_name}' and may not {action}: production changes only by a "
                f"release. Make the change in '{self.development_name}' and submit it; it "
                "reaches production when a release package holding it is deployed (Releases).",
                workspace=name,
                development=self.production_of,
            )
        remote = self.shadow_of
        if remote is not None:
            name = self.scope.workspace.name
            raise ShadowWorkspaceError(
                f"Workspace '{name}' is the shadow of remote '{remote}' and may not {action}: "
                "it changes only with the remote. To change the remote, import a package into "
                "this workspace (Import): the import is pushed to the remote. To see the "
                "remote's latest, refresh it under Admin → Remotes.",
                workspace=name,
                remote=remote,
            )

    def url(self, path: str = "") -> str:
        """A console URL in this page's workspace."""
        return f"{base_of(self.request)}/w/{self.scope.workspace.id}{path}"


def workspace_page(request: Request, workspace_id: str, session: SessionDep) -> Page:
    """The viewer in the workspace of the path (refused when they have no role there)."""
    services = services_of(request)
    actor = session.actor
    try:
        scope = services.accounts.scope(actor, actor.project_id, workspace_id)
    except WorkspaceNotFoundError as exc:  # a stale link, a typo: no such page
        raise MissingPageError(said(exc), f"{base_of(request)}/", "the start page") from exc
    workspaces = services.accounts.list_workspaces(actor, actor.project_id)
    page = Page(request, session, scope, workspaces)
    request.state.console_page = page  # an error page of this request keeps its menus
    return page


PageDep = Annotated[Page, Depends(workspace_page)]


MAX_FORM_FIELDS = 200_000
"""Fields a console form may carry: the jobs page posts one per ticked job (Starlette's default
of 1,000 refused an export of 2,000 ticked jobs)."""


MAX_FIELD_BYTES = 16 * 1024 * 1024
"""Bytes one field of a console form may carry as sent (URL-encoded): the editor posts a
definition, and the one it was opened from, as text, and a script's content may hold 4 MiB
(DataArts' limit), which percent-encoding can make three times as long; Starlette's default
of 1 MB refused any script over about half a megabyte. The body as a whole is held to the
server's body limit (``api.bodylimit``) before it is read."""


async def checked_form(request: Request, session: SessionDep) -> AsyncIterator[FormData]:
    """The posted form, refused (CsrfError) unless it carries the session's CSRF token. The
    files it spooled are closed once the page has answered, whatever it answered (a refusal
    before the page looked at them included)."""
    try:
        form = await request.form(max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FIELD_BYTES)
    except HTTPException as exc:  # a field past its size, too many fields: nothing was read
        raise InvalidRequestError(unread_form(str(exc.detail))) from exc
    try:
        sent = form.get("csrf_token")
        if not isinstance(sent, str) or not same_token(sent, session.csrf_token):
            raise CsrfError(
                "The form was refused because its security token is missing or out of date "
                "(the page may be from an earlier session); reload the page and submit it again."
            )
        yield form
    finally:
        await form.close()


def unread_form(detail: str) -> str:
    """Why a posted form was not read (the form parser's ``detail``), with what to do."""
    said = f"Nothing was changed: the form could not be read ({detail.rstrip('.')})."
    if "size" in detail:  # the limit of one field (or file part): MAX_FIELD_BYTES
        said += (
            f" A field of a console form holds at most {MAX_FIELD_BYTES // 2**20} MB: shorten "
            "what was typed or pasted there, then submit the form again."
        )
    return said


def unknown_action(action: str) -> str:
    """Why a form naming an action its page does not have (an older page's, a hand-made post)
    changed nothing, and what to do."""
    return (
        f"Nothing was changed: the form asked for “{action}”, which this page does not do (the "
        "form may be from an older page); reload the page and use its buttons."
    )


FormDep = Annotated[FormData, Depends(checked_form)]

QueryInt = Annotated[int, Query(ge=INT64_MIN, le=INT64_MAX)]
"""The type of every integer in a page's address query (``offset``…): one past what the
database stores is refused, naming it, before the page reads it (``domain/bounds.py``). An id
in the path stays a plain ``int``: one past that range is an unknown id, as the services say."""


def text(form: FormData, name: str, default: str = "") -> str:
    """One text field of a form, stripped ('' when absent or a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


def read_at(form: FormData, key: str) -> Expected | None:
    """The condition an editor's save of a versioned document (a profile, a policy) is made
    on: over the version the form was read at (its hidden ``read_of`` and ``read_version``)
    when it saves what it read (``key``), else only when there is none (a new one). A form
    without them (rendered before an upgrade) saves as before, on no condition."""
    if "read_of" not in form:
        return None
    version = text(form, "read_version")
    if text(form, "read_of") == key and version.isdigit():
        return Expected(int(version))
    return CREATE


def read_fields(
    key: str = "", version: int | None = None, *, form: FormData | None = None
) -> dict[str, str]:
    """An editor's hidden fields naming what it was read at (``read_at``): ``key`` at
    ``version``, or as ``form`` posted them."""
    if form is not None:
        return {"read_of": text(form, "read_of"), "read_version": text(form, "read_version")}
    return {"read_of": key, "read_version": "" if version is None else str(version)}


def raw(form: FormData, name: str) -> str:
    """One text field exactly as sent (passwords are not stripped)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def texts(form: FormData, name: str) -> list[str]:
    """Every value of a repeated text field, stripped, empty ones dropped."""
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def paths(form: FormData, name: str) -> list[str]:
    """Every value of a repeated folder field as sent, empty ones dropped: a folder's name may
    end in a blank (``/etl /daily``), and ``/etl `` is not ``/etl``."""
    return [v for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def when(ms: int | None) -> str:
    """Epoch milliseconds as an ISO time in UTC (the browser shows it in local time)."""
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def size(n: int | None) -> str:
    """Bytes in words: 512 B, 12.3 KiB, 4.0 MiB."""
    return "" if n is None else size_in_words(n)


_MARKUP = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("'", "&#39;"))
"""What ``json_text`` escapes, ``&`` first: the characters Jinja's ``tojson`` escapes."""


def json_text(value: object) -> Markup:
    """A value as JSON for a person to read (``| json_text``), its text as typed: Jinja's
    ``tojson`` writes every non-ASCII character as a ``\\uXXXX`` escape, fit for a script but
    not for a page (a Chinese description read ``"\\u4e2d\\u6587"``). The characters
    ``tojson`` escapes for HTML (``&``, ``<``, ``>``, ``'``) are escaped here too, as HTML
    entities, so that the page shows them as they are (``a < b``, not ``a \\u003c b``). Keys are
    sorted, as ``tojson`` sorts them. For an element's text, never a ``<script>`` or an
    attribute in double quotes (``"`` is left as JSON writes it)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    for character, entity in _MARKUP:
        text = text.replace(character, entity)
    return Markup(text)


TEMPLATES.env.filters["when"] = when
TEMPLATES.env.filters["json_text"] = json_text
TEMPLATES.env.filters["size"] = size
TEMPLATES.env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else n
TEMPLATES.env.filters["urlpart"] = lambda value: quote(str(value), safe="")
TEMPLATES.env.filters["carried"] = lambda p: carried_words(
    p.jobs, p.deletions, p.scripts, p.resources
)


GLOBALS = frozenset({"request", "base", "viewer", "csrf_token"})
"""What every template is given besides its context's fields: the request, the console's
mount path, the signed-in viewer (``None`` on the sign-in page) and their CSRF token."""


@dataclass(frozen=True, kw_only=True)
class PageContext:
    """What one template shows: a frozen dataclass per template, defined beside its view, whose
    fields are the template's variables (besides ``GLOBALS``) and whose ``template`` names it.

    ``page`` is the viewer in a workspace (``None`` on pages outside one: sign-in, account,
    errors). tests/console/test_template_contexts.py checks every template reads only its
    context's fields."""

    template: ClassVar[str]
    page: Page | None = None


@dataclass(frozen=True, kw_only=True)
class ErrorContext(PageContext):
    """An error page: its title, the message (which says what to do) and the error's code."""

    template = "error.html"
    title: str
    message: str
    code: str = ""
    back_url: str = ""
    """The list a missing object belongs to (a 404 page), else empty."""
    back_title: str = ""


def render(request: Request, context: PageContext, *, status_code: int = 200) -> Response:
    """Render a context's template with what every page shows (viewer, workspace switcher,
    CSRF)."""
    page = context.page
    session: ConsoleSession | None = (
        page.session if page is not None else getattr(request.state, "console_session", None)
    )
    values: dict[str, Any] = {
        "base": base_of(request),
        "viewer": session.actor if session else None,
        "csrf_token": session.csrf_token if session else "",
    }
    # Not dataclasses.asdict: that would turn the records the template reads into dicts.
    values.update((f.name, getattr(context, f.name)) for f in fields(context))
    return TEMPLATES.TemplateResponse(request, context.template, values, status_code=status_code)


def redirect(url: str) -> Response:
    """Send the browser to another page after a form post (303: GET it)."""
    return RedirectResponse(url, status_code=303)
