"""AK/SK (or IAM token) authentication and workspace scoping as FastAPI dependencies.

A request with an ``Authorization`` header is checked as AK/SK-signed, whatever else it
carries (the SDK signs only when no ``Authorization`` is set; a token beside a signature is
not looked at); a request without one but with ``X-Auth-Token`` is authenticated by that IAM
token (``services/accounts/tokens.py``).

Each is ONE ``async def`` dependency taking only the request (the project id comes from the
path the route already matched): FastAPI resolves every dependency and its parameters again
on each request, and a plain ``def`` one would cost a thread-pool hop too, so the common path
keeps that machinery to a minimum. The caller's user is kept on the request, so a route that
asks for both the actor and the scope verifies the signature once."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Annotated, Any, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope as ASGIScope

from jobferry.api.hosts import check_public_host
from jobferry.api.wire import raw_body, sent_method, sent_token
from jobferry.errors import (
    AuthenticationError,
    RequiredParameterError,
    SignatureMismatchError,
)
from jobferry.services.accounts.lockouts import SignatureAttempt
from jobferry.services.accounts.replays import Recorded
from jobferry.services.accounts.service import AccountService
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope
from jobferry.signing import UNSIGNED_PAYLOAD, parse_sdk_date, require_authorization
from jobferry.signing_derived import parse_any, verify_any
from jobferry.web import services_of


def scope_headers(scope: ASGIScope) -> dict[str, str]:
    """The request's headers by lower-case name, repeated ones joined with commas."""
    # ASGI hands header bytes over as latin-1; the SDK sends UTF-8, so undo that once here.
    out: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        try:
            value = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            value = raw_value.decode("latin-1")
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def hold_to_public_hosts(request: Request) -> None:
    """Refuse ``request`` when its Host is not one of ``JOBFERRY_PUBLIC_HOSTS``, as every
    signed or token call is: for the IAM token calls, which authenticate otherwise (a password,
    the token to validate or revoke), once that authentication passed."""
    public = services_of(request).settings.public_host_set()
    check_public_host(scope_headers(request.scope), public)


def header_problem(headers: dict[str, str], project_id: str) -> AuthenticationError | None:
    """What is wrong with the request's project and workspace headers before any signature is
    checked: an ``X-Project-Id`` other than the path's, a ``workspace`` header left unsigned."""
    header_project = headers.get("x-project-id")
    if header_project is not None and header_project != project_id:
        return AuthenticationError(
            f"Incorrect IAM authentication information: X-Project-Id '{header_project}' does "
            f"not match project '{project_id}' in the path; build the client with the same "
            "project id it calls."
        )
    if "workspace" in headers and "authorization" in headers:
        signed = parse_any(headers.get("authorization", "")).signed_headers
        if "workspace" not in signed:
            return AuthenticationError(
                "Incorrect IAM authentication information: the workspace header is not signed; "
                "include it in SignedHeaders."
            )
    return None


async def authenticated(request: Request) -> Actor:
    """Verify the SDK-HMAC-SHA256 signature (or the IAM token); the caller's user (once per
    request)."""
    known: Actor | None = getattr(request.state, "actor", None)
    if known is None:
        known = await _authenticate(request, request.path_params["project_id"])
        request.state.actor = known
    return known


async def own_caller(request: Request) -> Actor:
    """The caller of an IAM call without a project in its path (``GET /v3/auth/catalog``,
    ``GET /v3/projects``): signed (either signature), its project the access key's user's, or
    by ``X-Auth-Token``, the token's project. An ``X-Project-Id`` sent (the Go SDK adds it
    unsigned) must be that project: else 401 for a signature, 403 for a token (as for a v1
    path, a new token cannot cure it). The public hosts hold for either."""
    headers = scope_headers(request.scope)
    claimed = headers.get("x-project-id", "").strip()
    if "authorization" not in headers and "x-auth-token" in headers:
        services = services_of(request)
        token = sent_token(headers["x-auth-token"])
        actor = await run_in_threadpool(services.tokens.caller, token, claimed)
        check_public_host(headers, services.settings.public_host_set())
        return actor
    actor = await _authenticate(request, claimed)
    if claimed and claimed != actor.project_id:
        raise AuthenticationError(
            f"Incorrect IAM authentication information: X-Project-Id '{claimed[:64]}' is not "
            f"the project of this access key's user ('{actor.project_id}'); build the client "
            "with that project id."
        )
    return actor


