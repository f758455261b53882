"""Reads answered from memory inside the middleware, before routing, for every read route that
declares its answer depends on nothing but the database and the caller (``@kept_answer``).

The ordinary route costs a route match, dependency resolution, a hop to the thread pool, a
transaction and serialisation. This path takes a ``GET`` without a body, and answers it only
when everything it needs is already in this process: the signing key (verified here exactly as
``api.auth`` verifies a read) or the IAM token (``X-Auth-Token``), the caller's workspace
scope, and an answer kept from an earlier request with the same caller, workspace, path and
query that the database confirms is current (``ReadAnswers``: nothing committed since it was
built). Anything else goes on to the ordinary
route, which answers as it always did; when that route is one of the kept ones and answers 200,
its answer is kept under the change token read before it ran. So a refusal, a missing object or
a first read look the same either way, and an answer from here is the same status, headers and
bytes the route sent (``tests/api/test_kept_answers.py`` compares them).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobferry.api.auth import header_problem, key_in_memory, scope_headers, token_in_memory
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Actor
from jobferry.services.support.answers import Answer

F = TypeVar("F", bound=Callable[..., Any])
_KEPT: set[Callable[..., Any]] = set()
_SKIPPED_HEADERS = (b"x-request-id", b"date", b"server")


def kept_answer(endpoint: F) -> F:
    """Mark a read route whose answer depends only on the database, the caller's workspace, the
    path and the query (no clock, no other header): its answers may be kept."""
    _KEPT.add(endpoint)
    return endpoint


async def answer_from_memory(scope: Scope, receive: Receive, send: Send, app: ASGIApp) -> bool:
    """Answer the request from memory, or run ``app`` for it and keep its answer when it may be
    kept; ``False`` (nothing sent, ``app`` not run) when this path does not apply."""
    if scope["method"] != "GET" or scope.get("root_path"):
        return False
    services: Services = scope["app"].state.services
    answers = services.answers
    if not answers.enabled:
        return False
    if not _may_be_kept(scope):
        return False
    key = _key(scope, services)
    if key is None:
        return False
    kept = await answers.current(key)
    if kept is not None:
        await _replay(kept, send)
        return True
    token = await answers.token()
    if token is None:
        return False
    start: Message | None = None
    body: bytes | None = None

    async def keeping(message: Message) -> None:
        # Only a kept route's answer in one body is held (never a streamed download's bytes).
        nonlocal start, body
        if message["type"] == "http.response.start":
            if scope.get("endpoint") in _KEPT and message["status"] == 200:
                start = {**message, "headers": list(message.get("headers", ()))}
        elif message["type"] == "http.response.body" and start is not None:
            if body is None and not message.get("more_body", False):
                body = message.get("body", b"")
            else:
                start = None
        await send(message)

    await app(scope, receive, keeping)
    if start is not None and body is not None:
        headers = tuple((k, v) for k, v in start["headers"] if k.lower() not in _SKIPPED_HEADERS)
        answers.keep(key, Answer(token, 200, headers, body))
    return True


def kept_paths(routers: Iterable[APIRouter]) -> tuple[re.Pattern[str], ...]:
    """The path patterns of the kept routes among these routers' (for ``app.state.kept_paths``,
    so that no other read waits for a change token)."""
    return tuple(
        route.path_regex
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and route.endpoint in _KEPT
    )


def _may_be_kept(scope: Scope) -> bool:
    """Whether the path matches a kept route's (the route that answers is still checked
    before its answer is kept)."""
    patterns: tuple[re.Pattern[str], ...] = getattr(scope["app"].state, "kept_paths", ())
    path: str = scope["path"]
    return any(pattern.match(path) for pattern in patterns)


def _key(scope: Scope, services: Services) -> Hashable | None:
    """(caller, workspace, path, query) of a read, signed or with an IAM token, whose caller
    this process can verify from memory; ``None`` when it cannot."""
    path: str = scope["path"]
    if not path.startswith("/v1/"):
        return None
    project_id = path[4:].partition("/")[0]
    headers = scope_headers(scope)
    if headers.get("content-length", "0") != "0" or "transfer-encoding" in headers:
        return None
    if header_problem(headers, project_id) is not None:
        return None
    raw_path = scope.get("raw_path") or path.encode()
    query = scope.get("query_string", b"").decode("latin-1")
    try:
        actor = _caller_in_memory(services, raw_path.decode("latin-1"), query, headers, project_id)
    except JobferryError:
        return None
    if actor is None:
        return None
    workspace = Headers(scope=scope).get("workspace") or None
    caller = services.accounts.cached_scope(actor, project_id, workspace)
    if caller is None:
        return None
    return (actor.user_id, caller.workspace.id, raw_path, query)


def _caller_in_memory(
    services: Services, raw_path: str, query: str, headers: dict[str, str], project_id: str
) -> Actor | None:
    """The caller of a read, signed or with an IAM token (as ``api.auth`` tells them apart),
    when this process holds the signing key or the token in memory."""
    if "authorization" not in headers and "x-auth-token" in headers:
        return token_in_memory(services, headers, project_id)
    known = key_in_memory(services, "GET", raw_path, query, headers, b"", datetime.now(UTC))
    return known[1] if known is not None else None


async def _replay(answer: Answer, send: Send) -> None:
    await send(
        {"type": "http.response.start", "status": answer.status, "headers": list(answer.headers)}
    )
    await send({"type": "http.response.body", "body": answer.body})
