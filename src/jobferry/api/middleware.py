"""The API's one middleware, pure ASGI (no per-request task or body copy): it names every
request (``X-Request-Id``) and marks every answer not to be sniffed (``nosniff``), refuses an
unusable address (a NUL in the query, a percent-escape that is not UTF-8) before any route
runs, answers a ``HEAD`` with its path's ``GET`` route minus the body, answers a signed read
from memory when it can and keeps the answers of reads that may be kept (``api.fastpath``),
writes the access log line, and answers a call its server's stop cut (``api.stopping``)."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid

from fastapi import Request
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobferry.api.errors import address_problem, error_response, log_access
from jobferry.api.fastpath import answer_from_memory
from jobferry.api.stopping import ANSWER_IF_CUT, AnswerIfCut, Stop
from jobferry.api.wire import accepted
from jobferry.services.accounts.replays import request_writes

_PREFIX = uuid.uuid4().hex[:16]
_SEQUENCE = itertools.count(1)


def new_request_id() -> str:
    """32 hex digits, unique per process start and request: a random prefix and a counter
    (``uuid4`` reads the OS random source on every request)."""
    return f"{_PREFIX}{next(_SEQUENCE) & 0xFFFFFFFFFFFFFFFF:016x}"


async def head_as_get(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a ``HEAD`` as its path's ``GET`` route does, minus the body (HTTP: the same
    status and headers, ``Content-Length`` included); the method sent is kept for the
    signature check (``api.wire.sent_method``)."""
    scope["state"]["sent_method"] = "HEAD"

    async def bodiless(message: Message) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    await app({**scope, "method": "GET"}, receive, bodiless)


class RequestMiddleware:
    """Request id, query check and access log around the app; ``stop``: the calls its
    server's stop cuts (``api.stopping``)."""

    def __init__(self, app: ASGIApp, stop: Stop) -> None:
        self.app = app
        self.stop = stop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = new_request_id()
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = 500  # what the catch-all handler answers if the app raises
        answered = False

        async def stamped(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
                headers = MutableHeaders(scope=message)
                if "x-request-id" not in headers:
                    headers["X-Request-Id"] = rid
                # A JSON answer (a refusal echoing a job's name, a definition's text) is never
                # sniffed into HTML by a browser that opened its address.
                headers.setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        request = Request(scope)
        try:
            refused = address_problem(request)
            if refused is not None:
                await error_response(request, refused)(scope, receive, stamped)
            elif scope["method"] == "HEAD":
                await head_as_get(self.app, scope, receive, stamped)
            else:
                with request_writes():  # a busy refusal asks whether it wrote (api/auth.py)
                    if not await answer_from_memory(scope, receive, stamped, self.app):
                        await self.app(scope, receive, stamped)
        except asyncio.CancelledError:
            # Only uvicorn cancels a call: its server stopping, past the shutdown time. The call
            # ends here (its thread, if any, with the process), answered rather than dropped.
            if answered:
                raise
            goes_on: AnswerIfCut | None = scope["state"].get(ANSWER_IF_CUT)
            if goes_on is not None and goes_on.body is not None:  # the client follows the task
                goes_on.answered = True
                self.stop.handed += 1
                await accepted(goes_on.body)(scope, receive, stamped)
            else:
                cut = self.stop.cut_call(scope["method"])
                await error_response(request, cut)(scope, receive, stamped)
        finally:
            log_access(request, status, time.perf_counter() - started, rid)
