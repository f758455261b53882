"""The FastAPI application: routes in the order the DataArts paths need, one error handler."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response

import jobferry
from jobferry.api.bodylimit import BodyLimit
from jobferry.api.docspage import install_docs
from jobferry.api.errors import install_error_handlers, request_id
from jobferry.api.fastpath import kept_paths
from jobferry.api.middleware import RequestMiddleware
from jobferry.api.openapi import install_openapi
from jobferry.api.routes import (
    admin,
    approvals,
    connections,
    data_connections,
    drift,
    environment,
    execution,
    factory,
    instances,
    jobs,
    keys,
    ledger,
    members,
    policies,
    profiles,
    releases,
    remotes,
    resources,
    rollback,
    routes,
    scripts,
    tokens,
    transfer,
    unserved,
)
from jobferry.api.stopping import Stop
from jobferry.api.wire import json
from jobferry.errors import StorageError
from jobferry.services.container import Services
from jobferry.storage.schema import head_revision
from jobferry.tasks.runner import TaskRunner
from jobferry.web import services_of

log = logging.getLogger("jobferry.api")

DESCRIPTION = """\
Wire-compatible with the DataArts Factory v1 job API (scripts written against the official
`huaweicloudsdkdgc` SDK work unchanged: only the endpoint and credentials differ), plus
jobferry's extensions under the same `/v1/{project_id}/` prefix. Every call is signed with the
SDK's AK/SK algorithm (SDK-HMAC-SHA256), or carries an IAM token (`X-Auth-Token`) from
`POST /v3/auth/tokens`. Errors are `{"error_code", "error_msg", ...}`.
"""

# In registration order. FastAPI matches a request against each router's routes in turn, so
# the calls DataArts clients poll most (show and list of jobs, scripts, resources) come first.
# No route of those routers takes a path another router spells literally with the same method
# and as many segments (/jobs/import, /jobs/batch-export, /jobs/check-file,
# /jobs/instances/detail are all told apart from /jobs/{job_name}…), so the order changes
# nothing but the cost of matching; tests/api/test_routing_order.py keeps it so.
ROUTERS = (
    jobs,
    scripts,
    resources,
    transfer,
    rollback,
    profiles,
    policies,
    keys,
    routes,
    remotes,
    execution,
    environment,
    connections,
    data_connections,
    factory,
    releases,
    approvals,
    ledger,
    admin,
    instances,
    members,
    drift,
    tokens,
    unserved,
)


def create_app(services: Services, runner: TaskRunner) -> FastAPI:
    """Build the app over already-wired services and a task runner."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        wired: TaskRunner = app.state.runner  # not the argument: tests re-wire one app
        wired.start()
        yield
        wired.shutdown()
        app.state.stop.log_cut()
        app.state.stop.leave_cut_calls()

    app = FastAPI(
        lifespan=lifespan,
        title="jobferry",
        version=jobferry.__version__,
        description=DESCRIPTION,
        openapi_url=None,  # served by install_docs, with /docs kept out of this origin
        docs_url=None,
        redoc_url=None,
        # A path with a slash too many (``DELETE …/jobs/`` when a name came out empty) is an
        # unknown call, answered in the envelope: the SDKs do not follow a redirect, and the
        # Go SDK takes a 307 for success.
        redirect_slashes=False,
    )
    app.state.services = services
    app.state.runner = runner
    install_error_handlers(app)

    # Added first, so it runs inside the request middleware (request id, access log).
    app.add_middleware(BodyLimit, max_package_bytes=services.settings.import_max_package_bytes)
    app.state.stop = stop = Stop(services.settings.shutdown_seconds)
    app.add_middleware(RequestMiddleware, stop=stop)

    for module in ROUTERS:
        app.include_router(module.router)
    app.state.kept_paths = kept_paths(module.router for module in ROUTERS)

    install_openapi(app)
    install_docs(app)

    @app.get("/health", tags=["operations"], summary="Liveness and database check")
    def health(request: Request) -> Response:
        services = services_of(request)
        database = services.database_state()
        state = "ok" if database.answers else "unavailable"
        body: dict[str, Any] = {
            "status": state,
            "version": jobferry.__version__,
            "schema": head_revision(),
            "packageStore": services.store_health.state(),
            "database": {"kind": database.kind, "state": state},
        }
        if database.answers:
            return json(body)
        rid = request_id(request)
        log.warning("GET /health (request %s): %s", rid, database.problem)
        refusal = StorageError(
            f"The database ({database.kind}) does not answer; the server log says why under "
            f"request id {rid}."
        )
        return json({**body, **refusal.envelope(), "request_id": rid}, refusal.status)

    return app
