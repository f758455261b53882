"""The Go SDK gophertelekomcloud's own AK/SK signature: a key derived from the date.

gophertelekomcloud (``golangsdk.Sign``) never trades AK/SK for a token: it signs every request
itself, and not the way the API gateway's other signers do (:mod:`jobferry.signing`). What
differs (restated from the algorithm, no code of it used):

* ``Authorization: SDK-HMAC-SHA256 Credential=<AK>/<scope>, SignedHeaders=<list>,
  Signature=<hex>``; the scope is ``<YYYYMMDD>/<region>/<service>/sdk_request`` (the SDK leaves
  region and service empty: ``20261128///sdk_request``).
* The key: ``HMAC-SHA256`` chained from ``"SDK" + SK`` over the scope's date, region, service
  and ``sdk_request``, each result the next key.
* The string to sign: ``SDK-HMAC-SHA256``, the ``X-Sdk-Date`` value, the scope and the hex
  SHA-256 of the canonical request, joined by ``\\n``.
* The canonical request: method, the canonical URI (as :func:`jobferry.signing.canonical_uri`),
  the query decoded as Go decodes one (``+`` is a space), one value a key (the first), keys
  sorted ignoring case, both sides re-encoded; one ``name:value`` line a signed header (runs of
  whitespace made one space); the signed names; the body's hex SHA-256. A ``POST`` without a
  body signs no query and hashes the query instead, encoded as Go's ``url.Values.Encode``.
* Every header of the request when it is signed is in ``SignedHeaders`` (``Host`` included);
  ``X-Project-Id`` (or ``X-Domain-Id``) is added after signing, so it is not signed.

:func:`verify_any` checks either signature by the same rules (clock window, unknown key,
mismatch as :class:`SignatureMismatchError` so the lockout counts it); :func:`parse_any` reads
either ``Authorization``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, unquote_plus

from jobferry.signing import (
    ALGORITHM,
    ParsedAuthorization,
    _header_values,
    _refuse,
    _single,
    canonical_uri,
    check_algorithm,
    mismatch,
    parse_authorization,
    signed_at_and_secret,
    signed_value,
    verify_request,
)

__all__ = [
    "TERMINATOR",
    "DerivedAuthorization",
    "derive_key",
    "derived_string_to_sign",
    "is_derived",
    "parse_any",
    "parse_derived",
    "verify_any",
    "verify_derived",
]

TERMINATOR = "sdk_request"
"""The last part of a derived signature's scope."""

_SHAPE = (
    f"expected '{ALGORITHM} Credential=<AK>/<YYYYMMDD>/<region>/<service>/{TERMINATOR}, "
    "SignedHeaders=<h1;h2;...>, Signature=<hex>'"
)
_SPACES = re.compile(r"\s+")
_GO_FORM_SAFE = "-_.~"


@dataclass(frozen=True)
class DerivedAuthorization(ParsedAuthorization):
    """A ``Credential=`` authorization: the access key and its scope's parts."""

    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


def is_derived(authorization: str) -> bool:
    """Whether an ``Authorization`` value is a ``Credential=`` (derived key) signature."""
    return "Credential=" in authorization and "Access=" not in authorization


def parse_derived(value: str) -> DerivedAuthorization:
    """The parts of a ``Credential=`` authorization; :class:`AuthenticationError` (401) naming
    what is wrong when it does not have that shape."""
    algorithm, _, rest = value.strip().partition(" ")
    params: dict[str, str] = {}
    for item in rest.split(","):
        name, equals, param = item.strip().partition("=")
        if not equals or name in params:
            raise _refuse(f"the Authorization header is malformed near {item[:40]!r}; {_SHAPE}")
        params[name] = param.strip()
    credential = params.get("Credential", "").split("/")
    if len(credential) != 5 or not credential[0] or credential[4] != TERMINATOR:
        raise _refuse(f"the Authorization header's Credential is malformed; {_SHAPE}")
    if not re.fullmatch(r"\d{8}", credential[1]):
        raise _refuse(f"the Credential's date {credential[1][:20]!r} is not YYYYMMDD; {_SHAPE}")
    signed = tuple(name.strip() for name in params.get("SignedHeaders", "").split(";"))
    if not params.get("Signature") or not all(signed):
        raise _refuse(f"the Authorization header lacks SignedHeaders or Signature; {_SHAPE}")
    return DerivedAuthorization(
        algorithm, credential[0], signed, params["Signature"], *credential[1:4]
    )


def parse_any(value: str) -> ParsedAuthorization:
    """Either signature's ``Authorization`` parts (``Access=`` or ``Credential=``)."""
    return parse_derived(value) if is_derived(value) else parse_authorization(value)


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def derive_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """The signing key: ``HMAC`` chained from ``"SDK" + SK`` over date, region, service and
    ``sdk_request``."""
    key = ("SDK" + secret_key.strip()).encode("utf-8")
    for part in (date, region, service, TERMINATOR):
        key = _hmac(key, part)
    return key


