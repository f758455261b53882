"""Routes (extension): the remembered path of a promotion between two workspaces."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from jobferry.api import bodies
from jobferry.api.auth import ScopeDep
from jobferry.api.paging import PagingDep
from jobferry.api.presenters.routes import (
    applied_view,
    package_view,
    promotion_view,
    route_plan_view,
    route_view,
)
from jobferry.api.stopping import AnswerIfCut
from jobferry.api.versioned import VersionedDocument, removal_route, version_routes
from jobferry.api.wire import (
    TASK_IN_WORKSPACE,
    BodyDep,
    PreferHeader,
    accepted,
    accepted_response,
    body_doc,
    json,
    parse_object,
    preferred_wait,
    prefers_async,
    task_in_workspace,
)
from jobferry.errors import InvalidRequestError
from jobferry.services.routes.running import Following
from jobferry.services.support.paging import LONG_PAGE, page
from jobferry.web import runner_of, services_of

router = APIRouter(prefix="/v1/{project_id}", tags=["routes (extension)"])

ROUTE_DOC = (
    "route document: {description, source: {workspace} | {carried: true, workspaceId}, "
    "target: {workspace} | {carried: true}, selection: {kind: ALL|FOLDERS|TAGS|NAMES, values, "
    "withUpstream}, profile: name | {inline profile}, sameNamePolicy: AUTO|SKIP|OVERWRITE "
    "(default AUTO), propagateDeletes, onDrift: FAIL|KEEP_TARGET|TAKE_PACKAGE, "
    "scheduling: REFUSE|PAUSE_AND_RESTORE, mode: ATOMIC|PER_OBJECT, requireSignature}"
)


@router.get("/routes", summary="List routes (newest version of each)")
def list_routes(request: Request, scope: ScopeDep) -> Response:
    items = services_of(request).routes.list_all(scope)
    return json({"routes": [route_view(item) for item in items]})


version_routes(
    router,
    "/routes/{name}",
    VersionedDocument(
        noun="route",
        service=lambda services: services.routes,
        present=route_view,
        read=lambda raw: parse_object(raw, required=True, what=ROUTE_DOC),
    ),
    (
        "One route (newest, or ?version=N)",
        "Every version of a route, newest first",
        "Save a new version of a route (project admins)",
    ),
    body_doc("route document", schema=bodies.ROUTE),
)


removal_route(
    router,
    "/routes/{name}",
    "route",
    lambda services: services.routes,
    "Remove a route and its versions",
)


@router.post(
    "/routes/{name}/package",
    summary="Package what changed in the route's source since its last promotion (extension)",
    openapi_extra=body_doc(
        '{"full": true, "out": true} (both optional; full: a carried target or out only, every '
        "selected job, whatever was carried out before; out: a target that is a remote's shadow "
        "refreshed from a snapshot, the package is cut for the remote's side with its basis and "
        "kept in the source's download center)",
        required=False,
    ),
)
def route_package(request: Request, scope: ScopeDep, raw: BodyDep, name: str) -> Response:
    body = parse_object(raw, required=False, what='{"full": true|false, "out": true|false}')
    full, out = body.get("full", False), body.get("out", False)
    for key, value in (("full", full), ("out", out)):
        if not isinstance(value, bool):
            raise InvalidRequestError(f"{key} must be true or false.", parameter=key)
    return json(package_view(services_of(request).promotions.package(scope, name, full, out)))


@router.post(
    "/routes/{name}/promotions",
    summary="Take in a package cut for the route on another server (extension)",
    openapi_extra=body_doc(
        '{"path": "<upload:// path of the package, uploaded to the route\'s target>"}'
    ),
)
def carry_in(request: Request, scope: ScopeDep, raw: BodyDep, name: str) -> Response:
    body = parse_object(raw, required=True, what='{"path"}')
    path = body.get("path")
    if not isinstance(path, str) or not path:
        raise _no_package_path()
    promotions = services_of(request).promotions
    return json(package_view(promotions.carry_in(scope, name, path)))


@router.get("/routes/{name}/promotions", summary="A route's promotions, newest first")
def route_promotions(request: Request, scope: ScopeDep, name: str, paging: PagingDep) -> Response:
    services = services_of(request)
    p = page(paging.limit, paging.offset, services.settings.offset_mode, LONG_PAGE)
    items = services.promotions.history(scope, name, p.limit, p.skip)
    total = services.promotions.listed(scope, name)
    return json({"total": total, "promotions": [promotion_view(item) for item in items]})


@router.post(
    "/routes/{name}/promotions/{promotion_id}",
    summary="Record the import of a promotion's package",
    openapi_extra=body_doc('{"taskId": "<the import task of the promotion\'s package>"}'),
)
def record_promotion(
    request: Request, scope: ScopeDep, raw: BodyDep, name: str, promotion_id: str
) -> Response:
    body = parse_object(raw, required=True, what='{"taskId"}')
    task_id = body.get("taskId")
    if not isinstance(task_id, str) or not task_id:
        raise InvalidRequestError("taskId must name the import task.", parameter="taskId")
    promotions = services_of(request).promotions
    return json(promotion_view(promotions.record(scope, name, promotion_id, task_id)))


@router.post(
    "/routes/{name}/plans",
    summary="Package what changed in the route's source and plan it into its target (extension)",
    description="With Prefer: respond-async (optionally wait=SECONDS, at most 30; 10 by "
    "default), the promotion runs as a task of the route's target workspace: the call answers "
    "as without the header when it ends within that time, else 202 with the task, whose result "
    "names the promotion (promotionId) and its plan (planId, for GET …/plans/{plan_id}; a "
    "large package's planning task, planningTaskId, has ended too), or, with promotionId null, "
    "that nothing changed (source, since); a refused promotion fails the task with the "
    "refusal's errorCode and the envelope's other fields. A call still waiting when its server "
    "process stops (JOBFERRY_SHUTDOWN_SECONDS) answers 202 with the task at once.",
    openapi_extra=body_doc(
        '{"sameNamePolicy", "propagateDeletes", "onDrift", "scheduling", "mode", "profile": '
        "this run's settings over the route's (each optional); \"path\": a package carried "
        "from another server, uploaded to the route's target, for a route whose source is "
        "carried}",
        required=False,
    ),
    responses=accepted_response(TASK_IN_WORKSPACE, "the promotion's planning"),
)
def plan_promotion(
    request: Request, scope: ScopeDep, raw: BodyDep, name: str, prefer: PreferHeader = None
) -> Response:
    body = parse_object(raw, required=False, what="{this run's settings, path}")
    path = body.pop("path", None)
    if path is not None and (not isinstance(path, str) or not path):
        raise _no_package_path()
    if not prefers_async(prefer):
        return json(route_plan_view(runner_of(request).plan_promotion(scope, name, body, path)))
    # A planning task it queues is handed to the task threads by the runs (``queued``).
    runs = services_of(request).promotion_runs
    handover = AnswerIfCut(request.state)  # a stop meanwhile: the call answers the task
    made = runs.plan(scope, name, body, path, wait=preferred_wait(prefer), handover=handover)
    if isinstance(made, Following):
        return accepted(task_in_workspace(made))
    return json(route_plan_view(made))


@router.get(
    "/routes/{name}/plans/{plan_id}",
    summary="The route's promotion waiting for its import, planned as that plan (extension)",
)
def kept_promotion_plan(request: Request, scope: ScopeDep, name: str, plan_id: str) -> Response:
    return json(route_plan_view(services_of(request).route_plans.kept(scope, name, plan_id)))


@router.post(
    "/routes/{name}/plans/{plan_id}/apply",
    summary="Import the route's planned promotion with that plan, recorded on it (extension)",
)
def apply_promotion(request: Request, scope: ScopeDep, name: str, plan_id: str) -> Response:
    return json(applied_view(runner_of(request).apply_promotion(scope, name, plan_id)))


def _no_package_path() -> InvalidRequestError:
    """A ``path`` that names no package (the package of a carried promotion is uploaded first)."""
    return InvalidRequestError(
        "path must name the package uploaded to the route's target workspace "
        "(POST /v1/{project_id}/packages answers it).",
        parameter="path",
    )
