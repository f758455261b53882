"""IAM tokens (``POST``, ``GET``, ``DELETE /v3/auth/tokens``, ``GET /v3/auth/catalog``): the
clients that authenticate with ``X-Auth-Token`` get their token here, from a user's console
password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from jobferry.api.presenters import tokens as present
from jobferry.api.wire import BodyDep, json, no_content, parse_object
from jobferry.errors import RequiredParameterError
from jobferry.services.accounts.tokenrequest import parse_password_auth
from jobferry.services.accounts.tokens import TokenGrant
from jobferry.web import services_of

router = APIRouter(prefix="/v3/auth", tags=["IAM tokens"])

TokenHeader = Annotated[str | None, Header(description="an IAM token of this server")]

_BODY = '{"auth": {"identity": {"methods": ["password"], ...}, "scope": {"project": {"id"}}}}'


def _answer(request: Request, token: str, grant: TokenGrant, nocatalog: str | None) -> Response:
    body = present.token(grant, str(request.base_url), catalog=not nocatalog)
    response = json(body, 201 if request.method == "POST" else 200)
    response.headers["X-Subject-Token"] = token
    return response


@router.post(
    "/tokens",
    status_code=201,
    summary="Get an IAM token with a user's password (the token is in X-Subject-Token)",
)
def issue_token(request: Request, raw: BodyDep, nocatalog: str | None = None) -> Response:
    auth = parse_password_auth(parse_object(raw, required=True, what=_BODY))
    token, grant = services_of(request).tokens.issue(auth)
    return _answer(request, token, grant, nocatalog)


def _subject(subject: str | None) -> str:
    if not subject:
        raise RequiredParameterError(
            "This call needs the X-Subject-Token header: the token to validate or revoke.",
            parameter="X-Subject-Token",
        )
    return subject


@router.get("/tokens", summary="Validate the token in X-Subject-Token")
def validate_token(
    request: Request,
    x_auth_token: TokenHeader = None,
    x_subject_token: TokenHeader = None,
    nocatalog: str | None = None,
) -> Response:
    tokens = services_of(request).tokens
    subject = _subject(x_subject_token)
    grant = tokens.validate(tokens.caller(x_auth_token or ""), subject)
    return _answer(request, subject, grant, nocatalog)


@router.get("/catalog", summary="The service catalog of the X-Auth-Token's project")
def token_catalog(
    request: Request, authorization: TokenHeader = None, x_auth_token: TokenHeader = None
) -> Response:
    grant = services_of(request).tokens.own_grant(authorization, x_auth_token or "")
    return json(present.catalog(grant, str(request.base_url)), 200)


@router.delete("/tokens", status_code=204, summary="Revoke the token in X-Subject-Token")
def revoke_token(
    request: Request, x_auth_token: TokenHeader = None, x_subject_token: TokenHeader = None
) -> Response:
    tokens = services_of(request).tokens
    subject = _subject(x_subject_token)
    tokens.revoke(tokens.caller(x_auth_token or ""), subject)
    return no_content()
