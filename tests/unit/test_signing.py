# ruff: noqa: E501  (the canonical request below is verbatim and has a long line)
"""Specifications of ``jobferry.signing``: the SDK-HMAC-SHA256 signer and verifier.

The captured requests (``tests/data/sdk-captures``) are copied byte for byte from the contract
(``dataarts-api.md`` §5.1): the official SDK 3.1.219 sent them to a loopback server with the fake
test-vector credentials below.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from jobferry.errors import AuthenticationError
from jobferry.signing import (
    ALGORITHM,
    EMPTY_BODY_SHA256,
    UNSIGNED_PAYLOAD,
    ParsedAuthorization,
    canonical_query,
    canonical_request,
    canonical_uri,
    format_sdk_date,
    parse_authorization,
    parse_sdk_date,
    sign_request,
    string_to_sign,
    verify_request,
)
from support.terraform import go_sign

AK = "TESTAK0123456789ABCD"
SK = "testSecretKey0123456789abcdefghijklmnopqr"
PROJECT = "0123456789abcdef0123456789abcdef"
SECRETS = {AK: SK}
CAPTURED_AT = datetime(2026, 11, 21, 5, 7, 24, tzinfo=UTC)  # X-Sdk-Date of every capture

CAPTURED = Path(__file__).resolve().parents[1] / "data" / "sdk-captures"
"""The captured requests, one ``.http`` file each, verbatim from dataarts-api.md §5.1."""

LIST_JOBS_CANONICAL_REQUEST = """GET
/v1/0123456789abcdef0123456789abcdef/jobs/
jobName=job%20demo%2F%C3%A9&limit=10&offset=0
content-type:application/json
host:127.0.0.1:42681
user-agent:huaweicloud-usdk-python/3.0; os/Linux##1_SMP_PREEMPT_DYNAMIC_@0#x86_64 python/3.11.7 impl/CPython; app/65afe809-5fe1-47c4-8cc0-8a3f554944d0
workspace:ws-1234
x-project-id:0123456789abcdef0123456789abcdef
x-sdk-date:20261121T050724Z

