"""Sign-in, sign-out, the start page and the viewer's own password.

The sign-in form has no session yet, so it is protected against login CSRF with a
double-submit token: a random value in a short-lived cookie that the form must repeat.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from starlette.concurrency import run_in_threadpool

from jobferry.console.fixes import said
from jobferry.console.web import (
    SESSION_COOKIE,
    SIGNIN_CSRF_COOKIE,
    ErrorContext,
    FormDep,
    PageContext,
    SessionDep,
    base_of,
    raw,
    redirect,
    render,
)
from jobferry.errors import CsrfError, JobferryError
from jobferry.services.accounts.signin import same_token
from jobferry.web import services_of

router = APIRouter()


def _safe_next(request: Request, target: str) -> str:
    """Only console paths are followed after sign-in (no open redirect)."""
    base = base_of(request)
    if target.startswith(f"{base}/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{base}/"


def _secure(request: Request) -> bool:
    """Whether the browser reached the console over HTTPS: directly, or through a reverse proxy
    that ends TLS and says so in ``X-Forwarded-Proto`` (uvicorn turns that header into the
    scheme only for a proxy on this machine; one on another host is the common case). The
    header can only add the ``Secure`` flag: a client claiming HTTPS over plain HTTP gets a
    cookie its own browser then keeps to HTTPS."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


@dataclass(frozen=True, kw_only=True)
class SigninContext(PageContext):
    """The sign-in form: its double-submit token, where to go after, a refusal and the user
    name typed."""

    template = "signin.html"
    signin_token: str
    next_url: str
    error: str = ""
    user: str = ""


@dataclass(frozen=True, kw_only=True)
class AccountContext(PageContext):
    """The viewer's own account: what a password change did or why it was refused."""

    template = "account.html"
    message: str = ""
    error: str = ""


def _signin_page(
    request: Request, next_url: str, *, error: str = "", user: str = "", status_code: int = 200
) -> Response:
    token = request.cookies.get(SIGNIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    context = SigninContext(signin_token=token, next_url=next_url, error=error, user=user)
    response = render(request, context, status_code=status_code)
    response.set_cookie(
        SIGNIN_CSRF_COOKIE,
        token,
        max_age=3600,
        path=base_of(request) or "/",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    return response


@router.get("/signin")
def signin_form(request: Request, next: str = "") -> Response:
    """The sign-in page."""
    return _signin_page(request, _safe_next(request, next))


@router.post("/signin")
async def signin(
    request: Request,
    user: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    signin_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password, start a session, set its cookie."""
    next_url = _safe_next(request, next)
    cookie = request.cookies.get(SIGNIN_CSRF_COOKIE, "")
    if not cookie or not signin_token or not same_token(cookie, signin_token):
        raise CsrfError(
            "The sign-in form was refused because its security token is missing or out of date; "
            "reload the sign-in page and try again (cookies must be enabled)."
        )
    services = services_of(request)

    def attempt() -> tuple[str, int]:
        project_id = services.signin.first_project()
        actor = services.signin.authenticate(project_id, user.strip(), password)
        token, session = services.signin.start_session(actor)
        return token, session.expires_at

    try:
        token, _ = await run_in_threadpool(attempt)
    except JobferryError as exc:
        return _signin_page(
            request, next_url, error=said(exc), user=user.strip(), status_code=exc.status
        )
    response = redirect(next_url)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(services.settings.console_session_hours * 3600),
        path=base_of(request) or "/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(SIGNIN_CSRF_COOKIE, path=base_of(request) or "/")
    return response


@router.post("/signout")
def signout(request: Request, session: SessionDep, form: FormDep) -> Response:
    """End the session and forget its cookie."""
    services_of(request).signin.end_session(request.cookies.get(SESSION_COOKIE, ""))
    response = redirect(f"{base_of(request)}/signin")
    response.delete_cookie(SESSION_COOKIE, path=base_of(request) or "/")
    return response


@router.get("/")
def start(request: Request, session: SessionDep) -> Response:
    """Send the viewer to the job tree of their first workspace."""
    actor = session.actor
    workspaces = services_of(request).accounts.list_workspaces(actor, actor.project_id)
    if not workspaces:
        context = ErrorContext(
            title="No workspace",
            message=(
                f"User '{actor.name}' has no role in any workspace yet; ask a workspace admin to "
                "grant one, then reload this page."
            ),
        )
        return render(request, context, status_code=403)
    return redirect(f"{base_of(request)}/w/{workspaces[0].id}/jobs")


@router.get("/switch")
def switch(request: Request, session: SessionDep, workspace: str = "") -> Response:
    """The workspace switcher's target: the chosen workspace's job tree."""
    if not workspace:
        return redirect(f"{base_of(request)}/")
    return redirect(f"{base_of(request)}/w/{quote(workspace, safe='')}/jobs")


@router.get("/account")
def account_page(request: Request, session: SessionDep) -> Response:
    """The viewer's own account: change the console password."""
    return render(request, AccountContext())


@router.post("/account/password")
def change_password(request: Request, session: SessionDep, form: FormDep) -> Response:
    """Change one's own password (the current one is asked again)."""
    services = services_of(request)
    actor = session.actor
    current, new, again = raw(form, "current"), raw(form, "password"), raw(form, "again")
    try:
        if new != again:
            differ = "The two new passwords differ; type the same password twice."
            return render(request, AccountContext(error=differ), status_code=400)
        services.signin.authenticate(actor.project_id, actor.name, current)
        services.signin.set_password(actor, actor.name, new)
    except JobferryError as exc:
        return render(request, AccountContext(error=said(exc)), status_code=exc.status)
    response = redirect(f"{base_of(request)}/signin")
    response.delete_cookie(SESSION_COOKIE, path=base_of(request) or "/")
    return response
