"""An older package of the same source imported after a newer one: the plan says which objects
it would put back or delete, and ``onDrift`` says what then (the ledger keeps each writing
package's ``createdAt``)."""

from __future__ import annotations

import time
from typing import Any

from support.builders import make_job, make_script
from support.clients import SignedClient
from support.exporting import seed, workspace_package
from support.importing import connected_workspace, plan_import, run_import, upload


def _job(name: str, description: str) -> dict[str, Any]:
    doc = make_job(name, description=description)
    doc["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    return doc


def _edit(api: SignedClient, name: str, description: str) -> None:
    time.sleep(0.005)  # a later change than the export before it, to the millisecond
    answer = api.call("PUT", f"/jobs/{name}", _job(name, description))
    assert answer.status_code == 204, answer.text


def _lines(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["name"]: line for line in plan["objects"] if line["kind"] == "job"}


def _problems(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in plan["problems"] if p["reason"] == "older_package"]


def _import(api: SignedClient, prod: str, path: str, **options: Any) -> None:
    body = {"path": path, "sameNamePolicy": "OVERWRITE", **options}
    task = run_import(api, body, workspace=prod)
    assert task["status"] == "SUCCESSFUL", task


def test_an_older_package_would_put_back_what_a_newer_one_wrote(api: SignedClient) -> None:
    seed(api, ("daily", "weekly"))
    prod = connected_workspace(api, "prod")
    older = upload(api, workspace_package(api), prod)
    _edit(api, "daily", "the newer daily")
    newer = upload(api, workspace_package(api), prod)
    _import(api, prod, newer)

    body = {"path": older, "sameNamePolicy": "OVERWRITE"}
    plan = plan_import(api, body, prod)
    problems = _problems(plan)
    assert [(p["kind"], p["name"]) for p in problems] == [("job", "daily")]
    assert "was last written by a package of the same source" in problems[0]["detail"]
    assert "put back an older definition" in problems[0]["detail"]
    assert "onDrift KEEP_TARGET" in problems[0]["fix"]
    assert _lines(plan)["weekly"]["action"] == "UNCHANGED"  # the same in both: not judged
    refused = run_import(api, body, workspace=prod)
    assert refused["status"] == "FAILED"
    daily = api.call("GET", "/jobs/daily", workspace=prod).json()
    assert daily["description"] == "the newer daily"

    kept = plan_import(api, {**body, "onDrift": "KEEP_TARGET"}, prod)
    assert not _problems(kept)
    line = _lines(kept)["daily"]
    assert line["action"] == "SKIP"
    assert line["reason"]["code"] == "KEPT_NEWER"
    assert "TAKE_PACKAGE" in line["reason"]["fix"]

    _import(api, prod, older, onDrift="TAKE_PACKAGE")
    daily = api.call("GET", "/jobs/daily", workspace=prod).json()
    assert daily.get("description") != "the newer daily"  # the older definition, as asked


def test_an_older_package_would_delete_what_a_newer_one_created(api: SignedClient) -> None:
    seed(api, ("daily",))
    prod = connected_workspace(api, "prod")
    older = upload(api, workspace_package(api), prod)
    time.sleep(0.005)
    for script in (make_script("hourly_sql"), make_script("hourly_sh", type="Shell")):
        assert api.call("POST", "/scripts", script).status_code == 204
    assert api.call("POST", "/jobs", _job("hourly", "new")).status_code == 204
    _import(api, prod, upload(api, workspace_package(api), prod))

    body = {"path": older, "sameNamePolicy": "OVERWRITE", "propagateDeletes": True}
    problems = _problems(plan_import(api, body, prod))
    gone = [(p["kind"], p["name"], p.get("action")) for p in problems]
    assert sorted(gone) == [
        ("job", "hourly", "DELETE"),
        ("script", "hourly_sh", "DELETE"),
        ("script", "hourly_sql", "DELETE"),
    ]
    assert "would delete it" in problems[0]["detail"]
    assert "without propagating deletions" in problems[0]["fix"]
    # KEEP_TARGET does not make a deletion quiet: it is still a problem.
    assert _problems(plan_import(api, {**body, "onDrift": "KEEP_TARGET"}, prod))

    _import(api, prod, older, propagateDeletes=False)
    assert api.call("GET", "/jobs/hourly", workspace=prod).status_code == 200
    _import(api, prod, older, propagateDeletes=True, onDrift="TAKE_PACKAGE")
    assert api.call("GET", "/jobs/hourly", workspace=prod).status_code == 400  # no such job


def test_a_newer_package_after_an_older_one_plans_as_before(api: SignedClient) -> None:
    seed(api, ("daily",))
    prod = connected_workspace(api, "prod")
    older = upload(api, workspace_package(api), prod)
    _edit(api, "daily", "the newer daily")
    newer = upload(api, workspace_package(api), prod)
    _import(api, prod, older)
    plan = plan_import(api, {"path": newer, "sameNamePolicy": "OVERWRITE"}, prod)
    assert not _problems(plan)
    assert _lines(plan)["daily"]["action"] == "OVERWRITE"
