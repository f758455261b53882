"""Policies (extension): the rules every plan into a workspace or along a route keeps, saved as
versions; the workspace's is the one the ``workspace`` header names, a route's the project's
route of that name."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api import bodies
from jobferry.api.auth import ScopeDep
from jobferry.api.presenters.policies import policy
from jobferry.api.versioned import (
    SAVED,
    TAGGED,
    ExpectedDep,
    VersionedDocument,
    required_document,
    tagged,
    version_routes,
)
from jobferry.api.wire import BodyDep, VersionQuery, body_doc, json
from jobferry.web import services_of

router = APIRouter(prefix="/v1/{project_id}", tags=["policies (extension)"])

POLICY_DOC = (
    "policy document (JSON, or YAML with Content-Type application/yaml): {description, "
    "maxDeletions, protectedConnections, naming: {jobs, scripts}, owners, freeze: [{from, to, "
    "zone} | {days, zone}]}"
)


@router.get("/policies", summary="The workspace's policy and every route's (newest versions)")
def list_policies(request: Request, scope: ScopeDep) -> Response:
    found = services_of(request).policies.list_all(scope)
    return json({"policies": [policy(p) for p in found]})


@router.get(
    "/policies/workspace",
    summary="The workspace's policy (newest, or ?version=N)",
    responses=TAGGED,
)
def get_workspace_policy(
    request: Request, scope: ScopeDep, version: VersionQuery = None
) -> Response:
    found = services_of(request).policies.get(scope, None, version)
    return tagged(json(policy(found)), found)


@router.get("/policies/workspace/versions", summary="Every version of the workspace's policy")
def workspace_policy_versions(request: Request, scope: ScopeDep) -> Response:
    found = services_of(request).policies.versions(scope, None)
    return json({"versions": [policy(v) for v in found]})


@router.put(
    "/policies/workspace",
    summary="Save a new version of the workspace's policy",
    openapi_extra=body_doc("policy document", schema=bodies.POLICY),
    responses=SAVED,
)
def put_workspace_policy(
    request: Request, scope: ScopeDep, raw: BodyDep, expected: ExpectedDep
) -> Response:
    saved = services_of(request).policies.put(scope, None, _document(raw), expected)
    return tagged(json(policy(saved)), saved)


def _document(raw: bytes) -> bytes:
    return required_document(raw, f"policy document ({POLICY_DOC})")


version_routes(
    router,
    "/policies/routes/{name}",
    VersionedDocument(
        noun="route_policy",
        service=lambda services: services.policies,
        present=policy,
        read=_document,
    ),
    (
        "A route's policy (newest, or ?version=N)",
        "Every version of a route's policy",
        "Save a new version of a route's policy",
    ),
    body_doc("policy document", schema=bodies.POLICY),
)
