"""A DataArts workspace reached through its public API: the signed calls a remote is driven with.

:class:`DataArtsClient` sends each request as the official SDKs do — ``X-Project-Id`` and the
``workspace`` header, signed with the remote's AK/SK by :func:`jobferry.signing.sign_request`
(the one signer, which the server's verifier checks too) — and offers only calls of DataArts'
public API, named in :data:`~jobferry.services.remotes.calls.CALLS` by their SDK method
(``huaweicloudsdkdgc`` v1 and ``huaweicloudsdkdataartsstudio`` v2). Nothing else is ever
sent, so a remote behind the real API gateway sees only calls it publishes.

Reads are retried with bounded exponential backoff on HTTP 429, 5xx and a dropped connection,
and any call answered 429 until a budget of waiting is spent (:class:`Backoff`);
every other failure is translated here, once, into the error tree: the remote's own error code
and message are kept (``remote_error_code``, ``remote_error_msg``), a 401/403 is a
:class:`RemoteAuthError`, no usable answer a :class:`RemoteUnreachableError`. No ``httpx2``
exception leaves this module.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import httpx2
import orjson

from jobferry import __version__
from jobferry.errors import RemoteAuthError, RemoteError, RemoteUnreachableError
from jobferry.services.remotes.backoff import Backoff
from jobferry.services.remotes.calls import (
    CALLS,
    EXPORT_BATCH,
    JOB_TYPES,
    STUDIO_CALLS,
    UNSENT_FIELDS,
    WRITES,
)
from jobferry.services.remotes.paging import PAGE, Held, Page, PagingModes, walk_list
from jobferry.services.remotes.query import sdk_query
from jobferry.services.remotes.refusals import answer_fix, auth_refused, envelope
from jobferry.signing import sign_request

__all__ = [
    "CALLS",
    "EXPORT_BATCH",
    "JOB_TYPES",
    "PAGE",
    "STUDIO_CALLS",
    "WRITES",
    "Backoff",
    "DataArtsClient",
    "Host",
    "RemoteEndpoint",
    "tls_context",
]
"""The client, and the call table it sends from (:mod:`.calls`), for the feature's modules."""

USER_AGENT = f"jobferry-remote/{__version__}"


