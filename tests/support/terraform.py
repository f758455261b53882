"""Requests built the way the Huawei Cloud Terraform provider builds them.

The provider (``huaweicloud/terraform-provider-huaweicloud``) calls DataArts Factory through its
Go SDK (``golangsdk``). What that client does, restated from the algorithm facts (no code of
either project is used here):

* ``JSONBody`` maps are encoded by Go's ``encoding/json``: keys sorted, no spaces, non-ASCII
  kept as UTF-8, HTML characters not escaped, and a trailing newline from ``Encoder.Encode``;
  the content type is then ``application/json``.
* Headers, in order: ``Content-Type`` (when there is a body), ``Accept: application/json``,
  ``User-Agent: terraform-provider-iac golangsdk/2.0.0``, then the call's own headers
  (``Content-Type``, ``Dlm-Type``, ``workspace``...). Go stores names canonicalised
  (``Workspace``, ``Dlm-Type``).
* SDK-HMAC-SHA256 signing signs **every header in the header map**, lower-cased and sorted,
  plus ``X-Sdk-Date`` which it adds. ``Host`` is not in Go's header map, so it is **not
  signed**. The query string is replaced by its canonical form, which is what is sent.
* ``X-Project-Id`` is added **after** signing, so it is never signed.
* Success is judged by status: GET 200; POST and PUT 200/201/202; DELETE 200/202/204 —
  unless the call names its own ``OkCodes``. Anything else becomes an error carrying the
  status and the raw body, which the provider's ``CheckDeleted`` reads (404 = gone).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, unquote_plus, urlsplit

import requests

USER_AGENT = "terraform-provider-iac golangsdk/2.0.0"
DEFAULT_OK = {"GET": (200,), "HEAD": (200,), "POST": (200, 201, 202), "PUT": (200, 201, 202)}
DEFAULT_OK_DELETE = (200, 202, 204)
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-~.")


def go_json(value: Any) -> bytes:
    """``value`` as Go's json.Encoder (SetEscapeHTML(false)) writes a map: sorted, compact."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n").encode()


def go_header_key(name: str) -> str:
    """Go's canonical header key: ``workspace`` -> ``Workspace``, ``dlm-type`` -> ``Dlm-Type``."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def _escape(text: str) -> str:
    return "".join(
        chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8", "surrogateescape")
    )


def _canonical_query(raw_query: str) -> str:
    values: dict[str, list[str]] = {}
    for item in raw_query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        values.setdefault(unquote_plus(key), []).append(unquote_plus(value))
    return "&".join(
        f"{_escape(key)}={_escape(value)}"
        for key in sorted(values)
        for value in sorted(values[key])
    )


def go_sign(
    method: str,
    url: str,
    headers: dict[str, list[str]],
    body: bytes,
    ak: str,
    sk: str,
    now: datetime | None = None,
) -> str:
    """Sign as golangsdk does; adds ``X-Sdk-Date`` and ``Authorization`` to ``headers`` (Go
    header map: canonical key -> values) and returns the query string actually sent."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    headers.setdefault("X-Sdk-Date", [moment.strftime("%Y%m%dT%H%M%SZ")])
    parts = urlsplit(url)
    path = "/".join(_escape(seg) for seg in unquote(parts.path).split("/"))
    path = path if path.endswith("/") else path + "/"
    query = _canonical_query(parts.query)
    signed = sorted(name.lower() for name in headers)
    lower = {name.lower(): values for name, values in headers.items()}
    lines = [f"{name}:{value.strip()}" for name in signed for value in sorted(lower[name])]
    given = lower.get("x-sdk-content-sha256")
    payload = given[0] if given else hashlib.sha256(body).hexdigest()
    canonical = "\n".join([method, path, query, "\n".join(lines) + "\n", ";".join(signed), payload])
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = f"SDK-HMAC-SHA256\n{headers['X-Sdk-Date'][0]}\n{digest}"
    signature = hmac.new(sk.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["Authorization"] = [
        f"SDK-HMAC-SHA256 Access={ak}, SignedHeaders={';'.join(signed)}, Signature={signature}"
    ]
    return query


@dataclass
class GoResponseError(Exception):
    """What golangsdk returns for an unexpected status: the status and the raw body."""

    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class GoRequest:
    """One request as golangsdk would put it on the wire (headers in Go's map form)."""

    method: str
    url: str
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""

    def wire_headers(self) -> dict[str, str]:
        return {name: ", ".join(values) for name, values in self.headers.items()}

    def send(self, client: Any) -> Any:
        """Send it as it is through ``client`` (a TestClient of the in-process app)."""
        return client.request(self.method, self.url, content=self.body, headers=self.wire_headers())


@dataclass
class TerraformClient:
    """The provider's service client for ``dataarts-dlf`` pointed at a jobferry endpoint."""

    endpoint: str  # ends with "/", as the provider's endpoints do
    project_id: str
    ak: str
    sk: str
    sent: list[GoRequest] = field(default_factory=list)
    app: Any = None
    """The in-process app's TestClient (endpoint ``http://testserver/``) to send to, instead
    of the network: the same requests, at the API tier."""

    def build(
        self,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        more_headers: dict[str, str] | None = None,
        now: datetime | None = None,
    ) -> GoRequest:
        """The signed request for ``endpoint + path`` (``{project_id}`` already replaced)."""
        url = self.endpoint + path.replace("{project_id}", self.project_id)
        headers: dict[str, list[str]] = {}
        body = b""
        if json_body is not None:
            body = go_json(json_body)
            headers["Content-Type"] = ["application/json"]
        headers["Accept"] = ["application/json"]
        headers["User-Agent"] = [USER_AGENT]
        for name, value in (more_headers or {}).items():
            key = go_header_key(name)
            if value:
                headers[key] = [value]
            else:
                headers.pop(key, None)
        query = go_sign(method, url, headers, body, self.ak, self.sk, now)
        headers["X-Project-Id"] = [self.project_id]
        base = url.split("?", 1)[0]
        return GoRequest(method, base + (f"?{query}" if query else ""), headers, body)

    def send(self, request: GoRequest, ok_codes: tuple[int, ...] | None = None) -> Any:
        """Send it; the parsed JSON body (``None`` for 204), or :class:`GoResponseError`."""
        self.sent.append(request)
        if self.app is not None:
            response = request.send(self.app)
        else:
            response = requests.request(
                request.method,
                request.url,
                data=request.body or None,
                headers=request.wire_headers(),
                timeout=30,
            )
        expected = ok_codes or DEFAULT_OK.get(request.method, DEFAULT_OK_DELETE)
        if response.status_code not in expected:
            raise GoResponseError(response.status_code, response.content)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        more_headers: dict[str, str] | None = None,
        ok_codes: tuple[int, ...] | None = None,
    ) -> Any:
        """Build, sign and send one call, as ``client.Request(method, url, &opts)`` does."""
        built = self.build(method, path, json_body=json_body, more_headers=more_headers)
        return self.send(built, ok_codes)
