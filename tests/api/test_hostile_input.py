"""Input that used to cause internal errors: deep nesting, NUL characters, odd property names.
Each is a clear 4xx (or an import task FAILED naming the entry and rule) and changes nothing."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson
import pytest

from jobferry.domain.jsonlimits import MAX_DEPTH
from support.accounts import new_user
from support.builders import make_job, make_script
from support.clients import ADMIN_AK, PROJECT_ID, SignedClient, assert_error
from support.disconnects import post_then_leave
from support.importing import run_import, upload
from support.packages import write_package


def nested(depth: int) -> Any:
    """Lists ``depth`` levels deep."""
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def deep_job(depth: int) -> dict[str, Any]:
    job = make_job("deep_job")
    job["basicConfig"]["customFields"] = {"deep": nested(depth - 3)}  # 3 levels above it
    return job


def job_count(api: SignedClient) -> int:
    listed = api.call("GET", "/jobs")
    assert listed.status_code == 200, listed.text
    total: int = listed.json()["total"]
    return total


def test_a_body_nested_past_the_limit_is_refused_naming_the_rule(api: SignedClient) -> None:
    response = api.call("POST", "/jobs", deep_job(MAX_DEPTH + 1))
    assert_error(response, "DLF.3051", "json.depth", f"more than {MAX_DEPTH} levels")
    assert job_count(api) == 0


@pytest.mark.parametrize("depth", [300, 1000, 5000])
def test_bodies_deeper_than_any_writer_handles_are_refused_not_500(
    api: SignedClient, depth: int
) -> None:
    text = "[" * depth + "]" * depth
    body = b'{"name": "deep", "nodes": ' + text.encode() + b"}"
    for method, path in (("POST", "/jobs"), ("POST", "/scripts")):
        assert_error(api.call(method, path, body), "DLF.3051")
    put = api.call("PUT", "/environment/connection/x", b'{"config": ' + text.encode() + b"}")
    assert_error(put, "DLF.3051")
    assert job_count(api) == 0


def test_a_body_at_the_limit_is_accepted(api: SignedClient) -> None:
    response = api.call("POST", "/jobs", deep_job(MAX_DEPTH))
    assert response.status_code == 204, response.text


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/jobs", {**make_job("nul_dir"), "directory": "/a\u0000b"}),
        ("/scripts", {**make_script("nul_script"), "directory": "/a\u0000"}),
        ("/jobs/batch-export", {"jobList": ["a\u0000"]}),
        ("/jobs/import", {"path": "upload://a\u0000"}),
    ],
)
def test_nul_characters_in_bodies_are_refused_on_both_databases(
    api: SignedClient, path: str, body: dict[str, Any]
) -> None:
    assert_error(api.call("POST", path, body), "DLF.3051", "NUL", "json.nul")
    assert job_count(api) == 0


def test_nul_in_a_key_or_an_environment_type_is_refused(api: SignedClient) -> None:
    for body in ({"type": "DWS\u0000", "config": {}}, {"type": "DWS", "config": {"a\u0000": 1}}):
        response = api.call("PUT", "/environment/connection/c1", body)
        assert_error(response, "DLF.3051", "NUL")
    assert "c1" not in api.call("GET", "/environment/connection").text


@pytest.mark.parametrize(
    ("path", "query"),
    [("/jobs", {"tags": "a\u0000"}), ("/jobs", {"a\u0000": "1"}), ("/scripts", {"x": "\u0000"})],
)
def test_nul_characters_in_the_query_are_refused(
    api: SignedClient, path: str, query: dict[str, str] | None
) -> None:
    assert_error(api.call("GET", path, query=query), "DLF.3051", "NUL")


def sdk_signed_get(client: SignedClient, path: str, query: str = "") -> Any:
    """``GET path?query`` (raw, percent-encoded as sent) signed by the official SDK's Signer."""
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.sdk_request import SdkRequest
    from huaweicloudsdkcore.signer.signer import Signer

    pairs = [tuple(map(unquote, item.split("=", 1))) for item in query.split("&") if item]
    headers = {"Content-Type": "application/json", "X-Project-Id": PROJECT_ID}
    request = SdkRequest(
        method="GET",
        schema="http",
        host="testserver",
        resource_path=path,
        query_params=pairs,
        header_params=headers,
    )
    signed = Signer(BasicCredentials(client.ak, client.sk, PROJECT_ID)).sign(request)
    url = path + (f"?{query}" if query else "")
    return client.client.request("GET", url, headers=signed.header_params)


