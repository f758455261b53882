"""The HTTP client of the remote commands: every request signed with AK/SK, like the SDK.

Requests go to ``{endpoint}/v1/{project_id}/…`` with the headers the official SDK sends and
signs (``Host``, ``Content-Type``, ``User-Agent``, ``X-Project-Id``, ``workspace`` when a
workspace is set, ``X-Sdk-Date``), signed by :func:`jobferry.signing.sign_request`, so the same
client talks to a jobferry server and to the real DataArts endpoint. Path parameters are
percent-encoded with ``quote(value, safe="")`` and query strings are sent already canonical
(sorted, ``%20`` for spaces), as the SDK does. Multipart uploads are signed with
``X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD`` and streamed from the file.

A refusal that says nothing was done and when to try again (503 ``DLF.9504``/``DLF.9505`` with
``Retry-After``, a 429) is waited for and sent again, signed anew, a bounded number of times
(``retrying``), one line on standard error saying so before each wait.

Failures become :class:`ApiError` (the server answered with an error envelope: its HTTP status,
DataArts code, message and extra fields) or :class:`ConnectionProblemError` (nothing usable came
back); no ``requests`` exception leaves this module.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

import orjson
import requests

from jobferry import __version__
from jobferry.cli import download_names as names
from jobferry.cli.config import SLOW_ANSWER, Context
from jobferry.cli.download_names import Downloaded
from jobferry.cli.exits import TaskWaitTimeoutError
from jobferry.cli.multipart import CHUNK, MultipartFile, Progress
from jobferry.cli.retrying import Retries, connection_lost
from jobferry.domain.definitions import LOCKED_BY_HEADER, locked_by_names
from jobferry.domain.enums import TaskStatus
from jobferry.services.remotes.query import sdk_query
from jobferry.signing import UNSIGNED_PAYLOAD, sign_request

USER_AGENT = f"jobferry-cli/{__version__}"
RESPOND_ASYNC = {"Prefer": "respond-async"}
"""The header asking a call that works long to answer its task's id (RFC 7240)."""
RECONNECT_SECONDS = 15.0
"""How long following a task asks again for it while its server cannot be reached."""


class ApiError(Exception):
    """The endpoint answered with an error (the DataArts envelope, or something else)."""

    def __init__(self, status: int, code: str, message: str, body: dict[str, Any]) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body
        self.path = ""  # the path the refused call was sent to, as sent (its names encoded)


class ConnectionProblemError(Exception):
    """The endpoint could not be reached, or answered with something that is not HTTP JSON."""


def segment(value: str) -> str:
    """A path parameter encoded as the SDK encodes it (``/`` becomes ``%2F``)."""
    return quote(value, safe="")


