"""AK/SK request signing as done by the Huawei Cloud SDK (``SDK-HMAC-SHA256``).

The official SDK signs every request with the caller's secret key; the server recomputes the
same signature from what it received and compares. The algorithm:

1. **Canonical request**: six parts joined by ``\\n``:

   * the HTTP method, upper-case;
   * the canonical URI: the raw path percent-decoded once, split on ``/``, each segment
     re-encoded with ``quote(segment, safe="~")``, re-joined, with a trailing ``/`` added;
   * the canonical query: the ``k=v`` pairs percent-decoded, sorted by key then value, both
     sides re-encoded the same way, joined with ``&`` (empty when there is no query);
   * the canonical headers: one ``name:value`` line (value stripped) per signed header, each
     line ending in ``\\n``;
   * the ``SignedHeaders`` list (lower-case names, sorted, joined with ``;``);
   * the payload hash: lower-case hex SHA-256 of the body bytes, or ``UNSIGNED-PAYLOAD`` when
     the client sent ``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`` with a non-empty body
     (:func:`verify_request` accepts that for ``multipart/form-data`` bodies only).

2. **String to sign**: ``SDK-HMAC-SHA256``, the ``X-Sdk-Date`` value (``%Y%m%dT%H%M%SZ``, UTC)
   and the hex SHA-256 of the canonical request, joined by ``\\n``.

3. **Signature**: lower-case hex ``HMAC-SHA256(key=SK as UTF-8, msg=string to sign)``; the raw
   secret is the key, there is no date or region key derivation. It travels as
   ``Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<list>, Signature=<hex>``.

:func:`sign_request` is the client side, :func:`verify_request` the server side. Both are pure:
header values must be given as the text the client signed. HTTP carries the SDK's non-ASCII
header values as UTF-8 bytes, so a server that decodes header bytes as latin-1 (ASGI does) must
re-decode such values as UTF-8 before calling :func:`verify_request`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from jobferry.errors import AuthenticationError, SignatureMismatchError

__all__ = [
    "ALGORITHM",
    "EMPTY_BODY_SHA256",
    "UNSIGNED_PAYLOAD",
    "ParsedAuthorization",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "format_sdk_date",
    "parse_authorization",
    "parse_sdk_date",
    "sign_request",
    "string_to_sign",
    "verify_request",
]

ALGORITHM = "SDK-HMAC-SHA256"
"""The only signing algorithm jobferry accepts (the SDK's default)."""

EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
"""Hex SHA-256 of zero bytes: the payload hash of a request without a body."""

UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
"""Value of ``X-Sdk-Content-Sha256`` by which a client leaves the body out of the signature."""

SDK_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
"""``strftime`` format of the ``X-Sdk-Date`` header."""

_HEADER_DATE = "x-sdk-date"
_HEADER_HOST = "host"
_HEADER_AUTHORIZATION = "authorization"
_HEADER_CONTENT_SHA256 = "x-sdk-content-sha256"
_SDK_DATE_RE = re.compile(r"\d{8}T\d{6}Z")
_MESSAGE_PREFIX = "Incorrect IAM authentication information: "
_AUTHORIZATION_SHAPE = (
    f"expected '{ALGORITHM} Access=<AK>, SignedHeaders=<h1;h2;...>, Signature=<hex>'"
)


def _refuse(detail: str) -> AuthenticationError:
    """An :class:`AuthenticationError` worded like the API gateway's 401 messages."""
    return AuthenticationError(_MESSAGE_PREFIX + detail)


def _encode(text: str) -> str:
    """Percent-encode everything but RFC 3986 unreserved characters (upper-case hex).

    ``surrogateescape`` lets bytes that were not valid UTF-8 in the decoded input come back out
    as the same ``%XX`` escapes instead of failing.
    """
    return quote(text, safe="~", encoding="utf-8", errors="surrogateescape")


def _decode(text: str) -> str:
    """Percent-decode once, keeping invalid UTF-8 bytes recoverable (see :func:`_encode`)."""
    return unquote(text, encoding="utf-8", errors="surrogateescape")


def canonical_uri(raw_path: str) -> str:
    """The canonical URI of a request path as it was sent (percent-encoded, without query).

    The path is percent-decoded once, split on ``/``, every segment re-encoded with
    ``quote(segment, safe="~")`` and a trailing ``/`` appended if missing. An encoded slash
    (``%2F``) therefore canonicalises exactly like a literal ``/``, as in the SDK.

    >>> canonical_uri("/v1/p/jobs/%E4%BD%9C%E4%B8%9A%201")
    '/v1/p/jobs/%E4%BD%9C%E4%B8%9A%201/'
    """
    path = "/".join(_encode(segment) for segment in _decode(raw_path).split("/"))
    return path if path.endswith("/") else path + "/"


def _query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """``(key, value)`` pairs of a raw query string, percent-decoded, blank values kept.

    ``+`` stays a literal plus sign (the SDK encodes spaces as ``%20`` and never sends ``+``).
    """
    pairs: list[tuple[str, str]] = []
    for item in raw_query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        pairs.append((_decode(key), _decode(value)))
    return pairs


def canonical_query(raw_query: str, *, lower_keys: bool = False) -> str:
    """The canonical query string of a raw query (the part after ``?``, without the ``?``).

    Pairs are percent-decoded, sorted by key then value, re-encoded on both sides with
    ``quote(..., safe="~")`` and joined with ``&``; an empty query gives ``""``. A parameter
    without ``=`` counts as having a blank value. ``lower_keys`` lower-cases the keys first, as
    the Go SDK (``huaweicloud-sdk-go-v3``) does when it signs.

    >>> canonical_query("limit=10&jobName=job+demo%2F%c3%a9")
    'jobName=job%2Bdemo%2F%C3%A9&limit=10'
    """
    pairs = _query_pairs(raw_query)
    if lower_keys:
        pairs = [(key.lower(), value) for key, value in pairs]
    pairs.sort()
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in pairs)


