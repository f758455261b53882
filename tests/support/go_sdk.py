"""Requests built the way the Huawei Cloud Go SDK (``huaweicloud-sdk-go-v3``, service ``dgc``)
builds them. Restated from the algorithm facts of its ``core`` package (no code of it is used):

* Headers set before signing: ``Content-Type`` from the call definition (``application/json``
  for every dgc JSON call, GETs included), ``User-Agent: huaweicloud-usdk-go/3.0``, the call's
  header parameters (``workspace``), then ``X-Project-Id`` from the credentials and
  ``X-Sdk-Date``. ``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`` only when the content type is not
  JSON (multipart).
* ``SignedHeaders`` is every header of that map, lower-cased and sorted. ``Host`` is not in it
  (Go's HTTP client sets it from the URL).
* The canonical URI escapes each path segment and ends with ``/``; the canonical query
  **lower-cases every key** (``jobType`` is signed as ``jobtype``) and sorts keys and values;
  the sent query keeps the model's own spelling.
* Bodies are the model's JSON (keys in struct order, ``omitempty`` fields left out).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests

USER_AGENT = "huaweicloud-usdk-go/3.0"
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-~.")


def _escape(text: str) -> str:
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode())


def _canonical(
    method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
) -> tuple[str, list[str]]:
    uri = "/".join(_escape(part) for part in path.split("/"))
    uri = uri if uri.endswith("/") else uri + "/"
    lowered = sorted((key.lower(), value) for key, value in query.items())
    canonical_query = "&".join(f"{_escape(k)}={_escape(v)}" for k, v in lowered)
    signed = sorted(name.lower() for name in headers)
    by_name = {name.lower(): value.strip() for name, value in headers.items()}
    canonical_headers = "".join(f"{name}:{by_name[name]}\n" for name in signed)
    payload = headers.get("X-Sdk-Content-Sha256") or hashlib.sha256(body).hexdigest()
    text = "\n".join([method, uri, canonical_query, canonical_headers, ";".join(signed), payload])
    return text, signed


class GoSdkClient:
    """The dgc client of the Go SDK, pointed at ``endpoint`` (``WithEndpoint``)."""

    def __init__(self, endpoint: str, project_id: str, ak: str, sk: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.project_id, self.ak, self.sk = project_id, ak, sk

    def call(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        workspace: str | None = None,
    ) -> requests.Response:
        """One call: ``path`` under ``/v1/{project_id}``, signed as the Go SDK signs it."""
        full = f"/v1/{self.project_id}{path}"
        data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if workspace:
            headers["workspace"] = workspace
        headers["X-Project-Id"] = self.project_id
        now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        headers["X-Sdk-Date"] = now
        params = {
            k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in (query or {}).items()
        }
        text, signed = _canonical(method, full, params, headers, data)
        digest = hashlib.sha256(text.encode()).hexdigest()
        to_sign = f"SDK-HMAC-SHA256\n{now}\n{digest}"
        signature = hmac.new(self.sk.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = (
            f"SDK-HMAC-SHA256 Access={self.ak}, SignedHeaders={';'.join(signed)}, "
            f"Signature={signature}"
        )
        sent_query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params.items())
        url = self.endpoint + full + (f"?{sent_query}" if sent_query else "")
        return requests.request(method, url, data=data or None, headers=headers, timeout=30)
