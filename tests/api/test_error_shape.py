"""Every error has the one DataArts envelope, and literal routes do not shadow job names."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.services.container import Services
from support.builders import make_job, make_script
from support.clients import PROJECT_ID, SignedClient

ENVELOPE_KEYS = {"error_code", "error_msg", "errors", "request_id"}
# Shapes the SDK would also read; the server must use exactly one (the snake_case one).
OTHER_SHAPES = {"errorCode", "errorMsg", "code", "message", "detail"}

EXECUTION_CALLS = (
    ("run_once", "POST", "/jobs/daily_sales/run-immediate", {"jobParams": []}),
    ("list_job_instances", "GET", "/jobs/instances/detail", None),
    ("show_job_instance", "GET", "/jobs/daily_sales/instances/42", None),
    ("stop_job_instance", "POST", "/jobs/daily_sales/instances/42/stop", None),
    ("restore_job_instance", "POST", "/jobs/daily_sales/instances/42/restart", None),
    ("execute_script", "POST", "/scripts/daily_sales_sql/execute", {"params": {}}),
    ("list_script_results", "GET", "/scripts/daily_sales_sql/instances/abc", None),
    ("cancel_script", "POST", "/scripts/daily_sales_sql/instances/abc/stop", None),
)


def assert_envelope(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is an error with exactly the DataArts envelope; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict)
    assert set(body) >= ENVELOPE_KEYS, body
    assert not OTHER_SHAPES & set(body), body
    assert isinstance(body["error_code"], str)
    assert isinstance(body["error_msg"], str)
    assert body["error_msg"].strip()
    assert isinstance(body["request_id"], str)
    assert body["request_id"]
    assert body["error_code"] == code, body
    assert body["errors"] == [{"error_code": code, "error_msg": body["error_msg"]}], body
    assert response.headers.get("X-Request-Id") == body["request_id"], "X-Request-Id header"
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    return body


def test_unknown_route_answers_404_apigw_0101(api: SignedClient) -> None:
    body = assert_envelope(api.call("GET", "/no-such-thing"), 404, "APIGW.0101")
    assert set(body) == ENVELOPE_KEYS
    assert "does not exist" in body["error_msg"]
    outside = api.client.get("/v2/whatever")
    assert set(assert_envelope(outside, 404, "APIGW.0101")) == ENVELOPE_KEYS


def test_a_slash_too_many_is_an_unknown_call_not_a_redirect(api: SignedClient) -> None:
    # DeleteJob(JobName: "") sends DELETE …/jobs/: a 307 would read as success to the Go SDK,
    # which follows no redirect, and nothing would be deleted.
    for method, path in (("DELETE", "/jobs/"), ("GET", "/jobs/"), ("PUT", "/resources/")):
        body = assert_envelope(api.call(method, path, {}), 404, "APIGW.0101")
        assert set(body) == ENVELOPE_KEYS


def test_wrong_method_on_a_real_path_answers_404_apigw_0101_as_the_gateway(
    api: SignedClient,
) -> None:
    assert api.call("POST", "/jobs", make_job("load_orders")).status_code == 204
    for method, path in (
        ("PATCH", "/jobs"),
        ("PATCH", "/jobs/load_orders"),
        ("PUT", "/jobs"),
        ("DELETE", "/jobs"),
    ):
        response = api.call(method, path, {})
        body = assert_envelope(response, 404, "APIGW.0101")
        assert set(body) == ENVELOPE_KEYS
        assert f"{method} /v1/{PROJECT_ID}{path}" in body["error_msg"]
        assert "allow" not in response.headers
    assert api.call("GET", "/jobs/load_orders").status_code == 200


def test_head_answers_what_get_answers_without_a_body(api: SignedClient) -> None:
    assert api.call("POST", "/jobs", make_job("load_orders")).status_code == 204
    health = api.client.head("/health")
    assert health.status_code == 200, health.text
    assert health.content == b""
    got = api.call("GET", "/jobs/load_orders")
    head = api.call("HEAD", "/jobs/load_orders")  # signed as HEAD, as a client sends it
    assert head.status_code == 200, head.text
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["content-type"] == got.headers["content-type"]
    missing = api.call("HEAD", "/jobs/no_such_job")
    assert (missing.status_code, missing.content) == (
        api.call("GET", "/jobs/no_such_job").status_code,
        b"",
    )
    assert api.call("HEAD", "/jobs/load_orders/start").status_code == 404  # POST only


def test_invalid_json_body_answers_400_dlf_3051(api: SignedClient) -> None:
    response = api.call("POST", "/jobs", b'{"name": "broken",')
    body = assert_envelope(response, 400, "DLF.3051")
    assert "not valid JSON" in body["error_msg"]
    assert api.call("GET", "/jobs").json()["total"] == 0


def test_a_body_that_is_not_utf8_is_said_so_naming_the_byte(api: SignedClient) -> None:
    body = b'{"name": "sales_\xff"}'
    calls = (("POST", "/jobs"), ("PUT", "/profiles/prod"), ("PUT", "/routes/to-prod"))
    for method, path in (*calls, ("PUT", "/policies/workspace")):
        response = api.call(method, path, body)
        refused = assert_envelope(response, 400, "DLF.3051")
        assert "not UTF-8" in refused["error_msg"], (path, refused)
        assert "offset 16 (0xFF)" in refused["error_msg"], (path, refused)
        assert "surrogates" not in refused["error_msg"], (path, refused)
        assert refused["error_msg"].count("send") <= 1, (path, refused)  # a fix is said once
    assert api.call("GET", "/jobs").json()["total"] == 0


def test_json_array_body_answers_400_dlf_3051(api: SignedClient) -> None:
    for path in ("/jobs", "/scripts", "/resources"):
        response = api.call("POST", path, [make_job()])
        body = assert_envelope(response, 400, "DLF.3051")
        assert "must be a JSON object" in body["error_msg"]
        assert "not an array" in body["error_msg"]  # JSON's words, not Python's (list)
    assert api.call("GET", "/jobs").json()["total"] == 0


def test_missing_body_answers_400_dlf_3051(api: SignedClient) -> None:
    body = assert_envelope(api.call("POST", "/jobs"), 400, "DLF.3051")
    assert "needs a JSON body" in body["error_msg"]


def test_bad_query_parameter_type_answers_400_dlf_3051_with_details(api: SignedClient) -> None:
    response = api.call("GET", "/jobs/any_job", query={"version": "ten"})
    body = assert_envelope(response, 400, "DLF.3051")
    assert "version" in body["error_msg"]
    assert [d["field"] for d in body["details"]] == ["version"]
    page = assert_envelope(api.call("GET", "/jobs", query={"limit": "ten"}), 400, "DLF.3051")
    assert "limit must be a whole number from 1 to 100, not 'ten'" in page["error_msg"]
    assert page["parameter"] == "limit"


@pytest.mark.parametrize(("call", "method", "path", "body"), EXECUTION_CALLS)
def test_execution_calls_answer_501_dlf_9501_naming_the_call(
    api: SignedClient, call: str, method: str, path: str, body: Any
) -> None:
    api.call("POST", "/scripts", make_script())
    api.call("POST", "/jobs", make_job())
    response = api.call(method, path, body)
    envelope = assert_envelope(response, 501, "DLF.9501")
    assert call in envelope["error_msg"]
    assert "not supported" in envelope["error_msg"]
    assert envelope["operation"] == call
    assert api.call("GET", "/jobs").json()["jobs"][0]["status"] == "STOPPED"


def test_execution_calls_still_need_a_valid_signature(api: SignedClient) -> None:
    response = api.as_user("UNKNOWNAK00000000000", "x").call("GET", "/jobs/instances/detail")
    assert_envelope(response, 401, "APIGW.0301")


def test_unknown_system_task_answers_dlf_0810(api: SignedClient) -> None:
    task_id = "0123456789abcdef0123456789abcdef"
    response = api.call("GET", f"/system-tasks/{task_id}")
    body = assert_envelope(response, 400, "DLF.0810")
    assert task_id in body["error_msg"]


def test_authentication_and_permission_errors_have_the_envelope(api: SignedClient) -> None:
    unsigned = api.client.get(f"/v1/{PROJECT_ID}/jobs", headers={"Host": "testserver"})
    assert_envelope(unsigned, 401, "APIGW.0301")
    other = api.call("GET", "/jobs", project_id="fedcba9876543210fedcba9876543210")
    assert_envelope(other, 403, "DLF.6888")
    assert_envelope(api.call("GET", "/jobs", workspace="nowhere"), 400, "DLF.0819")


def test_business_errors_have_the_envelope(api: SignedClient) -> None:
    assert_envelope(api.call("GET", "/jobs/nope"), 400, "DLF.0100")
    missing_script = assert_envelope(api.call("GET", "/scripts/nope"), 400, "DLF.6201")
    # Where the Terraform provider looks for it (JMESPath errors|[0].error_code).
    assert missing_script["errors"][0]["error_code"] == "DLF.6201"
    # DataArts answers a missing resource with 404 (the Terraform provider relies on it).
    assert_envelope(api.call("GET", "/resources/nope"), 404, "DLF.6241")
    assert_envelope(api.call("GET", "/environment/connection/nope"), 400, "DLF.9004")
    api.call("POST", "/jobs", make_job())
    assert_envelope(api.call("POST", "/jobs", make_job()), 400, "DLF.0102")


def test_each_error_has_its_own_request_id(api: SignedClient) -> None:
    first = api.call("GET", "/jobs/nope")
    second = api.call("GET", "/jobs/nope")
    assert first.json()["request_id"] != second.json()["request_id"]


def test_successful_responses_carry_a_request_id_too(api: SignedClient) -> None:
    response = api.call("GET", "/jobs")
    assert response.status_code == 200
    assert response.headers["X-Request-Id"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = api.call("GET", "/jobs")  # answered from memory this time, marked the same
    assert again.headers["X-Content-Type-Options"] == "nosniff"


def test_unexpected_failure_answers_500_dlf_0000_with_the_envelope(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database exploded: secret detail")

    monkeypatch.setattr(services.jobs, "list_jobs", boom)
    response = api.call("GET", "/jobs")
    body = assert_envelope(response, 500, "DLF.0000")
    assert "secret detail" not in response.text
    assert body["request_id"] in body["error_msg"]


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/jobs", {"offset": 10**18}),
        ("/jobs", {"offset": 10**20}),
        ("/scripts", {"offset": 10**18}),
        ("/resources", {"offset": 10**20}),
        ("/audit", {"offset": 10**18}),
    ],
)
def test_an_offset_far_beyond_the_end_is_an_empty_page_or_a_400_never_a_500(
    api: SignedClient, path: str, query: dict[str, Any]
) -> None:
    api.call("POST", "/jobs", make_job())
    response = api.call("GET", path, query=query)
    if response.status_code == 200:
        body = response.json()
        items = next(v for k, v in body.items() if k != "total")
        assert items == []
    else:
        envelope = assert_envelope(response, 400, "DLF.3051")
        assert "offset" in envelope["error_msg"]


def test_a_version_out_of_the_int64_range_answers_400_not_500(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job())
    response = api.call("GET", "/jobs/daily_sales", query={"version": 10**20})
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] in {"DLF.0100", "DLF.3051"}
    assert_envelope(response, 400, response.json()["error_code"])


@pytest.mark.parametrize(
    ("method", "path", "code"),
    [
        ("GET", "/jobs/a%00b", "DLF.0100"),
        ("GET", "/jobs/a%00b/status", "DLF.0100"),
        ("GET", "/scripts/a%00b", "DLF.6201"),
        ("GET", "/resources/a%00b", "DLF.6241"),
        ("GET", "/environment/connection/a%00b", "DLF.9004"),
        ("POST", "/locks/job/a%00b", "DLF.0100"),
        ("PUT", "/workspaces/a%00b", "DLF.0819"),
    ],
)
def test_a_nul_character_in_a_path_name_answers_the_same_error_on_every_backend(
    api: SignedClient, method: str, path: str, code: str
) -> None:
    body = {"lockPolicy": "hard"} if path.startswith("/workspaces") else None
    status = 404 if code == "DLF.6241" else 400
    assert_envelope(api.call(method, path, body), status, code)


@pytest.mark.parametrize(
    ("path", "param"),
    [("/jobs", "jobName"), ("/scripts", "scriptName"), ("/resources", "resourceName")],
)
def test_a_nul_character_in_a_name_filter_matches_nothing_or_is_refused(
    api: SignedClient, path: str, param: str
) -> None:
    api.call("POST", "/jobs", make_job())
    api.call("POST", "/scripts", make_script())
    api.call("POST", "/resources", {"name": "r", "type": "jar", "location": "obs://bkt/r.jar"})
    response = api.call("GET", path, query={param: "\x00"})
    # No stored name can contain NUL: either no match (200, empty) or a 400 — never a 500, and
    # never "everything" (a C-string truncated pattern).
    if response.status_code == 200:
        assert response.json()["total"] == 0, response.text
    else:
        assert_envelope(response, 400, "DLF.3051")


# -- route ordering --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["import", "batch-export", "check-file", "instances"])
def test_a_job_named_like_a_literal_route_is_still_reachable(api: SignedClient, name: str) -> None:
    created = api.call("POST", "/jobs", make_job(name))
    assert created.status_code == 204, created.text
    shown = api.call("GET", f"/jobs/{name}")
    assert shown.status_code == 200, shown.text
    assert shown.json()["name"] == name

    changed = make_job(name, params=[])
    assert api.call("PUT", f"/jobs/{name}", changed).status_code == 204
    assert api.call("GET", f"/jobs/{name}").json()["params"] == []
    assert api.call("GET", f"/jobs/{name}/status").json()["name"] == name
    assert api.call("POST", f"/jobs/{name}/start", {}).status_code == 204
    assert api.call("POST", f"/jobs/{name}/stop").status_code == 204
    assert api.call("DELETE", f"/jobs/{name}").status_code == 204
    assert_envelope(api.call("GET", f"/jobs/{name}"), 400, "DLF.0100")


def test_literal_post_routes_still_answer_for_themselves(api: SignedClient) -> None:
    for name in ("import", "batch-export", "check-file"):
        api.call("POST", "/jobs", make_job(name))
    imported = api.call("POST", "/jobs/import", {})
    assert "path is required" in assert_envelope(imported, 400, "DLF.0802")["error_msg"]
    checked = api.call("POST", "/jobs/check-file", {})
    assert "path is required" in assert_envelope(checked, 400, "DLF.3051")["error_msg"]
    exported = api.call("POST", "/jobs/batch-export", {"jobList": ["import"]})
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"] == "application/octet-stream"
    assert exported.content.startswith(b"PK"), "a zip package"
    for name in ("import", "batch-export", "check-file"):
        assert api.call("GET", f"/jobs/{name}").json()["name"] == name