def _as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already (as the SDK does)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_sdk_date(moment: datetime) -> str:
    """``moment`` as an ``X-Sdk-Date`` value (``%Y%m%dT%H%M%SZ`` in UTC; naive means UTC).

    >>> format_sdk_date(datetime(2026, 11, 21, 5, 7, 24, tzinfo=UTC))
    '20261121T050724Z'
    """
    return _as_utc(moment).strftime(SDK_DATE_FORMAT)


def parse_sdk_date(value: str) -> datetime:
    """The timezone-aware UTC moment of an ``X-Sdk-Date`` value.

    Raises :class:`AuthenticationError` unless ``value`` is exactly ``YYYYMMDDTHHMMSSZ``
    and a real calendar moment.
    """
    fix = "send the current UTC time as YYYYMMDDTHHMMSSZ, e.g. 20261121T050724Z"
    text = value.strip()
    if not _SDK_DATE_RE.fullmatch(text):
        raise _refuse(f"X-Sdk-Date {value[:40]!r} is not in the format YYYYMMDDTHHMMSSZ; {fix}")
    try:  # the format is fixed by the regular expression: slice it (strptime costs ~20 µs)
        parsed = datetime(
            int(text[0:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[9:11]),
            int(text[11:13]),
            int(text[13:15]),
        )
    except ValueError:
        raise _refuse(f"X-Sdk-Date {text!r} is not a valid date and time; {fix}") from None
    return parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ParsedAuthorization:
    """The parts of an ``Authorization: <algorithm> Access=…, SignedHeaders=…, Signature=…``."""

    algorithm: str
    access_key: str
    signed_headers: tuple[str, ...]
    signature: str


def _check_params(params: dict[str, str]) -> None:
    """The three parameters of a signature, each present (a ``Credential=`` signature, the Go
    SDK gophertelekomcloud's, is read by :mod:`jobferry.signing_derived`)."""
    for required in ("Access", "SignedHeaders", "Signature"):
        if not params.get(required):
            raise _refuse(f"the Authorization header has no {required}; {_AUTHORIZATION_SHAPE}")


def parse_authorization(value: str) -> ParsedAuthorization:
    """Split an ``Authorization`` header value into its parts.

    Accepts any algorithm name (the caller decides which it supports) and ignores parameters
    other than ``Access``, ``SignedHeaders`` and ``Signature``; those three must each appear
    exactly once and be non-empty. Signed header names are kept as written.
    Raises :class:`AuthenticationError` when the value does not have that shape.
    """
    algorithm, _, rest = value.strip().partition(" ")
    if not algorithm or not rest.strip():
        raise _refuse(f"the Authorization header is malformed; {_AUTHORIZATION_SHAPE}")
    params: dict[str, str] = {}
    for item in rest.split(","):
        name, equals, param = item.strip().partition("=")
        if not equals or not name:
            raise _refuse(
                f"the Authorization header has a malformed item {item.strip()[:40]!r}; "
                f"{_AUTHORIZATION_SHAPE}"
            )
        if name in params:
            raise _refuse(f"the Authorization header repeats {name!r}; {_AUTHORIZATION_SHAPE}")
        params[name] = param.strip()
    _check_params(params)
    signed_headers = tuple(name.strip() for name in params["SignedHeaders"].split(";"))
    if any(not name for name in signed_headers):
        raise _refuse(
            f"the Authorization header lists an empty name in SignedHeaders; {_AUTHORIZATION_SHAPE}"
        )
    return ParsedAuthorization(
        algorithm=algorithm,
        access_key=params["Access"],
        signed_headers=signed_headers,
        signature=params["Signature"],
    )


def _header_values(headers: Mapping[str, str]) -> dict[str, list[str]]:
    """Header values by lower-case name, each stripped; case variants of a name are merged."""
    found: dict[str, list[str]] = {}
    for name, value in headers.items():
        found.setdefault(name.lower(), []).append(value.strip())
    return found


def _single(values: dict[str, list[str]], name: str) -> str | None:
    """The one value of header ``name`` (lower-case), ``None`` when absent.

    Raises :class:`AuthenticationError` when the header was given twice with different values:
    what the client signed would be ambiguous.
    """
    found = values.get(name.lower())
    if not found:
        return None
    if len(set(found)) > 1:
        raise _refuse(f"header {name!r} is sent more than once with different values; send it once")
    return found[0]


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _payload_hash(values: dict[str, list[str]], body: bytes) -> str:
    """The payload-hash line, exactly as the SDK computes it.

    An empty body always hashes to :data:`EMPTY_BODY_SHA256` (the SDK ignores
    ``X-Sdk-Content-Sha256`` then); otherwise ``UNSIGNED-PAYLOAD`` when that header says so,
    else the SHA-256 of the body.
    """
    if not body:
        return EMPTY_BODY_SHA256
    if _single(values, _HEADER_CONTENT_SHA256) == UNSIGNED_PAYLOAD:
        return UNSIGNED_PAYLOAD
    return _sha256_hex(body)


def signed_value(values: dict[str, list[str]], name: str) -> str:
    """The value of the signed header ``name``; refused when the request lacks it."""
    value = _single(values, name)
    if value is None:
        raise _refuse(
            f"signed header {name!r} is missing from the request; send every header listed in "
            "SignedHeaders unchanged"
        )
    return value


def _canonical_request(
    method: str,
    raw_path: str,
    raw_query: str,
    values: dict[str, list[str]],
    signed_headers: Sequence[str],
    payload_hash: str,
    lower_query_keys: bool = False,
) -> str:
    lines = [f"{name}:{signed_value(values, name)}\n" for name in signed_headers]
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path),
            canonical_query(raw_query, lower_keys=lower_query_keys),
            "".join(lines),
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def canonical_request(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body: bytes,
) -> str:
    """The canonical request (six ``\\n``-joined parts) the signature is computed over.

    ``headers`` are looked up case-insensitively; ``signed_headers`` are used as written, in the
    given order. The payload hash is :data:`EMPTY_BODY_SHA256` for an empty body,
    ``UNSIGNED-PAYLOAD`` when header ``X-Sdk-Content-Sha256`` carries that value, else the hex
    SHA-256 of ``body``. Raises :class:`AuthenticationError` naming a signed header that is
    missing from ``headers``.
    """
    values = _header_values(headers)
    return _canonical_request(
        method, raw_path, raw_query, values, signed_headers, _payload_hash(values, body)
    )


