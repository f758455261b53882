"""A package upload streams: its body is never held whole, whatever its size (issue #36: a
100,000-job package is over 100 MB, and the server's peak memory grew with it)."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.types import Message

from jobferry.settings import Settings
from jobferry.signing import format_sdk_date, sign_request
from support.apps import api_with
from support.clients import ADMIN_AK, ADMIN_SK, SignedClient

CHUNK = b"\0" * (1 << 20)
BODY_MB = 48


@pytest.fixture
def strict_api(settings: Settings) -> Iterator[SignedClient]:
    """The app with JOBFERRY_REPLAY_GRACE_SECONDS=0: every repeat is a replay."""
    yield from api_with(settings, replay_grace_seconds=0)


def _stream_upload(
    api: SignedClient, chunks: int, date: str | None = None
) -> tuple[int, dict[str, Any], int]:
    """Send an unsigned multipart upload of ``chunks`` MiB (signed at ``date``, default now)
    straight to the app, a MiB at a time as a server receives it; the answer's status and
    JSON, and the peak traced memory."""
    boundary = "streamboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    raw_path = f"/v1/{api.project_id}/packages"
    headers = {
        "Host": "testserver",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + chunks * len(CHUNK) + len(tail)),
        "X-Project-Id": api.project_id,
        "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD",
        "X-Sdk-Date": date or format_sdk_date(datetime.now(UTC)),
    }
    # The payload hash of an unsigned body is UNSIGNED-PAYLOAD whatever it holds.
    headers.update(sign_request("POST", raw_path, "", headers, head, ADMIN_AK, ADMIN_SK))
    parts = [head, *([CHUNK] * chunks), tail]  # one MiB object, repeated: nothing to trace
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": raw_path,
        "raw_path": raw_path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> Message:
        if parts:
            return {"type": "http.request", "body": parts.pop(0), "more_body": bool(parts)}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] += message.get("body", b"")

    async def drive() -> None:
        await api.client.app(scope, receive, send)

    portal = api.client.portal
    assert portal is not None
    tracemalloc.start()
    try:
        portal.call(drive)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return answer["status"], json.loads(answer["body"]), peak


def test_an_upload_streams_to_disk_in_bounded_memory(api: SignedClient) -> None:
    status, stored, peak = _stream_upload(api, BODY_MB)
    assert status == 200, stored
    assert stored["size"] == BODY_MB * len(CHUNK)
    # Read whole (once for the signature, joined from its chunks) it held 2 x 48 MiB.
    assert peak < 8 * (1 << 20), f"{peak / (1 << 20):.1f} MiB traced for a {BODY_MB} MiB upload"


def test_the_same_streamed_upload_sent_twice_is_a_replay(strict_api: SignedClient) -> None:
    """The replay record of an upload whose body the signature does not cover is written with
    the uploaded file's hash once the file is in (tests/api/test_replays.py has the rest)."""
    date = format_sdk_date(datetime.now(UTC))
    assert _stream_upload(strict_api, 1, date)[0] == 200
    status, refusal, _ = _stream_upload(strict_api, 1, date)
    assert status == 401, refusal
    assert "already used" in refusal["error_msg"]
