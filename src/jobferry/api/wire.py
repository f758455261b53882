"""Rendering responses and reading bodies the way the DataArts SDK expects them."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request, Response

from jobferry.errors import InvalidRequestError
from jobferry.services.container import Services
from jobferry.tasks.runner import TaskRunner


def services_of(request: Request) -> Services:
    """The services wired into the app at start-up."""
    services: Services = request.app.state.services
    return services


def json(content: Any, status_code: int = 200) -> Response:
    """A JSON response (camelCase keys are the caller's job), non-ASCII kept as UTF-8."""
    return Response(
        content=orjson.dumps(content), status_code=status_code, media_type="application/json"
    )


def no_content() -> Response:
    """The 204 every DataArts create/update/delete/start/stop answers with."""
    return Response(status_code=204)


def runner_of(request: Request) -> TaskRunner:
    """The background task runner wired into the app."""
    runner: TaskRunner = request.app.state.runner
    return runner


async def raw_body(request: Request) -> bytes:
    """The exact body bytes (the signature covers them)."""
    return await request.body()


def parse_object(body: bytes, *, required: bool, what: str) -> dict[str, Any]:
    """Parse a JSON object body; an empty body is {} unless one is required."""
    if not body.strip():
        if required:
            raise InvalidRequestError(f"The request needs a JSON body ({what}).")
        return {}
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"The request body is not valid JSON ({exc}); send a UTF-8 JSON object ({what})."
        ) from exc
    if not isinstance(value, dict):
        raise InvalidRequestError(
            f"The request body must be a JSON object ({what}), not {type(value).__name__}."
        )
    return value


def body_doc(model: str, *, required: bool = True) -> dict[str, Any]:
    """OpenAPI description of a free-form JSON body (definitions keep unknown keys)."""
    return {
        "requestBody": {
            "required": required,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": True,
                        "description": f"{model}: camelCase DataArts fields; unknown keys are "
                        "kept as they are.",
                    }
                }
            },
        }
    }
