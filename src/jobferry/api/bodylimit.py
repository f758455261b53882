"""An uploaded package over the import limit is refused before its body is read.

Pure ASGI, inside the request middleware (so the refusal has its request id and access-log
line). A package upload (``POST /v1/{project_id}/packages``) whose ``Content-Length`` is over
the limit is answered 413 at once, none of the body read (the signature check reads a body
whole, so without this a client waited while the whole of it was sent and kept in memory); one
without a length (chunked) is read only until it passes the limit. The limit is
``JOBFERRY_IMPORT_MAX_PACKAGE_BYTES`` plus room for the multipart framing; the upload itself
still refuses a file over the limit to the byte.
"""

from __future__ import annotations

import re

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jobferry.api.errors import error_response
from jobferry.services.importing.uploads import package_too_large

UPLOAD_PATH = re.compile(r"/v1/[^/]+/packages")
FRAMING_BYTES = 64 * 1024
"""Room for the multipart boundary, part headers and any small fields beside the file."""


def declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length``, if it sent a readable one."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimit:
    """Refuse an over-limit package upload as early as its size is known."""

    def __init__(self, app: ASGIApp, max_package_bytes: int) -> None:
        self.app = app
        self.cap = max_package_bytes
        self.limit = max_package_bytes + FRAMING_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not UPLOAD_PATH.fullmatch(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared is not None and declared > self.limit:
            refusal = error_response(Request(scope), package_too_large(self.cap))
            refusal.headers["Connection"] = "close"  # the unread body is not waited for
            await refusal(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:  # the route's error handler answers it
                    raise package_too_large(self.cap)
            return message

        await self.app(scope, counted, send)
