"""Specifications of ``jobferry.signing_derived``: the Go SDK gophertelekomcloud's own AK/SK
signature (``Credential=``, a key derived from the date), checked against the SDK's signer as
restated in ``tests/support/go_sdk_aksk.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jobferry.errors import AuthenticationError, SignatureMismatchError
from jobferry.signing_derived import (
    DerivedAuthorization,
    derive_key,
    parse_any,
    parse_derived,
    verify_any,
    verify_derived,
)
from support.go_sdk_aksk import go_sign

AK, SK = "AKFIXED0001", "secret-key-0123"
NOW = datetime(2026, 11, 28, 3, 14, 55, tzinfo=UTC)
SDK_HEADERS = {"Accept": "application/json", "User-Agent": "golangsdk/2.0.0"}
CATALOG_SIGNATURE = "659ca59350b94d3200f3f0deabd7cc5b2545db475e31c9da2ff0cebda73b6980"


def secret_for(key: str) -> str | None:
    return SK if key == AK else None


def verify(
    method: str, url: str, headers: dict[str, str], body: bytes = b"", now: datetime = NOW
) -> str:
    path, _, query = url.removeprefix("http://testserver").partition("?")
    return verify_derived(method, path, query, headers, body, secret_for, now)


def signed(method: str, url: str, body: bytes | None = None, **extra: str) -> dict[str, str]:
    return go_sign(method, url, {**SDK_HEADERS, **extra}, body, AK, SK, NOW)


def refusal(excinfo: pytest.ExceptionInfo[AuthenticationError]) -> str:
    return excinfo.value.message


def test_the_key_is_derived_from_sdk_and_the_secret_over_date_region_service() -> None:
    """HMAC-SHA256 chained from ``"SDK"+SK`` over the date, region, service, ``sdk_request``
    (values computed once from that chain)."""
    assert derive_key(SK, "20261128", "", "").hex() == (
        "69412049deeb04fe1877082ac731d17f477c78ad58b9786303fa14cfe96f90f2"
    )
    assert derive_key(SK, "20261128", "eu-de", "dlf").hex() == (
        "c9e0f6136a32a1442f08652416304cd92753f27820903a78b03f136cfc73b582"
    )
    assert derive_key(SK, "20261129", "", "") != derive_key(SK, "20261128", "", "")


def test_a_fixed_catalog_request_verifies() -> None:
    """``GET /v3/auth/catalog`` as the SDK signs it at 2026-11-28 03:14:55 UTC."""
    headers = {
        **SDK_HEADERS,
        "Host": "testserver",
        "X-Sdk-Date": "20261128T031455Z",
        "X-Project-Id": "0123456789abcdef0123456789abcdef",  # added after signing
        "Authorization": f"SDK-HMAC-SHA256 Credential={AK}/20261128///sdk_request, "
        f"SignedHeaders=accept;host;user-agent;x-sdk-date, Signature={CATALOG_SIGNATURE}",
    }
    assert verify("GET", "/v3/auth/catalog", headers) == AK
    assert verify_any("GET", "/v3/auth/catalog", "", headers, b"", secret_for, NOW) == AK


def test_the_authorization_is_parsed_with_its_scope() -> None:
    parsed = parse_any(signed("GET", "http://testserver/v3/auth/catalog")["Authorization"])
    assert isinstance(parsed, DerivedAuthorization)
    assert (parsed.access_key, parsed.date, parsed.region, parsed.service) == (
        AK,
        "20261128",
        "",
        "",
    )
    assert parsed.signed_headers == ("accept", "host", "user-agent", "x-sdk-date")
    assert parsed.scope == "20261128///sdk_request"


@pytest.mark.parametrize(
    "credential",
    [f"{AK}/20261128//sdk_request", f"{AK}/20261128///other", f"{AK}/2026-11-28///sdk_request"],
)
def test_a_malformed_credential_is_refused_with_its_shape(credential: str) -> None:
    with pytest.raises(AuthenticationError) as excinfo:
        parse_derived(f"SDK-HMAC-SHA256 Credential={credential}, SignedHeaders=x, Signature=0")
    assert "Credential=<AK>/<YYYYMMDD>/<region>/<service>/sdk_request" in refusal(excinfo)


def test_a_query_is_signed_as_go_reads_it() -> None:
    """``+`` is a space, the first value of a key counts, keys sorted ignoring case."""
    url = "http://testserver/v1/p/jobs?name=a+b%2Fc&limit=10&Offset=0&limit=99"
    headers = signed("GET", url, workspace="ws1")
    assert verify("GET", url, headers) == AK
    with pytest.raises(SignatureMismatchError):
        verify("GET", url.replace("limit=10", "limit=11"), headers)


def test_a_body_is_signed_and_a_changed_one_refused() -> None:
    body = b'{"name":"job_1"}'
    headers = signed("POST", "http://testserver/v1/p/jobs", body, **{"Content-Type": "x/y"})
    assert verify("POST", "/v1/p/jobs", headers, body) == AK
    with pytest.raises(SignatureMismatchError) as excinfo:
        verify("POST", "/v1/p/jobs", headers, b'{"name":"job_2"}')
    assert "verify aksk signature fail" in excinfo.value.message


def test_a_post_without_a_body_hashes_its_query() -> None:
    url = "http://testserver/v1/p/jobs/j1/run-immediate?a=x+y"
    assert verify("POST", url, signed("POST", url)) == AK


def test_a_wrong_secret_is_a_mismatch_and_an_unknown_key_is_named() -> None:
    url = "http://testserver/v3/auth/catalog"
    wrong = go_sign("GET", url, SDK_HEADERS, None, AK, "not-the-secret", NOW)
    with pytest.raises(SignatureMismatchError):
        verify("GET", url, wrong)
    unknown = go_sign("GET", url, SDK_HEADERS, None, "AKUNKNOWN", SK, NOW)
    with pytest.raises(AuthenticationError) as excinfo:
        verify("GET", url, unknown)
    assert "ak not exist" in refusal(excinfo)
    assert "AKUNKNOWN" in refusal(excinfo)


def test_the_clock_window_and_the_credential_date_are_checked() -> None:
    url = "http://testserver/v3/auth/catalog"
    headers = signed("GET", url)
    with pytest.raises(AuthenticationError) as excinfo:
        verify("GET", url, headers, now=NOW + timedelta(minutes=16))
    assert "out of the allowed window of 900 seconds" in refusal(excinfo)
    other_day = headers["Authorization"].replace("/20261128/", "/20261127/")
    with pytest.raises(AuthenticationError) as excinfo:
        verify("GET", url, {**headers, "Authorization": other_day})
    assert "is not the day of X-Sdk-Date" in refusal(excinfo)


def test_the_date_must_be_signed_and_every_signed_header_sent() -> None:
    url = "http://testserver/v3/auth/catalog"
    headers = signed("GET", url)
    unsigned = headers["Authorization"].replace(";x-sdk-date", "")
    with pytest.raises(AuthenticationError) as excinfo:
        verify("GET", url, {**headers, "Authorization": unsigned})
    assert "'x-sdk-date' is not among SignedHeaders" in refusal(excinfo)
    without_agent = {k: v for k, v in headers.items() if k != "User-Agent"}
    with pytest.raises(AuthenticationError) as excinfo:
        verify("GET", url, without_agent)
    assert "signed header 'user-agent' is missing" in refusal(excinfo)


def test_an_unsigned_body_is_refused() -> None:
    body = b"{}"
    headers = signed(
        "POST", "http://testserver/v1/p/jobs", body, **{"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"}
    )
    with pytest.raises(AuthenticationError) as excinfo:
        verify("POST", "/v1/p/jobs", headers, body)
    assert "must sign its body" in refusal(excinfo)


def test_the_api_gateway_signature_still_goes_to_its_own_verifier() -> None:
    with pytest.raises(AuthenticationError) as excinfo:
        verify_any(
            "GET",
            "/v1/p/jobs",
            "",
            {"Authorization": "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=0"},
            b"",
            secret_for,
            NOW,
        )
    assert "'x-sdk-date' is not among SignedHeaders" in refusal(excinfo)
