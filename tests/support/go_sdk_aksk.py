"""The Go SDK gophertelekomcloud given AK/SK (``golangsdk.AKSKAuthOptions``), restated from the
facts of its source (``signer_helper.go`` ``Sign``, ``provider_client.go`` ``Request``,
``openstack/client.go`` ``v3AKSKAuth``); no code of it is used, nor jobferry's verifier.

- ``ProviderClient.Request`` sets ``Content-Type: application/json`` (a JSON body only),
  ``Accept: application/json``, ``User-Agent``, the call's extra headers (``workspace``), then
  signs: ``Host`` (the URL's host) and ``X-Sdk-Date`` are added to the header map, and every
  header in the map is signed. ``X-Project-Id`` is set after signing (so unsigned) when the
  client has a project id.
- The signature: ``SignOptions`` carries only AK and SK, so region and service are empty; the
  scope is ``<YYYYMMDD>///sdk_request``; the key ``HMAC`` chained from ``"SDK"+SK`` over the
  date, region, service and ``sdk_request``; the string to sign ``SDK-HMAC-SHA256``, the
  X-Sdk-Date, the scope and the canonical request's hex SHA-256.
- The canonical request: method; the decoded path with ``/`` appended, escaped except
  ``A-Za-z0-9.-_~/``; the query keys escaped and sorted ignoring case, each with its first
  value escaped; ``name:value\\n`` a header (names lower-cased, sorted ignoring case, runs of
  whitespace one space); the names joined with ``;``; the body's hex SHA-256 (a ``POST``
  without a body: no query, and the hash of the query as ``url.Values.Encode`` writes it).
- ``v3AKSKAuth``: a project given by name is looked up first (``GET /v3/projects?name=``);
  then ``GET /v3/auth/catalog``. ``NewDataArtsV1(provider, EndpointOpts{Region})`` takes the
  first public ``volumev2`` endpoint in ``Region`` (any when empty; programs and the provider
  pass ``GetRegionFromAKSK``: the project name up to its first ``_``) with its first ``v2``
  made ``v1`` and its first ``evs`` made ``dayu-dlf``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from fastapi.testclient import TestClient

USER_AGENT = "golangsdk/2.0.0"
_KEEP = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_~")


def _escape(text: str, *, path: bool = False) -> str:
    keep = _KEEP | ({ord("/")} if path else set())
    return "".join(chr(b) if b in keep else f"%{b:02X}" for b in text.encode())


def go_derived_key(sk: str, date: str, region: str = "", service: str = "") -> bytes:
    key = b"SDK" + sk.encode()
    for part in (date, region, service, "sdk_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def go_sign(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    ak: str,
    sk: str,
    now: datetime | None = None,
) -> dict[str, str]:
    """``golangsdk.Sign``: ``headers`` plus ``Host``, ``X-Sdk-Date`` and ``Authorization``."""
    parts = urlsplit(url)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    out = {**headers, "Host": parts.netloc, "X-Sdk-Date": stamp}
    names = sorted(out, key=str.lower)
    query: dict[str, str] = {}
    for item in filter(None, parts.query.split("&")):
        key, _, value = item.partition("=")
        query.setdefault(unquote(key.replace("+", " ")), unquote(value.replace("+", " ")))
    if method == "POST" and body is None:
        canonical_query = ""
        form = "&".join(
            f"{quote(k, safe='-_.~')}={quote(query[k], safe='-_.~')}".replace("%20", "+")
            for k in sorted(query)
        )
        payload = hashlib.sha256(form.encode()).hexdigest()
    else:
        keys = sorted((_escape(k), k) for k in query)
        keys.sort(key=lambda pair: pair[0].lower())
        canonical_query = "&".join(f"{e}={_escape(query[k])}" for e, k in keys)
        payload = hashlib.sha256(body or b"").hexdigest()
    path = unquote(parts.path)
    path = _escape(path if path.endswith("/") else path + "/", path=True)
    header_lines = "".join(f"{n.lower()}:{' '.join(out[n].split())}\n" for n in names)
    signed = ";".join(n.lower() for n in names)
    canonical = "\n".join([method, path, canonical_query, header_lines, signed, payload])
    scope = f"{stamp[:8]}///sdk_request"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = "\n".join(["SDK-HMAC-SHA256", stamp, scope, digest])
    signature = hmac.new(go_derived_key(sk, stamp[:8]), to_sign.encode(), hashlib.sha256)
    out["Authorization"] = (
        f"SDK-HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders={signed}, "
        f"Signature={signature.hexdigest()}"
    )
    return out


@dataclass
class GoAkSkProvider:
    """A ``ProviderClient`` after ``openstack.AuthenticatedClient`` with AK/SK."""

    client: TestClient
    ak: str
    sk: str
    project_id: str = ""
    project_name: str = ""
    identity: str = "http://testserver/v3/"
    catalog: list[dict[str, Any]] = field(default_factory=list)

    def authenticate(self) -> None:
        """``v3AKSKAuth``: the project's id when given its name, then the catalog."""
        if not self.project_id and self.project_name:
            found = self.request("GET", f"{self.identity}projects?name={self.project_name}")
            assert found.status_code == 200, found.text
            projects = found.json()["projects"]
            assert projects, f"cannot find the tenant: {self.project_name}"
            self.project_id = projects[0]["id"]
        listed = self.request("GET", f"{self.identity}auth/catalog")
        assert listed.status_code == 200, listed.text
        self.catalog = listed.json()["catalog"]

    @property
    def region(self) -> str:
        return self.project_name.split("_")[0]

    def dataarts_v1(self) -> str:
        """``NewDataArtsV1`` with ``EndpointOpts{Region: GetRegionFromAKSK(opts)}`` over
        ``V3EndpointURL`` (the first match in the region, any region when it is empty)."""
        for entry in self.catalog:
            for end in entry["endpoints"] if entry["type"] == "volumev2" else []:
                if end["interface"] == "public" and self.region in ("", end["region"]):
                    url = str(end["url"]).rstrip("/") + "/"
                    return url.replace("v2", "v1", 1).replace("evs", "dayu-dlf", 1)
        raise AssertionError("ErrEndpointNotFound")

    def signed(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        now: datetime | None = None,
    ) -> tuple[dict[str, str], bytes | None]:
        """The headers and body ``ProviderClient.Request`` sends."""
        body = None if json_body is None else json.dumps(json_body).encode()
        base = {"Content-Type": "application/json"} if body is not None else {}
        base |= {"Accept": "application/json", "User-Agent": USER_AGENT, **(headers or {})}
        sent = go_sign(method, url, base, body, self.ak, self.sk, now)
        if self.project_id:
            sent["X-Project-Id"] = self.project_id
        return sent, body

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        sent, body = self.signed(method, url, **kwargs)
        return self.client.request(method, url, headers=sent, content=body)
