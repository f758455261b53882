"""The Go SDK (``huaweicloud-sdk-go-v3``, dgc v1) replayed against a real server: its signature
(query keys lower-cased, Host unsigned, X-Project-Id signed) and the answers it reads."""

from __future__ import annotations

import pytest
import requests

from support.builders import make_job, make_script
from support.go_sdk import GoSdkClient
from support.server import ServerProcess, new_workspace

pytestmark = pytest.mark.e2e


@pytest.fixture
def go(server: ServerProcess) -> GoSdkClient:
    return GoSdkClient(server.url, server.project_id, server.ak, server.sk)


def test_job_calls_with_camel_case_query_keys(server: ServerProcess, go: GoSdkClient) -> None:
    ws = new_workspace(server, "go_jobs")
    assert (
        go.call("POST", "/scripts", body=make_script("go_job_sql"), workspace=ws).status_code == 204
    )
    created = go.call("POST", "/jobs", body=make_job("go_job"), workspace=ws)
    assert created.status_code == 204, created.text

    listed = go.call(
        "GET", "/jobs", query={"jobType": "BATCH", "jobName": "go_", "limit": 10}, workspace=ws
    )

    assert listed.status_code == 200, listed.text
    assert [j["name"] for j in listed.json()["jobs"]] == ["go_job"]
    shown = go.call("GET", "/jobs/go_job", query={"getJobSubmitVersion": False}, workspace=ws)
    assert shown.status_code == 200, shown.text
    assert shown.json()["name"] == "go_job"
    scripts = go.call("GET", "/scripts", query={"scriptName": "go_job"}, workspace=ws)
    assert scripts.json()["total"] == 1


def test_a_changed_query_value_is_still_refused(server: ServerProcess, go: GoSdkClient) -> None:
    ws = new_workspace(server, "go_tamper")
    signed = go.call("GET", "/jobs", query={"jobName": "a"}, workspace=ws)
    assert signed.status_code == 200
    request = signed.request
    assert request.url is not None
    tampered = request.url.replace("jobName=a", "jobName=b")
    answer = requests.get(tampered, headers=dict(request.headers), timeout=30)
    assert answer.status_code == 401
    assert answer.json()["error_code"] == "APIGW.0301"
