"""Enterprise-mode releases (DataArts Studio factory v2, snake_case): pending items, release
packages (create, list, show, deploy, cancel), jobferry's re-plan of a package, and the review
centre's list of applications."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ScopeDep, WorkspaceScopeDep
from jobferry.api.presenters import releases as present
from jobferry.api.wire import BodyDep, body_doc, empty_ok, json, parse_object
from jobferry.services.releases.approvals import parse_approval_query
from jobferry.services.releases.records import (
    package_ids,
    parse_deploy,
    parse_package_query,
    parse_package_request,
    parse_pending_query,
)
from jobferry.web import runner_of, services_of

router = APIRouter(prefix="/v2/{project_id}/factory", tags=["factory v2: releases"])

PENDING_QUERY = (
    "submit_user_name",
    "item_name",
    "update_type",
    "task_type",
    "start_time",
    "end_time",
    "limit",
    "offset",
)


def package_id_of(value: str, call: str = "show_factory_package_detail") -> int:
    """A package id of the path, checked (``call`` names the call a refusal speaks of)."""
    return package_ids({"package_ids": [value]}, call)[0]


APPROVAL_QUERY = (
    "begin_time",
    "end_time",
    "status",
    "type",
    "apply_id",
    "approver_name",
    "create_user",
    "object_name",
    "object_type",
    "offset",
    "limit",
)


@router.get("/workspaces/approval", summary="list_factory_workspaces_approval")
def list_factory_workspaces_approval(request: Request, scope: WorkspaceScopeDep) -> Response:
    query = parse_approval_query({k: request.query_params.get(k) for k in APPROVAL_QUERY})
    total, found = services_of(request).approvals.applications(scope, query)
    return json(present.applications(total, found))


@router.get("/pending-items", summary="list_factory_pending_items")
def list_factory_pending_items(request: Request, scope: WorkspaceScopeDep) -> Response:
    query = {key: request.query_params.get(key) for key in PENDING_QUERY}
    where, limit, page = parse_pending_query(query)
    total, items = services_of(request).releases.pending(scope, where, limit, page)
    return json(present.pending_items(total, items, scope.actor.project_id))


@router.post(
    "/pending-items/package",
    summary="create_factory_pending_items_package",
    openapi_extra=body_doc(
        "CreateFactoryPendingItemsPackageBody {apply_user_id, package_name, pending_item_list, "
        "approver_ids}"
    ),
)
def create_factory_pending_items_package(
    request: Request, scope: WorkspaceScopeDep, raw: BodyDep
) -> Response:
    body = parse_object(raw, required=True, what="CreateFactoryPendingItemsPackageBody")
    asked, shape = parse_package_request(body)
    return json(present.created(services_of(request).releases.create(scope, asked, shape)))


@router.post(
    "/release-packages",
    summary="list_factory_release_packages",
    openapi_extra=body_doc(
        "ListReleasePackagesRequestBody (every filter optional)", required=False
    ),
)
def list_factory_release_packages(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    query = parse_package_query(parse_object(raw, required=False, what="the filters"))
    total, found = services_of(request).releases.packages(scope, query)
    return json(present.packages(total, found, scope.actor.project_id))


@router.post(
    "/release-packages/deploy",
    summary="deploy_factory_packages",
    openapi_extra=body_doc('DeployFactoryPackagesRequestBody {"package_ids", "startup_mode"}'),
)
def deploy_factory_packages(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    asked = parse_deploy(parse_object(raw, required=True, what='{"package_ids"}'))
    started = services_of(request).releases.deploy(scope, asked)
    runner_of(request).kick(queued_here=True)
    return json(present.deployed(started))


@router.post(
    "/release-packages/unpack",
    summary="cancel_factory_packages",
    openapi_extra=body_doc('CancelFactoryPackagesRequestBody {"package_ids"}'),
)
def cancel_factory_packages(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what='{"package_ids"}')
    services_of(request).releases.cancel(scope, package_ids(body, "cancel_factory_packages"))
    return empty_ok()


@router.get("/release-packages/{package_id}", summary="show_factory_package_detail")
def show_factory_package_detail(request: Request, scope: ScopeDep, package_id: str) -> Response:
    found = services_of(request).releases.show(scope, package_id_of(package_id))
    return json(present.package_detail(found, scope.actor.project_id))


@router.post(
    "/release-packages/{package_id}/plan",
    summary="plan a release package again (extension)",
)
def replan_release_package(request: Request, scope: ScopeDep, package_id: str) -> Response:
    found = services_of(request).releases.replan(scope, package_id_of(package_id))
    return json(present.package_detail(found, scope.actor.project_id))