def test_a_percent_escape_that_is_not_utf8_is_refused_before_the_signature_counts(
    api: SignedClient,
) -> None:
    dave = new_user(api, "dave", "developer")
    jobs = f"/v1/{PROJECT_ID}/jobs"
    for _ in range(6):  # past the lockout's five failures in a row
        refused = sdk_signed_get(dave, f"{jobs}/%FF")
        assert_error(refused, "DLF.3051", f"'{jobs}/%FF'", "%FF", "not UTF-8", status=400)
        assert refused.json()["parameter"] == "path"
        refused = sdk_signed_get(dave, jobs, "jobName=a%FF")
        assert_error(refused, "DLF.3051", "'jobName=a%FF'", "not UTF-8", status=400)
        assert refused.json()["parameter"] == "query"
    listed = sdk_signed_get(dave, jobs, "jobName=%C3%A9")  # UTF-8 escapes verify as ever
    assert listed.status_code == 200, listed.text
    assert dave.call("GET", "/jobs").status_code == 200  # nothing counted: not locked


@pytest.mark.parametrize(
    ("text", "content_type"),
    [
        ('{"a": ' + "[" * 1200 + "]" * 1200 + "}", "application/json"),
        ("a:\n" + "".join("  " * i + "- \n" for i in range(1, 5000)), "application/yaml"),
        ("a: " + "[" * 5000 + "]" * 5000, "application/yaml"),
    ],
)
def test_profiles_nested_too_deeply_are_refused(
    api: SignedClient, text: str, content_type: str
) -> None:
    response = api.call(
        "PUT", "/profiles/deep", text.encode(), extra_headers={"Content-Type": content_type}
    )
    assert_error(response, "DLF.3051", "levels deep")
    assert "deep" not in api.call("GET", "/profiles").text


@pytest.mark.parametrize(
    ("edit", "rule"),
    [
        (lambda job: job.update(description="x\u0000y"), "json.nul"),
        (
            lambda job: job["basicConfig"].update(customFields={"d": nested(MAX_DEPTH)}),
            "json.depth",
        ),
    ],
)
def test_a_package_entry_with_nul_or_deep_nesting_fails_the_import_naming_the_entry(
    api: SignedClient, tmp_path: Path, edit: Any, rule: str
) -> None:
    job = make_job("bad_entry")
    edit(job)
    data = write_package(tmp_path / "p.zip", [job]).read_bytes()
    task = run_import(api, {"path": upload(api, data)})
    assert task["status"] == "FAILED", task
    told = orjson.dumps(task).decode()
    assert rule in told
    assert "bad_entry" in told
    assert job_count(api) == 0


def test_a_property_name_that_is_not_text_fails_the_import_as_a_check_problem(
    api: SignedClient, tmp_path: Path
) -> None:
    job = make_job("odd_property")
    job["nodes"][0]["properties"].insert(0, {"name": ["sql"], "value": "x"})
    data = write_package(tmp_path / "p.zip", [job]).read_bytes()
    task = run_import(api, {"path": upload(api, data)})
    assert task["status"] == "FAILED", task
    told = orjson.dumps(task).decode()
    assert "Internal error" not in told
    assert "property name" in told
    assert job_count(api) == 0


def test_audit_fields_sent_by_a_client_are_set_by_the_server(api: SignedClient) -> None:
    forged = {"lastUpdateUser": "mallory", "createUser": "mallory"}
    job = {**make_job("audited"), **forged, "lastUpdateTime": 1, "createTime": 1}
    assert api.call("POST", "/jobs", job).status_code == 204
    assert api.call("PUT", "/jobs/audited", job).status_code == 204
    script = {**make_script("audited_sql"), **forged, "modifyTime": 1}
    assert api.call("POST", "/scripts", script).status_code == 204

    shown = api.call("GET", "/jobs/audited").json()
    assert shown["lastUpdateUser"] != "mallory"
    assert shown["createTime"] != 1
    listed = api.call("GET", "/jobs").json()["jobs"][0]
    assert listed["lastUpdateUser"] == listed["createUser"] != "mallory"
    shown_script = api.call("GET", "/scripts/audited_sql").json()
    assert shown_script["createUser"] != "mallory"
    assert shown_script["modifyTime"] != 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/jobs", {**make_job("\u0430dmin_job")}),
        ("/scripts", {**make_script("\uff4a\uff11")}),
        ("/users", {"name": "\u0430dmin"}),
        ("/workspaces", {"name": "\u212a_ws"}),
    ],
)
def test_look_alike_names_are_refused_and_nothing_is_created(
    api: SignedClient, path: str, body: dict[str, Any]
) -> None:
    before = api.call("GET", path).json()
    answer = api.call("POST", path, body)
    assert answer.status_code == 400, answer.text
    assert "send it as" in answer.text or "one script" in answer.text
    assert api.call("GET", path).json() == before


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/jobs/any_job", "version"),
        ("/audit", "since"),
    ],
)
def test_an_integer_query_parameter_past_what_the_database_stores_is_refused_naming_it(
    api: SignedClient, path: str, parameter: str
) -> None:
    refused = api.call("GET", path, query={parameter: str(10**23)})
    assert_error(refused, "DLF.3051", f"{parameter}: Input should be less than or equal to")
    assert refused.json()["details"][0]["field"] == parameter


