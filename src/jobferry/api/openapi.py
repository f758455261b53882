"""The published interface: what every operation really answers, and how it is signed.

FastAPI documents 200/204 and a 422 jobferry never sends; here every operation gets the
DataArts error envelope for the statuses it can answer, the ``workspace`` header where the call
reads it, and the AK/SK signature as its security scheme.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from jobferry.api.auth import scoped, workspace_scoped
from jobferry.api.wire import ERROR_REF

ERROR = {
    "type": "object",
    "required": ["error_code", "error_msg"],
    "properties": {
        "error_code": {"type": "string", "examples": ["DLF.0100"]},
        "error_msg": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"error_code": {"type": "string"}, "error_msg": {"type": "string"}},
            },
        },
        "request_id": {"type": "string"},
        "problem": {
            "type": "string",
            "description": "With a remedy: the problem alone (error_msg adds the API's fix).",
        },
        "remedy": {
            "type": "string",
            "description": "What kind of fix error_msg's names (list_routes, follow_task, …), "
            "for a client that says it in its own terms.",
        },
    },
    "additionalProperties": True,
    "description": "The DataArts error envelope; extra fields name the parameter or objects.",
}
ERRORS = {
    "400": "Invalid request, unknown object or a clash with stored state (DLF.*)",
    "401": "Signature, access key, date or project header not acceptable (APIGW.0301)",
    "403": "The caller's role does not allow the call, or it is switched off (DLF.6888, DLF.9050)",
    "404": "No such resource (DLF.6241), or no such API: an unknown path, or a method the path "
    "does not serve (APIGW.0101, as the API gateway answers it)",
    "413": "The body (an uploaded package) is larger than the server accepts (DLF.9413)",
    "500": "Unexpected failure; the server log has it under the request id (DLF.0000)",
    "501": "A DataArts call jobferry does not serve (DLF.9501)",
    "503": "The database is not available (DLF.9503)",
    "507": "A store (database, packages, uploads, scratch folder) is full (DLF.9507)",
}
SIGNING = (
    "Huawei Cloud AK/SK signing (SDK-HMAC-SHA256), as the official SDKs sign: "
    "`Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<names>, Signature=<hex>` over "
    "the method, the canonical path and query, the signed headers (which must include "
    "`x-sdk-date`; `host` may be left out, as Go clients do) and the SHA-256 of the body "
    "(`X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD` only for multipart uploads). `X-Sdk-Date` must "
    "be within the server's clock skew; a state-changing call's signature is accepted once. "
    "The Go SDK gophertelekomcloud's own form is accepted too: `Credential=<AK>/<YYYYMMDD>/"
    "<region>/<service>/sdk_request` with a key derived from `SDK`+SK over that scope."
)
SCHEME = "sdkHmacSha256"


def _workspace_use(dependant: Dependant) -> str | None:
    for sub in dependant.dependencies:
        if sub.call is workspace_scoped:
            return "required"
        if sub.call is scoped:
            return "optional"
        found = _workspace_use(sub)
        if found:
            return found
    return None


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every APIRoute, also inside included routers (kept whole by FastAPI, prefixes applied
    to their routes' paths already)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found += _api_routes(list(inner.routes))
    return found


def _workspace_header(required: bool) -> dict[str, Any]:
    return {
        "name": "workspace",
        "in": "header",
        "required": required,
        "schema": {"type": "string"},
        "description": "Workspace id (GET /v1/{project_id}/workspaces/{project_id} lists them)"
        + ("" if required else "; absent: the project's default workspace"),
    }


def _document(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    uses = {
        (route.path_format, method.lower()): _workspace_use(route.dependant)
        for route in _api_routes(app.routes)
        for method in route.methods or ()
    }
    error = {"application/json": {"schema": {"$ref": ERROR_REF}}}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for code, text in ERRORS.items():
                responses.setdefault(code, {"description": text, "content": error})
            if path != "/health":
                operation["security"] = [{SCHEME: []}]
            use = uses.get((path, method))
            if use is not None:
                parameters = operation.setdefault("parameters", [])
                parameters.append(_workspace_header(use == "required"))
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["DataArtsError"] = ERROR
    components["securitySchemes"] = {
        SCHEME: {"type": "apiKey", "in": "header", "name": "Authorization", "description": SIGNING}
    }
    return spec


def install_openapi(app: FastAPI) -> None:
    """Serve the document built here at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
