"""Package signing keys (extension): the workspace's own Ed25519 key and the keys it trusts."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api import bodies
from jobferry.api.auth import ScopeDep
from jobferry.api.presenters import workspaces as present
from jobferry.api.wire import BodyDep, body_doc, json, no_content, parse_object
from jobferry.services.workspaces.keys import parse_distrust, parse_trust
from jobferry.web import services_of

router = APIRouter(prefix="/v1/{project_id}", tags=["signing keys (extension)"])


@router.post("/signing-key", summary="Create (or replace) the workspace's Ed25519 signing key")
def create_signing_key(request: Request, scope: ScopeDep) -> Response:
    return json(present.signing_key(services_of(request).keys.create_signing_key(scope)))


@router.get("/signing-key", summary="The public half of the workspace's signing key")
def get_signing_key(request: Request, scope: ScopeDep) -> Response:
    return json(present.signing_key(services_of(request).keys.signing_key(scope)))


@router.delete("/signing-key", status_code=204, summary="Stop signing the workspace's exports")
def delete_signing_key(request: Request, scope: ScopeDep) -> Response:
    services_of(request).keys.delete_signing_key(scope)
    return no_content()


@router.get(
    "/trusted-keys",
    summary="Public keys whose signatures imports accept (with distrusted=true: and those the "
    "workspace distrusts, marked)",
)
def list_trusted_keys(request: Request, scope: ScopeDep, distrusted: bool = False) -> Response:
    found = services_of(request).keys.trusted(scope, distrusted=distrusted)
    return json({"keys": [present.trusted_key(k) for k in found]})


@router.post(
    "/trusted-keys",
    summary="Trust a public key",
    openapi_extra=body_doc("trusted key", schema=bodies.TRUSTED_KEY),
)
def trust_key(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    keys = services_of(request).keys
    keys.allow_trust(scope)  # the role before the body
    body = parse_object(raw, required=True, what='{"name", "publicKey"}')
    added = keys.trust(scope, parse_trust(body))
    return json(present.trusted_key(added))


@router.delete(
    "/trusted-keys/{key_id}",
    status_code=204,
    summary="Distrust a key: it is remembered, and packages it signs are refused",
)
def distrust_key(request: Request, scope: ScopeDep, key_id: str) -> Response:
    services_of(request).keys.distrust(scope, key_id)
    return no_content()


@router.post(
    "/trusted-keys/distrust",
    summary="Distrust a public key, trusted here or not: it is remembered, and packages it "
    "signs are refused",
    openapi_extra=body_doc("key to distrust", schema=bodies.DISTRUSTED_KEY),
)
def distrust_public_key(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    keys = services_of(request).keys
    keys.allow_trust(scope)  # the role before the body
    body = parse_object(raw, required=True, what='{"publicKey", "name"}')
    marked = keys.distrust_public_key(scope, parse_distrust(body))
    return json(present.trusted_key(marked))
