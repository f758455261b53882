"""One place that turns every failure into the DataArts error envelope."""

from __future__ import annotations

import logging
import re
import uuid

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from jobferry.api.wire import json, sent_method
from jobferry.errors import InvalidRequestError, JobferryError, error_body
from jobferry.web import client_gone

log = logging.getLogger("jobferry.api")


def request_id(request: Request) -> str:
    """The id of this request (also sent back as X-Request-Id)."""
    rid: str | None = getattr(request.state, "request_id", None)
    if rid is None:
        rid = uuid.uuid4().hex
        request.state.request_id = rid
    return rid


def error_response(request: Request, error: JobferryError) -> Response:
    """``error`` as the DataArts envelope, with the request id."""
    rid = request_id(request)
    body = error.envelope()
    body["request_id"] = rid
    response = json(body, error.status)
    # The catch-all handler runs outside the middleware that stamps this header.
    response.headers["X-Request-Id"] = rid
    retry_after = error.context.get("retry_after")
    if error.status == 503 and isinstance(retry_after, int):
        # A server busy for now (a write lock another write holds) says when to try again.
        response.headers["Retry-After"] = str(retry_after)
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers: our errors, FastAPI's validation, unknown routes, the rest."""

    @app.exception_handler(JobferryError)
    async def on_jobferry_error(request: Request, exc: JobferryError) -> Response:
        return error_response(request, exc)

    @app.exception_handler(ClientDisconnect)
    async def on_client_gone(request: Request, exc: ClientDisconnect) -> Response:
        # A client stopped mid-body (a CLI interrupted during an upload): not a server error.
        return client_gone(request, log, request_id(request))

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p not in ('query', 'path'))}: "
            f"{e.get('msg')}"
            for e in exc.errors()
        ]
        return error_response(
            request,
            InvalidRequestError(
                f"The request parameter is invalid: {'; '.join(problems)}.",
                details=[{"field": p.split(":")[0], "message": p} for p in problems],
            ),
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        # A method the path does not serve is an unknown API, 404 as the API gateway answers
        # an unpublished method and path (not Starlette's 405).
        status = 404 if exc.status_code == 405 else exc.status_code
        if status == 404:
            message = (
                f"The API does not exist or has not been published: {sent_method(request)} "
                f"{request.url.path[:200]}; check the method and path against the DataArts v1 "
                "API or GET /openapi.json."
            )
        else:
            message = str(exc.detail)
        code = "APIGW.0101" if status == 404 else f"APIGW.{status}"
        rid = request_id(request)
        body = {**error_body(code, message), "request_id": rid}
        response = json(body, status)
        response.headers["X-Request-Id"] = rid
        return response

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> Response:
        rid = request_id(request)
        log.exception("unexpected error in request %s", rid, exc_info=exc)
        return error_response(
            request,
            JobferryError(
                f"Internal error; the server log has the details under request id {rid}."
            ),
        )


def address_problem(request: Request) -> JobferryError | None:
    """A NUL character in the decoded query: refused before any route sees it (no tag or
    filter can hold one, and PostgreSQL could not even compare it). A name in the path is the
    route's to answer: no object has such a name, so it is the kind's own "not found"."""
    for key, value in request.query_params.multi_items():
        if "\x00" in key or "\x00" in value:
            return InvalidRequestError(
                f"Query parameter '{key.replace(chr(0), '%00')}' holds a NUL character (%00); "
                "remove it from the address.",
                parameter=key.replace("\x00", "%00"),
            )
    return None


access_log = logging.getLogger("jobferry.access")
_ACCESS_KEY = re.compile(r"\bAccess=([^,\s]+)")


def log_access(request: Request, status: int, seconds: float, rid: str) -> None:
    """One ``info`` line a request: method, path, status, duration, request id, and the access
    key that signed it (``-`` for none). Never a secret, a header value or a body."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    found = _ACCESS_KEY.search(request.headers.get("authorization", ""))
    access_log.info(
        "%s %s %d %.1fms request_id=%s ak=%s",
        sent_method(request),
        request.url.path,
        status,
        seconds * 1000,
        rid,
        found.group(1) if found else "-",
    )
