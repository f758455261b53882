"""What the API and the console both need from a request: the wired services, the task runner,
JSON objects read from bodies and form fields, package downloads, and the end of a request
whose client went away.

It sits between the adapters (``api``, ``console``) and ``tasks`` in the layers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from jobferry.domain.jsonlimits import not_utf8, parsed_problem
from jobferry.domain.shapes import json_kind
from jobferry.errors import InvalidRequestError, JobferryError, ObjectStoreUnavailableError
from jobferry.services.container import Services
from jobferry.services.downloads import Download
from jobferry.tasks.runner import TaskRunner

CLIENT_GONE = 499
"""The status a request whose client went away before its body was read ends with, in the
access log (nginx's *client closed request*): nobody reads the answer."""


def client_gone(request: Request, log: logging.Logger, request_id: str) -> Response:
    """The end of a request whose client went away mid-body (Starlette's ``ClientDisconnect``:
    a browser closed, a CLI stopped): the client's doing, no server error, one debug line."""
    log.debug(
        "client went away before its %s %s was read (request %s)",
        request.method,
        request.url.path,
        request_id,
    )
    return Response(status_code=CLIENT_GONE)


def log_store_refusal(request: Request, log: logging.Logger, error: JobferryError) -> None:
    """One ``warning`` line when the object storage did not serve a request (``DLF.9505``: an
    upload, a download, an ``obs://`` path): the request id its user is given, the store and
    its endpoint, and the reason, as a failed task says its own. The answer tells the client
    to retry; the store failing is the operator's to see, in the log."""
    if not isinstance(error, ObjectStoreUnavailableError):
        return
    log.warning(
        "%s %s (request %s) refused %s: object storage endpoint=%s setting=%s: %s",
        request.method,
        request.url.path,
        getattr(request.state, "request_id", None) or "-",
        error.code,
        error.context.get("endpoint"),
        error.context.get("setting"),
        " ".join(error.problem.split()),  # one line: the store and the reason
    )


def services_of(request: Request) -> Services:
    """The services wired into the app at start-up."""
    services: Services = request.app.state.services
    return services


def runner_of(request: Request) -> TaskRunner:
    """The background task runner wired into the app."""
    runner: TaskRunner = request.app.state.runner
    return runner


def json_object(data: bytes | str, what: str, example: str) -> dict[str, Any]:
    """Parse ``data`` as a JSON object; refuse anything else, naming ``what`` it is and how a
    good one looks (``example``)."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        found = not_utf8(data) or f"not valid JSON ({exc})"
        raise InvalidRequestError(f"{what} is {found}; {example}.") from exc
    if not isinstance(value, dict):
        raise InvalidRequestError(
            f"{what} must be a JSON object, not {json_kind(value)}; {example}."
        )
    problem = parsed_problem(data, value)
    if problem is not None:
        raise InvalidRequestError(
            f"{what} is refused: {problem.message}; {problem.fix} (rule {problem.rule}).",
            rule=problem.rule,
            at=problem.path,
        )
    return value


def attachment(file_name: str) -> str:
    """A Content-Disposition header value that downloads ``file_name`` (any characters)."""
    name = quote(file_name)
    return f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"


def attached(content: bytes | str, file_name: str, media_type: str) -> Response:
    """``content`` answered as a file to download, named ``file_name``."""
    headers = {"Content-Disposition": attachment(file_name)}
    return Response(content=content, media_type=media_type, headers=headers)


def file_download(path: Path, file_name: str) -> StreamingResponse:
    """A scratch file answered as a zip to download, a chunk at a time, and deleted once
    sent (or once the client went away)."""
    size = path.stat().st_size

    def chunks() -> Iterator[bytes]:
        try:
            with path.open("rb") as stream:
                while chunk := stream.read(1024 * 1024):
                    yield chunk
        finally:
            path.unlink(missing_ok=True)

    headers = {"Content-Disposition": attachment(file_name), "Content-Length": str(size)}
    return StreamingResponse(chunks(), media_type="application/zip", headers=headers)


def package_download(item: Download, chunks: Iterator[bytes]) -> StreamingResponse:
    """A download-center package streamed from its store as it is read (no scratch copy: a
    full data folder does not stop a download)."""
    headers = {"Content-Disposition": attachment(item.file_name), "Content-Length": str(item.size)}
    return StreamingResponse(chunks, media_type="application/zip", headers=headers)