content-type;host;user-agent;workspace;x-project-id;x-sdk-date
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"""

LIST_JOBS_STRING_TO_SIGN = """SDK-HMAC-SHA256
20261121T050724Z
fe80969cdae8c02d8e98cd1c15147a808834612c97dbc0de3287e214cd9e2bc3"""

SDK_SIGNED_HEADERS = (
    "content-type",
    "host",
    "user-agent",
    "workspace",
    "x-project-id",
    "x-sdk-date",
)
"""What the Python SDK signs of a request sent to a workspace."""

# --- helpers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Captured:
    """One captured HTTP request, split the way a server sees it."""

    method: str
    path: str
    query: str
    headers: dict[str, str] = field(hash=False)
    body: bytes

    @property
    def now(self) -> datetime:
        """The server clock that matches the request's X-Sdk-Date exactly."""
        return datetime.strptime(self.headers["X-Sdk-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    @property
    def authorization(self) -> ParsedAuthorization:
        return parse_authorization(self.headers["Authorization"])

    def replace_headers(self, **changes: str | None) -> Captured:
        """A copy with headers replaced (value) or removed (``None``); names are exact."""
        headers = dict(self.headers)
        for name, value in changes.items():
            if value is None:
                del headers[name]
            else:
                headers[name] = value
        return Captured(self.method, self.path, self.query, headers, self.body)

    def verify(
        self,
        now: datetime | None = None,
        secret_for: Callable[[str], str | None] = SECRETS.get,
    ) -> str:
        """``verify_request`` of this request, by default at the clock of its X-Sdk-Date."""
        return verify_request(
            self.method,
            self.path,
            self.query,
            self.headers,
            self.body,
            secret_for,
            self.now if now is None else now,
        )

    def to_sign(self, signed: Sequence[str], sdk_date: str) -> str:
        """``string_to_sign`` of this request, signing the headers ``signed``."""
        return string_to_sign(
            self.method, self.path, self.query, self.headers, signed, self.body, sdk_date
        )


def parse_capture(text: str) -> Captured:
    head, _, body = text.partition("\n\n")
    request_line, *header_lines = head.split("\n")
    method, target, version = request_line.split(" ")
    assert version == "HTTP/1.1"
    path, _, query = target.partition("?")
    headers = dict(line.split(": ", 1) for line in header_lines)
    raw_body = body.encode("utf-8")
    assert len(raw_body) == int(headers.get("Content-Length", "0"))
    return Captured(method, path, query, headers, raw_body)


CAPTURES = {
    path.stem: parse_capture(path.read_bytes().decode("utf-8"))
    for path in sorted(CAPTURED.glob("*.http"))
}


def refused(excinfo: pytest.ExceptionInfo[AuthenticationError]) -> str:
    """The message of a refusal, after checking it is the gateway's 401 APIGW.0301."""
    error = excinfo.value
    assert error.status == 401
    assert error.code == "APIGW.0301"
    assert error.message.startswith("Incorrect IAM authentication information: ")
    assert error.envelope()["error_code"] == "APIGW.0301"
    return error.message


# --- the captured SDK requests --------------------------------------------------------------------


def test_captures_have_the_expected_shape() -> None:
    assert CAPTURES["create_job"].body[:20] == b'{"name": "job_demo",'
    assert len(CAPTURES["create_job"].body) == 1345
    assert rb"#{Job.getNodeStatus(\"sql_1\")==\"success\"}" in CAPTURES["create_job"].body
    assert "workspace" not in CAPTURES["stop_job"].headers
    assert CAPTURES["stop_job"].body == b""
    assert CAPTURES["delete_job"].method == "DELETE"
    assert CAPTURES["delete_job"].body == b'{"approvers": [{"approverName": "bob"}]}'


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_verify_accepts_every_captured_sdk_request(name: str) -> None:
    assert CAPTURES[name].verify() == AK


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_sign_request_reproduces_the_captured_authorization(name: str) -> None:
    captured = CAPTURES[name]
    # What the SDK had when it signed: the signed headers only (requests added the others later).
    signed = set(captured.authorization.signed_headers)
    at_signing = {k: v for k, v in captured.headers.items() if k.lower() in signed}
    added = sign_request(
        captured.method, captured.path, captured.query, at_signing, captured.body, AK, SK
    )
    assert added == {"Authorization": captured.headers["Authorization"]}


@pytest.mark.parametrize("name", sorted(CAPTURES))
def test_sign_request_stamps_x_sdk_date_from_now_like_the_sdk(name: str) -> None:
    captured = CAPTURES[name]
    signed = set(captured.authorization.signed_headers) - {"x-sdk-date"}
    before = {k: v for k, v in captured.headers.items() if k.lower() in signed}
    added = sign_request(
        captured.method, captured.path, captured.query, before, captured.body, AK, SK, captured.now
    )
    assert added == {
        "X-Sdk-Date": "20261121T050724Z",
        "Authorization": captured.headers["Authorization"],
    }


def test_list_jobs_canonical_request_and_string_to_sign_match_the_contract() -> None:
    captured = CAPTURES["list_jobs"]
    signed = captured.authorization.signed_headers
    assert signed == SDK_SIGNED_HEADERS
    canonical = canonical_request(
        captured.method, captured.path, captured.query, captured.headers, signed, captured.body
    )
    assert canonical == LIST_JOBS_CANONICAL_REQUEST
    to_sign = captured.to_sign(signed, "20261121T050724Z")
    assert to_sign == LIST_JOBS_STRING_TO_SIGN
    assert to_sign.split("\n")[2] == hashlib.sha256(canonical.encode()).hexdigest()
    signature = hmac.new(SK.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    assert signature == "6eb7f32fecdb55613f98c0aac64138d50ebae09adf317ee57f1f90ab497708b2"
    assert captured.authorization.signature == signature


def test_string_to_sign_looks_headers_up_case_insensitively() -> None:
    captured = CAPTURES["export_job"]
    signed = captured.authorization.signed_headers
    args = (captured.method, captured.path, captured.query)
    upper = {k.upper(): v for k, v in captured.headers.items()}
    lower = {k.lower(): v for k, v in captured.headers.items()}
    expected = string_to_sign(*args, captured.headers, signed, captured.body, "20261121T050724Z")
    assert string_to_sign(*args, upper, signed, captured.body, "20261121T050724Z") == expected
    assert string_to_sign(*args, lower, signed, captured.body, "20261121T050724Z") == expected


def test_string_to_sign_names_a_signed_header_that_is_missing() -> None:
    captured = CAPTURES["export_job"].replace_headers(workspace=None)
    with pytest.raises(AuthenticationError) as excinfo:
        string_to_sign(
            captured.method,
            captured.path,
            captured.query,
            captured.headers,
            ("host", "workspace", "x-sdk-date"),
            captured.body,
            "20261121T050724Z",
        )
    assert "'workspace'" in refused(excinfo)


def test_string_to_sign_hashes_the_body() -> None:
    captured = CAPTURES["delete_job"]
    to_sign = string_to_sign(
        "DELETE", captured.path, "", {"Host": "h"}, ["host"], captured.body, "20261121T050724Z"
    )
    expected_canonical = (
        "DELETE\n/v1/0123456789abcdef0123456789abcdef/jobs/job_demo/\n\nhost:h\n\nhost\n"
        + hashlib.sha256(captured.body).hexdigest()
    )
    assert to_sign == (
        "SDK-HMAC-SHA256\n20261121T050724Z\n"
        + hashlib.sha256(expected_canonical.encode()).hexdigest()
    )


# --- tampering and refusals -----------------------------------------------------------------------


def test_verify_refuses_tampered_body() -> None:
    captured = CAPTURES["create_job"]
    body = captured.body.replace(b'"priority": 0', b'"priority": 1')
    assert body != captured.body
    tampered = Captured(captured.method, captured.path, captured.query, captured.headers, body)
    with pytest.raises(AuthenticationError) as excinfo:
        tampered.verify()
    assert "verify aksk signature fail" in refused(excinfo)


def test_verify_refuses_a_body_added_to_a_body_less_request() -> None:
    captured = CAPTURES["stop_job"]
    tampered = Captured(captured.method, captured.path, captured.query, captured.headers, b"{}")
    with pytest.raises(AuthenticationError) as excinfo:
        tampered.verify()
    assert "verify aksk signature fail" in refused(excinfo)


def test_verify_refuses_tampered_path() -> None:
    captured = CAPTURES["stop_job"]
    path = captured.path.replace("job_demo", "job_other")
    tampered = Captured(captured.method, path, captured.query, captured.headers, captured.body)
    with pytest.raises(AuthenticationError) as excinfo:
        tampered.verify()
    assert "verify aksk signature fail" in refused(excinfo)


def test_verify_refuses_tampered_method() -> None:
    captured = CAPTURES["stop_job"]
    tampered = Captured("DELETE", captured.path, captured.query, captured.headers, captured.body)
    with pytest.raises(AuthenticationError) as excinfo:
        tampered.verify()
    assert "verify aksk signature fail" in refused(excinfo)


@pytest.mark.parametrize(
    "query",
    [
        "jobName=job%20demo%2F%C3%A9&limit=100&offset=0",
        "jobName=job%20demo&limit=10&offset=0",
        "jobName=job%20demo%2F%C3%A9&limit=10",
        "jobName=job%20demo%2F%C3%A9&limit=10&offset=0&extra=1",
        "",
    ],
)
def test_verify_refuses_tampered_query(query: str) -> None:
    captured = CAPTURES["list_jobs"]
    tampered = Captured(captured.method, captured.path, query, captured.headers, captured.body)
    with pytest.raises(AuthenticationError) as excinfo:
        tampered.verify()
    assert "verify aksk signature fail" in refused(excinfo)


def test_verify_accepts_the_query_in_any_order() -> None:
    captured = CAPTURES["list_jobs"]
    reordered = "offset=0&limit=10&jobName=job%20demo%2f%c3%a9"
    moved = Captured(captured.method, captured.path, reordered, captured.headers, captured.body)
    assert moved.verify() == AK


def test_verify_refuses_tampered_signed_header() -> None:
    tampered = CAPTURES["export_job"].replace_headers(workspace="ws-9999")
    with pytest.raises(AuthenticationError) as excinfo:
        tampered.verify()
    assert "verify aksk signature fail" in refused(excinfo)


def test_verify_ignores_changes_to_unsigned_headers() -> None:
    changed = CAPTURES["export_job"].replace_headers(
        Accept="application/zip", Connection="close", **{"Content-Length": None}
    )
    assert changed.verify() == AK


def test_verify_refuses_a_missing_signed_header_and_names_it() -> None:
    tampered = CAPTURES["export_job"].replace_headers(workspace=None)
    with pytest.raises(AuthenticationError) as excinfo:
        tampered.verify()
    message = refused(excinfo)
    assert "'workspace'" in message
    assert "missing" in message


def test_verify_refuses_unknown_access_key() -> None:
    captured = CAPTURES["export_job"]
    with pytest.raises(AuthenticationError) as excinfo:
        captured.verify(secret_for=lambda access_key: None)
    message = refused(excinfo)
    assert "ak not exist" in message
    assert AK in message


def test_verify_refuses_a_wrong_secret_key_without_leaking_secrets() -> None:
    captured = CAPTURES["export_job"]
    wrong = "someOtherSecretKey0123456789abcdefghijkl"
    with pytest.raises(AuthenticationError) as excinfo:
        captured.verify(secret_for={AK: wrong}.get)
    message = refused(excinfo)
    assert message.startswith(
        "Incorrect IAM authentication information: verify aksk signature fail;"
    )
    expected_with_wrong_key = sign_request(
        captured.method,
        captured.path,
        captured.query,
        {
            k: v
            for k, v in captured.headers.items()
            if k.lower() in captured.authorization.signed_headers
        },
        captured.body,
        AK,
        wrong,
    )["Authorization"].rsplit("=", 1)[1]
    assert expected_with_wrong_key not in message
    assert wrong not in message
    assert SK not in message
    assert excinfo.value.envelope() == {
        "error_code": "APIGW.0301",
        "error_msg": message,
        "errors": [{"error_code": "APIGW.0301", "error_msg": message}],
    }


@pytest.mark.parametrize("minutes", [16, -16])
def test_verify_refuses_a_clock_16_minutes_off(minutes: int) -> None:
    captured = CAPTURES["list_jobs"]
    with pytest.raises(AuthenticationError) as excinfo:
        captured.verify(now=captured.now + timedelta(minutes=minutes))
    assert refused(excinfo) == (
        "Incorrect IAM authentication information: X-Sdk-Date is out of the allowed window of "
        "900 seconds; check the client clock"
    )


@pytest.mark.parametrize(
    "offset",
    [
        timedelta(minutes=14),
        timedelta(minutes=-14),
        timedelta(seconds=900),
        timedelta(seconds=-900),
    ],
)
def test_verify_accepts_a_clock_up_to_15_minutes_off(offset: timedelta) -> None:
    captured = CAPTURES["list_jobs"]
    assert captured.verify(now=captured.now + offset) == AK


def test_verify_refuses_one_second_beyond_the_window() -> None:
    captured = CAPTURES["list_jobs"]
    with pytest.raises(AuthenticationError):
        captured.verify(now=captured.now + timedelta(seconds=901))


def test_verify_honours_a_custom_window_and_aware_or_naive_clocks() -> None:
    captured = CAPTURES["list_jobs"]
    args = (captured.method, captured.path, captured.query, captured.headers, captured.body)
    later = captured.now + timedelta(seconds=61)
    with pytest.raises(AuthenticationError) as excinfo:
        verify_request(*args, SECRETS.get, later, max_skew_seconds=60)
    assert "allowed window of 60 seconds" in refused(excinfo)
    beijing = captured.now.astimezone(timezone(timedelta(hours=8)))
    assert beijing.hour == 13
    assert verify_request(*args, SECRETS.get, beijing) == AK
    naive_utc = captured.now.replace(tzinfo=None)
    assert verify_request(*args, SECRETS.get, naive_utc) == AK


def test_verify_refuses_algorithm_sdk_hmac_sm3() -> None:
    captured = CAPTURES["list_jobs"]
    sm3 = captured.headers["Authorization"].replace(ALGORITHM, "SDK-HMAC-SM3", 1)
    assert sm3.startswith("SDK-HMAC-SM3 Access=")
    with pytest.raises(AuthenticationError) as excinfo:
        captured.replace_headers(Authorization=sm3).verify()
    message = refused(excinfo)
    assert "'SDK-HMAC-SM3' is not supported" in message
    assert "SDK-HMAC-SHA256" in message


def test_verify_refuses_missing_authorization() -> None:
    with pytest.raises(AuthenticationError) as excinfo:
        CAPTURES["list_jobs"].replace_headers(Authorization=None).verify()
    assert "Authorization header is missing" in refused(excinfo)


@pytest.mark.parametrize(
    "authorization",
    [
        "SDK-HMAC-SHA256",
        "SDK-HMAC-SHA256 ",
        "SDK-HMAC-SHA256 garbage",
        f"SDK-HMAC-SHA256 Access={AK}",
        f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host;x-sdk-date",
        "SDK-HMAC-SHA256 Access=, SignedHeaders=host;x-sdk-date, Signature=00",
        f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=, Signature=00",
        f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host;;x-sdk-date, Signature=00",
        f"SDK-HMAC-SHA256 Access={AK}, Access={AK}, SignedHeaders=host;x-sdk-date, Signature=00",
        f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host;x-sdk-date, =00",
    ],
)
def test_verify_refuses_malformed_authorization(authorization: str) -> None:
    with pytest.raises(AuthenticationError) as excinfo:
        CAPTURES["list_jobs"].replace_headers(Authorization=authorization).verify()
    message = refused(excinfo)
    assert "Authorization header" in message
    assert (
        "expected 'SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<h1;h2;...>, Signature=<hex>'"
        in message
    )


def test_verify_request_leaves_the_go_sdk_derived_key_signature_to_its_own_module() -> None:
    """gophertelekomcloud's ``Credential=<AK>/<date>/<region>/<service>/sdk_request`` is not
    the API gateway's signature: ``verify_request`` names the shape it reads (the API checks a
    ``Credential=`` one with ``jobferry.signing_derived``, tests/unit/test_signing_derived.py)."""
    authorization = (
        f"SDK-HMAC-SHA256 Credential={AK}/20261128///sdk_request, "
        "SignedHeaders=accept;host;user-agent;x-sdk-date, Signature=" + "0" * 64
    )
    with pytest.raises(AuthenticationError) as excinfo:
        CAPTURES["list_jobs"].replace_headers(Authorization=authorization).verify()
    message = refused(excinfo)
    assert "the Authorization header has no Access" in message
    assert "Access=<AK>" in message


def test_verify_refuses_a_non_ascii_signature_as_a_mismatch() -> None:
    captured = CAPTURES["list_jobs"]
    authorization = captured.headers["Authorization"].rsplit("=", 1)[0] + "=é" * 64
    with pytest.raises(AuthenticationError) as excinfo:
        captured.replace_headers(Authorization=authorization).verify()
    assert "verify aksk signature fail" in refused(excinfo)


def test_verify_refuses_missing_x_sdk_date() -> None:
    with pytest.raises(AuthenticationError) as excinfo:
        CAPTURES["list_jobs"].replace_headers(**{"X-Sdk-Date": None}).verify(now=CAPTURED_AT)
    assert "X-Sdk-Date header is missing" in refused(excinfo)


def test_verify_refuses_a_malformed_x_sdk_date() -> None:
    tampered = CAPTURES["list_jobs"].replace_headers(**{"X-Sdk-Date": "2026-11-21T05:07:24Z"})
    with pytest.raises(AuthenticationError) as excinfo:
        tampered.verify(now=CAPTURED_AT)
    assert "is not in the format YYYYMMDDTHHMMSSZ" in refused(excinfo)


def _authorization_over(captured: Captured, signed: tuple[str, ...]) -> str:
    """A correctly computed Authorization that signs exactly ``signed``."""
    to_sign = captured.to_sign(signed, captured.headers["X-Sdk-Date"])
    signature = hmac.new(SK.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Access={AK}, SignedHeaders={';'.join(signed)}, Signature={signature}"


def test_verify_requires_x_sdk_date_to_be_signed() -> None:
    captured = CAPTURES["stop_job"]
    authorization = _authorization_over(captured, ("content-type", "host", "x-project-id"))
    with pytest.raises(AuthenticationError) as excinfo:
        captured.replace_headers(Authorization=authorization).verify()
    assert refused(excinfo) == (
        "Incorrect IAM authentication information: header 'x-sdk-date' is not among "
        "SignedHeaders; it must be signed"
    )


def test_verify_accepts_a_signature_that_leaves_host_out() -> None:
    # The API gateway does, and Go clients never sign Host (it is not in Go's header map).
    captured = CAPTURES["stop_job"]
    signed = ("content-type", "user-agent", "x-project-id", "x-sdk-date")
    authorization = _authorization_over(captured, signed)
    moved = captured.replace_headers(Authorization=authorization, Host="elsewhere:1")
    assert moved.verify() == AK


def test_verify_accepts_a_minimal_signed_header_set() -> None:
    captured = CAPTURES["stop_job"]
    authorization = _authorization_over(captured, ("host", "x-sdk-date"))
    assert captured.replace_headers(Authorization=authorization).verify() == AK


def test_verify_refuses_a_signed_header_sent_twice_with_different_values() -> None:
    captured = CAPTURES["export_job"].replace_headers(WORKSPACE="ws-9999")
    with pytest.raises(AuthenticationError) as excinfo:
        captured.verify()
    assert "'workspace' is sent more than once" in refused(excinfo)


# --- UNSIGNED-PAYLOAD -----------------------------------------------------------------------------

MULTIPART_HEADERS = {
    "Host": "127.0.0.1:8080",
    "Content-Type": "multipart/form-data; boundary=b0undary",
    "X-Project-Id": PROJECT,
    "X-Sdk-Content-Sha256": UNSIGNED_PAYLOAD,
}
MULTIPART_PATH = f"/v1/{PROJECT}/resources"
MULTIPART_NOW = CAPTURED_AT


def test_verify_accepts_unsigned_payload_regardless_of_body() -> None:
    body = b"--b0undary\r\nContent-Disposition: form-data; name=file\r\n\r\nzip\r\n--b0undary--\r\n"
    added = sign_request("POST", MULTIPART_PATH, "", MULTIPART_HEADERS, body, AK, SK, MULTIPART_NOW)
    assert "x-sdk-content-sha256" in parse_authorization(added["Authorization"]).signed_headers
    headers = MULTIPART_HEADERS | added
    for sent in (body, body.replace(b"zip", b"ZIP"), b"something else entirely"):
        assert (
            verify_request("POST", MULTIPART_PATH, "", headers, sent, SECRETS.get, MULTIPART_NOW)
            == AK
        )


@pytest.mark.parametrize(
    "content_type",
    ["application/json;charset=UTF-8", "application/json", "text/plain", ""],
)
def test_verify_refuses_unsigned_payload_on_a_body_that_is_not_multipart(content_type: str) -> None:
    headers = {k: v for k, v in MULTIPART_HEADERS.items() if k != "Content-Type"}
    if content_type:
        headers["Content-Type"] = content_type
    body = b'{"name": "harmless"}'
    added = sign_request("POST", MULTIPART_PATH, "", headers, body, AK, SK, MULTIPART_NOW)
    for sent in (body, b'{"name": "evil"}'):
        with pytest.raises(AuthenticationError) as excinfo:
            verify_request(
                "POST", MULTIPART_PATH, "", headers | added, sent, SECRETS.get, MULTIPART_NOW
            )
        message = refused(excinfo)
        assert "UNSIGNED-PAYLOAD is accepted only for multipart/form-data" in message
        assert "sign the body: send its SHA-256" in message


def test_verify_accepts_unsigned_payload_on_multipart_whatever_the_case_and_parameters() -> None:
    headers = MULTIPART_HEADERS | {"Content-Type": "Multipart/Form-Data ; boundary=x"}
    added = sign_request("POST", MULTIPART_PATH, "", headers, b"zip", AK, SK, MULTIPART_NOW)
    assert (
        verify_request(
            "POST", MULTIPART_PATH, "", headers | added, b"zap", SECRETS.get, MULTIPART_NOW
        )
        == AK
    )


def test_the_sdk_signs_json_bodies_so_the_multipart_rule_never_refuses_it() -> None:
    for content_type in ("application/json", "application/json;charset=UTF-8"):
        received = sdk_sign(
            "POST",
            f"/v1/{PROJECT}/jobs",
            {"Content-Type": content_type, "X-Sdk-Date": "20261121T050724Z"},
            b'{"name": "job"}',
        )
        assert "X-Sdk-Content-Sha256" not in received.headers
        assert received.verify() == AK


def test_unsigned_payload_puts_the_literal_in_the_canonical_request() -> None:
    canonical = canonical_request(
        "POST", MULTIPART_PATH, "", MULTIPART_HEADERS, ["host", "x-sdk-content-sha256"], b"data"
    )
    assert canonical.split("\n")[-1] == "UNSIGNED-PAYLOAD"


def test_verify_refuses_removing_the_unsigned_payload_header() -> None:
    body = b"payload"
    added = sign_request("POST", MULTIPART_PATH, "", MULTIPART_HEADERS, body, AK, SK, MULTIPART_NOW)
    headers = {k: v for k, v in (MULTIPART_HEADERS | added).items() if k != "X-Sdk-Content-Sha256"}
    with pytest.raises(AuthenticationError) as excinfo:
        verify_request("POST", MULTIPART_PATH, "", headers, body, SECRETS.get, MULTIPART_NOW)
    assert "signed header 'x-sdk-content-sha256' is missing" in refused(excinfo)


def test_empty_body_hashes_as_empty_even_with_unsigned_payload_like_the_sdk() -> None:
    canonical = canonical_request(
        "GET", MULTIPART_PATH, "", MULTIPART_HEADERS, ["host", "x-sdk-content-sha256"], b""
    )
    assert canonical.split("\n")[-1] == EMPTY_BODY_SHA256


def test_verify_accepts_an_empty_body_signed_with_the_unsigned_payload_literal() -> None:
    # The API gateway's own signers put UNSIGNED-PAYLOAD in the canonical request even when the
    # body is empty (the SDK puts the empty hash there instead; both must be accepted).
    headers = MULTIPART_HEADERS | {"X-Sdk-Date": "20261121T050724Z"}
    signed = ("content-type", "host", "x-project-id", "x-sdk-content-sha256", "x-sdk-date")
    canonical = canonical_request("GET", MULTIPART_PATH, "", headers, signed, b"")
    literal = canonical.rsplit("\n", 1)[0] + "\nUNSIGNED-PAYLOAD"
    to_sign = f"{ALGORITHM}\n20261121T050724Z\n{hashlib.sha256(literal.encode()).hexdigest()}"
    signature = hmac.new(SK.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = (
        f"{ALGORITHM} Access={AK}, SignedHeaders={';'.join(signed)}, Signature={signature}"
    )
    assert verify_request("GET", MULTIPART_PATH, "", headers, b"", SECRETS.get, MULTIPART_NOW) == AK


# --- building blocks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_path", "expected"),
    [
        ("/v1/p/jobs", "/v1/p/jobs/"),
        ("/v1/p/jobs/", "/v1/p/jobs/"),
        ("/v1/p/jobs/%E4%BD%9C%E4%B8%9A%201", "/v1/p/jobs/%E4%BD%9C%E4%B8%9A%201/"),
        ("/v1/p/jobs/%e4%bd%9c%e4%b8%9a%201", "/v1/p/jobs/%E4%BD%9C%E4%B8%9A%201/"),
        ("/v1/p/jobs/作业 1", "/v1/p/jobs/%E4%BD%9C%E4%B8%9A%201/"),
        ("/v1/p/jobs/a%2Fb", "/v1/p/jobs/a/b/"),
        ("/v1/p/jobs/a~b-c_d.e", "/v1/p/jobs/a~b-c_d.e/"),
        ("/v1/p/jobs/a%7Eb+c", "/v1/p/jobs/a~b%2Bc/"),
        ("/v1/p/jobs/%25", "/v1/p/jobs/%25/"),
        ("/v1/p/jobs/%FF", "/v1/p/jobs/%FF/"),
        ("", "/"),
        ("/", "/"),
    ],
)
def test_canonical_uri(raw_path: str, expected: str) -> None:
    assert canonical_uri(raw_path) == expected


@pytest.mark.parametrize(
    ("raw_query", "expected"),
    [
        ("", ""),
        (
            "limit=10&jobName=job%20demo%2F%C3%A9&offset=0",
            "jobName=job%20demo%2F%C3%A9&limit=10&offset=0",
        ),
        ("b=2&a=2&a=1", "a=1&a=2&b=2"),
        ("flag&empty=&x=1", "empty=&flag=&x=1"),
        ("q=a+b", "q=a%2Bb"),
        ("q=%7e%2a", "q=~%2A"),
        ("name=%E4%BD%9C%E4%B8%9A%201", "name=%E4%BD%9C%E4%B8%9A%201"),
        ("a=1&&b=2&", "a=1&b=2"),
        ("k%20ey=v=w", "k%20ey=v%3Dw"),
    ],
)
def test_canonical_query(raw_query: str, expected: str) -> None:
    assert canonical_query(raw_query) == expected


def test_format_sdk_date_writes_utc() -> None:
    assert format_sdk_date(datetime(2026, 11, 21, 5, 7, 24, tzinfo=UTC)) == "20261121T050724Z"
    plus_8 = datetime(2026, 11, 21, 13, 7, 24, 999, tzinfo=timezone(timedelta(hours=8)))
    assert format_sdk_date(plus_8) == "20261121T050724Z"
    assert format_sdk_date(datetime(2026, 1, 2, 3, 4, 5)) == "20260102T030405Z"


def test_parse_sdk_date_returns_aware_utc() -> None:
    parsed = parse_sdk_date("20261121T050724Z")
    assert parsed == datetime(2026, 11, 21, 5, 7, 24, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)
    assert format_sdk_date(parsed) == "20261121T050724Z"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "20261121T050724",
        "2026-11-21T05:07:24Z",
        "20261121 050724Z",
        "20261321T050724Z",
        "20260230T000000Z",
        "20261121T250000Z",
        "x" * 500,
    ],
)
def test_parse_sdk_date_refuses_bad_values(value: str) -> None:
    with pytest.raises(AuthenticationError) as excinfo:
        parse_sdk_date(value)
    message = refused(excinfo)
    assert "YYYYMMDDTHHMMSSZ" in message
    assert len(message) < 300


def test_parse_authorization_splits_the_sdk_header() -> None:
    parsed = parse_authorization(CAPTURES["stop_job"].headers["Authorization"])
    assert parsed == ParsedAuthorization(
        algorithm="SDK-HMAC-SHA256",
        access_key=AK,
        signed_headers=("content-type", "host", "user-agent", "x-project-id", "x-sdk-date"),
        signature="63a90b092d165e04ba96eab768a46ce9136953a732e476de7538ccab934b3da7",
    )


def test_parse_authorization_tolerates_spacing_and_unknown_parameters() -> None:
    parsed = parse_authorization(
        "SDK-HMAC-SM3   Access=AK ,SignedHeaders= host;x-sdk-date ,Extra=1,Signature=ab"
    )
    assert parsed == ParsedAuthorization("SDK-HMAC-SM3", "AK", ("host", "x-sdk-date"), "ab")


def test_sign_request_requires_host() -> None:
    with pytest.raises(ValueError, match="Host"):
        sign_request("GET", "/v1/p/jobs", "", {"Content-Type": "application/json"}, b"", AK, SK)


def test_sign_request_refuses_an_already_signed_request() -> None:
    headers = dict(CAPTURES["list_jobs"].headers)
    with pytest.raises(ValueError, match="Authorization"):
        sign_request("GET", CAPTURES["list_jobs"].path, "", headers, b"", AK, SK)


def test_sign_request_skips_header_names_with_underscores_and_keeps_a_given_date() -> None:
    headers = {
        "Host": "example.com",
        "X-Sdk-Date": "20261121T050724Z",
        "X_Custom_Header": "not signed",
        "Workspace": "ws-1",
    }
    added = sign_request("GET", "/v1/p/jobs", "b=1&a=2", headers, b"", AK, SK)
    assert list(added) == ["Authorization"]
    parsed = parse_authorization(added["Authorization"])
    assert parsed.signed_headers == ("host", "workspace", "x-sdk-date")
    assert parsed.access_key == AK
    changed = headers | {"X_Custom_Header": "changed", **added}
    assert (
        verify_request("GET", "/v1/p/jobs", "a=2&b=1", changed, b"", SECRETS.get, MULTIPART_NOW)
        == AK
    )


def test_sign_request_uses_the_current_time_by_default() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    added = sign_request("GET", "/v1/p/jobs", "", {"Host": "h"}, b"", AK, SK)
    after = datetime.now(UTC)
    assert before <= parse_sdk_date(added["X-Sdk-Date"]) <= after
    headers = {"Host": "h"} | added
    assert verify_request("GET", "/v1/p/jobs", "", headers, b"", SECRETS.get, after) == AK


# --- round trip against the official SDK signer ---------------------------------------------------


def sdk_sign(
    method: str,
    resource_path: str,
    header_params: dict[str, str],
    body: bytes | str | None = None,
    query_params: list[tuple[str, object]] | None = None,
) -> Captured:
    """Sign with the SDK's own ``Signer`` and return what the server would receive."""
    request = SdkRequest(
        method=method,
        schema="http",
        host="127.0.0.1:8080",
        resource_path=resource_path,
        query_params=query_params or [],
        header_params=dict(header_params),
        body=body,
    )
    credentials = BasicCredentials(AK, SK, PROJECT)
    signed = Signer(credentials).sign(request)
    path, _, query = signed.uri.partition("?")
    assert path == resource_path
    raw_body = signed.body or b""
    assert isinstance(raw_body, bytes)
    return Captured(signed.method, path, query, dict(signed.header_params), raw_body)


def test_verify_accepts_the_sdk_signer_with_chinese_path_and_spaces_in_query() -> None:
    job = "%E4%BD%9C%E4%B8%9A%201"  # 作业 1, as the SDK quotes path parameters (safe="")
    received = sdk_sign(
        "POST",
        f"/v1/{PROJECT}/jobs/{job}/start",
        {
            "workspace": "ws-1234",
            "Content-Type": "application/json;charset=utf-8",
            "X-Project-Id": PROJECT,
            "User-Agent": "huaweicloud-usdk-python/3.0",
            "X-Sdk-Date": "20261121T050724Z",
        },
        '{"jobParams": [{"name": "城市", "value": "北京"}]}',
        [("note", "hello world / é"), ("limit", 10), ("preciseQuery", True), ("tag", ["b c", "a"])],
    )
    assert received.query == (
        "limit=10&note=hello%20world%20%2F%20%C3%A9&preciseQuery=true&tag=a&tag=b%20c"
    )
    assert received.authorization.signed_headers == SDK_SIGNED_HEADERS
    assert received.verify() == AK
    # And jobferry's own signer produces the very same Authorization.
    at_signing = {k: v for k, v in received.headers.items() if k != "Authorization"}
    ours = sign_request(
        received.method, received.path, received.query, at_signing, received.body, AK, SK
    )
    assert ours == {"Authorization": received.headers["Authorization"]}


def test_verify_refuses_tampering_with_an_sdk_signed_chinese_path() -> None:
    received = sdk_sign(
        "DELETE",
        f"/v1/{PROJECT}/jobs/%E4%BD%9C%E4%B8%9A%201",
        {"Content-Type": "application/json", "X-Project-Id": PROJECT},
    )
    assert received.verify() == AK
    other = Captured(
        received.method,
        f"/v1/{PROJECT}/jobs/%E4%BD%9C%E4%B8%9A%202",
        received.query,
        received.headers,
        received.body,
    )
    with pytest.raises(AuthenticationError):
        other.verify()


@pytest.mark.filterwarnings("ignore:datetime.datetime.utcnow:DeprecationWarning")  # SDK, py3.12+
def test_verify_accepts_the_sdk_signer_stamping_its_own_date() -> None:
    received = sdk_sign(
        "GET",
        f"/v1/{PROJECT}/jobs",
        {"Content-Type": "application/json", "X-Project-Id": PROJECT},
        query_params=[("jobName", "job demo"), ("limit", 10), ("offset", 0)],
    )
    assert "X-Sdk-Date" in received.headers
    assert received.verify(now=datetime.now(UTC)) == AK


def test_verify_accepts_the_sdk_signer_with_unsigned_payload_for_multipart() -> None:
    body = b"--b0undary\r\nContent-Disposition: form-data; name=file\r\n\r\nzip\r\n--b0undary--\r\n"
    received = sdk_sign(
        "POST",
        f"/v1/{PROJECT}/resources",
        {
            "Content-Type": "multipart/form-data; boundary=b0undary",
            "X-Sdk-Date": "20261121T050724Z",
        },
        body,
    )
    assert received.headers["X-Sdk-Content-Sha256"] == UNSIGNED_PAYLOAD
    assert received.verify() == AK
    changed = Captured(received.method, received.path, "", received.headers, b"other bytes")
    assert changed.verify() == AK


def test_verify_accepts_the_sdk_signer_with_unsigned_payload_and_empty_body() -> None:
    received = sdk_sign(
        "GET",
        f"/v1/{PROJECT}/resources",
        {"Content-Type": "text/plain", "X-Sdk-Date": "20261121T050724Z"},
        b"",
    )
    assert received.headers["X-Sdk-Content-Sha256"] == UNSIGNED_PAYLOAD
    assert received.verify() == AK


def test_non_ascii_header_values_must_be_passed_as_utf8_text() -> None:
    # The SDK signs the text, then sends its UTF-8 bytes; an ASGI server decodes them as latin-1.
    received = sdk_sign(
        "GET", f"/v1/{PROJECT}/jobs", {"workspace": "工作空间", "X-Sdk-Date": "20261121T050724Z"}
    )
    as_latin1 = received.headers["workspace"]
    assert as_latin1 == "工作空间".encode().decode("latin-1")
    with pytest.raises(AuthenticationError):
        received.verify()
    redecoded = received.replace_headers(workspace=as_latin1.encode("latin-1").decode("utf-8"))
    assert redecoded.verify() == AK


# --- Go clients (the Terraform provider's golangsdk) ---------------------------------------------

GO_URL = f"http://127.0.0.1:8080/v1/{PROJECT}/resources?limit=100&offset=0"


def _go_signed(body: bytes = b"", **extra: str) -> tuple[str, dict[str, str]]:
    """A request signed as golangsdk signs it: every header but Host; X-Project-Id after."""
    headers: dict[str, list[str]] = {}
    if body:
        headers["Content-Type"] = ["application/json"]
    headers.update(
        {
            "Accept": ["application/json"],
            "User-Agent": ["terraform-provider-iac golangsdk/2.0.0"],
            "Dlm-Type": ["EXCLUSIVE"],
            "Workspace": ["ws-1234"],
        }
    )
    query = go_sign("POST" if body else "GET", GO_URL, headers, body, AK, SK, CAPTURED_AT)
    headers["X-Project-Id"] = [PROJECT]
    wire = {name: values[0] for name, values in headers.items()}
    wire.update({"Host": "127.0.0.1:8080", **extra})
    return query, wire


def _verify_go(query: str, headers: dict[str, str], body: bytes = b"") -> str:
    return verify_request(
        "POST" if body else "GET",
        f"/v1/{PROJECT}/resources",
        query,
        headers,
        body,
        SECRETS.get,
        now=CAPTURED_AT,
    )


def test_go_client_signature_without_host_and_with_a_later_project_header_verifies() -> None:
    query, headers = _go_signed()
    signed = parse_authorization(headers["Authorization"]).signed_headers
    assert signed == ("accept", "dlm-type", "user-agent", "workspace", "x-sdk-date")
    assert _verify_go(query, headers) == AK


def test_go_client_body_is_covered_by_the_signature() -> None:
    body = b'{"location":"obs://b/a.jar","name":"a","type":"jar"}\n'
    query, headers = _go_signed(body)
    assert _verify_go(query, headers, body) == AK
    with pytest.raises(AuthenticationError, match="verify aksk signature fail"):
        _verify_go(query, headers, body.replace(b"a.jar", b"b.jar"))


@pytest.mark.parametrize(
    ("name", "value"), [("Workspace", "ws-9999"), ("Dlm-Type", "SHARED"), ("Accept", "*/*")]
)
def test_go_client_request_with_a_signed_header_changed_is_refused(name: str, value: str) -> None:
    query, headers = _go_signed()
    headers[name] = value
    with pytest.raises(AuthenticationError, match="verify aksk signature fail"):
        _verify_go(query, headers)


def test_go_client_request_with_a_signed_header_removed_or_query_changed_is_refused() -> None:
    query, headers = _go_signed()
    del headers["Dlm-Type"]
    with pytest.raises(AuthenticationError, match="'dlm-type' is missing"):
        _verify_go(query, headers)
    query, headers = _go_signed()
    with pytest.raises(AuthenticationError, match="verify aksk signature fail"):
        _verify_go(query.replace("offset=0", "offset=100"), headers)


def test_go_client_request_without_authorization_is_refused() -> None:
    query, headers = _go_signed()
    del headers["Authorization"]
    with pytest.raises(AuthenticationError, match="Authorization header is missing"):
        _verify_go(query, headers)
