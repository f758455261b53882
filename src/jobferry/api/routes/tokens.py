"""IAM tokens (``POST``, ``GET``, ``DELETE /v3/auth/tokens``), ``GET /v3/auth/catalog`` and
``GET /v3/projects``: the clients that authenticate with ``X-Auth-Token`` get their token here,
from a user's console password; the Go SDK signing with AK/SK reads its catalog and project."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from jobferry.api.auth import hold_to_public_hosts, own_caller
from jobferry.api.presenters import tokens as present
from jobferry.api.wire import BodyDep, json, no_content, parse_object, sent_token
from jobferry.errors import RequiredParameterError
from jobferry.services.accounts.tokenrequest import parse_password_auth
from jobferry.services.accounts.tokens import TokenGrant
from jobferry.services.context import Actor
from jobferry.web import services_of

router = APIRouter(prefix="/v3", tags=["IAM tokens"])

TokenHeader = Annotated[str | None, Header(description="an IAM token of this server")]

_BODY = '{"auth": {"identity": {"methods": ["password"], ...}, "scope": {"project": {"id"}}}}'


def _with_catalog(nocatalog: str | None) -> bool:
    """Whether an answer names the catalog: unless ``?nocatalog`` is given, as Keystone reads
    it (a flag: any value but ``false`` or ``0``, an empty one too, leaves the catalog out)."""
    return nocatalog is None or nocatalog.strip().lower() in ("false", "0")


def _answer(request: Request, token: str, grant: TokenGrant, nocatalog: str | None) -> Response:
    body = present.token(grant, str(request.base_url), catalog=_with_catalog(nocatalog))
    response = json(body, 201 if request.method == "POST" else 200)
    response.headers["X-Subject-Token"] = token
    return response


@router.post(
    "/auth/tokens",
    status_code=201,
    summary="Get an IAM token with a user's password (the token is in X-Subject-Token)",
)
def issue_token(request: Request, raw: BodyDep, nocatalog: str | None = None) -> Response:
    auth = parse_password_auth(parse_object(raw, required=True, what=_BODY))
    token, grant = services_of(request).tokens.issue(auth, partial(hold_to_public_hosts, request))
    return _answer(request, token, grant, nocatalog)


def _subject(sent: str | None) -> str:
    subject = sent_token(sent)
    if not subject:
        raise RequiredParameterError(
            "This call needs the X-Subject-Token header: the token to validate or revoke.",
            parameter="X-Subject-Token",
        )
    return subject


@router.get("/auth/tokens", summary="Validate the token in X-Subject-Token")
def validate_token(
    request: Request,
    x_auth_token: TokenHeader = None,
    x_subject_token: TokenHeader = None,
    nocatalog: str | None = None,
) -> Response:
    tokens = services_of(request).tokens
    subject = _subject(x_subject_token)
    caller = tokens.caller(sent_token(x_auth_token))
    hold_to_public_hosts(request)
    grant = tokens.validate(caller, subject)
    return _answer(request, subject, grant, nocatalog)


CallerDep = Annotated[Actor, Depends(own_caller)]


@router.get("/auth/catalog", summary="The service catalog of the caller's project")
def own_catalog(request: Request, caller: CallerDep) -> Response:
    """Signed (the Go SDK's ``Credential=`` signature or ``Access=``), the project is the
    access key's user's; with ``X-Auth-Token``, the token's."""
    project = services_of(request).tokens.own_project(caller)
    return json(present.catalog(project.id, project.name, str(request.base_url)), 200)


@router.get("/projects", summary="The caller's project, as IAM lists projects")
def list_projects(request: Request, caller: CallerDep, name: str | None = None) -> Response:
    """What the Go SDK asks for a project's id given its name (``GET /v3/projects?name=``):
    the caller's own project when its name is ``name`` (or no name is given), else none."""
    project = services_of(request).tokens.own_project(caller)
    shown = project if name is None or name == project.name else None
    query = request.scope.get("query_string", b"").decode("latin-1")
    return json(present.projects(shown, str(request.base_url), query), 200)


@router.delete("/auth/tokens", status_code=204, summary="Revoke the token in X-Subject-Token")
def revoke_token(
    request: Request, x_auth_token: TokenHeader = None, x_subject_token: TokenHeader = None
) -> Response:
    tokens = services_of(request).tokens
    subject = _subject(x_subject_token)
    caller = tokens.caller(sent_token(x_auth_token))
    hold_to_public_hosts(request)
    tokens.revoke(caller, subject)
    return no_content()