@pytest.mark.parametrize(
    ("path", "parameter", "low", "high"),
    [
        ("/jobs", "offset", 0, 1_000_000_000),
        ("/jobs", "limit", 1, 100),
        ("/system-tasks", "offset", 0, 1_000_000_000),
        ("/audit", "offset", 0, 1_000_000_000),
        ("/system-tasks/any_task/subtasks", "offset", 0, 1_000_000_000),
        ("/jobs/import/plans/any_plan/objects", "offset", 0, 1_000_000_000),
        ("/jobs/import/plans/any_plan/objects", "limit", 1, 1000),
    ],
)
def test_a_list_s_page_past_the_64_bit_range_is_refused_as_any_page_out_of_its_range(
    api: SignedClient, path: str, parameter: str, low: int, high: int
) -> None:
    for value in (str(high + 1), str(10**23)):
        refused = api.call("GET", path, query={parameter: value})
        assert_error(
            refused,
            "DLF.3051",
            f"{parameter} {value} is out of range; pass a value from {low} to {high}.",
        )
        assert refused.json()["parameter"] == parameter
    for value in ("1.5", "", "-"):
        refused = api.call("GET", path, query={parameter: value})
        said = f"{parameter} must be a whole number from {low} to {high}, not {value!r}."
        assert_error(refused, "DLF.3051", said)
        assert refused.json()["parameter"] == parameter


def test_a_client_gone_before_its_body_was_read_is_no_server_error(
    api: SignedClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A client stopped mid-body (a CLI interrupted while it sends): the body's read meets the
    disconnect (Starlette's ``ClientDisconnect``); no 500, no ERROR line with a trace, one
    debug line, nothing created."""
    path = f"/v1/{PROJECT_ID}/jobs"
    signed = f"SDK-HMAC-SHA256 Access={ADMIN_AK}, SignedHeaders=host;x-sdk-date, Signature=00"
    headers = [
        (b"content-type", b"application/json"),
        (b"x-sdk-date", b"20261127T180000Z"),
        (b"authorization", signed.encode()),
    ]
    with caplog.at_level(logging.DEBUG, logger="jobferry"):
        started = post_then_leave(api.client, path, headers, b'{"name": "half')
    assert started["status"] == 499  # the access log's word for a client gone
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    gone = [r.getMessage() for r in caplog.records if r.name == "jobferry.api"]
    assert len(gone) == 1
    assert gone[0].startswith(f"client went away before its POST {path} was read")
    assert job_count(api) == 0


def test_a_whole_number_past_64_bits_is_refused_not_stored_as_a_float(api: SignedClient) -> None:
    """orjson, reading the body, made 123456789012345678901234567890 the float
    1.2345678901234568e+29, and it was stored so: the number sent changed without a word."""
    body = b'{"type": "DWS", "config": {"port": 123456789012345678901234567890}}'
    response = api.call("PUT", "/environment/connection/c1", body)
    assert_error(response, "DLF.3051", "config.port", "larger than 64 bits", "json.integer")
    assert "c1" not in api.call("GET", "/environment/connection").text
    job = orjson.dumps(make_job("big_param")).replace(
        b'"params":[', b'"params":[{"name":"n","value":99999999999999999999999},', 1
    )
    assert b"99999999999999999999999" in job
    assert_error(api.call("POST", "/jobs", job), "DLF.3051", "json.integer")
    assert job_count(api) == 0
