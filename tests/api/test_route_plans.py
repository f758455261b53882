"""Promotion as one use case on the wire (#45): ``POST /routes/{name}/plans`` packages and
plans with the route's settings and the run's overrides, ``POST …/plans/{plan_id}/apply``
imports that plan and records it on the route; bad input is refused with the DataArts
envelope and changes nothing."""

from __future__ import annotations

from typing import Any

from jobferry.errors import InvalidRequestError, PromotedMeanwhileError
from support.clients import SignedClient, assert_error, wait_task
from support.exporting import seed
from support.importing import connected_workspace

INVALID = InvalidRequestError.code
ROUTE = {
    "source": {"workspace": "default"},
    "target": {"workspace": "prod"},
    "propagateDeletes": True,
}


def _plan(api: SignedClient, body: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = api.call("POST", "/routes/test-prod/plans", body or {})
    assert answer.status_code == 200, answer.text
    planned: dict[str, Any] = answer.json()
    return planned


def _route(api: SignedClient) -> str:
    seed(api)
    prod = connected_workspace(api)
    assert api.call("PUT", "/routes/test-prod", ROUTE).status_code == 200
    return prod


def test_a_plan_answers_the_package_the_settings_and_the_plan(api: SignedClient) -> None:
    _route(api)
    planned = _plan(api, {"onDrift": "TAKE_PACKAGE"})
    assert planned["promotion"]["jobs"] == 1
    assert planned["settings"] == {
        "sameNamePolicy": "AUTO",
        "propagateDeletes": True,
        "onDrift": "TAKE_PACKAGE",
        "scheduling": "REFUSE",
        "mode": "ATOMIC",
        "profile": None,
    }
    assert planned["overrides"] == [{"setting": "onDrift", "route": "FAIL", "run": "TAKE_PACKAGE"}]
    assert planned["plan"]["planId"]
    assert planned["taskId"] is None


def test_apply_imports_the_plan_and_the_history_lists_it(api: SignedClient) -> None:
    prod = _route(api)
    planned = _plan(api, {"onDrift": "KEEP_TARGET"})
    plan_id = planned["plan"]["planId"]
    applied = api.call("POST", f"/routes/test-prod/plans/{plan_id}/apply")
    assert applied.status_code == 200, applied.text
    answer = applied.json()
    assert answer["promotion"]["taskId"] == answer["taskId"]
    task = wait_task(api, answer["taskId"], prod)
    assert task["status"] == "SUCCESSFUL", task
    listed = api.call("GET", "/routes/test-prod/promotions").json()["promotions"]
    assert [(p["taskId"], p["applied"], p["planId"]) for p in listed] == [
        (answer["taskId"], True, plan_id)
    ]
    assert listed[0]["overrides"]["settings"] == [
        {"setting": "onDrift", "route": "FAIL", "run": "KEEP_TARGET"}
    ]
    # Applied again (a pipeline retried, another operator): refused, naming that import.
    again = api.call("POST", f"/routes/test-prod/plans/{plan_id}/apply")
    assert_error(again, PromotedMeanwhileError.code, "were promoted meanwhile by admin at ")
    refused = again.json()
    assert (refused["rule"], refused["task_id"], refused["task_status"]) == (
        "route.promoted_meanwhile",
        answer["taskId"],
        "SUCCESSFUL",
    )
    assert (refused["promotion_id"], refused["plan_id"], refused["promoted_by"]) == (
        answer["promotion"]["id"],
        plan_id,
        "admin",
    )
    assert refused["promoted_at"] == task["startTime"]
    assert len(api.call("GET", "/routes/test-prod/promotions").json()["promotions"]) == 1


def test_bad_settings_are_refused_and_nothing_is_packaged(api: SignedClient) -> None:
    _route(api)
    answer = api.call("POST", "/routes/test-prod/plans", {"scheduling": "SOMETIMES"})
    assert_error(answer, INVALID, "scheduling must be one of REFUSE, PAUSE_AND_RESTORE")
    planned = _plan(api)  # the next plan carries the same changes: nothing was packaged
    assert planned["promotion"]["jobs"] == 1


def test_applying_another_plan_id_is_refused(api: SignedClient) -> None:
    _route(api)
    _plan(api)
    answer = api.call("POST", f"/routes/test-prod/plans/{'0' * 32}/apply")
    assert_error(answer, "DLF.9015", "is not the plan of promotion", "of route 'test-prod'")
    assert api.call("GET", "/routes/test-prod/promotions").json()["promotions"] == []


ASYNC = {"Prefer": "respond-async"}
AT_ONCE = {"Prefer": "respond-async, wait=0"}
"""No budget: the promotion is a task however quick it is (what a long one becomes)."""


def test_a_quick_plan_asked_to_respond_async_answers_as_without_the_header(
    api: SignedClient,
) -> None:
    prod = _route(api)
    answer = api.call("POST", "/routes/test-prod/plans", {}, extra_headers=ASYNC)
    assert answer.status_code == 200, answer.text
    planned = answer.json()
    assert "Preference-Applied" not in answer.headers
    assert planned["promotion"]["jobs"] == 1
    assert planned["plan"]["planId"]
    assert set(planned) == set(_plan(api))  # the same answer (the next plan carries the same)
    tasks = api.call("GET", "/system-tasks", query={"kind": "promotion"}, workspace=prod).json()
    assert tasks["tasks"] == []  # the call answered it: no task left to follow


def test_a_plan_past_its_budget_answers_its_task_which_names_the_plan(api: SignedClient) -> None:
    prod = _route(api)
    started = api.call("POST", "/routes/test-prod/plans", {}, extra_headers=AT_ONCE)
    assert started.status_code == 202, started.text
    assert started.headers["Preference-Applied"] == "respond-async"
    assert started.json()["workspace"] == prod
    task = wait_task(api, started.json()["taskId"], prod)
    assert (task["kind"], task["status"]) == ("promotion", "SUCCESSFUL"), task
    result = task["result"]
    assert result["route"] == "test-prod"
    assert result["planningTaskId"] is None
    kept = api.call("GET", f"/routes/test-prod/plans/{result['planId']}")
    assert kept.status_code == 200, kept.text
    assert kept.json()["promotion"]["id"] == result["promotionId"]
    assert kept.json()["plan"]["planId"] == result["planId"]
    applied = api.call("POST", f"/routes/test-prod/plans/{result['planId']}/apply")
    assert applied.status_code == 200, applied.text
    assert wait_task(api, applied.json()["taskId"], prod)["status"] == "SUCCESSFUL"


def test_a_promotion_refused_past_its_budget_fails_its_task_with_the_envelopes_fields(
    api: SignedClient,
) -> None:
    prod = _route(api)
    started = api.call(
        "POST", "/routes/test-prod/plans", {"path": "upload://x/y.zip"}, extra_headers=AT_ONCE
    )
    assert started.status_code == 202, started.text
    task = wait_task(api, started.json()["taskId"], prod)
    assert task["status"] == "FAILED"
    assert task["result"]["errorCode"] == INVALID
    assert task["result"]["remedy"]
    assert "takes its packages from workspace 'default'" in task["message"]
    assert api.call("GET", "/routes/test-prod/promotions").json()["promotions"] == []


def test_bad_overrides_asked_to_respond_async_are_refused_at_once(api: SignedClient) -> None:
    prod = _route(api)
    answer = api.call(
        "POST", "/routes/test-prod/plans", {"mode": "SOMETIMES"}, extra_headers=AT_ONCE
    )
    assert_error(answer, INVALID, "mode must be one of")
    tasks = api.call("GET", "/system-tasks", query={"kind": "promotion"}, workspace=prod).json()
    assert tasks["tasks"] == []
