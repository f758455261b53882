"""A workspace's drift (extension ``GET /drift``): every object an import from another workspace
wrote and that changed since, field by field, with who changed it last; the fields a profile
gives the target are not drift, and objects no import wrote are not compared.

Every test imports daily_sales (two scripts and a resource with it) from the default workspace
("test") into a new one, "prod".
"""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.services.definitions import drift as drift_module
from support.builders import make_job, make_script
from support.clients import SignedClient, wait_task
from support.exporting import seed
from support.provenance import edit, export_test, prod_workspace, promote, promoted_with_owned_cron


def drift(api: SignedClient, workspace: str) -> dict[str, Any]:
    answer = api.call("GET", "/drift", workspace=workspace)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_a_promoted_workspace_has_no_drift_until_an_object_is_changed_in_it(
    api: SignedClient,
) -> None:
    seed(api)
    prod = prod_workspace(api)
    task = promote(api, prod, export_test(api))
    assert drift(api, prod) == {"compared": 4, "total": 0, "objects": []}  # job, 2 scripts, jar

    edit(api, prod, description="hot-fixed in prod")
    changed = make_script("daily_sales_sh", type="Shell", content="echo fixed")
    assert api.call("PUT", "/scripts/daily_sales_sh", changed, workspace=prod).status_code == 204
    found = drift(api, prod)
    assert (found["compared"], found["total"]) == (4, 2)
    job, script = found["objects"]  # by kind: jobs first
    assert (job["kind"], job["name"]) == ("job", "daily_sales")
    assert [c["path"] for c in job["changes"]] == ["description"]
    assert job["changes"][0]["after"] == "hot-fixed in prod"
    assert (job["updateUser"], job["importTaskId"]) == ("admin", task["id"])
    assert job["updateTime"] >= job["importedAt"]
    assert (script["kind"], script["name"]) == ("script", "daily_sales_sh")
    assert {c["path"] for c in script["changes"]} == {"content"}


def test_an_object_deleted_here_since_it_was_promoted_is_listed_as_deleted(
    api: SignedClient,
) -> None:
    seed(api)
    prod = prod_workspace(api)
    task = promote(api, prod, export_test(api))
    assert api.call("DELETE", "/jobs/daily_sales", workspace=prod).status_code == 204
    found = drift(api, prod)
    assert (found["compared"], found["total"]) == (4, 1)
    [gone] = found["objects"]
    assert (gone["kind"], gone["name"], gone["deleted"]) == ("job", "daily_sales", True)
    assert (gone["changes"], gone["updateUser"], gone["importTaskId"]) == ([], "admin", task["id"])
    assert gone["updateTime"] >= gone["importedAt"]


def test_a_target_owned_field_is_not_drift_and_an_object_made_here_is_not_compared(
    api: SignedClient,
) -> None:
    prod = promoted_with_owned_cron(api)
    cron = make_job("daily_sales")["schedule"]["cron"]
    edit(api, prod, schedule={"type": "CRON", "cron": {**cron, "expression": "0 0 5 * * ?"}})
    made_here = make_job("prod_only")
    made_here["nodes"][0]["properties"] = [{"name": "scriptName", "value": "daily_sales_sql"}]
    assert api.call("POST", "/jobs", made_here, workspace=prod).status_code == 204

    assert drift(api, prod) == {"compared": 4, "total": 0, "objects": []}


def test_past_the_shown_objects_the_report_counts_them_all(
    api: SignedClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(api)
    prod = prod_workspace(api)
    promote(api, prod, export_test(api))
    monkeypatch.setattr(drift_module, "SHOWN", 1)
    monkeypatch.setattr(drift_module, "BATCH", 1)  # every object in a batch of its own
    edit(api, prod, description="hot-fixed in prod")
    for name in ("daily_sales_sql", "daily_sales_sh"):
        changed = make_script(name, content="SELECT 2")
        assert api.call("PUT", f"/scripts/{name}", changed, workspace=prod).status_code == 204

    found = drift(api, prod)
    assert (found["compared"], found["total"], found["objectsShown"]) == (4, 3, 1)
    assert [o["name"] for o in found["objects"]] == ["daily_sales"]


def test_a_workspace_nothing_was_imported_into_has_nothing_to_compare(api: SignedClient) -> None:
    seed(api)
    assert drift(api, prod_workspace(api, seeded=True)) == {
        "compared": 0,
        "total": 0,
        "objects": [],
    }


def test_an_object_two_sources_wrote_is_compared_with_what_the_newest_import_wrote(
    api: SignedClient,
) -> None:
    seed(api)
    prod = prod_workspace(api)
    promote(api, prod, export_test(api))
    other = prod_workspace(api, seeded=True, name="other")  # its own daily_sales
    edit(api, other, description="as other has it")
    body = {"mode": "names", "names": ["daily_sales"]}
    started = api.call("POST", "/exports", body, workspace=other)
    assert started.status_code == 200, started.text
    task = wait_task(api, started.json()["taskId"], other)
    data = api.call("GET", f"/downloads/{task['result']['downloadId']}/content", workspace=other)
    second = promote(api, prod, data.content, onDrift="TAKE_PACKAGE")

    found = drift(api, prod)  # the newest import wrote what prod holds: no drift
    assert (found["compared"], found["total"]) == (4, 0), found
    edit(api, prod, description="hot-fixed in prod")
    (job,) = drift(api, prod)["objects"]
    assert job["importTaskId"] == second["id"]
    assert job["changes"][0]["before"] == "as other has it"