F = TypeVar("F", bound=Callable[..., Any])

_STREAMS_UPLOAD = "_jobferry_streams_upload"


def streams_upload(endpoint: F) -> F:
    """Mark a route whose multipart body is streamed, never read whole: an ``UNSIGNED-PAYLOAD``
    upload to it is verified without its body, and the route calls :func:`accept_upload` with
    the uploaded file before keeping it (a package of 100,000 jobs is over 100 MB)."""
    setattr(endpoint, _STREAMS_UPLOAD, True)
    return endpoint


UNREAD_BODY = b"\0"
"""What the signature check is given for an unsigned upload's body it does not read: only
whether a body is there changes the canonical request (``UNSIGNED-PAYLOAD``, not the hash of
nothing)."""


@dataclass(frozen=True)
class PendingReplay:
    """A verified unsigned upload's replay record, written once its file is known."""

    method: str
    signature: str
    access_key: str
    now_ms: int
    expires_at: int
    attempt: SignatureAttempt | None
    """The lockout's attempt, whose success is recorded once the replay is accepted."""


def _unread_upload(request: Request, headers: dict[str, str]) -> bool:
    """Whether this request's body is an unsigned upload left for its route to stream."""
    if not getattr(request.scope.get("endpoint"), _STREAMS_UPLOAD, False):
        return False
    if headers.get("x-sdk-content-sha256") != UNSIGNED_PAYLOAD:
        return False
    length = headers.get("content-length", "").strip()
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    return chunked or (length.isdigit() and int(length) > 0)


def accept_upload(request: Request, file: IO[bytes]) -> None:
    """Record an unsigned upload's replay (on the thread pool, before keeping the upload): its
    signature with the SHA-256 of the uploaded file, which is read once and rewound. The same
    upload sent again is refused; another package under the same headers is not. Nothing to do
    for a body the signature covers (recorded when the signature was checked)."""
    pending: PendingReplay | None = getattr(request.state, "upload_replay", None)
    if pending is None:
        return
    digest = hashlib.sha256()
    while chunk := file.read(1 << 20):
        digest.update(chunk)
    file.seek(0)
    key = f"{pending.signature}:{digest.hexdigest()}"
    request.state.replay = services_of(request).replays.accept(
        pending.method,
        hashlib.sha256(key.encode()).hexdigest(),
        pending.access_key,
        now_ms=pending.now_ms,
        expires_at=pending.expires_at,
    )
    request.state.upload_replay = None
    if pending.attempt is not None:  # accepted: its key's failures are cleared only now
        pending.attempt.succeeded()


async def _authenticate(request: Request, project_id: str) -> Actor:
    services = services_of(request)
    headers = scope_headers(request.scope)
    if "authorization" not in headers and "x-auth-token" in headers:
        return await _token_caller(services, headers, project_id)
    problem = header_problem(headers, project_id)
    if problem is not None:
        raise problem
    require_authorization(headers)  # an unsigned call is refused before its body is read
    unread = _unread_upload(request, headers)
    body = UNREAD_BODY if unread else await raw_body(request)
    raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
    query = request.scope.get("query_string", b"").decode("latin-1")
    call = SignedCall(sent_method(request), raw_path.decode("latin-1"), query, headers, body)

    def verify_and_record() -> Actor:
        """On the pool: the signature checked, the replay recorded (an unread upload's once
        its route has the file)."""
        now = datetime.now(UTC)
        if not unread:
            access_key, request.state.replay = accepted_key(services, call, now)
            return services.accounts.actor_for(access_key)
        access_key, attempt = _signed_key(services, call, now)
        signature = parse_any(headers["authorization"]).signature
        end = _replay_end(services, headers)
        request.state.upload_replay = PendingReplay(
            call.method, signature, access_key, _ms(now), end, attempt
        )
        return services.accounts.actor_for(access_key)

    if call.method in SAFE_METHODS and len(body) <= INLINE_BODY_BYTES:
        known = key_in_memory(
            services, call.method, call.path, query, headers, body, datetime.now(UTC)
        )
        if known is not None:  # a read: nothing to record (reads are not replay-checked)
            return known[1]
    return await run_in_threadpool(verify_and_record)


