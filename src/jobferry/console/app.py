"""The console application, mounted at ``/console`` in the server's app.

It is its own ASGI app so that its failures render as HTML pages (the API keeps its JSON error
envelope): a jobferry error shows its message (which says what to do), an unknown path a 404
page, and so does an address naming an object that is not there (``console/missing.py``: the
page links back to the object's list), anything unexpected a page naming the request id the
server log has it under — never a stack trace; a client gone before its form was read ends
its request quietly (499, a debug line), as no failure of the server. Responses carry a strict
Content-Security-Policy: only the console's own script and style sheet run, no inline code.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from jobferry.console import (
    admin,
    approvals,
    audit,
    auth,
    checking,
    compare,
    downloads,
    drift,
    editor,
    exports,
    imports,
    jobs,
    ledger,
    library,
    listing,
    locks,
    packages,
    policies,
    release_undo,
    releases,
    remotes,
    rollback_review,
    route_approvals,
    routes,
    tasks,
    workspace_settings,
)
from jobferry.console.fixes import said
from jobferry.console.web import (
    ErrorContext,
    MissingPageError,
    SignInRequiredError,
    base_of,
    redirect,
    render,
)
from jobferry.errors import InvalidRequestError, JobferryError, StorageError
from jobferry.services.container import Services
from jobferry.tasks.runner import TaskRunner
from jobferry.web import client_gone, log_store_refusal

log = logging.getLogger("jobferry.console")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

TITLES = {400: "Cannot do that", 401: "Sign-in refused", 403: "Not allowed", 404: "Not found"}


def _request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    return str(rid) if rid else "-"


def _error_page(request: Request, status: int, message: str, code: str = "") -> Response:
    context = ErrorContext(
        page=getattr(request.state, "console_page", None),  # the workspace's menus, if known
        title=TITLES.get(status, "Something went wrong"),
        message=message,
        code=code,
    )
    return render(request, context, status_code=status)


def create_console(services: Services, runner: TaskRunner) -> FastAPI:
    """The console app over the same services and task runner as the API."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.services = services
    app.state.runner = runner

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if not request.url.path.startswith(f"{base_of(request)}/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(SignInRequiredError)
    async def on_sign_in_required(request: Request, exc: SignInRequiredError) -> Response:
        target = request.url.path
        if request.url.query:
            target += f"?{request.url.query}"
        if request.method != "GET":
            target = f"{base_of(request)}/"
        return redirect(f"{base_of(request)}/signin?next={quote(target, safe='')}")

    @app.exception_handler(ClientDisconnect)
    async def on_client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # A browser closed or a form left mid-post: the client's doing, not a server error.
        return client_gone(request, log, _request_id(request))

    @app.exception_handler(MissingPageError)
    async def on_missing(request: Request, exc: MissingPageError) -> Response:
        context = ErrorContext(
            page=getattr(request.state, "console_page", None),
            title=TITLES[404],
            message=exc.message,
            back_url=exc.back_url,
            back_title=exc.back_title,
        )
        return render(request, context, status_code=404)

    @app.exception_handler(JobferryError)
    async def on_jobferry_error(request: Request, exc: JobferryError) -> Response:
        if isinstance(exc, StorageError) and exc.reason is not None:
            # The driver's words can name the database's host, user or file: for the log only.
            rid = _request_id(request)
            log.warning("console %s (request %s): %s", request.url.path, rid, exc)
            exc = exc.withheld(rid)
        log_store_refusal(request, log, exc)
        return _error_page(request, exc.status, said(exc), exc.code)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(
            f"{e.get('loc', ('?',))[-1]} ({str(e.get('msg', '')).lower()})"
            for e in exc.errors()
            if isinstance(e, dict)
        )
        return _error_page(
            request,
            400,
            f"The form or address is missing or has a wrong value for: {fields}.",
            InvalidRequestError.code,
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405):
            return _error_page(
                request,
                404,
                "There is no such page in the console; use the menu above, or go back.",
            )
        return _error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> Response:
        rid = _request_id(request)
        log.exception("unexpected console error in request %s", rid, exc_info=exc)
        return _error_page(
            request,
            500,
            f"Something went wrong on the server; nothing you did caused it. The server log has "
            f"the details under request id {rid}. Try again, or tell an administrator.",
        )

    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    pages = (
        auth,
        jobs,
        compare,
        locks,
        drift,
        editor,
        library,
        listing,
        exports,
        downloads,
        tasks,
        imports,
    )
    releasing = (releases, packages, release_undo, approvals, ledger)
    for module in (
        *pages,
        rollback_review,
        checking,
        routes,
        route_approvals,
        *releasing,
        admin,
        workspace_settings,
        audit,
        policies,
        remotes,
    ):
        app.include_router(module.router)
    return app
