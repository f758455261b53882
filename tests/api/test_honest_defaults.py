"""Honest defaults (#37): sameNamePolicy AUTO, why every SKIP is one, the deletions a plan
leaves out, deletions-only packages, and what an export by names says of a job renamed or
deleted since.

The test workspace is the source; 'prod' receives its packages (exported whole, so they name
their source and carry its inventory).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from support.builders import make_job
from support.clients import SignedClient, wait_task
from support.clock import dated, during
from support.exporting import manifest, rename_job, seed
from support.importing import connected_workspace, run_import, upload

CONN = {"type": "DWS", "config": {"host": "db"}, "secrets": {"password": "pw"}}


def job(name: str, **overrides: Any) -> dict[str, Any]:
    doc = make_job(name, **overrides)
    doc["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    return doc


def prod_workspace(api: SignedClient) -> str:
    return connected_workspace(api, "prod")


def export_test(api: SignedClient, **body: Any) -> tuple[bytes, dict[str, Any]]:
    """A background export of the test workspace (whole, unless ``body`` says otherwise): the
    package and its task."""
    started = api.call("POST", "/exports", {"mode": "workspace", **body})
    assert started.status_code == 200, started.text
    task = wait_task(api, started.json()["taskId"])
    assert task["status"] == "SUCCESSFUL", (task["message"], task.get("result"))
    got = api.call("GET", f"/downloads/{task['result']['downloadId']}/content")
    return got.content, task


def plan(api: SignedClient, prod: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = api.call("POST", "/jobs/import/plan", body, workspace=prod)
    assert answer.status_code == 200, answer.text
    out: dict[str, Any] = answer.json()
    return out


def line_of(planned: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in planned["objects"] if (o["kind"], o["name"]) == (kind, name))


def promoted_once(api: SignedClient) -> str:
    """The test workspace's daily_sales (with its scripts and resource) imported into prod
    once, with AUTO; prod's id."""
    seed(api)
    prod = prod_workspace(api)
    data, _ = export_test(api)
    task = run_import(api, {"path": upload(api, data, prod), "sameNamePolicy": "AUTO"}, prod)
    assert task["status"] == "SUCCESSFUL", (task["message"], task.get("result"))
    return prod


def test_a_second_import_with_auto_overwrites_what_changed_and_says_why(
    api: SignedClient,
) -> None:
    prod = promoted_once(api)
    assert api.call("PUT", "/jobs/daily_sales", job("daily_sales", description="v2")).status_code
    data, _ = export_test(api)
    body = {"path": upload(api, data, prod), "sameNamePolicy": "AUTO"}
    planned = plan(api, prod, body)
    assert planned["sameNamePolicy"]["asked"] == "AUTO"
    assert planned["sameNamePolicy"]["applied"] == "OVERWRITE"
    assert (
        "already holds objects imported from the package's source"
        in (planned["sameNamePolicy"]["reason"])
    )
    assert line_of(planned, "job", "daily_sales")["action"] == "OVERWRITE"
    task = run_import(api, body, prod)
    assert task["status"] == "SUCCESSFUL", (task["message"], task.get("result"))
    shown = api.call("GET", "/jobs/daily_sales", workspace=prod).json()
    assert shown["description"] == "v2"


def test_the_dataarts_body_still_skips_on_a_second_import_and_says_why(
    api: SignedClient,
) -> None:
    prod = promoted_once(api)
    assert api.call("PUT", "/jobs/daily_sales", job("daily_sales", description="v2")).status_code
    data, _ = export_test(api)
    body = {"path": upload(api, data, prod)}  # DataArts' ImportFileReq: no jobferry option
    planned = plan(api, prod, body)
    assert planned["sameNamePolicy"]["applied"] == "SKIP"
    skipped = line_of(planned, "job", "daily_sales")
    assert skipped["action"] == "SKIP"
    assert skipped["reason"]["code"] == "SAME_NAME_POLICY"
    assert "the same-name policy is to skip it" in skipped["reason"]["detail"]
    assert "sameNamePolicy OVERWRITE" in skipped["reason"]["fix"]
    task = run_import(api, body, prod)
    line = next(s for s in task["subtasks"] if s["id"] == "job:daily_sales")
    assert line["message"].startswith("Skipped: job 'daily_sales' differs from the target's")
    assert "sameNamePolicy OVERWRITE" in line["message"]
    assert api.call("GET", "/jobs/daily_sales", workspace=prod).json().get("description") != "v2"


