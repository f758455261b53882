"""A strict in-memory DataArts, plugged in at the remote client's transport seam: no server
process, no socket.

:class:`DataArtsStandin` answers the requests a ``DataArtsClient`` sends (its ``transport``:
an ``httpx2.MockTransport`` over :meth:`DataArtsStandin.handle`) as DataArts does, from the
workspace it holds (``support/standin_workspace.py``). It is strict where DataArts and its
gateway are, and stricter where the SDKs are (``support/sdkcalls.py``, built from the official
SDKs' request models). A request is **refused** (and recorded as refused) when:

- no SDK call has its method and path on the host it was sent to (``dayu-dlf.<region>``:
  ``huaweicloudsdkdgc``; ``dayu.<region>``: ``huaweicloudsdkdataartsstudio``): 404
  ``APIGW.0101``, as the gateway answers an API it does not publish;
- its signature is not what ``huaweicloudsdkcore``'s signer makes of it with the workspace's
  secret key, or it names another project: 401 ``APIGW.0301``;
- its ``workspace`` header names a workspace the project does not have: 400 ``DLF.0819`` (no
  header: the project's default workspace, as DataArts does);
- a query parameter is not the SDK's or not of its type, or the body has a field the SDK's
  model does not have, a field of the wrong type, or a body where the SDK sends none: 400
  ``DLF.3051``.

Its own answers are checked against the SDK's response model of the call (a stand-in that
answered a field DataArts does not is a broken stand-in: ``AssertionError``). Every request is
recorded (:attr:`DataArtsStandin.seen`). Faults are injected by number:
:attr:`DataArtsStandin.faults` (the Nth write: a call that is not a GET nor the batch
export) and :attr:`DataArtsStandin.call_faults` (the Nth call), each a :class:`Fault`;
:attr:`DataArtsStandin.latency` adds seconds to every call. :class:`Killed` stands for the
process dying in the middle of a call (``Fault.KILL``; ``Fault.STRAY``: the call is on its
way and lands when the test calls :meth:`DataArtsStandin.land`, as a ``Fault.TIMEOUT`` does):
it is a ``BaseException``, so nothing in jobferry catches it, as nothing catches ``kill -9``.

One project may hold several workspaces (``add_workspace``: a test and a prod workspace, each
the remote of its own shadow). Use: ``standin = DataArtsStandin()``, seed ``standin.workspace``
(the default workspace), then
``services.remotes.transport = standin.transport()`` and add the remote with
``standin.spec()`` (or ``standin.remote_body()`` through the API).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx2
import orjson

from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.remotes.records import RemoteSpec
from support.console import add_connections, admin_actor, admin_scope
from support.sdkcalls import (
    Api,
    SdkCall,
    answer_problems,
    body_problems,
    find_call,
    query_problems,
    signature_matches,
)
from support.standin_workspace import MODELLED, DataArtsWorkspace, Refusal, Request
from support.workspace_state import State

REGION = "cn-north-4"
FACTORY = f"https://dayu-dlf.{REGION}.myhuaweicloud.com"
STUDIO = f"https://dayu.{REGION}.myhuaweicloud.com"
HOSTS = {urlsplit(FACTORY).netloc: Api.FACTORY, urlsplit(STUDIO).netloc: Api.STUDIO}
PROJECT = "5a0123456789abcdef0123456789abcd"
AK, SK = "STANDINAK0123456789AB", "standin-secret-key-0123456789abcdef"


class Fault(StrEnum):
    """What goes wrong with a chosen call."""

    REFUSE = "refuse"
    """Answered 400 ``DLF.3051``, nothing done."""
    THROTTLE = "throttle"
    """Answered 429 ``APIGW.0308``, nothing done."""
    FAIL = "fail"
    """Answered 500, nothing done."""
    LOSE = "lose"
    """Done, then answered 500: the answer was lost."""
    DROP = "drop"
    """Done, then the connection dropped (no answer)."""
    KILL = "kill"
    """The calling process dies as it sends the call (:class:`Killed` raised, nothing done)."""
    TIMEOUT = "timeout"
    """No answer in time (``httpx2.ReadTimeout`` raised): the call is still on its way and is
    done when :meth:`DataArtsStandin.land` is called."""
    UNREACHABLE = "unreachable"
    """The connection is refused (``httpx2.ConnectError`` raised, nothing seen nor done): the
    remote is down or out of this server's reach."""
    STRAY = "stray"
    """The calling process dies as it sends the call (:class:`Killed` raised), and the call
    is still on its way: it is done when :meth:`DataArtsStandin.land` is called."""


