"""A request whose client goes away mid-body, sent straight to an in-process app: the first
part of its body arrives, then the ASGI server says the client disconnected."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def _post_scope(path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """The ASGI scope of a POST of ``path`` with ``headers`` (after ``host``)."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("testclient", 50000),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
    }


def post_then_leave(
    client: TestClient, path: str, headers: list[tuple[bytes, bytes]], first: bytes
) -> dict[str, Any]:
    """POST ``path`` announcing a 4 KiB body, send ``first`` of it and disconnect; the
    response's start message (its ``status``, its ``headers``)."""
    asgi = _post_scope(path, [(b"content-length", b"4096"), *headers])
    arriving = [{"type": "http.request", "body": first, "more_body": True}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return arriving.pop(0) if arriving else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    assert client.portal is not None
    client.portal.call(client.app, asgi, receive, send)
    assert sent[0]["type"] == "http.response.start"
    return sent[0]


def post_counting_reads(
    client: TestClient,
    path: str,
    headers: list[tuple[bytes, bytes]],
    chunks: int,
    chunk: bytes = b" " * 65536,
) -> tuple[dict[str, Any], bytes, int]:
    """POST ``path`` with a body of ``chunks`` times ``chunk`` handed over only as the app asks
    for it: the response's start message, its body, and how many body bytes the app read."""
    asgi = _post_scope(path, headers)
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read >= chunks * len(chunk):
            return {"type": "http.disconnect"}
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": read < chunks * len(chunk)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    assert client.portal is not None
    client.portal.call(client.app, asgi, receive, send)
    assert sent[0]["type"] == "http.response.start"
    body = b"".join(m.get("body", b"") for m in sent[1:] if m["type"] == "http.response.body")
    return sent[0], body, read