def _string_to_sign(canonical: str, sdk_date: str) -> str:
    return "\n".join([ALGORITHM, sdk_date, _sha256_hex(canonical.encode("utf-8"))])


def string_to_sign(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body: bytes,
    sdk_date: str,
) -> str:
    """``SDK-HMAC-SHA256``, ``sdk_date`` and the hex SHA-256 of :func:`canonical_request`.

    Raises :class:`AuthenticationError` naming a signed header missing from ``headers``.
    """
    canonical = canonical_request(method, raw_path, raw_query, headers, signed_headers, body)
    return _string_to_sign(canonical, sdk_date)


def _signature(secret_key: str, to_sign: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def sign_request(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """The headers to add so that a server (or the real API gateway) accepts the request.

    Returns ``Authorization`` and, unless ``headers`` already has one, ``X-Sdk-Date`` (from
    ``now``, default the current time). Like the SDK, every header in ``headers`` whose name
    contains no ``_`` is signed, plus ``x-sdk-date``. ``headers`` must already contain ``Host``
    and whatever else will be sent and should be signed (``Content-Type``, ``X-Project-Id``,
    ``workspace``, ``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`` for an unsigned body). Send the
    query string exactly as given in ``raw_query`` (or as :func:`canonical_query` of it).

    Raises :class:`ValueError` when ``Host`` is missing, when ``headers`` already carries an
    ``Authorization``, or when a header name is given twice.
    """
    values = _header_values(headers)
    duplicated = sorted(name for name, found in values.items() if len(found) > 1)
    if duplicated:
        raise ValueError(f"headers given more than once: {', '.join(duplicated)}")
    if _HEADER_HOST not in values:
        raise ValueError("headers must contain Host (the host[:port] the request is sent to)")
    if _HEADER_AUTHORIZATION in values:
        raise ValueError("headers already contain Authorization; a request is signed only once")
    added: dict[str, str] = {}
    sdk_date = _single(values, _HEADER_DATE)
    if sdk_date is None:
        sdk_date = format_sdk_date(now if now is not None else datetime.now(UTC))
        added["X-Sdk-Date"] = sdk_date
        values[_HEADER_DATE] = [sdk_date]
    signed = sorted(name for name in values if "_" not in name)
    canonical = _canonical_request(
        method, raw_path, raw_query, values, signed, _payload_hash(values, body)
    )
    signature = _signature(secret_key, _string_to_sign(canonical, sdk_date))
    added["Authorization"] = (
        f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(signed)}, Signature={signature}"
    )
    return added


def _check_unsigned_payload(values: dict[str, list[str]], body: bytes) -> None:
    """Refuse ``UNSIGNED-PAYLOAD`` on a body that is not ``multipart/form-data``.

    Only uploads may leave their body out of the signature (the SDK does so for every
    non-JSON content type; the only one jobferry serves is the multipart package upload). On a
    JSON body it would let whoever captured the request send another body under its signature.
    """
    if not body or _single(values, _HEADER_CONTENT_SHA256) != UNSIGNED_PAYLOAD:
        return
    content_type = _single(values, "content-type") or ""
    if content_type.partition(";")[0].strip().lower() != "multipart/form-data":
        raise _refuse(
            f"X-Sdk-Content-Sha256: {UNSIGNED_PAYLOAD} is accepted only for multipart/form-data "
            f"uploads, not for Content-Type {content_type[:60]!r}; sign the body: send its "
            "SHA-256 as the payload hash (leave out X-Sdk-Content-Sha256)"
        )


def _authorization(values: dict[str, list[str]]) -> str:
    """The ``Authorization`` header's value; refused when missing."""
    authorization = _single(values, _HEADER_AUTHORIZATION)
    if authorization:
        return authorization
    raise _refuse(
        f"the Authorization header is missing; sign the request with AK/SK ({ALGORITHM}), or "
        "send an IAM token from POST /v3/auth/tokens in X-Auth-Token"
    )


def require_authorization(headers: Mapping[str, str]) -> None:
    """Refuse a request without an ``Authorization`` header (before its body is read)."""
    _authorization(_header_values(headers))


def verify_request(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_for: Callable[[str], str | None],
    now: datetime,
    max_skew_seconds: int = 900,
) -> str:
    """Check the request's ``SDK-HMAC-SHA256`` signature; return the verified access key.

    ``raw_path`` and ``raw_query`` are exactly as received (still percent-encoded, no ``?``),
    ``body`` the exact bytes read, ``secret_for`` maps an access key to its secret key or
    ``None``, ``now`` is the server clock (naive means UTC).

    ``Host`` need not be signed: the API gateway accepts signatures without it, and Go
    clients (the Terraform provider's ``golangsdk``) sign every header of the request except
    ``Host``, which Go keeps outside the header map. Whatever *is* listed in ``SignedHeaders``
    must be present and unchanged.

    Raises :class:`AuthenticationError` (401, ``APIGW.0301``) when the ``Authorization`` header
    is missing or malformed, its algorithm is not ``SDK-HMAC-SHA256``, ``X-Sdk-Date`` is not
    signed, ``X-Sdk-Date`` is missing, malformed or more than ``max_skew_seconds`` away from
    ``now``, a body that is not ``multipart/form-data`` is sent as ``UNSIGNED-PAYLOAD``, the
    access key is unknown, a signed header is missing, or the signature does not match
    (:class:`SignatureMismatchError`). Messages never include the expected signature.
    """
    values = _header_values(headers)
    authorization = _authorization(values)
    check_algorithm(authorization)
    parsed = parse_authorization(authorization)
    sdk_date, secret_key = signed_at_and_secret(values, parsed, secret_for, now, max_skew_seconds)
    _check_unsigned_payload(values, body)
    candidates = [_payload_hash(values, body)]
    if not body and _single(values, _HEADER_CONTENT_SHA256) == UNSIGNED_PAYLOAD:
        # The API gateway's own signers put UNSIGNED-PAYLOAD in the canonical request even for an
        # empty body, where the SDK uses the empty-body hash; either describes "no body".
        candidates.append(UNSIGNED_PAYLOAD)
    given = parsed.signature.encode("utf-8")
    # The Go SDK (huaweicloud-sdk-go-v3) lower-cases query keys in its canonical request
    # (``jobType`` is signed as ``jobtype``); values and everything else are covered alike.
    forms = [(h, False) for h in candidates]
    if raw_query != raw_query.lower():
        forms += [(h, True) for h in candidates]
    for payload_hash, lower in forms:
        canonical = _canonical_request(
            method, raw_path, raw_query, values, parsed.signed_headers, payload_hash, lower
        )
        expected = _signature(secret_key, _string_to_sign(canonical, sdk_date))
        if hmac.compare_digest(expected.encode("ascii"), given):
            return parsed.access_key
    raise mismatch()


def check_algorithm(authorization: str) -> None:
    """Refuse an ``Authorization`` of another algorithm than ``SDK-HMAC-SHA256``."""
    algorithm = authorization.partition(" ")[0]
    if algorithm != ALGORITHM:
        raise _refuse(
            f"signing algorithm {algorithm[:40]!r} is not supported; "
            f"configure the client to sign with {ALGORITHM}"
        )


def signed_at_and_secret(
    values: dict[str, list[str]],
    parsed: ParsedAuthorization,
    secret_for: Callable[[str], str | None],
    now: datetime,
    max_skew_seconds: int,
) -> tuple[str, str]:
    """What every signature scheme checks alike: ``X-Sdk-Date`` signed, present and within
    ``max_skew_seconds`` of ``now``, and the access key registered; the date and the secret."""
    if _HEADER_DATE not in {name.lower() for name in parsed.signed_headers}:
        raise _refuse(f"header {_HEADER_DATE!r} is not among SignedHeaders; it must be signed")
    sdk_date = _single(values, _HEADER_DATE)
    if sdk_date is None:
        raise _refuse("the X-Sdk-Date header is missing; send the signing time in UTC")
    if abs((_as_utc(now) - parse_sdk_date(sdk_date)).total_seconds()) > max_skew_seconds:
        raise _refuse(
            f"X-Sdk-Date is out of the allowed window of {max_skew_seconds} seconds; "
            "check the client clock"
        )
    secret_key = secret_for(parsed.access_key)
    if secret_key is None:
        raise _refuse(
            f"ak not exist (access key {parsed.access_key[:64]!r} is not registered); "
            "check the AK the client is configured with"
        )
    return sdk_date, secret_key


def mismatch() -> SignatureMismatchError:
    """A signature that does not match (the lockout counts it); never the expected one."""
    return SignatureMismatchError(
        f"{_MESSAGE_PREFIX}verify aksk signature fail; check the secret key, and that no proxy "
        "rewrites the path, query, body or signed headers"
    )