def _go_pairs(raw_query: str) -> dict[str, str]:
    """The query as Go's ``url.Query().Get`` sees it: ``+`` a space, the first value a key."""
    found: dict[str, str] = {}
    for item in raw_query.split("&"):
        if item:
            key, _, value = item.partition("=")
            found.setdefault(unquote_plus(key), unquote_plus(value))
    return found


def _encode(text: str) -> str:
    return quote(text, safe="~", encoding="utf-8", errors="surrogateescape")


def _canonical_query(pairs: dict[str, str]) -> str:
    keys = sorted(pairs, key=lambda key: _encode(key).lower())
    return "&".join(f"{_encode(key)}={_encode(pairs[key])}" for key in keys)


def _go_form(pairs: dict[str, str]) -> str:
    """``url.Values.Encode``: keys sorted, both sides form-encoded (a space is ``+``)."""
    return "&".join(f"{_form(key)}={_form(pairs[key])}" for key in sorted(pairs))


def _form(text: str) -> str:
    """``url.QueryEscape``: unreserved kept, a space ``+``, the rest ``%XX``."""
    return quote(text, safe=_GO_FORM_SAFE).replace("%20", "+")


def _body_forms(method: str, raw_query: str, body: bytes) -> list[tuple[str, str]]:
    """(canonical query, payload hash) pairs the request may have been signed with: a bodiless
    ``POST`` may have been sent without a body (query hashed) or with an empty one."""
    pairs = _go_pairs(raw_query)
    plain = (_canonical_query(pairs), hashlib.sha256(body).hexdigest())
    if method.upper() == "POST" and not body:
        return [("", hashlib.sha256(_go_form(pairs).encode()).hexdigest()), plain]
    return [plain]


def derived_string_to_sign(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    parsed: DerivedAuthorization,
    body: bytes,
) -> list[str]:
    """The strings to sign the request may have been signed with (see :func:`_body_forms`)."""
    return _strings_to_sign(method, raw_path, raw_query, _header_values(headers), parsed, body)


def _strings_to_sign(
    method: str,
    raw_path: str,
    raw_query: str,
    values: dict[str, list[str]],
    parsed: DerivedAuthorization,
    body: bytes,
) -> list[str]:
    lines = [
        f"{name.lower()}:{_SPACES.sub(' ', signed_value(values, name))}\n"
        for name in parsed.signed_headers
    ]
    out = []
    for query, payload in _body_forms(method, raw_query, body):
        canonical = "\n".join(
            [
                method.upper(),
                canonical_uri(raw_path),
                query,
                "".join(lines),
                ";".join(parsed.signed_headers),
                payload,
            ]
        )
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        out.append(
            "\n".join([ALGORITHM, _single(values, "x-sdk-date") or "", parsed.scope, digest])
        )
    return out


def _check_day(values: dict[str, list[str]], parsed: DerivedAuthorization) -> None:
    """The Credential's date must be the day of ``X-Sdk-Date`` (the key is the day's)."""
    sdk_date = (_single(values, "x-sdk-date") or "").strip()
    if sdk_date[:8] != parsed.date:
        raise _refuse(
            f"the Credential's date {parsed.date!r} is not the day of X-Sdk-Date "
            f"{sdk_date!r}; sign with the key of the request's own UTC date"
        )


def verify_derived(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_for: Callable[[str], str | None],
    now: datetime,
    max_skew_seconds: int = 900,
) -> str:
    """Check a ``Credential=`` signature as :func:`jobferry.signing.verify_request` checks the
    API gateway's (same arguments, same refusals); the verified access key. A body is always
    signed: ``X-Sdk-Content-Sha256`` other than the body's own hash is refused."""
    values = _header_values(headers)
    authorization = _single(values, "authorization") or ""
    check_algorithm(authorization)
    parsed = parse_derived(authorization)
    _, secret_key = signed_at_and_secret(values, parsed, secret_for, now, max_skew_seconds)
    _check_day(values, parsed)
    declared = _single(values, "x-sdk-content-sha256")
    if declared is not None and declared != hashlib.sha256(body).hexdigest():
        raise _refuse(
            f"X-Sdk-Content-Sha256 {declared[:70]!r} is not the body's SHA-256; a "
            "Credential= signature must sign its body: leave the header out"
        )
    key = derive_key(secret_key, parsed.date, parsed.region, parsed.service)
    given = parsed.signature.encode("utf-8")
    for text in _strings_to_sign(method, raw_path, raw_query, values, parsed, body):
        expected = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected.encode("ascii"), given):
            return parsed.access_key
    raise mismatch()


def verify_any(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    secret_for: Callable[[str], str | None],
    now: datetime,
    max_skew_seconds: int = 900,
) -> str:
    """The verified access key of either signature (``Credential=`` or ``Access=``)."""
    authorization = headers.get("authorization") or headers.get("Authorization")
    if authorization is None:
        authorization = _single(_header_values(headers), "authorization") or ""
    verify = verify_derived if is_derived(authorization) else verify_request
    return verify(method, raw_path, raw_query, headers, body, secret_for, now, max_skew_seconds)
