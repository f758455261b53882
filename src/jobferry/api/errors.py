"""One place that turns every failure into the DataArts error envelope."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from jobferry.api.wire import json
from jobferry.errors import InvalidRequestError, JobferryError, error_body

log = logging.getLogger("jobferry.api")


def request_id(request: Request) -> str:
    """The id of this request (also sent back as X-Request-Id)."""
    rid: str | None = getattr(request.state, "request_id", None)
    if rid is None:
        rid = uuid.uuid4().hex
        request.state.request_id = rid
    return rid


def _envelope(request: Request, error: JobferryError) -> Response:
    rid = request_id(request)
    body = error.envelope()
    body["request_id"] = rid
    response = json(body, error.status)
    # The catch-all handler runs outside the middleware that stamps this header.
    response.headers["X-Request-Id"] = rid
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers: our errors, FastAPI's validation, unknown routes, the rest."""

    @app.exception_handler(JobferryError)
    async def on_jobferry_error(request: Request, exc: JobferryError) -> Response:
        return _envelope(request, exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p not in ('query', 'path'))}: "
            f"{e.get('msg')}"
            for e in exc.errors()
        ]
        return _envelope(
            request,
            InvalidRequestError(
                f"The request parameter is invalid: {'; '.join(problems)}.",
                details=[{"field": p.split(":")[0], "message": p} for p in problems],
            ),
        )

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (404, 405):
            message = (
                "The API does not exist or has not been published; check the method and path "
                "against the DataArts v1 API or GET /openapi.json."
            )
        else:
            message = str(exc.detail)
        code = "APIGW.0101" if exc.status_code in (404, 405) else f"APIGW.{exc.status_code}"
        rid = request_id(request)
        body = {**error_body(code, message), "request_id": rid}
        response = json(body, exc.status_code)
        response.headers["X-Request-Id"] = rid
        return response

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> Response:
        rid = request_id(request)
        log.exception("unexpected error in request %s", rid, exc_info=exc)
        return _envelope(
            request,
            JobferryError(
                f"Internal error; the server log has the details under request id {rid}."
            ),
        )
