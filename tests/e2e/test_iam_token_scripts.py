"""A public DataArts script's way in, against a real server: plain ``requests``, an IAM token
from ``POST /v3/auth/tokens`` read from ``X-Subject-Token``, then the job calls with
``X-Auth-Token`` and ``workspace`` headers (no SDK, no signature); the address the Go SDK
derives from the token's catalog is the one the script called."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from support.builders import make_job
from support.cli import invoke
from support.server import ServerProcess, new_user, new_workspace

pytestmark = pytest.mark.e2e
PASSWORD = "a script's password 1"
JSON = {"Content-Type": "application/json;charset=utf8"}


def test_a_script_gets_a_token_then_creates_and_lists_jobs(server: ServerProcess) -> None:
    user = f"script_{uuid.uuid4().hex[:8]}"
    workspace = new_workspace(server, "iam_token_script")
    new_user(server, user)
    role = json.dumps({"role": "developer"}).encode()
    assert server.call("PUT", f"/users/{user}/roles/{workspace}", role).status_code == 204
    command = ["admin", "set-password", user, "--password-stdin"]
    result = invoke(command, env=server.admin_env(), input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output

    auth = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {"name": user, "password": PASSWORD, "domain": {"name": "account"}}
                },
            },
            "scope": {"project": {"id": server.project_id}},
        }
    }
    issued = requests.post(f"{server.url}/v3/auth/tokens", json=auth, headers=JSON, timeout=30)
    assert issued.status_code == 201, issued.text
    assert issued.json()["token"]["project"]["id"] == server.project_id
    headers = {**JSON, "X-Auth-Token": issued.headers["X-Subject-Token"], "workspace": workspace}
    jobs = f"{server.url}/v1/{server.project_id}/jobs"
    # the Go SDK (gophertelekomcloud NewDataArtsV1) finds the same address in the catalog: the
    # public volumev2 endpoint of the project name's region, "v2" made "v1", "evs" "dayu-dlf"
    region = issued.json()["token"]["project"]["name"].split("_")[0]
    volumev2 = next(
        endpoint["url"]
        for entry in issued.json()["token"]["catalog"]
        if entry["type"] == "volumev2"
        for endpoint in entry["endpoints"]
        if endpoint["interface"] == "public" and endpoint["region"] == region
    )
    assert (volumev2 + "/").replace("v2", "v1", 1).replace("evs", "dayu-dlf", 1) == jobs[:-4]
    created = requests.post(jobs, json=make_job("from_a_script"), headers=headers, timeout=30)
    assert created.status_code == 204, created.text
    listed = requests.get(jobs, headers=headers, timeout=30)
    assert listed.status_code == 200, listed.text
    assert [job["name"] for job in listed.json()["jobs"]] == ["from_a_script"]

    revoke = {"X-Auth-Token": headers["X-Auth-Token"], "X-Subject-Token": headers["X-Auth-Token"]}
    gone = requests.delete(f"{server.url}/v3/auth/tokens", headers=revoke, timeout=30)
    assert gone.status_code == 204, gone.text
    refused = requests.get(jobs, headers=headers, timeout=30)
    assert refused.status_code == 401
    assert refused.json()["error_code"] == "APIGW.0301"
