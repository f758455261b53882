"""A plain signed ``show_job`` answered from memory inside the middleware, before routing.

The ordinary route costs a route match, dependency resolution, a hop to the thread pool and a
read. This path takes ``GET /v1/{project_id}/jobs/{job_name}`` without a query or a body, and
answers it only when everything it needs is already in this process: the signing key (verified
here exactly as ``api.auth`` verifies a read), the caller's workspace scope, and an answer the
database confirms is current (``JobService.cached_answer``). Anything else, an error included,
goes on to the ordinary route, which answers as it always did; so a refusal, a missing job or a
first read look the same either way, and an answer from here is the same bytes and headers the
route sends (``tests/api/test_fast_path.py`` compares them).
"""

from __future__ import annotations

import re

from fastapi import Response
from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from jobferry.api.auth import header_problem, scope_headers, verified_from_memory
from jobferry.errors import JobferryError
from jobferry.services.container import Services

_SHOW_JOB = re.compile(r"/v1/([^/]+)/jobs/([^/]+)")


async def answer_from_memory(scope: Scope, receive: Receive, send: Send) -> bool:
    """Answer the request if it is a plain ``show_job`` this process can answer from memory;
    ``False`` (nothing sent) otherwise."""
    if scope["method"] != "GET" or scope.get("query_string") or scope.get("root_path"):
        return False
    found = _SHOW_JOB.fullmatch(scope["path"])
    if found is None:
        return False
    services: Services = scope["app"].state.services
    if not services.jobs.answers.enabled:
        return False
    project_id, name = found.groups()
    headers = scope_headers(scope)
    if headers.get("content-length", "0") != "0" or "transfer-encoding" in headers:
        return False
    if header_problem(headers, project_id) is not None:
        return False
    raw_path = scope.get("raw_path") or scope["path"].encode()
    try:
        actor = verified_from_memory(services, "GET", raw_path.decode("latin-1"), "", headers, b"")
    except JobferryError:
        return False
    if actor is None:
        return False
    workspace = Headers(scope=scope).get("workspace") or None
    caller = services.accounts.cached_scope(actor, project_id, workspace)
    if caller is None:
        return False
    body = await services.jobs.cached_answer(caller, name)
    if body is None:
        return False
    await Response(body, media_type="application/json")(scope, receive, send)
    return True
