"""Rendering responses and reading bodies the way the DataArts SDK expects them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Protocol

import orjson
from fastapi import Depends, Header, Query, Request, Response

from jobferry.domain.definitions import LOCKED_BY_HEADER, locked_by_value
from jobferry.errors import InvalidRequestError
from jobferry.web import json_object


def json(content: Any, status_code: int = 200) -> Response:
    """A JSON response (camelCase keys are the caller's job), non-ASCII kept as UTF-8."""
    return Response(
        content=orjson.dumps(content), status_code=status_code, media_type="application/json"
    )


def json_list(key: str, items: Sequence[Any], total: int | None = None) -> Response:
    """The answer of a list call, ``{"total": …, key: items}``: ``total`` counts every match
    when ``items`` is one page of them; without it, the items are all there is."""
    return json({"total": len(items) if total is None else total, key: items})


def json_bytes(body: bytes, status_code: int = 200) -> Response:
    """A JSON response whose bytes are already rendered (``json`` of the same content)."""
    return Response(content=body, status_code=status_code, media_type="application/json")


ASYNC = "respond-async"
"""The ``Prefer`` token (RFC 7240) asking a call that works long to answer a task instead."""
PreferHeader = Annotated[
    str | None, Header(description="respond-async: run it as a task, answer 202 {taskId}")
]


def prefers_async(prefer: str | None) -> bool:
    """Whether a ``Prefer`` header (``respond-async, wait=10``) asks for ``respond-async``."""
    parts = (prefer or "").split(",")
    return ASYNC in (part.split(";", 1)[0].split("=", 1)[0].strip().lower() for part in parts)


def preferred_wait(prefer: str | None) -> float | None:
    """The ``wait=SECONDS`` preference of a ``Prefer`` header (RFC 7240: how long the client
    would wait for the work before it takes the task instead); ``None`` when not given, or
    not a number of seconds."""
    for part in (prefer or "").split(","):
        key, _, value = part.split(";", 1)[0].partition("=")
        if key.strip().lower() == "wait":
            try:
                seconds = float(value.strip())
            except ValueError:
                return None
            return seconds if 0 <= seconds < float("inf") else None
    return None


def lock_passed_response(status: int, description: str) -> dict[int | str, Any]:
    """The OpenAPI ``responses`` of a call answering ``status`` (``description``) through
    :func:`lock_passed`: ``LOCKED_BY_HEADER`` declared on it."""
    header = {
        "description": "Sent when the change went through over another user's lock (the "
        "workspace's soft lock policy only warns): that user's name, percent-encoded UTF-8; "
        "several users' (a rename's, of the jobs depending on the job that it rewrote too) "
        "each so encoded and comma-separated. Absent otherwise; the body is DataArts' own "
        "either way.",
        "schema": {"type": "string"},
    }
    return {status: {"description": description, "headers": {LOCKED_BY_HEADER: header}}}


def lock_passed(answer: Response, locked_by: str | tuple[str, ...] | None) -> Response:
    """``answer`` naming, when a change passed over other users' locks (the soft lock
    policy, ``locked_by``: one user, or several, as a rename's of its dependents), those users
    in ``LOCKED_BY_HEADER``: each name percent-encoded, comma-separated (a name's own comma is
    encoded, ``%2C``)."""
    names = (locked_by,) if isinstance(locked_by, str) else locked_by or ()
    if names:
        answer.headers[LOCKED_BY_HEADER] = locked_by_value(names)
    return answer


def accepted(content: dict[str, Any]) -> Response:
    """``202`` with ``content`` (the task's id) and ``Preference-Applied: respond-async``."""
    answer = json(content, status_code=202)
    answer.headers["Preference-Applied"] = ASYNC
    return answer


class InWorkspace(Protocol):
    """A task queued or running in a workspace, maybe not the caller's (a refresh's in the
    remote's shadow, a promotion's in the route's target)."""

    @property
    def task_id(self) -> str: ...

    @property
    def workspace_id(self) -> str: ...


TASK_IN_WORKSPACE = ("taskId", "workspace")
"""The fields of :func:`task_in_workspace`, for :func:`accepted_response`."""


def task_in_workspace(task: InWorkspace) -> dict[str, str]:
    """``{"taskId", "workspace"}``: what a call whose work goes on as that task answers (with
    :func:`accepted`), for the client to follow it there."""
    return {"taskId": task.task_id, "workspace": task.workspace_id}


def no_content() -> Response:
    """The 204 every DataArts create/update/delete/start/stop answers with."""
    return Response(status_code=204)


def empty_ok() -> Response:
    """The empty 200 the DataArts Studio write calls answer."""
    return Response(status_code=200)


async def raw_body(request: Request) -> bytes:
    """The exact body bytes (the signature covers them). A request that announces no body (no
    ``Content-Length``, no ``Transfer-Encoding``: every signed read) has none, and is not
    waited on for the empty message that says so."""
    headers = request.headers
    if "content-length" not in headers and "transfer-encoding" not in headers:
        return b""
    return await request.body()


def sent_method(request: Request) -> str:
    """The method the client sent, and signed: a ``HEAD`` is answered by its path's ``GET``
    route (``api.middleware`` hands it on as a ``GET``) but was signed as ``HEAD``."""
    sent: str | None = getattr(request.state, "sent_method", None)
    return sent or request.method


def sent_token(value: str | None) -> str:
    """An IAM token header's value (``X-Auth-Token``, ``X-Subject-Token``) as every call reads
    it: without the blanks around it; empty when it is not sent."""
    return (value or "").strip()


BodyDep = Annotated[bytes, Depends(raw_body)]
"""The body as a dependency: routes taking it stay plain ``def`` and so run on the thread
pool; only reading the bytes happens on the event loop (see docs/design.md, "The event loop")."""

VersionQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
"""``?version=N`` of a document saved as versions (a profile, a route, a policy): absent for
the newest."""


def parse_object(body: bytes, *, required: bool, what: str) -> dict[str, Any]:
    """Parse a JSON object body; an empty body is {} unless one is required."""
    if not body.strip():
        if required:
            raise InvalidRequestError(f"The request needs a JSON body ({what}).")
        return {}
    return json_object(body, "The request body", f"send a UTF-8 JSON object ({what})")


def body_doc(
    model: str, *, required: bool = True, schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """OpenAPI description of a JSON body: ``schema`` for jobferry's own bodies
    (api/bodies.py), a free-form object named ``model`` for DataArts' documents (definitions
    keep unknown keys)."""
    if schema is None:
        described: dict[str, Any] = {"type": "object", "additionalProperties": True}
        described["description"] = (
            f"{model}: camelCase DataArts fields; unknown keys are kept as they are."
        )
    else:
        # A generated schema's own description names the body and what other keys do.
        described = dict(schema)
        own = str(schema.get("description") or "")
        if own.startswith(model):
            described["description"] = own
        else:
            described["description"] = f"{model}: {own}" if own else model
    return {
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": described}},
        }
    }


def package_response(media_type: str, *, or_json: bool = False) -> dict[int | str, Any]:
    """The OpenAPI ``responses`` of a call answering a zip (``or_json``: or a JSON object, as
    the exports do when they write to object storage)."""
    content: dict[str, Any] = {media_type: {"schema": {"type": "string", "format": "binary"}}}
    if or_json:
        content["application/json"] = {"schema": {"type": "object"}}
    return {200: {"description": "The package (a zip)", "content": content}}


ERROR_REF = "#/components/schemas/DataArtsError"
"""The error envelope's schema in the OpenAPI document (``api.openapi`` defines it)."""


REMOTE_FAILED = (
    502,
    "A remote DataArts endpoint failed the call: it answered an error (DLF.9060), refused the "
    "remote's keys (DLF.9061) or gave no usable answer, unreachable after retries (DLF.9062)",
)
"""The refusal of a call that reaches a remote (for :func:`refusals`)."""


def refusals(*answers: tuple[int, str]) -> dict[int | str, Any]:
    """The OpenAPI ``responses`` of refusals a call answers beyond those every call may
    (``api.openapi.ERRORS``): ``(status, what it means)``, each in the error envelope."""
    error = {"application/json": {"schema": {"$ref": ERROR_REF}}}
    return {status: {"description": text, "content": error} for status, text in answers}


def accepted_response(fields: Sequence[str], what: str) -> dict[int | str, Any]:
    """The OpenAPI ``responses`` of a call that answers :func:`accepted` (``202``, the task's
    ``fields``) when the request carries ``Prefer: respond-async``."""
    schema = {
        "type": "object",
        "required": list(fields),
        "properties": {name: {"type": "string"} for name in fields},
    }
    return {
        202: {
            "description": f"With Prefer: respond-async: {what} queued as a task; follow it "
            "with GET /v1/{project_id}/system-tasks/{task_id}",
            "content": {"application/json": {"schema": schema}},
            "headers": {
                "Preference-Applied": {
                    "description": ASYNC,
                    "schema": {"type": "string", "enum": [ASYNC]},
                }
            },
        }
    }
