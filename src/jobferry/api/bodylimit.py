"""A request body over its limit is refused before it is read.

Pure ASGI, inside the request middleware (so the refusal has its request id and access-log
line). A package upload (``POST /v1/{project_id}/packages``) whose ``Content-Length`` is over
the limit is answered 413 at once, none of the body read (the signature check reads a body
whole, so without this a client waited while the whole of it was sent and kept in memory); one
without a length (chunked) is read only until it passes the limit. The limit is
``JOBFERRY_IMPORT_MAX_PACKAGE_BYTES`` plus room for the multipart framing; the upload itself
still refuses a file over the limit to the byte.

A console form that sends a file (``multipart/form-data``: the import wizard's package, a
remote's snapshot) is held to the package limit too: it carries what an upload carries, and
Starlette spools its files to disk. Every other call's body (a JSON document, read whole to
check its signature; a console form of fields) is held to :data:`MAX_BODY_BYTES` the same way:
without it, a body of any size was read into memory before anything looked at it, an unsigned
one too.
"""

from __future__ import annotations

import re

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobferry.api.errors import error_response
from jobferry.errors import PayloadTooLargeError
from jobferry.services.importing.uploads import package_too_large

UPLOAD_PATH = re.compile(r"/v1/[^/]+/packages")
CONSOLE_PATH = re.compile(r"/console/.*")
FRAMING_BYTES = 64 * 1024
"""Room for the multipart boundary, part headers and any small fields beside the file."""

MAX_BODY_BYTES = 32 * 1024 * 1024
"""The largest body of any call but a package upload. The largest document a call takes is a
script of 4 MiB content (domain/validation.py), which JSON writes in at most 24 MiB (every
byte a ``\\u00XX`` escape); a package travels as an upload, never as JSON."""


def body_too_large() -> PayloadTooLargeError:
    """The refusal of a call's body over :data:`MAX_BODY_BYTES`."""
    return PayloadTooLargeError(
        f"The request body is larger than {MAX_BODY_BYTES} bytes ({MAX_BODY_BYTES // 2**20} "
        "MiB), the most a call's JSON body may be; a package is uploaded as a file "
        "(POST /v1/{project_id}/packages, multipart), and a script's content is at most 4 MiB. "
        "Nothing was changed.",
        limit=MAX_BODY_BYTES,
    )


def declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length``, if it sent a readable one."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _carries_a_package(scope: Scope) -> bool:
    """Whether a POST may carry a package: the upload call, or a console form with a file."""
    path = scope["path"]
    if UPLOAD_PATH.fullmatch(path):
        return True
    if not CONSOLE_PATH.fullmatch(path):
        return False
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bytes(value).split(b";")[0].strip().lower() == b"multipart/form-data"
    return False


class BodyLimit:
    """Refuse an over-limit package upload as early as its size is known."""

    def __init__(self, app: ASGIApp, max_package_bytes: int) -> None:
        self.app = app
        self.cap = max_package_bytes
        self.limit = max_package_bytes + FRAMING_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and _carries_a_package(scope):
            limit, refusal = self.limit, package_too_large(self.cap)
        else:
            limit, refusal = MAX_BODY_BYTES, body_too_large()
        declared = declared_length(scope)
        if declared is not None and declared > limit:
            answer = error_response(Request(scope), refusal)
            answer.headers["Connection"] = "close"  # the unread body is not waited for
            await answer(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # the route's error handler answers it
                    raise refusal
            return message

        await self.app(scope, counted, send)
