"""A call's body is not read into memory past what the call can take: an unsigned call is
refused before its body is read, and a body over 32 MiB (any call but a package upload) is
refused 413 before it is read, or as soon as a body without a length passes it."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from jobferry.api.bodylimit import MAX_BODY_BYTES, BodyLimit
from support.builders import make_script
from support.clients import ADMIN_AK, PROJECT_ID, SignedClient
from support.disconnects import post_counting_reads

JOBS = f"/v1/{PROJECT_ID}/jobs"
SIGNED = f"SDK-HMAC-SHA256 Access={ADMIN_AK}, SignedHeaders=host;x-sdk-date, Signature=00"
JSON = (b"content-type", b"application/json")
CHUNK = 65536


def _jobs(api: SignedClient) -> int:
    total: int = api.call("GET", "/jobs").json()["total"]
    return total


def test_an_unsigned_call_is_refused_before_its_body_is_read(api: SignedClient) -> None:
    length = (b"content-length", str(100 * CHUNK).encode())
    start, body, read = post_counting_reads(api.client, JOBS, [JSON, length], 100, b" " * CHUNK)
    assert start["status"] == 401
    assert orjson.loads(body)["error_code"] == "APIGW.0301"
    assert b"Authorization header is missing" in body
    assert read == 0
    assert _jobs(api) == 0


def test_a_body_declared_over_the_limit_is_refused_413_unread_and_changes_nothing(
    api: SignedClient,
) -> None:
    headers = [
        JSON,
        (b"content-length", str(MAX_BODY_BYTES + 1).encode()),
        (b"x-sdk-date", b"20261127T180000Z"),
        (b"authorization", SIGNED.encode()),
    ]
    start, body, read = post_counting_reads(api.client, JOBS, headers, 600, b" " * CHUNK)
    assert start["status"] == 413
    refusal = orjson.loads(body)
    assert refusal["error_code"] == "DLF.9413"
    assert refusal["limit"] == MAX_BODY_BYTES
    assert "POST /v1/{project_id}/packages" in refusal["error_msg"]
    assert read == 0
    assert _jobs(api) == 0


def test_a_body_without_a_length_is_read_only_until_it_passes_the_limit(
    api: SignedClient,
) -> None:
    headers = [
        JSON,
        (b"transfer-encoding", b"chunked"),
        (b"x-sdk-date", b"20261127T180000Z"),
        (b"authorization", SIGNED.encode()),
    ]
    chunks = 2 * MAX_BODY_BYTES // CHUNK
    start, body, read = post_counting_reads(api.client, JOBS, headers, chunks, b" " * CHUNK)
    assert start["status"] == 413
    assert orjson.loads(body)["error_code"] == "DLF.9413"
    assert MAX_BODY_BYTES < read <= MAX_BODY_BYTES + CHUNK
    assert _jobs(api) == 0


def test_the_largest_document_a_call_takes_fits_under_the_limit(api: SignedClient) -> None:
    # A script of 4 MiB whose every byte JSON escapes as \u00XX: 24 MiB of body.
    script = make_script("widest")
    script["content"] = "\u0001" * (4 * 1024 * 1024)
    body = orjson.dumps(script)
    assert 24 * 1024 * 1024 < len(body) < MAX_BODY_BYTES
    created = api.call("POST", "/scripts", body)
    assert created.status_code == 204, created.text[:300]


def _through_limit(path: str, content_type: bytes, length: int) -> int | None:
    """The status BodyLimit answers a POST of ``length`` declared bytes with (``None``: it let
    the call through to the app, unread)."""
    reached: list[str] = []
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "headers": [(b"content-type", content_type), (b"content-length", str(length).encode())],
        "query_string": b"",
    }
    asyncio.run(BodyLimit(app, max_package_bytes=512 * 1024 * 1024)(scope, receive, send))
    return None if reached else int(sent[0]["status"])


def test_a_console_form_sending_a_package_is_held_to_the_package_limit_not_the_json_one() -> None:
    # The import wizard's package and a remote's snapshot are console forms with a file: a
    # 100 MiB package goes through as it does to POST /v1/{project_id}/packages.
    multipart = b"multipart/form-data; boundary=xyz"
    size = 100 * 1024 * 1024
    assert _through_limit("/console/w/ws1/import/source", multipart, size) is None
    assert _through_limit(f"/v1/{PROJECT_ID}/packages", multipart, size) is None
    assert _through_limit("/console/w/ws1/import/source", multipart, 600 * 1024 * 1024) == 413
    form = b"application/x-www-form-urlencoded"
    assert _through_limit("/console/w/ws1/editor/jobs", form, size) == 413
    assert _through_limit(JOBS, multipart, size) == 413
