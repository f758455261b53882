"""Replay protection: a signed state-changing request is accepted once (in-process)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from jobferry.settings import Settings
from jobferry.signing import format_sdk_date, sign_request
from support.apps import api_with
from support.builders import make_job
from support.clients import (
    ADMIN_AK,
    ADMIN_SK,
    PROJECT_ID,
    SignedClient,
    assert_error,
    send_signed,
    signed_once,
)


def access_keys_of(api: SignedClient, user: str) -> list[str]:
    users = api.call("GET", "/users").json()["users"]
    keys: list[str] = next(u["accessKeys"] for u in users if u["name"] == user)
    return keys


def test_a_replayed_signed_post_is_refused_and_issues_no_second_key_pair(
    strict_api: SignedClient,
) -> None:
    api = strict_api
    assert api.call("POST", "/users", {"name": "viewer"}).status_code == 200
    issue = signed_once("POST", "/users/viewer/credentials")
    first = send_signed(api, issue)
    assert first.status_code == 200, first.text
    replayed = send_signed(api, issue)
    assert_error(
        replayed,
        "APIGW.0301",
        "this signed request was already used",
        "sign each request anew (a fresh X-Sdk-Date)",
        status=401,
    )
    assert access_keys_of(api, "viewer") == [first.json()["accessKey"]]


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_replayed_put_and_delete_are_refused(strict_api: SignedClient, method: str) -> None:
    api = strict_api
    ws = api.call("POST", "/workspaces", {"name": "team_b"}).json()["id"]
    assert api.call("POST", "/users", {"name": "dave"}).status_code == 200
    body = b'{"role": "developer"}' if method == "PUT" else b""
    request = signed_once(method, f"/users/dave/roles/{ws}", body)
    if method == "DELETE":
        assert api.call("PUT", f"/users/dave/roles/{ws}", {"role": "viewer"}).status_code == 204
    assert send_signed(api, request).status_code == 204
    assert api.call("PUT", f"/users/dave/roles/{ws}", {"role": "admin"}).status_code == 204
    assert_error(send_signed(api, request), "APIGW.0301", "already used", status=401)
    users = api.call("GET", "/users").json()["users"]
    roles = next(u["roles"] for u in users if u["name"] == "dave")
    assert [r["role"] for r in roles] == ["admin"]


def test_the_same_signed_get_may_be_sent_again(strict_api: SignedClient) -> None:
    api = strict_api
    listing = signed_once("GET", "/jobs")
    assert send_signed(api, listing).status_code == 200
    assert send_signed(api, listing).status_code == 200


def test_the_same_call_signed_anew_is_accepted(strict_api: SignedClient) -> None:
    api = strict_api
    assert api.call("POST", "/users", {"name": "viewer"}).status_code == 200
    now = datetime.now(UTC)
    for moment in (now, now - timedelta(seconds=1)):
        issued = send_signed(
            api, signed_once("POST", "/users/viewer/credentials", sdk_date=format_sdk_date(moment))
        )
        assert issued.status_code == 200, issued.text
    assert len(access_keys_of(api, "viewer")) == 2


@pytest.fixture
def strict_api(settings: Settings) -> Iterator[SignedClient]:
    """The app with JOBFERRY_REPLAY_GRACE_SECONDS=0: every repeat is a replay."""
    yield from api_with(settings, replay_grace_seconds=0)


@pytest.fixture
def unguarded_api(settings: Settings) -> Iterator[SignedClient]:
    """The app with JOBFERRY_REPLAY_PROTECTION=false."""
    yield from api_with(settings, replay_protection=False, replay_grace_seconds=0)


def test_replays_are_accepted_when_replay_protection_is_off(unguarded_api: SignedClient) -> None:
    api = unguarded_api
    assert api.call("POST", "/users", {"name": "viewer"}).status_code == 200
    issue = signed_once("POST", "/users/viewer/credentials")
    assert send_signed(api, issue).status_code == 200
    assert send_signed(api, issue).status_code == 200
    assert len(access_keys_of(api, "viewer")) == 2


def test_the_same_call_sent_twice_at_once_is_accepted_like_the_sdks_same_second_calls(
    api: SignedClient,
) -> None:
    # Default grace (5 s): an SDK script creating the same job twice within one second signs
    # both alike and must get DataArts' answer, DLF.0102, not a replay refusal.
    create = signed_once("POST", "/jobs", orjson.dumps(make_job()))
    assert send_signed(api, create).status_code == 204
    assert_error(send_signed(api, create), "DLF.0102", "daily_sales", status=400)


def _upload_request(data: bytes, date: str) -> Any:
    """A multipart upload as the SDK signs it: UNSIGNED-PAYLOAD, the given X-Sdk-Date."""
    boundary = "replayboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="p.zip"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    raw_path = f"/v1/{PROJECT_ID}/packages"
    headers = {
        "Host": "testserver",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-Project-Id": PROJECT_ID,
        "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD",
        "X-Sdk-Date": date,
    }
    headers.update(sign_request("POST", raw_path, "", headers, body, ADMIN_AK, ADMIN_SK))
    return "POST", raw_path, body, headers


def test_two_uploads_signed_alike_are_two_requests_but_a_replayed_one_is_refused(
    strict_api: SignedClient,
) -> None:
    """An upload's signature does not cover its body (UNSIGNED-PAYLOAD): the same headers in the
    same second sign two different packages alike, and both are accepted; the same upload sent
    again is a replay."""
    # One date for both: built a second apart, they would differ in their date, not alike.
    date = format_sdk_date(datetime.now(UTC))
    first, second = _upload_request(b"PK first", date), _upload_request(b"PK second", date)
    assert first[3]["Authorization"] == second[3]["Authorization"]
    assert send_signed(strict_api, first).status_code == 200
    assert send_signed(strict_api, second).status_code == 200
    assert_error(send_signed(strict_api, first), "APIGW.0301", "already used", status=401)


@pytest.mark.parametrize("sent", ["a body", "an upload"])
def test_a_replayed_request_does_not_clear_its_key_s_failed_signatures(
    strict_api: SignedClient, sent: str
) -> None:
    """A replay's signature is good, but the request is refused: it clears no failure, so
    whoever holds a captured request cannot keep the key from locking (an unsigned upload's
    replay is found once its file is read)."""
    api = strict_api
    if sent == "a body":
        captured = signed_once("POST", "/users", b'{"name": "viewer"}')
    else:
        captured = _upload_request(b"PK captured", format_sdk_date(datetime.now(UTC)))
    assert send_signed(api, captured).status_code == 200
    wrong = api.as_user(ADMIN_AK, "not-the-secret-key")
    for _ in range(4):
        assert_error(wrong.call("POST", "/jobs", make_job()), "APIGW.0301", status=401)
    assert_error(send_signed(api, captured), "APIGW.0301", "already used", status=401)
    assert_error(
        wrong.call("POST", "/jobs", make_job()),
        "APIGW.0301",
        "is now locked",
        status=401,
    )
