"""Calling the in-process app as the SDK does, and reading its answers."""

from __future__ import annotations

import functools
import hashlib
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx2
import orjson
from fastapi.testclient import TestClient

from jobferry.services.taskviews import Task
from jobferry.signing import UNSIGNED_PAYLOAD, sign_request
from support.waiting import pauses

ADMIN_AK = "TESTADMINAK000000001"
ADMIN_SK = "test-admin-secret-key-0123456789abcdefgh"
PROJECT_ID = "0123456789abcdef0123456789abcdef"


RECORDED_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
"""The methods whose signatures jobferry remembers and refuses a second time."""


class AnewSigner:
    """Signs like the SDK, but never the same state-changing request twice alike.

    The SDK dates a signature to the second, so the same POST sent twice within one second
    carries the same signature, which jobferry refuses as a replay once its grace has passed
    (at once under ``JOBFERRY_REPLAY_GRACE_SECONDS=0``). Tests send such pairs on purpose (a
    duplicate name, a second import), so this signer dates a repeat one second earlier, as a
    client that signs each request anew would. A request given its own
    ``X-Sdk-Date`` is signed as it is (the replay tests send one twice).
    """

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._lock = threading.Lock()

    def sign(
        self,
        method: str,
        raw_path: str,
        raw_query: str,
        headers: Mapping[str, str],
        body: bytes,
        ak: str,
        sk: str,
    ) -> dict[str, str]:
        """The ``Authorization`` and ``X-Sdk-Date`` headers to add (see ``sign_request``)."""
        dated = any(name.lower() == "x-sdk-date" for name in headers)
        moment = datetime.now(UTC)
        with self._lock:
            while True:
                added = sign_request(method, raw_path, raw_query, headers, body, ak, sk, moment)
                if dated or method.upper() not in RECORDED_METHODS:
                    return added
                key = added["Authorization"]
                if any(v == UNSIGNED_PAYLOAD for v in headers.values()):
                    key += hashlib.sha256(body).hexdigest()  # the server's replay key too
                if key not in self._used:
                    self._used.add(key)
                    return added
                moment -= timedelta(seconds=1)


class SignedClient:
    """Calls the in-process app the way the SDK does: signed, camelCase JSON."""

    def __init__(
        self,
        client: TestClient,
        ak: str,
        sk: str,
        project_id: str = PROJECT_ID,
        signer: AnewSigner | None = None,
    ):
        self.client = client
        self.ak, self.sk, self.project_id = ak, sk, project_id
        self.signer = signer or AnewSigner()

    def as_user(self, ak: str, sk: str) -> SignedClient:
        """The same app, another user's credentials."""
        return SignedClient(self.client, ak, sk, self.project_id, self.signer)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        workspace: str | None = None,
        query: dict[str, Any] | None = None,
        project_id: str | None = None,
        extra_headers: dict[str, str] | None = None,
        version: str = "v1",
    ) -> Any:
        """Send a signed request; ``path`` is relative to /{version}/{project_id}."""
        pid = project_id or self.project_id
        raw_path = f"/{version}/{pid}{path}"
        raw_query = "&".join(
            f"{quote(str(k), safe='~')}={quote(_q(v), safe='~')}"
            for k, v in sorted((query or {}).items())
            if v is not None
        )
        data = b"" if body is None else (body if isinstance(body, bytes) else orjson.dumps(body))
        headers = {
            "Host": "testserver",
            "Content-Type": "application/json" if not data else "application/json;charset=utf-8",
            "X-Project-Id": pid,
        }
        if workspace:
            headers["workspace"] = workspace
        headers.update(extra_headers or {})
        headers.update(
            self.signer.sign(method, raw_path, raw_query, headers, data, self.ak, self.sk)
        )
        url = raw_path + (f"?{raw_query}" if raw_query else "")
        return _send(self.client, method, url, data, headers)


_DIRECT: weakref.WeakKeyDictionary[TestClient, httpx2.AsyncClient] = weakref.WeakKeyDictionary()
"""Per running TestClient: a client of the same app sending each request straight to it."""


def _send(
    client: TestClient, method: str, url: str, data: bytes, headers: dict[str, str]
) -> httpx2.Response:
    """``client.request``, or, once the TestClient runs the app (its portal open), the same
    request handed to the app in one call on the portal's event loop: the TestClient crosses
    threads for every piece of the request and answer, about 1 ms of CPU a request, a tenth of
    the API tests' time. The app sees the same ASGI request, on the same event loop."""
    portal = getattr(client, "portal", None)
    if portal is None:
        return client.request(method, url, content=data, headers=headers)
    direct = _DIRECT.get(client)
    if direct is None:
        # An exception in the app is answered 500, as a real server answers it.
        transport = httpx2.ASGITransport(app=client.app, raise_app_exceptions=False)
        direct = httpx2.AsyncClient(
            transport=transport, base_url=str(client.base_url), follow_redirects=True
        )
        _DIRECT[client] = direct
    send = functools.partial(direct.request, method, url, content=data, headers=headers)
    answer: httpx2.Response = portal.call(send)
    return answer


def _q(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def assert_error(response: Any, code: str, *words: str, status: int = 400) -> None:
    """The answer is the DataArts error envelope with ``code``, and its message has ``words``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code, body
    for word in words:
        assert word in body["error_msg"], (word, body["error_msg"])


def signed_once(method: str, path: str, body: bytes = b"", sdk_date: str | None = None) -> Any:
    """A request signed once as the admin: (method, url, body, headers), to send as it is
    (again, for a replay) with :func:`send_signed`."""
    raw_path = f"/v1/{PROJECT_ID}{path}"
    headers = {"Host": "testserver", "Content-Type": "application/json", "X-Project-Id": PROJECT_ID}
    if sdk_date is not None:
        headers["X-Sdk-Date"] = sdk_date
    headers.update(sign_request(method, raw_path, "", headers, body, ADMIN_AK, ADMIN_SK))
    return method, raw_path, body, headers


def send_signed(api: SignedClient, request: Any) -> Any:
    """Send a request :func:`signed_once` signed, exactly as it was signed."""
    method, url, body, headers = request
    return api.client.request(method, url, content=body, headers=headers)


def poll_task(fetch: Callable[[], dict[str, Any]], timeout: float = 30) -> dict[str, Any]:
    """Call ``fetch`` until the task (as the API answers it) is no longer RUNNING."""
    deadline = time.monotonic() + timeout
    task = fetch()
    waits = pauses()
    while task["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise AssertionError(f"task still running after {timeout} s: {orjson.dumps(task)!r}")
        time.sleep(next(waits))
        task = fetch()
    return task


def poll_record(fetch: Callable[[], Task], timeout: float = 30) -> Task:
    """Call ``fetch`` until the task record (as the service shows it) has ended."""
    deadline = time.monotonic() + timeout
    task = fetch()
    waits = pauses()
    while not task.done:
        if time.monotonic() > deadline:
            raise AssertionError(f"task still running after {timeout} s: {task!r}")
        time.sleep(next(waits))
        task = fetch()
    return task


def wait_task(
    api: SignedClient, task_id: str, workspace: str | None = None, timeout: float = 30
) -> dict[str, Any]:
    """Poll a system task (of ``workspace``, default the caller's) until it is not RUNNING."""

    def fetch() -> dict[str, Any]:
        task: dict[str, Any] = api.call(
            "GET", f"/system-tasks/{task_id}", workspace=workspace
        ).json()
        return task

    return poll_task(fetch, timeout)