def test_a_first_import_with_auto_keeps_what_the_target_made_itself(api: SignedClient) -> None:
    seed(api)
    prod = prod_workspace(api)
    seed_prod = job("daily_sales", description="made in prod")
    api.call("POST", "/resources", {"name": "udf_jar", "type": "jar"}, workspace=prod)
    assert api.call("POST", "/jobs", seed_prod, workspace=prod).status_code == 204
    data, _ = export_test(api)
    planned = plan(api, prod, {"path": upload(api, data, prod), "sameNamePolicy": "AUTO"})
    assert planned["sameNamePolicy"]["applied"] == "SKIP"
    assert planned["sameNamePolicy"]["reason"].startswith("first import from the package's")
    skipped = line_of(planned, "job", "daily_sales")
    assert (skipped["action"], skipped["reason"]["code"]) == ("SKIP", "FIRST_IMPORT")


def test_a_kept_drift_says_so_on_its_skip_line(api: SignedClient) -> None:
    prod = promoted_once(api)
    hotfix = job("daily_sales", description="hotfix", targetStatus="SAVED")
    assert api.call("PUT", "/jobs/daily_sales", hotfix, workspace=prod).status_code == 204
    assert api.call("PUT", "/jobs/daily_sales", job("daily_sales", description="v2")).status_code
    data, _ = export_test(api)
    body = {"path": upload(api, data, prod), "onDrift": "KEEP_TARGET", "sameNamePolicy": "AUTO"}
    skipped = line_of(plan(api, prod, body), "job", "daily_sales")
    assert (skipped["action"], skipped["reason"]["code"]) == ("SKIP", "KEPT_DRIFT")
    assert "onDrift TAKE_PACKAGE" in skipped["reason"]["fix"]


def test_deletions_left_out_are_listed_with_the_option_that_applies_them(
    api: SignedClient,
) -> None:
    prod = promoted_once(api)
    assert api.call("DELETE", "/jobs/daily_sales").status_code == 204
    data, _ = export_test(api)
    path = upload(api, data, prod)
    planned = plan(api, prod, {"path": path, "sameNamePolicy": "AUTO"})
    assert planned["summary"]["DELETE"] == 0
    assert [(d["kind"], d["name"], d["option"]) for d in planned["deletionsNotApplied"]] == [
        ("job", "daily_sales", "propagateDeletes")
    ]
    assert (
        "the package holds every job of its source" in planned["deletionsNotApplied"][0]["reason"]
    )
    applied = plan(api, prod, {"path": path, "sameNamePolicy": "AUTO", "propagateDeletes": True})
    assert applied["summary"]["DELETE"] == 1
    assert applied["deletionsNotApplied"] == []


def test_a_deletions_only_package_is_valid_and_imports(api: SignedClient) -> None:
    prod = promoted_once(api)
    since = int(datetime.now(UTC).timestamp() * 1000)
    assert api.call("DELETE", "/jobs/daily_sales").status_code == 204
    data, task = export_test(api, changed="since", since=since)
    assert task["result"]["jobs"] == 0
    assert task["result"]["deletions"] == 1
    assert "0 job(s), 1 deletion(s)" in task["message"]
    assert [d["name"] for d in manifest(data)["deleted"]] == ["daily_sales"]
    body = {"path": upload(api, data, prod), "propagateDeletes": True, "sameNamePolicy": "AUTO"}
    left_out = plan(api, prod, {**body, "propagateDeletes": False})["deletionsNotApplied"]
    assert [d["reason"] for d in left_out] == [
        "job 'daily_sales' was deleted in the source: the import leaves it in the target"
    ]
    assert plan(api, prod, body)["summary"]["DELETE"] == 1
    imported = run_import(api, body, prod)
    assert imported["status"] == "SUCCESSFUL", imported
    gone = api.call("GET", "/jobs/daily_sales", workspace=prod)
    assert gone.status_code == 400, gone.text


def test_an_export_by_names_says_a_job_was_renamed_or_deleted(api: SignedClient) -> None:
    seed(api, ("daily_sales", "weekly_sales"))
    with during() as days:
        rename_job(api, "daily_sales", "customers_daily")
        assert api.call("DELETE", "/jobs/weekly_sales").status_code == 204
    refused = api.call(
        "POST", "/exports", {"mode": "names", "names": ["daily_sales", "weekly_sales"]}
    )
    assert refused.status_code == 400, refused.text
    reasons = {d["name"]: d["reason"] for d in refused.json()["details"]}
    assert reasons["daily_sales"] in dated(
        "job 'daily_sales' was renamed to customers_daily on {} in workspace 'default'; "
        "export it as 'customers_daily'",
        days,
    )
    assert reasons["weekly_sales"] in dated(
        "job 'weekly_sales' was deleted on {} in workspace 'default'", days
    )
    batch = api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]})
    assert batch.status_code == 400
    assert any(
        said in batch.json()["error_msg"]
        for said in dated("'daily_sales' (renamed to customers_daily on {})", days)
    )
