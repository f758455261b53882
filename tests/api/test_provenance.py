"""Where a job came from (#37): a job imported from another workspace shows its source, package,
import task, who and when, and whether it drifted since; through show_job's extension field
(only when asked for: a plain show_job keeps its exact bytes) and its own route.

Every test imports daily_sales from the default workspace ("test") into a new one, "prod".
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from support.accounts import default_workspace
from support.builders import make_job
from support.clients import SignedClient
from support.exporting import listing, seed
from support.provenance import edit, export_test, prod_workspace, promote, promoted_with_owned_cron


def provenance(api: SignedClient, workspace: str, name: str = "daily_sales") -> Any:
    """show_job's ``provenance`` field, checked against the provenance route's answer."""
    shown = api.call("GET", f"/jobs/{name}", query={"provenance": "true"}, workspace=workspace)
    assert shown.status_code == 200, shown.text
    routed = api.call("GET", f"/jobs/{name}/provenance", workspace=workspace)
    assert routed.status_code == 200, routed.text
    assert routed.json() == {"jobName": name, "provenance": shown.json()["provenance"]}
    return shown.json()["provenance"]


def rollback(api: SignedClient, prod: str, task_id: str) -> None:
    answer = api.call("POST", f"/system-tasks/{task_id}/rollback", {}, workspace=prod)
    assert answer.status_code == 200, answer.text


def test_an_imported_job_names_its_source_package_import_and_who_and_when(
    api: SignedClient,
) -> None:
    seed(api)
    test_ws = default_workspace(api)
    test_name = next(
        w["name"] for w in api.call("GET", "/workspaces").json()["workspaces"] if w["id"] == test_ws
    )
    prod = prod_workspace(api)
    data = export_test(api)
    uid = next(e["objectId"] for e in listing(data) if e.get("kind") == "job")
    before = int(time.time() * 1000)
    task = promote(api, prod, data)

    assert provenance(api, prod) == {
        "sourceWorkspaceId": test_ws,
        "sourceWorkspace": test_name,
        "sourceJobName": "daily_sales",
        "sourceUid": uid,
        "packageSha256": hashlib.sha256(data).hexdigest(),
        "importTaskId": task["id"],
        "route": None,  # a plain import (tests/api/test_route_promotions.py: a route's)
        "importedBy": task["createUser"],
        "importedAt": provenance(api, prod)["importedAt"],
        "rolledBack": False,
        "drifted": False,
    }
    assert task["result"]["packageSha256"] == hashlib.sha256(data).hexdigest()
    assert before <= provenance(api, prod)["importedAt"] <= int(time.time() * 1000)


def test_a_plain_show_job_answers_no_provenance_field(api: SignedClient) -> None:
    seed(api)
    prod = prod_workspace(api)
    promote(api, prod, export_test(api))
    plain = api.call("GET", "/jobs/daily_sales", workspace=prod).json()
    asked = api.call("GET", "/jobs/daily_sales", query={"provenance": "true"}, workspace=prod)
    assert "provenance" not in plain
    assert {k: v for k, v in asked.json().items() if k != "provenance"} == plain
    # With a version too: the extension field goes with any show_job that asks for it.
    versioned = api.call(
        "GET", "/jobs/daily_sales", query={"provenance": "true", "version": 1}, workspace=prod
    ).json()
    assert versioned["provenance"] == asked.json()["provenance"]


def test_a_job_created_directly_has_no_provenance_and_a_missing_one_is_not_found(
    api: SignedClient,
) -> None:
    seed(api)
    assert provenance(api, default_workspace(api)) is None
    missing = api.call("GET", "/jobs/no_such_job/provenance")
    assert missing.status_code == 400, missing.text
    assert missing.json()["error_code"] == "DLF.0100"
    assert "no_such_job" in missing.json()["error_msg"]


def test_an_edit_in_the_target_is_drift_but_a_target_owned_field_is_not(
    api: SignedClient,
) -> None:
    prod = promoted_with_owned_cron(api)
    assert provenance(api, prod)["drifted"] is False

    cron = make_job("daily_sales")["schedule"]["cron"]
    edit(api, prod, schedule={"type": "CRON", "cron": {**cron, "expression": "0 0 5 * * ?"}})
    assert provenance(api, prod)["drifted"] is False  # the profile gives that field to prod

    edit(api, prod, description="hot-fixed in prod")
    assert provenance(api, prod)["drifted"] is True


def test_without_a_profile_any_edit_in_the_target_is_drift(api: SignedClient) -> None:
    seed(api)
    prod = prod_workspace(api)
    promote(api, prod, export_test(api))
    cron = make_job("daily_sales")["schedule"]["cron"]
    edit(api, prod, schedule={"type": "CRON", "cron": {**cron, "expression": "0 0 5 * * ?"}})
    assert provenance(api, prod)["drifted"] is True


def test_rolling_an_import_back_gives_back_the_provenance_it_replaced_or_the_job_goes(
    api: SignedClient,
) -> None:
    seed(api)
    prod = prod_workspace(api)
    first = promote(api, prod, export_test(api))
    edit(api, default_workspace(api), description="v2")
    second_package = export_test(api)
    second = promote(api, prod, second_package)
    assert provenance(api, prod)["importTaskId"] == second["id"]
    assert provenance(api, prod)["packageSha256"] == hashlib.sha256(second_package).hexdigest()

    rollback(api, prod, second["id"])
    after = provenance(api, prod)
    assert (after["importTaskId"], after["rolledBack"], after["drifted"]) == (
        first["id"],
        False,
        False,
    )

    rollback(api, prod, first["id"])
    gone = api.call("GET", "/jobs/daily_sales/provenance", workspace=prod)
    assert gone.json()["error_code"] == "DLF.0100"


def test_an_import_that_only_linked_an_identical_job_names_it_until_rolled_back(
    api: SignedClient,
) -> None:
    seed(api, ("daily_sales", "weekly_sales"))
    prod = prod_workspace(api, seeded=True)  # daily_sales created in prod as in test
    assert provenance(api, prod) is None
    task = promote(api, prod, export_test(api, "daily_sales", "weekly_sales"))
    linked = provenance(api, prod)  # daily_sales was unchanged: the import only linked it
    assert (linked["importTaskId"], linked["rolledBack"]) == (task["id"], False)

    rollback(api, prod, task["id"])  # it removes weekly_sales, which the import created
    assert api.call("GET", "/jobs/weekly_sales", workspace=prod).status_code == 400
    # daily_sales is as it was, and so is its ledger: the link the import made is forgotten,
    # and the job has no provenance again (docs/design.md, "Where a job came from").
    assert provenance(api, prod) is None
