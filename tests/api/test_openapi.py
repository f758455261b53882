"""The published interface (/openapi.json) tells the truth: the DataArts error envelope for
every status an operation can answer, the signature as its security scheme, the workspace
header, typed bodies for jobferry's own calls; and schemathesis, sending signed requests built
from it, finds no internal error and no answer the document does not describe."""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (  # type: ignore[attr-defined]
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jobferry.domain.definitions import LOCKED_BY_HEADER
from support import fuzzing
from support.accounts import default_workspace
from support.clients import SignedClient

pytestmark = pytest.mark.fuzz
EXAMPLES = int(os.environ.get("JOBFERRY_FUZZ_EXAMPLES", "3"))
"""Cases per operation: 3 in the suite (a few seconds a database on a quiet machine); raise it
for a deeper run (60 were run once: clean)."""

EXTENSION_BODIES = [
    ("/v1/{project_id}/workspaces", "post"),
    ("/v1/{project_id}/users", "post"),
    ("/v1/{project_id}/users/{user_name}/roles/{workspace_id}", "put"),
    ("/v1/{project_id}/users/{user_name}", "put"),
    ("/v1/{project_id}/environment/{kind}/{name}", "put"),
    ("/v1/{project_id}/trusted-keys", "post"),
    ("/v1/{project_id}/jobs/import/plan", "post"),
    ("/v1/{project_id}/exports", "post"),
    ("/v1/{project_id}/exports/check-names", "post"),
]


def test_every_operation_documents_its_errors_and_signature(api: SignedClient) -> None:
    spec = api.client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    scheme = spec["components"]["securitySchemes"]["sdkHmacSha256"]
    assert scheme["name"] == "Authorization"
    assert "SDK-HMAC-SHA256" in scheme["description"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" not in responses, (path, method)
            for code in ("400", "401", "403", "404", "500"):
                schema = responses[code]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/DataArtsError"}, (path, code)
            if path != "/health":
                assert operation["security"] == [{"sdkHmacSha256": []}]
    show = spec["paths"]["/v1/{project_id}/jobs/{job_name}"]["get"]
    header = next(p for p in show["parameters"] if p["name"] == "workspace")
    assert (header["in"], header["required"]) == ("header", False)
    for path, method in EXTENSION_BODIES:
        body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
        assert body["schema"]["properties"], (path, method)


def test_the_document_is_public_and_the_docs_page_runs_in_an_origin_of_its_own(
    api: SignedClient,
) -> None:
    document = api.client.get("/openapi.json")
    assert document.status_code == 200
    assert document.headers["Access-Control-Allow-Origin"] == "*"
    assert "/docs" not in document.json()["paths"]
    page = api.client.get("/docs")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts ")
    assert "allow-same-origin" not in policy  # its scripts never act as this origin
    assert "frame-ancestors 'none'" in policy
    assert "/openapi.json" in page.text


def test_the_docs_page_loads_swagger_ui_from_this_server_and_offers_no_calls(
    api: SignedClient,
) -> None:
    """An air-gapped server has no CDN: the page's script and style come from this server."""
    page = api.client.get("/docs").text
    assert "https://" not in page  # nothing fetched from elsewhere
    assert '"supportedSubmitMethods": []' in page
    for name, kind in (
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("favicon.png", "image/png"),
    ):
        assert f"/docs/static/{name}" in page
        asset = api.client.get(f"/docs/static/{name}")
        assert asset.status_code == 200, name
        assert asset.headers["content-type"].startswith(kind)
        assert len(asset.content) > 100
    assert b"SwaggerUIBundle" in api.client.get("/docs/static/swagger-ui-bundle.js").content
    other = api.client.get("/docs/static/..%2f..%2fcore.py")
    assert other.status_code == 404
    assert other.json()["error_code"] == "APIGW.0101"


def test_the_document_names_the_conditions_tasks_and_remote_failures_answered(
    api: SignedClient,
) -> None:
    spec = api.client.get("/openapi.json").json()
    paths = spec["paths"]
    error = {"$ref": "#/components/schemas/DataArtsError"}

    def answer(path: str, method: str, status: str) -> dict[str, Any]:
        found: dict[str, Any] = paths[path][method]["responses"][status]
        return found

    def header_names(path: str, method: str) -> set[str]:
        return {p["name"] for p in paths[path][method]["parameters"] if p["in"] == "header"}

    v1 = "/v1/{project_id}"
    versioned = (f"{v1}/profiles/{{name}}", f"{v1}/routes/{{name}}", f"{v1}/policies/workspace")
    for path in (*versioned, f"{v1}/policies/routes/{{name}}"):
        for method in ("get", "put"):
            assert "ETag" in answer(path, method, "200")["headers"], (path, method)
        stale = answer(path, "put", "412")
        assert "DLF.9018" in stale["description"]
        assert stale["content"]["application/json"]["schema"] == error
        assert {"If-Match", "If-None-Match"} <= header_names(path, "put")
    for path in versioned[:2]:
        assert "DLF.9018" in answer(path, "delete", "412")["description"]
        assert "If-Match" in header_names(path, "delete")
    for path, fields in (
        (f"{v1}/system-tasks/{{task_id}}/rollback", {"taskId", "rollbackOf"}),
        (f"{v1}/remotes/{{name}}/refresh", {"taskId", "workspace"}),
        ("/v2/{project_id}/factory/release-packages/{package_id}/rollback", {"task_id"}),
    ):
        queued = answer(path, "post", "202")
        schema = queued["content"]["application/json"]["schema"]
        assert fields <= set(schema["properties"]), path
        assert "Preference-Applied" in queued["headers"]
    for path in (f"{v1}/remotes/{{name}}/refresh", f"{v1}/system-tasks/{{task_id}}/rollback"):
        failed = answer(path, "post", "502")
        assert "DLF.9062" in failed["description"]
        assert failed["content"]["application/json"]["schema"] == error
    assert "a method the path does not serve" in answer(f"{v1}/jobs", "get", "404")["description"]


def test_the_calls_naming_a_lock_passed_over_declare_its_header(api: SignedClient) -> None:
    # Under the soft lock policy a save, rename, delete, restore or submit passing over another
    # user's lock names them in X-Jobferry-Locked-By; the document did not say so (nor, at
    # first, of the restore).
    paths = api.client.get("/openapi.json").json()["paths"]
    v1 = "/v1/{project_id}"
    declared = {
        (path, method, status)
        for path, operations in paths.items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if LOCKED_BY_HEADER in answer.get("headers", {})
    }
    assert declared == {
        (f"{v1}/jobs/{{job_name}}", "put", "204"),
        (f"{v1}/jobs/{{job_name}}", "delete", "204"),
        (f"{v1}/scripts/{{script_name}}", "put", "204"),
        (f"{v1}/scripts/{{script_name}}", "delete", "204"),
        ("/v2/{project_id}/factory/jobs/{job_name}/rename", "put", "200"),
        (f"{v1}/jobs/{{job_name}}/versions/{{version}}/restore", "post", "200"),
        (f"{v1}/scripts/{{script_name}}/versions/{{version}}/restore", "post", "200"),
        (f"{v1}/jobs/{{job_name}}/submit", "post", "200"),
        (f"{v1}/scripts/{{script_name}}/submit", "post", "200"),
    }
    for path, method, status in declared:
        header = paths[path][method]["responses"][status]["headers"][LOCKED_BY_HEADER]
        assert header["schema"] == {"type": "string"}
        assert "soft lock policy" in header["description"]
        assert paths[path][method]["responses"][status]["description"]


def _signed_call(api: SignedClient, case: Any, workspace: str) -> Any:
    """Send a generated case as the SDK would: real project, signed, the body's exact bytes."""
    if "project_id" in (case.path_parameters or {}):
        case.path_parameters["project_id"] = api.project_id
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    url = urlsplit(kwargs["url"])
    params = {
        str(k): str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in (kwargs.get("params") or {}).items()
    }
    query = "&".join(
        f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(params.items())
    )
    if "json" in kwargs:
        body = json.dumps(kwargs["json"], ensure_ascii=False).encode()
    else:
        raw = kwargs.get("data") or kwargs.get("content") or b""
        body = raw.encode() if isinstance(raw, str) else bytes(raw)
    headers = {
        "Host": "testserver",
        "Content-Type": kwargs["headers"].get("Content-Type", "application/json"),
        "X-Project-Id": api.project_id,
    }
    if case.headers and "workspace" in case.headers:
        headers["workspace"] = workspace
    headers.update(api.signer.sign(case.method, url.path, query, headers, body, api.ak, api.sk))
    target = url.path + (f"?{query}" if query else "")
    return api.client.request(case.method, target, content=body, headers=headers)


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    api: SignedClient,
) -> None:
    schema = schemathesis.openapi.from_dict(api.client.get("/openapi.json").json())
    workspace = default_workspace(api)
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=fuzzing.derandomized(EXAMPLES, fixed_up_to=3),
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = _signed_call(api, case, workspace)
            # 501 (a DataArts call jobferry does not serve) is a documented answer, not a crash
            assert response.status_code != 500, (case.method, case.path, response.text)
            case.validate_response(
                response,
                checks=[
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )

        check()
        checked += 1
    assert checked > 80
