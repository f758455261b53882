"""One place that turns every failure into the DataArts error envelope."""

from __future__ import annotations

import logging
import re
import uuid
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from jobferry.api.auth import release_replay
from jobferry.api.wire import json, sent_method
from jobferry.errors import (
    DatabaseBusyError,
    InvalidRequestError,
    JobferryError,
    StorageError,
    error_body,
)
from jobferry.web import client_gone, log_store_refusal

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
    if isinstance(error, StorageError) and error.reason is not None:
        # The driver's words can name the database's host, user or file: for the log only.
        log.warning("%s %s (request %s): %s", request.method, request.url.path, rid, error)
        error = error.withheld(rid)
    log_store_refusal(request, log, error)
    body = error.envelope()
    body["request_id"] = rid
    response = json(body, error.status)
    # The catch-all handler runs outside the middleware that stamps these headers.
    response.headers["X-Request-Id"] = rid
    response.headers["X-Content-Type-Options"] = "nosniff"
    retry_after = error.context.get("retry_after")
    if error.status == 503 and isinstance(retry_after, int):
        # A server busy for now (a write lock another write holds) says when to try again.
        response.headers["Retry-After"] = str(retry_after)
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers: our errors, FastAPI's validation, unknown routes, the rest."""

    @app.exception_handler(JobferryError)
    async def on_jobferry_error(request: Request, exc: JobferryError) -> Response:
        if isinstance(exc, DatabaseBusyError):  # nothing of it written: its signature not used
            await release_replay(request)
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
    """What makes the address itself unusable, refused before any route runs (so before the
    signature is checked: it counts no failed signature). A NUL character in the decoded
    query: no tag or filter can hold one, and PostgreSQL could not even compare it (a name in
    the path is the route's to answer: no object has such a name, so it is the kind's own "not
    found"). A percent-escape of bytes that are not UTF-8, in the path or the query: no name or
    value can hold them, and signers canonicalise them differently (the Python SDK's
    ``unquote`` turns them into U+FFFD, Go's keeps the bytes), so the signature could not be
    checked as the client made it."""
    scope = request.scope
    raw_path: bytes = scope.get("raw_path") or b""
    query: bytes = scope.get("query_string") or b""
    if not query and b"%" not in raw_path and raw_path.isascii():
        return None
    if not scope["path"].startswith("/console"):  # the console answers its own pages
        for where, raw in (("path", raw_path), ("query", query)):
            refused = _not_utf8(where, raw)
            if refused is not None:
                return refused
    for key, value in request.query_params.multi_items():
        if "\x00" in key or "\x00" in value:
            return InvalidRequestError(
                f"Query parameter '{key.replace(chr(0), '%00')}' holds a NUL character (%00); "
                "remove it from the address.",
                parameter=key.replace("\x00", "%00"),
            )
    return None


def _not_utf8(where: str, raw: bytes) -> InvalidRequestError | None:
    """The refusal of a path or query whose percent-decoded bytes are not UTF-8, naming the
    first bad byte as its escape."""
    decoded = unquote_to_bytes(raw)
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError as exc:
        escape = f"%{decoded[exc.start]:02X}"
        shown = raw[:200].decode("latin-1")
        return InvalidRequestError(
            f"The {where} '{shown}' holds {escape}, a percent-escape that is not UTF-8 (byte "
            f"{exc.start} of the decoded {where}); names and values are UTF-8 text: "
            "percent-encode each character's UTF-8 bytes (é is %C3%A9).",
            parameter=where,
        )
    return None


access_log = logging.getLogger("jobferry.access")
_ACCESS_KEY = re.compile(r"\b(?:Access|Credential)=([^,\s/]+)")


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
