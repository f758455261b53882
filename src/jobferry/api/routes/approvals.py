"""Signed approvals (extension): users' approval keys, a workspace's approval rule, and the
approvals of a release package (read as an approvals file, or one more signed)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api.auth import ActorDep, ScopeDep
from jobferry.api.presenters import approvals as present
from jobferry.api.routes.releases import package_id_of
from jobferry.api.wire import BodyDep, body_doc, json, parse_object
from jobferry.domain.releases import StartupMode
from jobferry.services.approving import parse_signed
from jobferry.services.context import require_same_project
from jobferry.services.releases.approval_keys import parse_key
from jobferry.services.releases.records import startup_mode
from jobferry.web import file_download, runner_of, services_of

router = APIRouter(tags=["approvals (extension)"])
V1 = "/v1/{project_id}"
PACKAGE = "/v2/{project_id}/factory/release-packages/{package_id}/approvals"
SIGNED = '{"keyId", "planHash", "signature"}'


@router.post(
    f"{V1}/users/me/approval-keys",
    summary="Register one of the caller's approval keys",
    openapi_extra=body_doc('{"publicKey", "name"}'),
)
def register_approval_key(
    request: Request, project_id: str, actor: ActorDep, raw: BodyDep
) -> Response:
    require_same_project(actor, project_id)
    key = parse_key(parse_object(raw, required=True, what='{"publicKey"}'))
    return json(present.approval_key(services_of(request).approval_keys.register(actor, key)))


@router.get(f"{V1}/users/me/approval-keys", summary="The caller's approval keys")
def list_my_approval_keys(request: Request, project_id: str, actor: ActorDep) -> Response:
    require_same_project(actor, project_id)
    return json(present.approval_keys(services_of(request).approval_keys.mine(actor)))


@router.delete(f"{V1}/users/me/approval-keys/{{key_id}}", summary="Revoke an approval key")
def revoke_approval_key(
    request: Request, project_id: str, key_id: str, actor: ActorDep
) -> Response:
    require_same_project(actor, project_id)
    return json(present.approval_key(services_of(request).approval_keys.revoke(actor, key_id)))


@router.get(f"{V1}/approval-keys", summary="The approval keys of the workspace's members")
def list_member_approval_keys(request: Request, scope: ScopeDep) -> Response:
    return json(present.approval_keys(services_of(request).approval_keys.members(scope)))


@router.get(f"{V1}/approval-rule", summary="How many approvals the workspace's packages need")
def show_approval_rule(request: Request, scope: ScopeDep) -> Response:
    return json({"requireApprovals": services_of(request).release_approvals.rule(scope)})


@router.put(
    f"{V1}/approval-rule",
    summary="Set how many approvals the workspace's packages need",
    openapi_extra=body_doc('{"requireApprovals": N}'),
)
def set_approval_rule(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what='{"requireApprovals"}')
    count = services_of(request).release_approvals.set_rule(scope, body)
    return json({"requireApprovals": count})


@router.get(PACKAGE, summary="A release package's approvals file")
def show_package_approvals(request: Request, scope: ScopeDep, package_id: str) -> Response:
    found = services_of(request).release_approvals.approvals(scope, package_id_of(package_id))
    return json(found.document())


@router.post(
    PACKAGE, summary="Approve a release package: sign its plan", openapi_extra=body_doc(SIGNED)
)
def approve_package(request: Request, scope: ScopeDep, package_id: str, raw: BodyDep) -> Response:
    signed = parse_signed(parse_object(raw, required=True, what=SIGNED))
    approvals = services_of(request).release_approvals
    return json(approvals.approve(scope, package_id_of(package_id), signed).document())


ROUTE_PLAN = f"{V1}/routes/{{name}}/plans/{{plan_id}}/approvals"


@router.get(ROUTE_PLAN, summary="A route plan's approvals file")
def show_route_plan_approvals(
    request: Request, project_id: str, actor: ActorDep, name: str, plan_id: str
) -> Response:
    require_same_project(actor, project_id)
    found = services_of(request).route_approvals.approvals(actor, name, plan_id)
    return json(found.document())


@router.post(
    ROUTE_PLAN, summary="Approve a route's plan: sign its plan hash", openapi_extra=body_doc(SIGNED)
)
def approve_route_plan(
    request: Request, project_id: str, actor: ActorDep, name: str, plan_id: str, raw: BodyDep
) -> Response:
    require_same_project(actor, project_id)
    signed = parse_signed(parse_object(raw, required=True, what=SIGNED))
    approvals = services_of(request).route_approvals
    return json(approvals.approve(actor, name, plan_id, signed).document())


@router.get(
    f"{PACKAGE.removesuffix('/approvals')}/signed-release",
    summary="A release package with its approvals, as one signed release file (zip)",
)
def export_signed_release(request: Request, scope: ScopeDep, package_id: str) -> Response:
    path = services_of(request).carried_releases.export(scope, package_id_of(package_id))
    return file_download(path, f"release-{package_id}.zip")


@router.post(
    "/v2/{project_id}/factory/release-packages/signed-release",
    summary="Take a signed release file (uploaded) into production: planned here, imported "
    "only with the approved plan hash and approvals verified with trusted keys",
    openapi_extra=body_doc(
        '{"path": the uploaded signed release file, "startup_mode": 0 (leave scheduling, the '
        "default) or 1 (start the new batch jobs)}"
    ),
)
def take_in_signed_release(request: Request, scope: ScopeDep, raw: BodyDep) -> Response:
    body = parse_object(raw, required=True, what='{"path", "startup_mode"}')
    startup = startup_mode(body, "signed-release", StartupMode.LEAVE)
    services = services_of(request)
    taken = services.carried_releases.take_in(scope, body.get("path"), startup)
    runner_of(request).kick(queued_here=True)
    return json(
        {
            "taskId": taken.task_id,
            "planId": taken.plan_id,
            "planHash": taken.plan_hash,
            "approvals": taken.approvals,
        }
    )