@dataclass(frozen=True)
class SignedCall:
    """What a signature covers of one request, as it was received: the method, the raw path
    and query, the headers by lower-case name, and the body read (``UNREAD_BODY`` for an
    unsigned upload its route streams)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


def accepted_key(
    services: Services, call: SignedCall, now: datetime
) -> tuple[str, Recorded | None]:
    """The access key of a request accepted at ``now`` and its replay record
    (``ReplayGuard.accept``): a replay, refused, clears no failure of its key (a captured
    request cannot keep a key from locking; an unsigned upload's is recorded with its file,
    :func:`accept_upload`, and clears them then)."""
    access_key, attempt = _signed_key(services, call, now)
    signature = parse_any(call.headers["authorization"]).signature
    recorded = services.replays.accept(
        call.method,
        _replay_key(signature, call.headers, call.body),
        access_key,
        now_ms=_ms(now),
        expires_at=_replay_end(services, call.headers),
    )
    if attempt is not None:
        attempt.succeeded()
    return access_key, recorded


def _signed_key(
    services: Services, call: SignedCall, now: datetime
) -> tuple[str, SignatureAttempt | None]:
    """The access key whose secret the signature matches, against the key this process
    verified moments ago (as a read's is), else against storage with the lockout, and the
    lockout's attempt whose success is yet to be recorded (``None``: a key verified moments
    ago). A failure is counted (the key locked at the limit): refused with
    :class:`AuthenticationError` (``SignatureMismatchError`` saying how many more failures
    lock the key, ``AccessKeyLockedError`` while it is locked)."""
    m, path, query, headers, body = call.method, call.path, call.query, call.headers, call.body
    known = key_in_memory(services, m, path, query, headers, body, now)
    if known is not None:
        return known[0], None
    attempt = services.lockouts.attempt(_ms(now))
    skew = services.settings.clock_skew_seconds
    try:
        access_key = verify_any(
            m, path, query, headers, body, attempt.secret_for, now=now, max_skew_seconds=skew
        )
    except SignatureMismatchError as exc:
        warning = attempt.failed()
        if attempt.access_key is not None:
            services.accounts.forget_key(attempt.access_key)
        if warning is None:
            raise
        raise SignatureMismatchError(f"{exc.message}. {warning}", **exc.context) from exc
    check_public_host(headers, services.settings.public_host_set())
    return access_key, attempt


def _replay_end(services: Services, headers: dict[str, str]) -> int:
    """Until when (ms) a verified request's signature is remembered: its date's window end."""
    signed_at = parse_sdk_date(headers["x-sdk-date"])  # verified: present and well-formed
    return _ms(signed_at + timedelta(seconds=services.settings.clock_skew_seconds))


async def release_replay(request: Request) -> None:
    """Forget the replay record of a request refused busy when nothing of it was written
    (``ReplayGuard.release``): the same signed request may be sent again."""
    recorded: Recorded | None = getattr(request.state, "replay", None)
    if recorded is not None:
        request.state.replay = None
        await run_in_threadpool(services_of(request).replays.release, recorded)


async def _token_caller(services: Services, headers: dict[str, str], project_id: str) -> Actor:
    """The user of an IAM token (``X-Auth-Token``, a request without ``Authorization``): from
    this process's memory when it verified the token moments ago, else looked up on the
    thread pool. A bearer token: nothing to record against replays; the public hosts apply."""
    problem = header_problem(headers, project_id)
    if problem is not None:
        raise problem
    actor = token_in_memory(services, headers, project_id)
    if actor is None:
        token = sent_token(headers["x-auth-token"])
        actor = await run_in_threadpool(services.tokens.actor_for, token, project_id)
        check_public_host(headers, services.settings.public_host_set())
    return actor


def token_in_memory(services: Services, headers: dict[str, str], project_id: str) -> Actor | None:
    """The user of a request's IAM token when this process verified that token within
    ``JOBFERRY_AUTH_CACHE_SECONDS``, checked without storage (its end, its project, the public
    hosts); ``None`` when the token is not in memory."""
    actor = services.tokens.cached_actor(sent_token(headers["x-auth-token"]), project_id)
    if actor is not None:
        check_public_host(headers, services.settings.public_host_set())
    return actor


def _replay_key(signature: str, headers: dict[str, str], body: bytes) -> str:
    """What a replay repeats: the signature, and for an ``UNSIGNED-PAYLOAD`` upload (whose body
    the signature does not cover) the body too, so two different packages uploaded in the same
    second with the same headers are not taken for one request sent twice."""
    if headers.get("x-sdk-content-sha256") != UNSIGNED_PAYLOAD:
        return signature
    return hashlib.sha256(f"{signature}:{hashlib.sha256(body).hexdigest()}".encode()).hexdigest()


def key_in_memory(
    services: Services,
    method: str,
    raw_path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    now: datetime,
) -> tuple[str, Actor] | None:
    """(access key, user) of a request signed by a key this process holds in memory (verified
    within ``JOBFERRY_AUTH_CACHE_SECONDS``), checked without storage: one HMAC and one SHA-256
    of the body (a read's, of at most 64 KiB, on the loop; a write's on the pool). ``None``
    when the key is not in memory or the signature does not match it: the lockout-aware check
    in storage then decides, and counts a mismatch. A key locked by another process is refused
    once its entry here expires, as a key revoked elsewhere is; one that failed here was
    dropped at once."""
    cached = _cached_credential(services.accounts, headers)
    if cached is None:
        return None
    access_key, secret, actor = cached
    try:
        verify_any(
            method,
            raw_path,
            query,
            headers,
            body,
            lambda key: secret if key == access_key else None,
            now=now,
            max_skew_seconds=services.settings.clock_skew_seconds,
        )
    except SignatureMismatchError:
        return None
    check_public_host(headers, services.settings.public_host_set())
    return access_key, actor


INLINE_BODY_BYTES = 64 * 1024
SAFE_METHODS = frozenset({"GET", "HEAD"})
_ACCESS = re.compile(r"\b(?:Access|Credential)=([^,\s/]+)")


def _cached_credential(
    accounts: AccountService, headers: dict[str, str]
) -> tuple[str, str, Actor] | None:
    """(access key, secret, user) when this process has the signing key in memory."""
    found = _ACCESS.search(headers.get("authorization", ""))
    if found is None:
        return None
    credential = accounts.cached_credential(found.group(1))
    return (found.group(1), *credential) if credential else None


ActorDep = Annotated[Actor, Depends(authenticated)]


async def _scope_in(
    request: Request, actor: Actor, project_id: str, workspace: str | None
) -> Scope:
    """The caller's scope in ``workspace`` (``None``: the default one), from this process's
    cache when it has it, else looked up on the thread pool."""
    accounts = services_of(request).accounts
    cached = accounts.cached_scope(actor, project_id, workspace)
    if cached is not None:
        return cached
    return await run_in_threadpool(accounts.scope, actor, project_id, workspace)


async def scoped(request: Request) -> Scope:
    """The caller in the workspace named by the ``workspace`` header (default: the default one)."""
    actor = await authenticated(request)
    project_id = request.path_params["project_id"]
    return await _scope_in(request, actor, project_id, request.headers.get("workspace") or None)


ScopeDep = Annotated[Scope, Depends(scoped)]


async def workspace_scoped(request: Request) -> Scope:
    """As ``scoped``, for the calls whose SDK marks the ``workspace`` header required."""
    actor = await authenticated(request)
    project_id = request.path_params["project_id"]
    workspace = request.headers.get("workspace") or None
    if workspace is None:
        raise RequiredParameterError(
            "This call needs the 'workspace' header (a workspace id); GET "
            f"/v1/{project_id}/workspaces/{project_id} lists them (the instance id is the "
            "project id).",
            parameter="workspace",
        )
    return await _scope_in(request, actor, project_id, workspace)


WorkspaceScopeDep = Annotated[Scope, Depends(workspace_scoped)]
