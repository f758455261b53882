"""Policies through the API (SQLite and PostgreSQL): saved as versions from JSON or YAML, read
back, refused in the error envelope, and an import refused at apply once a freeze began."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from support.clients import SignedClient, assert_error
from support.exporting import seed
from support.importing import connected_workspace, upload

YAML = {"Content-Type": "application/yaml"}


def test_a_policy_is_saved_as_versions_and_read_back(api: SignedClient) -> None:
    first = api.call("PUT", "/policies/workspace", b"maxDeletions: 3\n", extra_headers=YAML)
    assert first.status_code == 200, first.text
    assert first.json()["holder"]["kind"] == "workspace"
    assert first.json()["version"] == 1
    second = api.call("PUT", "/policies/workspace", {"description": "v2", "owners": ["*"]})
    assert second.json()["version"] == 2
    assert second.json()["document"] == {"description": "v2", "owners": ["*"]}
    old = api.call("GET", "/policies/workspace", query={"version": 1}).json()
    assert old["document"] == {"maxDeletions": 3}
    versions = api.call("GET", "/policies/workspace/versions").json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    listed = api.call("GET", "/policies").json()["policies"]
    assert [(p["holder"]["kind"], p["version"], p["description"]) for p in listed] == [
        ("workspace", 2, "v2")
    ]
    assert "document" not in listed[0]


def test_a_bad_policy_answers_every_problem_in_the_envelope(api: SignedClient) -> None:
    body = {"freeze": [{"days": ["FRIDAY"], "zone": "UTC"}], "naming": {"job": "x"}}
    answer = api.call("PUT", "/policies/workspace", body)
    assert_error(answer, "DLF.3051", "The policy is invalid")
    assert len(answer.json()["problems"]) == 2
    missing = api.call("GET", "/policies/workspace")
    assert_error(missing, "DLF.9086", "There is no policy of workspace")
    assert missing.json()["remedy"] == "save_policy"
    assert_error(api.call("GET", "/policies/routes/none"), "DLF.9040")


def _freeze() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "freeze": [
            {
                "from": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                "to": (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                "zone": "UTC",
            }
        ]
    }


def test_an_import_is_refused_at_apply_once_a_freeze_began(api: SignedClient) -> None:
    seed(api)
    data = api.call("POST", "/jobs/daily_sales/export").content
    prod = connected_workspace(api)
    path = upload(api, data, prod)
    plan = api.call("POST", "/jobs/import/plan", {"path": path}, workspace=prod).json()
    assert plan["summary"]["problems"] == 0, plan
    saved = api.call("PUT", "/policies/workspace", _freeze(), workspace=prod)
    assert saved.status_code == 200, saved.text
    refused = api.call(
        "POST", "/jobs/import", {"path": path, "planId": plan["planId"]}, workspace=prod
    )
    assert_error(refused, "DLF.9085", "freeze window", "nothing was imported")
    body = refused.json()
    assert (body["rule"], body["holder_kind"], body["policy_version"]) == ("freeze", "workspace", 1)
    assert body["remedy"] == "follow_policy"
    jobs = api.call("GET", "/jobs", workspace=prod).json()
    assert jobs["total"] == 0
    replanned = api.call("POST", "/jobs/import/plan", {"path": path}, workspace=prod).json()
    [problem] = replanned["problems"]
    assert (problem["reason"], problem["kind"]) == ("policy", "package")