def error_from(response: requests.Response) -> ApiError:
    """The ApiError of a non-2xx response (any of the SDK's accepted envelope spellings)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = body.get("error_code") or body.get("errorCode") or body.get("code")
        message = body.get("error_msg") or body.get("errorMsg") or body.get("message")
        if code or message:
            body = _with_request_id(body, response)
            return ApiError(response.status_code, str(code or "?"), str(message or ""), body)
    text = response.text.strip().replace("\n", " ")[:300]
    return ApiError(
        response.status_code,
        f"HTTP {response.status_code}",
        text or response.reason or "no body",
        _with_request_id({}, response),
    )


def _with_request_id(body: dict[str, Any], response: requests.Response) -> dict[str, Any]:
    """``body`` with the ``request_id`` its ``X-Request-Id`` header says when it names none
    (a DataArts service's envelope): the id the endpoint's log knows the refused call by."""
    header = response.headers.get("X-Request-Id")
    return body if body.get("request_id") or not header else {**body, "request_id": header}


class Changed(NamedTuple):
    """What a call changing one job or script answered, and the users whose locks it passed
    over (the soft lock policy only warns: the server names them in ``LOCKED_BY_HEADER``)."""

    answer: Any
    locked_by: tuple[str, ...]


def _to_stderr(text: str) -> None:
    print(text, file=sys.stderr)


TIMEOUT_SECONDS = 120.0
"""How long a call's answer is waited for (between two bytes of it)."""
WORK_SECONDS = 3600.0
"""How long a call that does all its work before it answers (a rollback) is waited for: the
server goes on when the client stops waiting, so stopping early only hides how it ended."""


class ApiClient:
    """Signed calls to one endpoint, project and workspace."""

    def __init__(
        self,
        context: Context,
        *,
        timeout: float | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        context.require_remote()
        assert context.endpoint is not None
        assert context.project_id is not None
        self.context = context
        self.endpoint = context.endpoint
        self.project_id = context.project_id
        self.workspace = context.workspace
        self.timeout = timeout or context.timeout or TIMEOUT_SECONDS
        self.wait_timeout = context.wait_timeout  # how long wait_task follows (None: no limit)
        self.say = say or _to_stderr
        """Where the line a wait before a retry is said goes (standard error)."""
        self.extensions = True
        """Whether the endpoint is taken for a jobferry server, which may be sent jobferry's
        extension parameters (``False`` once it answered that it serves no extension)."""
        self._host = urlsplit(context.endpoint).netloc
        self._base_path = urlsplit(context.endpoint).path.rstrip("/")
        self._session = requests.Session()
        self._session.verify = context.ca_bundle or context.verify_tls
        self._session.trust_env = True

    def close(self) -> None:
        """Release the connection pool."""
        self._session.close()

    # -- the one place requests are built ------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: bytes | MultipartFile = b"",
        content_type: str = "application/json",
        stream: bool = False,
        api: str = "v1",
        scoped: bool = True,
        timeout: float | None = None,
        unanswered: str = SLOW_ANSWER,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send the request, signed anew each time; a refusal that says nothing was done and
        when to try again is waited for and sent again (``retrying``); another error status
        raises :class:`ApiError`."""
        sent = {"Content-Type": content_type, **(headers or {})}
        retries = Retries()
        while True:
            response = self._attempt(
                method,
                path,
                query,
                body,
                sent,
                stream=stream,
                api=api,
                scoped=scoped,
                timeout=timeout,
                unanswered=unanswered,
            )
            if response.status_code < 400:
                return response
            with response:
                error = error_from(response)
            error.path = path
            wait = retries.pause(error.status, error.code, response.headers.get("Retry-After"))
            if wait is None:
                raise error
            self.say(retries.line(error.status, error.code, wait))
            time.sleep(wait)
            if isinstance(body, MultipartFile):
                body.rewind()

    def _attempt(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None,
        body: bytes | MultipartFile,
        headers: Mapping[str, str],
        *,
        stream: bool,
        api: str,
        scoped: bool,
        timeout: float | None,
        unanswered: str,
    ) -> requests.Response:
        """One attempt: the request signed now, sent, and its answer whatever its status."""
        raw_path = f"{self._base_path}/{api}/{segment(self.project_id)}{path}"
        raw_query = sdk_query(query)
        sent = {
            "Host": self._host,
            "Content-Type": headers["Content-Type"],
            "User-Agent": USER_AGENT,
            "X-Project-Id": self.project_id,
            **headers,
        }
        if self.workspace and scoped:
            sent["workspace"] = self.workspace
        if isinstance(body, MultipartFile):
            sent["X-Sdk-Content-Sha256"] = UNSIGNED_PAYLOAD
            # Any non-empty bytes give the UNSIGNED-PAYLOAD hash line; the file is streamed.
            signed_body = b"multipart"
        else:
            signed_body = body
        sent.update(sign_request(method, raw_path, raw_query, sent, signed_body, *self._keys()))
        url = f"{self.endpoint.removesuffix(self._base_path)}{raw_path}"
        if raw_query:
            url = f"{url}?{raw_query}"
        waited = self.timeout if timeout is None else timeout
        try:
            return self._session.request(
                method, url, data=body, headers=sent, timeout=waited, stream=stream
            )
        except requests.exceptions.SSLError as exc:
            raise ConnectionProblemError(
                f"TLS to {self.endpoint} failed ({exc.__class__.__name__}); give the server's CA "
                "in ca_bundle (JOBFERRY_CA_BUNDLE), or verify_tls = false for a test server."
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise ConnectionProblemError(
                f"{self.endpoint} did not answer within {waited:g} s; {unanswered}"
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise ConnectionProblemError(
                f"Cannot reach {self.endpoint} ({exc.__class__.__name__}): is the server running, "
                f"and is this its URL (the URL it printed when it started)? {self._repoint()}"
            ) from exc

    def _repoint(self) -> str:
        """How to point this command at the server's URL, where the endpoint came from."""
        if self.context.endpoint_from_env or self.context.source == "environment":
            return "The endpoint is JOBFERRY_ENDPOINT's: set JOBFERRY_ENDPOINT to the server's URL."
        return (
            f"The endpoint is context '{self.context.name}' of {self.context.source}: give it "
            "the server's URL there (jobferry config init --replace --endpoint URL rewrites a "
            "context from a server's credentials) or in JOBFERRY_ENDPOINT."
        )

    def _keys(self) -> tuple[str, str]:
        return self.context.ak or "", self.context.sk or ""

    # -- JSON calls ----------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        query: dict[str, Any] | None = None,
        api: str = "v1",
        scoped: bool = True,
        timeout: float | None = None,
        unanswered: str = SLOW_ANSWER,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """A JSON call; returns the decoded body (``None`` for an empty answer). ``api`` is the
        path's version segment: ``v1`` (the job API) or ``v2`` (DataArts Studio's factory);
        ``scoped=False`` leaves the workspace header out (a call about the project).
        ``timeout``: how long its answer is waited for (``WORK_SECONDS`` for a call that works
        before it answers), and ``unanswered`` what to do when it does not come. ``headers``:
        more headers, signed with the rest (``RESPOND_ASYNC``: a task's id rather than the work
        done; a save's ``If-Match``)."""
        data = b"" if body is None else orjson.dumps(body)
        content_type = "application/json;charset=utf-8" if data else "application/json"
        response = self._send(
            method,
            path,
            query=query,
            body=data,
            content_type=content_type,
            api=api,
            scoped=scoped,
            timeout=timeout,
            unanswered=unanswered,
            headers=headers,
        )
        return _decoded(response, method, path)

    def change(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, api: str = "v1"
    ) -> Changed:
        """A JSON call changing one job or script (a save, rename or delete), as :meth:`call`,
        with the users whose locks it passed over, if any."""
        data = b"" if body is None else orjson.dumps(body)
        content_type = "application/json;charset=utf-8" if data else "application/json"
        response = self._send(method, path, body=data, content_type=content_type, api=api)
        holders = locked_by_names(response.headers.get(LOCKED_BY_HEADER))
        return Changed(_decoded(response, method, path), holders)

    def text(self, path: str, *, query: dict[str, Any] | None = None, api: str = "v1") -> str:
        """A ``GET`` answering text (a CSV export), decoded as UTF-8."""
        response = self._send("GET", path, query=query, api=api)
        return response.content.decode("utf-8")

    def get(self, path: str, **query: Any) -> Any:
        """``GET`` with query parameters (``None`` values are left out)."""
        return self.call("GET", path, query=query)

    # -- files ---------------------------------------------------------------------------

    def download(
        self,
        method: str,
        path: str,
        target: Path | None,
        *,
        body: dict[str, Any] | None = None,
        progress: Progress | None = None,
        default_name: str = "package.zip",
        api: str = "v1",
    ) -> Downloaded:
        """Stream a binary answer to ``target`` (a file, or a folder; ``None``: the current
        folder under the name the endpoint gives). Written to a temporary file first, so a
        failed download never leaves half a package under the final name."""
        data = b"" if body is None else orjson.dumps(body)
        content_type = "application/json;charset=utf-8" if data else "application/json"
        response = self._send(
            method, path, body=data, content_type=content_type, stream=True, api=api
        )
        with response:
            name = names.attachment_name(response.headers.get("Content-Disposition", ""))
            final = names.download_path(target, name, default_name)
            total = response.headers.get("Content-Length")
            expected = int(total) if total and total.isdigit() else None
            final.parent.mkdir(parents=True, exist_ok=True)
            digest, size = hashlib.sha256(), 0
            with names.temporary_beside(final) as (handle, temp):
                try:
                    for chunk in response.iter_content(CHUNK):
                        handle.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        if progress is not None:
                            progress(size, expected)
                except requests.exceptions.RequestException as exc:
                    raise ConnectionProblemError(
                        f"The download from {self.endpoint} broke off after {size} bytes; try "
                        "again."
                    ) from exc
                handle.close()
                os.replace(temp, final)
        return Downloaded(final, size, digest.hexdigest(), name)

    def upload(self, path: Path, progress: Progress | None = None) -> dict[str, Any]:
        """``POST /packages`` (multipart, field ``file``) → ``{"path", "size", "sha256"}``."""
        body = MultipartFile(path, "file", progress)
        try:
            response = self._send(
                "POST",
                "/packages",
                body=body,
                content_type=f"multipart/form-data; boundary={body.boundary}",
            )
        finally:
            body.close()
        answer: dict[str, Any] = response.json()
        return answer

    # -- tasks ---------------------------------------------------------------------------

    def wait_task(
        self,
        task_id: str,
        on_update: Callable[[dict[str, Any]], None] | None = None,
        *,
        interval: float = 0.25,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Ask ``GET /system-tasks/{id}?wait=…&subtasks=false`` until the task is no longer
        RUNNING, then the task with its subtasks: the server answers as soon as the task ends,
        or after ``interval`` seconds with its progress. A server that answers at once (one
        older than the ``wait`` parameter, or a DataArts endpoint, never sent it:
        ``extensions``) is asked again after 0.02 s (most tasks of a small package end within
        a tenth of a second), then less and less often, at most every ``interval`` seconds (a
        quarter of a second: a task ending is seen within that; a poll is one cheap read for
        the server). Past ``timeout`` (else ``wait_timeout``): :class:`TaskWaitTimeoutError`."""
        limit = self.wait_timeout if timeout is None else timeout
        deadline = time.monotonic() + (limit or float("inf"))
        pause = 0.02
        path = f"/system-tasks/{segment(task_id)}"
        # Each look asks for the task without its subtasks (an import's, one per object, were
        # read and sent again four times a second); the whole task is asked for once it ended.
        looks = {"wait": f"{interval:g}", "subtasks": "false"} if self.extensions else None
        while True:
            asked = time.monotonic()
            task = self._look(path, looks)
            if on_update is not None:
                on_update(task)
            if task.get("status") != TaskStatus.RUNNING:
                if looks is None or "subtasks" in task:  # a server that sent them anyway
                    return task
                return self._look(path, None)
            if time.monotonic() > deadline:
                raise TaskWaitTimeoutError(task_id, limit or 0.0, task)
            if time.monotonic() - asked < interval / 2:  # the server did not wait
                time.sleep(pause)
                pause = min(pause * 1.5, interval)

    def _look(self, path: str, query: dict[str, str] | None) -> dict[str, Any]:
        """One look at a task, asked again for :data:`RECONNECT_SECONDS` while its server
        cannot be reached: a read, and the task goes on in a server restarted or behind a
        worker process replaced (``JOBFERRY_WORKERS``) meanwhile. The seconds count from the
        first look that found no server: a server stopping may hold a look until it ends."""
        deadline: float | None = None
        while True:
            try:
                task: dict[str, Any] = self.call("GET", path, query=query)
                return task
            except ConnectionProblemError as exc:
                if deadline is None:
                    deadline = time.monotonic() + RECONNECT_SECONDS
                if not connection_lost(exc.__cause__) or time.monotonic() > deadline:
                    raise
                time.sleep(1.0)


def _decoded(response: requests.Response, method: str, path: str) -> Any:
    """The JSON body of a call's answer (``None`` for an empty answer)."""
    if not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise ConnectionProblemError(
            f"{method} {path} answered HTTP {response.status_code} with a body that is not "
            "JSON; is the endpoint a jobferry or DataArts API?"
        ) from exc