NOT_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.UnsupportedProtocol)
"""Transport failures before the request left: no connection was made."""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings every remote client of this process verifies servers with (the
    system's default trust store, as httpx builds it), made once: loading the trust store
    costs some 25 ms of CPU, which a client built per refresh, plan and push paid each time.
    An ``SSLContext`` is safe to share between connections and threads."""
    return httpx2.create_ssl_context(trust_env=False)


RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RemoteEndpoint:
    """Where a remote DataArts workspace is and the credentials that reach it."""

    endpoint: str
    """``https://dayu-dlf.<region>.myhuaweicloud.com`` or any compatible server's root."""
    project_id: str
    workspace: str
    """The remote workspace's id, sent in the ``workspace`` header."""
    access_key: str
    secret_key: str = field(repr=False)
    studio: str | None = None
    """The DataArts Studio endpoint (``https://dayu.<region>.myhuaweicloud.com``) the
    :data:`STUDIO_CALLS` go to; ``None``: ``endpoint``."""

    def of(self, call: str) -> str:
        """The endpoint ``call`` goes to."""
        return self.studio if self.studio and call in STUDIO_CALLS else self.endpoint


@dataclass(frozen=True)
class Host:
    """Where one endpoint's calls go: its ``Host`` header, its root URL, its base path."""

    netloc: str
    root: str
    base_path: str

    @classmethod
    def of(cls, endpoint: str) -> Host:
        """The host of an endpoint URL."""
        parts = urlsplit(endpoint)
        return cls(parts.netloc, f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/"))


def _body(call: str, body: dict[str, Any] | None) -> bytes:
    """The bytes of ``call``'s body, without the fields it cannot carry (``UNSENT_FIELDS``)."""
    if body is None:
        return b""
    unsent = UNSENT_FIELDS.get(call, frozenset())
    return orjson.dumps({key: value for key, value in body.items() if key not in unsent})


class DataArtsClient:
    """Signed calls to one remote DataArts workspace (a remote of this server)."""

    def __init__(
        self,
        remote: str,
        endpoint: RemoteEndpoint,
        *,
        timeout: float = 30.0,
        backoff: Backoff | None = None,
        transport: httpx2.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        paging: PagingModes | None = None,
        held: Held | None = None,
    ) -> None:
        self.remote = remote
        self.held = held
        """What the remote held as its shadow last read it (the remotes service's clients; read
        when first asked): what a push's reads go by name or by page on."""
        self.paging = paging or PagingModes()
        """The paging modes learned (the remotes service's, shared by its clients)."""
        self.endpoint = endpoint
        self.backoff = backoff or Backoff()
        self.calls = 0
        """Requests sent so far (retries included)."""
        self._counting = threading.Lock()
        self._gate = threading.Lock()
        self._signed = False
        """Whether the remote accepted a signature: until then, calls go one at a time."""
        self._refusal: RemoteAuthError | None = None
        """The credentials' refusal: no call is sent after it (DataArts locks a key after a
        few failed signatures in a row, for everyone using it)."""
        self._totals: dict[tuple[str, str], int] = {}
        """The ``total`` the first page of each list walked said, by call and query."""
        self._sleep = sleep
        self._factory = Host.of(endpoint.endpoint)
        self._studio = Host.of(endpoint.studio) if endpoint.studio else self._factory
        self._http = httpx2.Client(
            timeout=timeout, transport=transport, trust_env=False, verify=tls_context()
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def __enter__(self) -> DataArtsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the one place requests are built and answers judged -----------------------------

    def _host(self, call: str) -> Host:
        return self._studio if call in STUDIO_CALLS else self._factory

    def _path(self, call: str, params: dict[str, str]) -> str:
        template = CALLS[call][1]
        values = {"project_id": self.endpoint.project_id, **params}
        return self._host(call).base_path + template.format(
            **{key: quote(value, safe="") for key, value in values.items()}
        )

    def _request(self, call: str, path: str, query: str, body: bytes) -> httpx2.Response:
        method, host = CALLS[call][0], self._host(call)
        headers = {
            "Host": host.netloc,
            "Content-Type": "application/json;charset=utf-8" if body else "application/json",
            "User-Agent": USER_AGENT,
            "X-Project-Id": self.endpoint.project_id,
            "workspace": self.endpoint.workspace,
        }
        headers.update(
            sign_request(
                method,
                path,
                query,
                headers,
                body,
                self.endpoint.access_key,
                self.endpoint.secret_key,
            )
        )
        url = host.root + path + (f"?{query}" if query else "")
        with self._counting:  # reads run on a few threads at once (refresh's batch exports)
            self.calls += 1
        return self._http.request(method, url, content=body, headers=headers)

    def send(
        self,
        call: str,
        *,
        path: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> httpx2.Response:
        """Make ``call`` (a key of :data:`CALLS`); the 2xx answer, or the error tree's
        translation of what went wrong. A 429 (nothing was done) is retried with backoff; so
        are 5xx and a dropped connection for a read. A write that failed so is not retried
        here: its effect may have happened, and the push re-reads before it retries. Until
        the remote accepted a signature, calls from other threads wait for the one sent; after
        a 401 (or a read's 403), none is sent: each is refused as that one was."""
        if not self._signed:
            with self._gate:
                if not self._signed:
                    return self._send(call, path, query, body)
        return self._send(call, path, query, body)

    def _send(
        self,
        call: str,
        path: dict[str, str] | None,
        query: dict[str, Any] | None,
        body: dict[str, Any] | None,
    ) -> httpx2.Response:
        if self._refusal is not None:
            raise RemoteAuthError(self._refusal.message, **self._refusal.context)
        raw_path = self._path(call, path or {})
        raw_query = sdk_query(query)
        data = _body(call, body)
        attempt, waited = 0, 0.0
        while True:
            attempt += 1
            try:
                response = self._request(call, raw_path, raw_query, data)
            except httpx2.TransportError as exc:
                if attempt < self.backoff.attempts and call not in WRITES:
                    self._sleep(self.backoff.wait(attempt, None))
                    continue
                raise self._unreachable(call, exc, attempt) from exc
            status = response.status_code
            if self._again(call, status):
                pause = self.backoff.wait(
                    attempt, response.headers.get("Retry-After"), throttled=status == 429
                )
                if self.backoff.again(attempt, waited, pause, status == 429):
                    self._sleep(pause)
                    waited += pause
                    continue
            self._signed = self._signed or status not in (401, 403)
            if status >= 400:
                raise self._refused(call, response, (attempt, waited))
            return response

    @staticmethod
    def _again(call: str, status: int) -> bool:
        """Whether an answer is worth the same call again at once."""
        return status == 429 or (status in RETRIED_STATUSES and call not in WRITES)

    def _unreachable(self, call: str, exc: Exception, attempts: int) -> RemoteUnreachableError:
        error = RemoteUnreachableError(
            f"Remote '{self.remote}' could not be reached at {self.endpoint.of(call)} for "
            f"{call} ({exc.__class__.__name__}, after {attempts} attempt(s)); check "
            "the remote's endpoint and that this server can reach it.",
            remote=self.remote,
            call=call,
        )
        error.on_its_way = not isinstance(exc, NOT_SENT)
        return error

    def _refused(
        self, call: str, response: httpx2.Response, tried: tuple[int, float]
    ) -> RemoteError:
        """The error tree's translation of an error answer (``tried``: the attempts made and
        the seconds waited between them, which a throttled call's refusal says)."""
        status = response.status_code
        code, message = envelope(response)
        context: dict[str, Any] = {
            "remote": self.remote,
            "call": call,
            "remote_status": status,
            "remote_error_code": code or None,
            "remote_error_msg": message or None,
        }
        ended = message.rstrip(" .")  # each message below ends its own sentence
        said = f"HTTP {status}" + (f" {code}" if code else "") + (f": {ended}" if ended else "")
        if status == 401 or (status == 403 and call not in WRITES):
            self._refusal = auth_refused(self.remote, self.endpoint.workspace, call, said, context)
            return self._refusal
        if status == 403:
            return auth_refused(
                self.remote, self.endpoint.workspace, call, said, context, role=True
            )
        if status == 429:
            attempts, waited = tried
            return RemoteError(
                f"Remote '{self.remote}' throttled {call} ({said}) {attempts} time(s), over "
                f"{waited:.0f} s of waiting: its API gateway's flow control stayed at its limit "
                "(other clients of the remote may be using it up); try again later.",
                **context,
            )
        said += answer_fix(
            self.remote, code, call in STUDIO_CALLS, self.endpoint.endpoint, self.endpoint.studio
        )
        return RemoteError(f"Remote '{self.remote}' answered {call} with {said}.", **context)

    def json(self, call: str, **kwargs: Any) -> dict[str, Any]:
        """``send`` and decode a JSON object answer (an empty answer is ``{}``)."""
        response = self.send(call, **kwargs)
        if not response.content:
            return {}
        try:
            value = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise RemoteUnreachableError(
                f"Remote '{self.remote}' answered {call} with HTTP {response.status_code} and a "
                "body that is not JSON; is the endpoint a DataArts API?",
                remote=self.remote,
                call=call,
            ) from exc
        if not isinstance(value, dict):
            raise RemoteUnreachableError(
                f"Remote '{self.remote}' answered {call} with JSON that is not an object; is "
                "the endpoint a DataArts API?",
                remote=self.remote,
                call=call,
            )
        return value

    # -- the calls -----------------------------------------------------------------------

    def _pages(self, call: str, items: str, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a paged list call, ``PAGE`` at a time (:func:`walk_list`: the pages
        after the first asked side by side, in the paging mode this endpoint was found to
        use)."""

        def ask(offset: int) -> tuple[Page, object]:
            answer = self.json(call, query={**query, "limit": PAGE, "offset": offset})
            page = [item for item in answer.get(items) or [] if isinstance(item, dict)]
            total = answer.get("total")
            if offset == 0 and isinstance(total, int):
                self._totals[call, repr(sorted(query.items()))] = total
            return page, total

        return walk_list(ask, self.paging, (self.endpoint.of(call), call))

    def listed_total(self, call: str) -> int:
        """How many items the lists of ``call`` walked so far say they hold in all (each
        query's first page: ``list_jobs`` of every job type whose first page has answered)."""
        return sum(total for (made, _), total in list(self._totals.items()) if made == call)

    def pages(self, call: str, items: str, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a paged list call (``list_jobs``, ``list_scripts``,
        ``list_resources``) with these query parameters (a name filter)."""
        return self._pages(call, items, query)

    def jobs(self, name: str | None = None) -> Iterator[dict[str, Any]]:
        """``list_jobs``, every page of each of :data:`JOB_TYPES` (``name``: those whose name
        holds it, ``jobName``): ``JobResult``s (name, jobType, status, lastUpdateTime…)."""
        first, *others = (
            {"jobType": job_type} if name is None else {"jobType": job_type, "jobName": name}
            for job_type in JOB_TYPES
        )
        # the other types' jobs (real-time ones: a page or two, as a rule) are walked beside
        # the batch jobs, and come after them
        with ThreadPoolExecutor(max_workers=len(others)) as beside:
            later = [beside.submit(list, self._pages("list_jobs", "jobs", q)) for q in others]
            yield from self._pages("list_jobs", "jobs", first)
            for walked in later:
                yield from walked.result()

    def scripts(self) -> Iterator[dict[str, Any]]:
        """``list_scripts``, every page: whole ``ScriptInfo`` definitions."""
        return self._pages("list_scripts", "scripts", {})

    def resources(self) -> Iterator[dict[str, Any]]:
        """``list_resources``, every page: whole ``ResourceInfo`` definitions."""
        return self._pages("list_resources", "resources", {})

    def export_jobs(self, names: list[str], *, submitted: bool = False) -> bytes:
        """``export_job_list`` of at most :data:`EXPORT_BATCH` jobs, without their
        dependencies (scripts and resources are listed whole): the ``jobs.zip`` bytes of their
        development state, or of their latest submitted versions (``exportStatus: SUBMIT``)."""
        if not 0 < len(names) <= EXPORT_BATCH:
            raise ValueError(f"export_job_list takes 1 to {EXPORT_BATCH} names, not {len(names)}")
        body: dict[str, Any] = {"jobList": names, "exportDepend": False}
        if submitted:
            body["exportStatus"] = "SUBMIT"
        return self.send("export_job_list", body=body).content

    def show_job(self, name: str) -> dict[str, Any]:
        """``show_job``: a job's development state."""
        return self.json("show_job", path={"job_name": name})

    def job_status(self, name: str) -> dict[str, Any]:
        """``show_job_status``."""
        return self.json("show_job_status", path={"job_name": name})

    def show_script(self, name: str) -> dict[str, Any]:
        """``show_script``."""
        return self.json("show_script", path={"script_name": name})

    def show_resource(self, resource_id: str) -> dict[str, Any]:
        """``show_resource``."""
        return self.json("show_resource", path={"resource_id": resource_id})

    def data_connections(self) -> Iterator[dict[str, Any]]:
        """``list_dataconnections`` (DataArts Studio), every page."""
        offset = 0
        while True:
            answer = self.json(
                "list_dataconnections", query={"limit": str(PAGE), "offset": str(offset)}
            )
            page = [x for x in answer.get("data_connection_lists") or [] if isinstance(x, dict)]
            yield from page
            total = answer.get("total_size")
            offset += len(page)
            if len(page) < PAGE or (isinstance(total, int) and offset >= total):
                return

    def show_data_connection(self, dw_id: str) -> dict[str, Any]:
        """``show_dataconnection`` (DataArts Studio): one side of a connection, its settings
        with secrets masked."""
        return self.json("show_dataconnection", path={"data_connection_id": dw_id})

    def environment_variables(self) -> list[dict[str, Any]]:
        """``show_factory_env`` (DataArts Studio): the workspace's environment variables."""
        params = self.json("show_factory_env").get("params")
        return [p for p in params or [] if isinstance(p, dict)]
