"""Environment profiles (extension): the renames and parameters an import applies, saved as
versions in the target workspace, and the check that a profile is enough for a package."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api import bodies
from jobferry.api.auth import ScopeDep
from jobferry.api.presenters import imports as present_imports
from jobferry.api.presenters import workspaces as present
from jobferry.api.versioned import (
    VersionedDocument,
    removal_route,
    required_document,
    version_routes,
)
from jobferry.api.wire import BodyDep, body_doc, json, parse_object
from jobferry.services.importing.request import parse_import_request
from jobferry.web import services_of

router = APIRouter(prefix="/v1/{project_id}", tags=["profiles (extension)"])

PROFILE_DOC = (
    "profile document (JSON, or YAML with Content-Type application/yaml): {description, "
    "renames: {connection|dli_queue|cdm_cluster|mrs_cluster|dis_stream|ges_graph|"
    "resource_group|agency|quality_rule|workspace: {old: new}}, params, workspaceParams, "
    "executeUser, owner, directory: {from, to}, timeZone: {zone, mode, sourceZone}}"
)


@router.get("/profiles", summary="List environment profiles")
def list_profiles(request: Request, scope: ScopeDep) -> Response:
    found = services_of(request).profiles.list_all(scope)
    return json({"profiles": [present.profile(p) for p in found]})


@router.post(
    "/profiles/check",
    summary="Is this profile enough for this package? (completeness report)",
    openapi_extra=body_doc("profile check (an import request)", schema=bodies.IMPORT),
)
def check_profile(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what="profile check")
    report = services_of(request).imports.check_profile(scope, parse_import_request(body))
    return json(present_imports.profile_check_view(report))


version_routes(
    router,
    "/profiles/{name}",
    VersionedDocument(
        noun="profile",
        service=lambda services: services.profiles,
        present=present.profile,
        read=lambda raw: required_document(raw, f"profile document ({PROFILE_DOC})"),
    ),
    (
        "One environment profile (newest, or ?version=N)",
        "Every version of a profile",
        "Save a new version of a profile",
    ),
    body_doc("profile document", schema=bodies.PROFILE),
)


removal_route(
    router,
    "/profiles/{name}",
    "profile",
    lambda services: services.profiles,
    "Remove a profile and its versions",
)
