"""Promotions along a route through the API (#37): the history lists what was imported (a
package only planned is not a promotion), a promotion rolled back travels again, and a job a
promotion imported names its route in its provenance, until the route is deleted."""

from __future__ import annotations

from typing import Any

from support.builders import make_job
from support.clients import SignedClient, assert_error
from support.exporting import seed
from support.importing import connected_workspace, plan_import, run_import

ROUTE = {
    "source": {"workspace": "default"},
    "target": {"workspace": "prod"},
    "propagateDeletes": True,
    "scheduling": "PAUSE_AND_RESTORE",
}


def package(api: SignedClient, route: str) -> dict[str, Any]:
    """``POST /routes/{route}/package``: the route's package of changes and its settings."""
    made = api.call("POST", f"/routes/{route}/package")
    assert made.status_code == 200, made.text
    answer: dict[str, Any] = made.json()
    return answer


def promote(api: SignedClient, route: str, prod: str) -> dict[str, Any]:
    """Package, import with the route's settings and record the import on the promotion, as
    ``jobferry promote ROUTE --apply`` does; the import's task."""
    made = package(api, route)
    promotion = made["promotion"]
    body = {"path": promotion["path"], **made["importOptions"]}
    task = run_import(api, body, workspace=prod)
    assert task["status"] == "SUCCESSFUL", task
    recorded = api.call(
        "POST", f"/routes/{route}/promotions/{promotion['id']}", {"taskId": task["id"]}
    )
    assert recorded.status_code == 200, recorded.text
    return task


def history(api: SignedClient, route: str) -> list[dict[str, Any]]:
    answer = api.call("GET", f"/routes/{route}/promotions")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["promotions"])


def test_the_history_lists_listed_promotions_not_packages_only_planned(
    api: SignedClient,
) -> None:
    seed(api)
    prod = connected_workspace(api)
    assert api.call("PUT", "/routes/test-prod", ROUTE).status_code == 200
    planned = package(api, "test-prod")["promotion"]  # a plan made, never imported
    assert planned["jobs"] == 1
    assert history(api, "test-prod") == []
    task = promote(api, "test-prod", prod)
    listed = history(api, "test-prod")
    assert [(p["taskId"], p["applied"], p["rolledBack"]) for p in listed] == [
        (task["id"], True, None)
    ]
    assert planned["id"] not in [p["id"] for p in listed]


def test_a_promoted_job_names_its_route_until_the_route_is_deleted(api: SignedClient) -> None:
    seed(api)
    prod = connected_workspace(api)
    assert api.call("PUT", "/routes/test-prod", ROUTE).status_code == 200
    task = promote(api, "test-prod", prod)
    shown = api.call("GET", "/jobs/daily_sales/provenance", workspace=prod).json()["provenance"]
    assert (shown["route"], shown["importTaskId"]) == ("test-prod", task["id"])
    inline = api.call("GET", "/jobs/daily_sales", query={"provenance": "true"}, workspace=prod)
    assert inline.json()["provenance"] == shown
    assert api.call("DELETE", "/routes/test-prod").status_code == 204
    gone = api.call("GET", "/jobs/daily_sales/provenance", workspace=prod).json()["provenance"]
    assert gone == {**shown, "route": None}


def edit(api: SignedClient, name: str, description: str) -> None:
    """Change job ``name`` of the source (the default workspace, as ``seed`` made it)."""
    doc = make_job(name, description=description)
    doc["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    assert api.call("PUT", f"/jobs/{name}", doc).status_code == 204


def test_a_promotion_rolled_back_after_later_ones_travels_again(api: SignedClient) -> None:
    seed(api, ("daily_sales", "weekly_sales"))
    prod = connected_workspace(api)
    assert api.call("PUT", "/routes/test-prod", ROUTE).status_code == 200
    promote(api, "test-prod", prod)
    edit(api, "daily_sales", "v2")
    second = promote(api, "test-prod", prod)
    edit(api, "weekly_sales", "v2")
    promote(api, "test-prod", prod)  # its package starts after the second's snapshot
    undone = api.call("POST", f"/system-tasks/{second['id']}/rollback", {}, workspace=prod)
    assert undone.status_code == 200, undone.text
    shown = api.call("GET", "/jobs/daily_sales", workspace=prod).json()
    assert "description" not in shown

    again = package(api, "test-prod")
    assert again["since"] == history(api, "test-prod")[-1]["snapshotTime"]  # the first one's
    assert again["promotion"]["jobs"] == 2, "daily_sales travels again (weekly_sales too)"
    promote(api, "test-prod", prod)
    shown = api.call("GET", "/jobs/daily_sales", workspace=prod).json()
    assert shown["description"] == "v2"
    assert package(api, "test-prod")["promotion"] is None  # the gap is closed


def test_a_route_that_requires_signatures_packages_only_what_its_source_can_sign(
    api: SignedClient,
) -> None:
    seed(api, ("daily_sales",))
    prod = connected_workspace(api)
    assert api.call("PUT", "/routes/signed", {**ROUTE, "requireSignature": True}).status_code == 200
    refused = api.call("POST", "/routes/signed/package")
    assert_error(refused, "DLF.3051", "requires signed packages", "has no signing key")
    assert api.call("GET", "/routes/signed/promotions").json()["promotions"] == []
    assert api.call("POST", "/signing-key").status_code == 200
    made = package(api, "signed")
    assert made["promotion"] is not None
    task = run_import(api, {"path": made["promotion"]["path"], **made["importOptions"]}, prod)
    assert task["status"] == "SUCCESSFUL", task


def test_an_override_of_the_route_s_drift_protection_is_recorded_with_the_promotion(
    api: SignedClient,
) -> None:
    seed(api)
    prod = connected_workspace(api)
    assert api.call("PUT", "/routes/test-prod", ROUTE).status_code == 200  # onDrift FAIL
    promote(api, "test-prod", prod)
    assert history(api, "test-prod")[0]["overrides"] is None  # the route's own settings
    hot_fix = make_job("daily_sales", description="hot-fix in prod")
    hot_fix["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    assert api.call("PUT", "/jobs/daily_sales", hot_fix, workspace=prod).status_code == 204
    edit(api, "daily_sales", "v2 in test")

    made = package(api, "test-prod")
    promotion = made["promotion"]
    body = {"path": promotion["path"], **made["importOptions"], "onDrift": "TAKE_PACKAGE"}
    plan = plan_import(api, body, workspace=prod)
    task = run_import(api, {**body, "planId": plan["planId"]}, workspace=prod)
    assert task["status"] == "SUCCESSFUL", task
    recorded = api.call(
        "POST", f"/routes/test-prod/promotions/{promotion['id']}", {"taskId": task["id"]}
    )
    assert recorded.status_code == 200, recorded.text
    expected = {
        "by": task["createUser"],
        "settings": [{"setting": "onDrift", "route": "FAIL", "run": "TAKE_PACKAGE"}],
        "driftOverwritten": [{"kind": "job", "name": "daily_sales"}],
        "driftOverwrittenTotal": 1,
    }
    assert recorded.json()["overrides"] == expected
    newest = history(api, "test-prod")[0]
    assert (newest["taskId"], newest["overrides"]) == (task["id"], expected)
    assert api.call("GET", "/jobs/daily_sales", workspace=prod).json()["description"] == (
        "v2 in test"
    )
