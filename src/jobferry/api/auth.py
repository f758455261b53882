"""AK/SK authentication and workspace scoping as FastAPI dependencies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from jobferry.api.wire import raw_body
from jobferry.errors import (
    AuthenticationError,
    RequiredParameterError,
    SignatureMismatchError,
)
from jobferry.services.context import Actor, Scope
from jobferry.signing import parse_authorization, parse_sdk_date, verify_request
from jobferry.web import services_of


def _headers(request: Request) -> dict[str, str]:
    # ASGI hands header bytes over as latin-1; the SDK sends UTF-8, so undo that once here.
    out: dict[str, str] = {}
    for raw_name, raw_value in request.scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        try:
            value = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            value = raw_value.decode("latin-1")
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _check_public_host(headers: dict[str, str], public: frozenset[str]) -> None:
    """Refuse a request for a Host that is not one of ``JOBFERRY_PUBLIC_HOSTS``.

    Run after the signature check: a signed ``Host`` then is the header sent. Clients that do
    not sign it (Go's, Terraform's) are held to the same list by the header they send.
    """
    host = headers.get("host", "")
    if public and host.strip().lower() not in public:
        raise AuthenticationError(
            f"Incorrect IAM authentication information: Host '{host[:100]}' is not one of this "
            f"server's public hosts (JOBFERRY_PUBLIC_HOSTS: {', '.join(sorted(public))}); "
            "send the request to one of them, signed for that host."
        )


async def authenticated(request: Request, project_id: str) -> Actor:
    """Verify the SDK-HMAC-SHA256 signature; the caller's user."""
    services = services_of(request)
    body = await raw_body(request)
    headers = _headers(request)
    header_project = headers.get("x-project-id")
    if header_project is not None and header_project != project_id:
        raise AuthenticationError(
            f"Incorrect IAM authentication information: X-Project-Id '{header_project}' does "
            f"not match project '{project_id}' in the path; build the client with the same "
            "project id it calls."
        )
    raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
    query = request.scope.get("query_string", b"").decode("latin-1")
    skew = services.settings.clock_skew_seconds
    public_hosts = services.settings.public_host_set()

    if "workspace" in headers and "authorization" in headers:
        signed = parse_authorization(headers.get("authorization", "")).signed_headers
        if "workspace" not in signed:
            raise AuthenticationError(
                "Incorrect IAM authentication information: the workspace header is not signed; "
                "include it in SignedHeaders."
            )

    def verify() -> Actor:
        now = datetime.now(UTC)
        attempt = services.lockouts.attempt(_ms(now))
        try:
            access_key = verify_request(
                request.method,
                raw_path.decode("latin-1"),
                query,
                headers,
                body,
                attempt.secret_for,
                now=now,
                max_skew_seconds=skew,
            )
        except SignatureMismatchError:
            attempt.failed()
            raise
        attempt.succeeded()
        _check_public_host(headers, public_hosts)
        # Verified, so both headers are present and well-formed.
        signature = parse_authorization(headers["authorization"]).signature
        signed_at = parse_sdk_date(headers["x-sdk-date"])
        services.replays.accept(
            request.method,
            signature,
            access_key,
            now_ms=_ms(now),
            expires_at=_ms(signed_at + timedelta(seconds=skew)),
        )
        return services.accounts.actor_for(access_key)

    return await run_in_threadpool(verify)


ActorDep = Annotated[Actor, Depends(authenticated)]


def scoped(request: Request, project_id: str, actor: ActorDep) -> Scope:
    """The caller in the workspace named by the ``workspace`` header (default: the default one)."""
    workspace = request.headers.get("workspace") or None
    return services_of(request).accounts.scope(actor, project_id, workspace)


ScopeDep = Annotated[Scope, Depends(scoped)]


def workspace_scoped(request: Request, project_id: str, actor: ActorDep) -> Scope:
    """As ``scoped``, for the calls whose SDK marks the ``workspace`` header required."""
    workspace = request.headers.get("workspace") or None
    if workspace is None:
        raise RequiredParameterError(
            "This call needs the 'workspace' header (a workspace id); GET "
            f"/v1/{project_id}/workspaces/{project_id} lists them (the instance id is the "
            "project id).",
            parameter="workspace",
        )
    return services_of(request).accounts.scope(actor, project_id, workspace)


WorkspaceScopeDep = Annotated[Scope, Depends(workspace_scoped)]