class Killed(BaseException):
    """The process making the calls died (``Fault.KILL``)."""


@dataclass(frozen=True)
class Seen:
    """One request the stand-in received."""

    number: int
    method: str
    path: str
    call: str | None
    """The SDK call it was (``None``: no SDK call is that request)."""
    status: int
    refused: str | None = None
    """Why the stand-in refused it as no SDK would send it (``None``: it was not)."""
    write: bool = False


@dataclass
class DataArtsStandin:
    """One DataArts project and workspace, in memory, answering signed SDK requests."""

    project_id: str = PROJECT
    workspace_id: str = "0833a5737480d53b2f250010d01a7b88"
    keys: dict[str, str] = field(default_factory=lambda: {AK: SK})
    workspace: DataArtsWorkspace = field(default_factory=DataArtsWorkspace)
    """The default workspace (``workspace_id``)."""
    workspaces: dict[str, DataArtsWorkspace] = field(default_factory=dict)
    """Every workspace of the project by id, the default one included."""
    latency: float = 0.0
    faults: dict[int, Fault] = field(default_factory=dict)
    """Write number (1-based) → its fault."""
    call_faults: dict[int, Fault] = field(default_factory=dict)
    """Call number (1-based, every request that is an SDK call) → its fault."""
    seen: list[Seen] = field(default_factory=list)
    strays: list[Callable[[], httpx2.Response]] = field(default_factory=list)
    """Calls on their way (``Fault.STRAY``, ``Fault.TIMEOUT``), not yet landed."""
    down: Fault | None = None
    """Every call meets this fault while set (the remote out of reach: ``UNREACHABLE``, or
    failing: ``FAIL``), until set back to ``None``."""
    land_before_writes: bool = False
    """Calls on their way land just before the next write is done (else: at :meth:`land`)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _writes: int = 0

    def __post_init__(self) -> None:
        self.workspaces.setdefault(self.workspace_id, self.workspace)

    def add_workspace(self, workspace_id: str) -> DataArtsWorkspace:
        """Another workspace of the project (empty); its objects."""
        return self.workspaces.setdefault(workspace_id, DataArtsWorkspace())

    # -- how jobferry reaches it ----------------------------------------------------------

    def transport(self) -> httpx2.MockTransport:
        """The transport a ``DataArtsClient`` sends through to reach this stand-in."""
        return httpx2.MockTransport(self.handle)

    def spec(self, name: str = "prod", **over: Any) -> RemoteSpec:
        """The remote ``name`` as the remotes service adds it (``over``: fields changed, e.g.
        ``workspace`` for another workspace of the project)."""
        values: dict[str, Any] = {
            "name": name,
            "endpoint": FACTORY,
            "project_id": self.project_id,
            "workspace": self.workspace_id,
            "access_key": AK,
            "secret_key": self.keys[AK],
            "studio_endpoint": STUDIO,
        }
        return RemoteSpec(**{**values, **over})

    def remote_body(self, name: str = "prod", workspace: str | None = None) -> dict[str, str]:
        """``POST /remotes``'s body for this stand-in (``workspace``: another one than the
        default)."""
        return {
            "name": name,
            "endpoint": FACTORY,
            "studioEndpoint": STUDIO,
            "projectId": self.project_id,
            "workspace": workspace or self.workspace_id,
            "accessKey": AK,
            "secretKey": self.keys[AK],
        }

    # -- what it saw ----------------------------------------------------------------------

    def calls(self) -> list[str]:
        """The SDK calls answered (refused ones left out), in order."""
        return [s.call for s in self.seen if s.call and s.refused is None]

    def writes(self) -> list[str]:
        """The writes answered, in order."""
        return [s.call for s in self.seen if s.call and s.write and s.refused is None]

    def refused(self) -> list[Seen]:
        """Requests refused as no SDK would send them (a wrong call, field, type or signature)."""
        return [s for s in self.seen if s.refused is not None]

    def land(self) -> list[int]:
        """Let the calls still on their way (``Fault.STRAY``) reach the workspace, in the order
        they were sent; their statuses."""
        with self._lock:
            landed = [stray().status_code for stray in self.strays]
            self.strays.clear()
        return landed

    def reset(self) -> None:
        """Forget what was seen and counted, and every fault asked for."""
        with self._lock:
            self.seen.clear()
            self.faults.clear()
            self.call_faults.clear()
            self.strays.clear()
            self.land_before_writes = False
            self.down = None
            self._writes = 0
            self.latency = 0.0

    # -- the transport --------------------------------------------------------------------

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        """Answer one request (``httpx2.MockTransport``'s handler)."""
        if self.latency:
            time.sleep(self.latency)
        if self.down is Fault.UNREACHABLE:
            raise httpx2.ConnectError("[Errno 111] Connection refused", request=request)
        body = request.read()
        path = request.url.raw_path.decode("ascii").split("?", 1)[0]
        query = parse_qsl(request.url.query.decode("ascii"), keep_blank_values=True)
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:  # one call at a time, as one consistent workspace
            return self._answer(request.method, request.url.host, path, query, headers, body)

    def _answer(
        self,
        method: str,
        host: str,
        path: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: bytes,
    ) -> httpx2.Response:
        number = len(self.seen) + 1
        api = HOSTS.get(host)
        found = find_call(api, method, path) if api is not None else None
        if found is None:
            other = [a for a in Api if a is not api and find_call(a, method, path)]
            why = f"no {api or host} SDK call is {method} {path}" + (
                f" (it is a {other[0].value} call, sent to another host)" if other else ""
            )
            return self._refuse(number, method, path, None, 404, "APIGW.0101", why)
        call, params = found
        refusal = self._check(call, params, query, headers, body, method, path)
        if refusal is not None:
            status, code, why = refusal
            return self._refuse(number, method, path, call.name, status, code, why)
        write = method != "GET" and call.name != "export_job_list"
        if write:
            self._writes += 1
            if self.land_before_writes:
                for stray in self.strays:
                    stray()
                self.strays.clear()
        fault = (
            self.down
            or self.call_faults.get(number)
            or (self.faults.get(self._writes) if write else None)
        )
        ws = self.workspaces[headers.get("workspace") or self.workspace_id]
        return self._perform(number, call, params, query, body, (method, path), ws, write, fault)

    def _check(
        self,
        call: SdkCall,
        params: dict[str, str],
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: bytes,
        method: str,
        path: str,
    ) -> tuple[int, str, str] | None:
        why = signature_matches(method, path, query, headers, body, self.keys)
        if why is not None:
            return 401, "APIGW.0301", f"Incorrect IAM authentication information: {why}"
        if (
            unquote(params.get("project_id", "")) != self.project_id
            or headers.get("x-project-id") != self.project_id
        ):
            return 401, "APIGW.0301", "the project in the path or X-Project-Id is not this one"
        named = headers.get("workspace")
        if "workspace" in call.headers and named is not None and named not in self.workspaces:
            return 400, "DLF.0819", f"workspace {named!r} does not exist"
        problems = query_problems(call, query)
        if body:
            try:
                decoded = orjson.loads(body)
            except orjson.JSONDecodeError:
                problems.append("the body is not JSON")
            else:
                problems += body_problems(call, decoded)
        if problems:
            return 400, "DLF.3051", "; ".join(problems)
        return None

    def _refuse(
        self,
        number: int,
        method: str,
        path: str,
        call: str | None,
        status: int,
        code: str,
        why: str,
    ) -> httpx2.Response:
        self.seen.append(Seen(number, method, path, call, status, why))
        return _json(status, {"error_code": code, "error_msg": why})

    def _perform(
        self,
        number: int,
        call: SdkCall,
        params: dict[str, str],
        query: list[tuple[str, str]],
        body: bytes,
        where: tuple[str, str],
        ws: DataArtsWorkspace,
        write: bool,
        fault: Fault | None,
    ) -> httpx2.Response:
        method, path = where

        def seen(status: int) -> None:
            self.seen.append(Seen(number, method, path, call.name, status, None, write))

        if fault in (Fault.KILL, Fault.STRAY, Fault.TIMEOUT):
            seen(0)
            if fault is not Fault.KILL:
                args = (number, call, params, query, body, where, ws, write, None)
                self.strays.append(lambda: self._perform(*args))
            if fault is Fault.TIMEOUT:
                raise httpx2.ReadTimeout(f"no answer to {call.name} in time")
            raise Killed(f"killed while sending {call.name}")
        unsent = {
            Fault.REFUSE: (400, "DLF.3051"),
            Fault.THROTTLE: (429, "APIGW.0308"),
            Fault.FAIL: (500, "DLF.0500"),
        }
        if fault in unsent:
            status, code = unsent[fault]  # type: ignore[index]
            seen(status)
            return _json(
                status, {"error_code": code, "error_msg": f"Injected {fault} of {call.name}."}
            )
        if call.name not in MODELLED:
            self.seen.append(
                Seen(number, method, path, call.name, 501, f"{call.name} is not modelled")
            )
            return _json(
                501,
                {
                    "error_code": "STANDIN.0501",
                    "error_msg": f"{call.name} is not modelled by the stand-in",
                },
            )
        decoded = Request(
            call.name,
            {k: unquote(v) for k, v in params.items()},
            dict(query),
            orjson.loads(body) if body else {},
        )
        try:
            status, answer = getattr(ws, call.name)(decoded)
        except Refusal as refusal:
            seen(refusal.status)
            return _json(refusal.status, refusal.body())
        seen(status if fault is None else {Fault.LOSE: 500, Fault.DROP: 0}[fault])
        if fault is Fault.LOSE:
            return _json(500, {"error_code": "APIGW.0203", "error_msg": "Internal error (lost)."})
        if fault is Fault.DROP:
            raise httpx2.RemoteProtocolError("Server disconnected without sending a response.")
        wrong = answer_problems(call, answer) if isinstance(answer, dict) else []
        assert not wrong, f"the stand-in answered {call.name} as no SDK model reads: {wrong}"
        if isinstance(answer, bytes):
            return httpx2.Response(
                status, content=answer, headers={"Content-Type": "application/octet-stream"}
            )
        return _json(status, answer) if answer is not None else httpx2.Response(status)


def _json(status: int, body: Any) -> httpx2.Response:
    return httpx2.Response(
        status, content=orjson.dumps(body), headers={"Content-Type": "application/json"}
    )


def remote_shadow(
    services: Services, standin: DataArtsStandin, name: str = "prod", workspace: str | None = None
) -> Scope:
    """Plug ``standin`` into ``services``' remotes, add it as remote ``name``, give its shadow
    the connections the builders' jobs use (dws_conn, ssh_conn, with their secrets) and refresh
    it; the admin's scope in the shadow workspace. ``workspace``: the stand-in's workspace the
    remote reaches (made when new; default: its default one), which gets those connections too
    when it has none of that name."""
    ws = standin.add_workspace(workspace or standin.workspace_id)
    held_names = {c.name for c in ws.connections.values()}
    for connection, type_ in (("dws_conn", "DWS"), ("ssh_conn", "SSH")):
        if connection not in held_names:
            ws.put_connection(connection, type_, host="10.0.0.1", password="pw")
    services.remotes.transport = standin.transport()
    actor = admin_actor(services)
    over = {"workspace": workspace} if workspace else {}
    remote = services.remotes.add(actor, standin.spec(name, **over))
    shadow = add_connections(
        services, admin_scope(services, remote.workspace_id), "dws_conn", "ssh_conn"
    )
    services.remotes.refresh(actor, name)
    return shadow


def held_back(services: Services, standin: DataArtsStandin) -> threading.Event:
    """Plug ``standin`` into ``services``' remotes so that each call waits, before it is
    answered, until the event returned is set (a refresh or a push then stays running while a
    test looks at what says so); set it at the test's end."""
    answer = threading.Event()

    def handle(request: httpx2.Request) -> httpx2.Response:
        assert answer.wait(30), "the remote was never let answer"
        return standin.handle(request)

    services.remotes.transport = httpx2.MockTransport(handle)
    return answer


def settling(services: Services, standin: DataArtsStandin) -> list[list[int]]:
    """Give ``services``' pushes a settle time of 60 s, waited in an instant: each settle lets
    the calls on their way land (:meth:`DataArtsStandin.land`). What each settle landed (the
    statuses), in order; the pushes' other waits are not waited."""
    landed: list[list[int]] = []

    def sleep(seconds: float) -> None:
        if seconds == 60:
            landed.append(standin.land())

    services.pushes.settle_ms, services.pushes.sleep = 60_000, sleep
    return landed


def down_after_writes(services: Services, standin: DataArtsStandin, writes: int) -> None:
    """Plug ``standin`` into ``services``' remotes so that it stops answering (connections
    refused: ``standin.down``) once it has made ``writes`` writes, until the test sets
    ``standin.down`` back to ``None``."""
    went: list[bool] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        answer = standin.handle(request)
        if len(standin.writes()) == writes and not went:
            went.append(True)
            standin.down = Fault.UNREACHABLE
        return answer

    services.remotes.transport = httpx2.MockTransport(handle)


def held(standin: DataArtsStandin, workspace: str | None = None) -> dict[str, Any]:
    """What the stand-in's workspace holds, to compare before and after: each job's definition
    and status, each script's and resource's definition (ids left out); of the default
    workspace unless ``workspace`` names another. A copy: a call that changes a definition in
    place (a rename sets the job's ``name``) does not change what was taken before it."""
    ws = standin.workspaces[workspace or standin.workspace_id]
    return {
        "jobs": {n: (copy.deepcopy(j.doc), j.status) for n, j in sorted(ws.jobs.items())},
        "scripts": {
            n: {k: v for k, v in d.items() if k != "id"} for n, d in sorted(ws.scripts.items())
        },
        "resources": {
            str(d["name"]): {k: v for k, v in d.items() if k != "id"} for d in ws.resources.values()
        },
    }


def held_state(
    standin: DataArtsStandin, workspace: str | None = None, *, descriptions: bool = False
) -> State:
    """What the stand-in's workspace holds (:func:`held`) by (kind, name), but the jobs'
    descriptions unless ``descriptions`` (:func:`undescribed_held`)."""
    now = held(standin, workspace)
    out: State = {
        ("job", name): {"document": doc, "status": s} for name, (doc, s) in now["jobs"].items()
    }
    out.update({("script", name): doc for name, doc in now["scripts"].items()})
    out.update({("resource", name): doc for name, doc in now["resources"].items()})
    return out if descriptions else undescribed_held(out)


def undescribed_held(state: State) -> State:
    """A :func:`held_state` but its jobs' descriptions: no call of DataArts' API carries one
    (``remotes/unsent.py``), so a push's undo or rollback cannot give back one a person
    wrote."""
    return {
        key: {
            **value,
            "document": {k: v for k, v in value["document"].items() if k != "description"},
        }
        if key[0] == "job"
        else value
        for key, value in state.items()
    }
