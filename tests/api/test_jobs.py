"""The DataArts job calls, in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.services.container import Services
from support.builders import fixture, make_job, make_script
from support.clients import SignedClient
from support.databases import orphan_reference_rows


def create(api: SignedClient, job: dict[str, Any], **kw: Any) -> Any:
    response = api.call("POST", "/jobs", job, **kw)
    assert response.status_code == 204, response.text
    return response


def test_create_then_show_returns_every_key_of_the_definition(api: SignedClient) -> None:
    job = make_job(unknownTopLevel={"kept": [1, 2]})
    job["nodes"][0]["lineageInfo"] = '[{"outputs":[],"inputs":[]}]'
    job["nodes"][0]["properties"][0]["value_is_sensitive"] = False
    create(api, job | {"version": "7"})  # the server's: answered as the job's own
    shown = api.call("GET", "/jobs/daily_sales").json()
    for key, value in job.items():
        assert shown[key] == value, key
    assert list(shown)[: len(job)] == list(job), "stored key order is the client's"
    assert shown["version"] == "1"
    assert isinstance(shown["id"], int)
    assert isinstance(shown["createTime"], int)


def test_documented_examples_round_trip(api: SignedClient) -> None:
    for name in ("otc_doc_job_myJob_hivesql.job", "otc_doc_job_realtime_myJob_dis_cs_dli.job"):
        job = fixture(name)
        create(api, job)
        shown = api.call("GET", f"/jobs/{job['name']}").json()
        # The real-time example's "version": "1.0" is the server's: the job's version 1.
        assert {k: shown[k] for k in job} == job | ({"version": "1"} if "version" in job else {})
        api.call("DELETE", f"/jobs/{job['name']}")


def test_create_refuses_a_duplicate_name_with_dlf_0102(api: SignedClient) -> None:
    create(api, make_job())
    response = api.call("POST", "/jobs", make_job())
    assert response.status_code == 400
    assert response.json()["error_code"] == "DLF.0102"
    assert "daily_sales" in response.json()["error_msg"]


def test_invalid_job_reports_every_violation_and_stores_nothing(api: SignedClient) -> None:
    job = make_job(name="bad name!")
    job["nodes"][1]["preNodeName"] = ["nowhere"]
    job["nodes"][0]["retryTimes"] = 9
    job["schedule"]["cron"]["expression"] = "0 99 2 * * ?"
    response = api.call("POST", "/jobs", job)
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "DLF.3051"
    fields = {d["field"] for d in body["details"]}
    assert {"name", "nodes[1].preNodeName[0]", "nodes[0].retryTimes"} <= fields
    assert any(f.startswith("schedule.cron.expression") for f in fields)
    assert api.call("GET", "/jobs", query={"limit": 100}).json()["total"] == 0


def test_unknown_job_answers_dlf_0100(api: SignedClient) -> None:
    response = api.call("GET", "/jobs/nope")
    assert response.status_code == 400
    assert response.json()["error_code"] == "DLF.0100"
    assert response.headers["X-Request-Id"] == response.json()["request_id"]


def test_versions_follow_target_status(api: SignedClient) -> None:
    create(api, make_job(targetStatus="SAVED"))
    assert api.call("GET", "/jobs/daily_sales/versions").json()["total"] == 0
    refused = api.call("GET", "/jobs/daily_sales", query={"getJobSubmitVersion": True})
    assert refused.json()["error_code"] == "DLF.0100"

    v1 = make_job(targetStatus="SUBMITTED")
    v1["params"][0]["value"] = "first"
    assert api.call("PUT", "/jobs/daily_sales", v1).status_code == 204
    v2 = make_job()
    v2["params"][0]["value"] = "second"
    assert api.call("PUT", "/jobs/daily_sales", v2).status_code == 204
    dev = make_job(targetStatus="SAVED")
    dev["params"][0]["value"] = "draft"
    assert api.call("PUT", "/jobs/daily_sales", dev).status_code == 204

    versions = api.call("GET", "/jobs/daily_sales/versions").json()["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    first = api.call("GET", "/jobs/daily_sales", query={"version": 1}).json()
    assert first["params"][0]["value"] == "first"
    assert first["version"] == "1"
    latest = api.call("GET", "/jobs/daily_sales", query={"getJobSubmitVersion": True}).json()
    assert latest["params"][0]["value"] == "second"
    assert api.call("GET", "/jobs/daily_sales").json()["params"][0]["value"] == "draft"
    missing = api.call("GET", "/jobs/daily_sales", query={"version": 9})
    assert missing.json()["error_code"] == "DLF.0100"


def test_show_refuses_a_version_that_cannot_exist_and_takes_minus_one_as_none(
    api: SignedClient,
) -> None:
    create(api, make_job(targetStatus="SUBMITTED"))
    dev = make_job(targetStatus="SAVED")
    dev["params"][0]["value"] = "draft"
    assert api.call("PUT", "/jobs/daily_sales", dev).status_code == 204
    for version in (0, -5, -2, -(2**40)):
        refused = api.call("GET", "/jobs/daily_sales", query={"version": version})
        assert refused.status_code == 400, (version, refused.text)
        assert refused.json()["error_code"] == "DLF.0100", version
        assert f"no submitted version {version}" in refused.json()["error_msg"]
    # -1 is DataArts' own default, "no version": the development state, as without it.
    none = api.call("GET", "/jobs/daily_sales", query={"version": -1})
    assert none.json()["params"][0]["value"] == "draft"
    latest = api.call(
        "GET", "/jobs/daily_sales", query={"version": -1, "getJobSubmitVersion": True}
    )
    assert latest.json()["version"] == "1"


def test_update_cannot_rename(api: SignedClient) -> None:
    create(api, make_job())
    response = api.call("PUT", "/jobs/daily_sales", make_job(name="other"))
    assert response.status_code == 400
    assert "cannot be renamed" in response.json()["error_msg"]


def test_start_stop_and_status(api: SignedClient) -> None:
    create(api, make_job())
    assert api.call("POST", "/jobs/daily_sales/start", {}).status_code == 204
    listed = api.call("GET", "/jobs").json()["jobs"][0]
    assert listed["status"] == "SCHEDULING"
    assert api.call("GET", "/jobs/daily_sales/status").json()["status"] == "NORMAL"
    assert api.call("POST", "/jobs/daily_sales/stop").status_code == 204
    assert api.call("GET", "/jobs").json()["jobs"][0]["status"] == "STOPPED"


def test_start_refuses_a_job_never_submitted(api: SignedClient) -> None:
    create(api, make_job(targetStatus="SAVED"))
    response = api.call("POST", "/jobs/daily_sales/start")
    assert response.status_code == 400
    assert "never been submitted" in response.json()["error_msg"]
    assert api.call("GET", "/jobs").json()["jobs"][0]["status"] == "STOPPED"


def test_start_refuses_cron_schedule_without_expression(api: SignedClient) -> None:
    create(api, fixture("otc_doc_job_myJob_hivesql.job"))
    response = api.call("POST", "/jobs/myJob/start")
    assert response.status_code == 400
    assert "schedule.cron.expression" in response.json()["error_msg"]


def test_delete_refuses_a_scheduled_job_then_works_when_stopped(api: SignedClient) -> None:
    create(api, make_job())
    api.call("POST", "/jobs/daily_sales/start")
    refused = api.call("DELETE", "/jobs/daily_sales")
    assert refused.json()["error_code"] == "DLF.9011"
    assert "stop it" in refused.json()["error_msg"]
    api.call("POST", "/jobs/daily_sales/stop")
    assert api.call("DELETE", "/jobs/daily_sales", {"approvers": []}).status_code == 204
    assert api.call("GET", "/jobs/daily_sales").json()["error_code"] == "DLF.0100"


@pytest.mark.parametrize(
    "body",
    [
        {"approvers": "x"},
        {"approvers": [{"approverName": 7}]},
        {"approvers": ["ann"]},
        [{"approverName": "ann"}],
    ],
)
def test_delete_refuses_a_body_of_another_shape_and_deletes_nothing(
    api: SignedClient, body: Any
) -> None:
    create(api, make_job())
    refused = api.call("DELETE", "/jobs/daily_sales", body)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error_code"] == "DLF.3051"
    if isinstance(body, dict):
        assert refused.json()["parameter"] == "approvers"
        assert "approverName" in refused.json()["error_msg"]
    assert api.call("GET", "/jobs/daily_sales").status_code == 200
    named = {"approvers": [{"approverName": "ann"}], "other": 1}  # DeleteReq; others ignored
    assert api.call("DELETE", "/jobs/daily_sales", named).status_code == 204
    assert api.call("GET", "/jobs/daily_sales").status_code == 400


def test_deleting_a_job_deletes_its_reference_rows(api: SignedClient, services: Services) -> None:
    create(api, make_job("gone"))
    create(api, make_job("kept"))
    assert api.call("DELETE", "/jobs/gone", {"approvers": []}).status_code == 204

    assert orphan_reference_rows(services.db) == 0
    # The survivor's rows are intact: its script still counts as used.
    refused = api.call("DELETE", "/scripts/kept_sql")
    assert refused.status_code == 400, refused.text


def test_delete_refuses_an_upstream_job_others_depend_on(api: SignedClient) -> None:
    create(api, make_job("upstream"))
    downstream = make_job("downstream")
    downstream["schedule"]["cron"]["dependJobs"] = {"jobs": ["upstream"]}
    create(api, downstream)
    shown = api.call("GET", "/jobs/upstream", query={"dependencies": True}).json()
    assert [d["jobName"] for d in shown["downstreamJobs"]] == ["downstream"]
    refused = api.call("DELETE", "/jobs/upstream")
    assert refused.json()["error_code"] == "DLF.9013"
    assert "downstream" in refused.json()["error_msg"]


def test_list_filters_by_type_name_and_tag_and_pages(api: SignedClient) -> None:
    for i in range(12):
        create(api, make_job(f"job_{i:02d}"))
    realtime = fixture("otc_doc_job_realtime_myJob_dis_cs_dli.job")
    create(api, realtime)
    tagged = make_job("special", basicConfig={"tags": ["finance"]})
    create(api, tagged)

    first = api.call("GET", "/jobs").json()
    assert first["total"] == 13, "jobType defaults to BATCH"
    assert len(first["jobs"]) == 10
    second = api.call("GET", "/jobs", query={"offset": 10}).json()
    assert [j["name"] for j in second["jobs"]] == ["job_10", "job_11", "special"]
    rt = api.call("GET", "/jobs", query={"jobType": "REAL_TIME"}).json()
    assert [j["name"] for j in rt["jobs"]] == ["myJob"]
    by_name = api.call("GET", "/jobs", query={"jobName": "_0"}).json()
    assert by_name["total"] == 10
    by_tag = api.call("GET", "/jobs", query={"tags": "finance"}).json()
    assert [j["name"] for j in by_tag["jobs"]] == ["special"]
    bad = api.call("GET", "/jobs", query={"limit": 101})
    assert bad.status_code == 400
    assert "limit" in bad.json()["error_msg"]


def test_job_result_fields(api: SignedClient) -> None:
    create(api, make_job())
    job = api.call("GET", "/jobs").json()["jobs"][0]
    assert job["name"] == "daily_sales"
    assert job["jobType"] == "BATCH"
    assert job["owner"] == "alice"
    assert job["path"] == "/sales"
    assert job["createUser"] == "admin"
    assert isinstance(job["createTime"], int)


def test_references_extension_lists_what_the_job_names(api: SignedClient) -> None:
    create(api, make_job())
    refs = api.call("GET", "/jobs/daily_sales/references").json()["references"]
    kinds = {(r["kind"], r["name"]) for r in refs}
    assert ("script", "daily_sales_sql") in kinds
    assert ("connection", "dws_conn") in kinds
    assert ("tag", "daily") in kinds


def test_tags_named_by_a_job_are_created(api: SignedClient) -> None:
    create(api, make_job())
    tags = api.call("GET", "/tags").json()["tags"]
    assert [t["name"] for t in tags] == ["daily"]


def test_empty_tags_object_round_trips_through_get_and_put(api: SignedClient) -> None:
    # DataArts' GET answers "no tags" as basicConfig.tags = {}; clients PUT what they got.
    create(api, make_job(basicConfig={"owner": "alice", "priority": 0, "tags": {}}))
    shown = api.call("GET", "/jobs/daily_sales").json()
    assert shown["basicConfig"]["tags"] == {}
    shown["directory"] = "/moved"
    response = api.call("PUT", "/jobs/daily_sales", shown)
    assert response.status_code == 204, response.text
    again = api.call("GET", "/jobs/daily_sales").json()
    assert again["basicConfig"] == {"owner": "alice", "priority": 0, "tags": {}}
    assert again["directory"] == "/moved"
    assert api.call("GET", "/tags").json()["tags"] == []
    assert api.call("GET", "/jobs", query={"tags": "daily"}).json()["total"] == 0


@pytest.mark.parametrize("name", [".", ".."])
def test_dot_names_are_refused_for_jobs_scripts_workspaces_and_users(
    api: SignedClient, name: str
) -> None:
    refusals = [
        api.call("POST", "/jobs", make_job(name)),
        api.call("POST", "/scripts", make_script(name)),
        api.call("POST", "/workspaces", {"name": name}),
        api.call("POST", "/users", {"name": name}),
    ]

    for response in refusals:
        assert response.status_code == 400, response.text
        assert "only dots" in response.json()["error_msg"]
    assert api.call("GET", "/jobs").json()["total"] == 0
    workspaces = api.call("GET", "/workspaces").json()["workspaces"]
    assert [w["name"] for w in workspaces] == ["default"]


def test_a_job_sent_with_loose_types_is_answered_as_the_go_sdk_decodes_it(
    api: SignedClient,
) -> None:
    # The Go SDK's jsoniter refuses "3" for an int32 and 5 for a string: one such field
    # failed show_job, and a listed priority every list_jobs of the workspace.
    job = make_job("loose", description=5)
    job["basicConfig"]["priority"] = "1"
    node = job["nodes"][0]
    node["retryTimes"] = "3"
    node["properties"].append({"name": "emptyRunningJob", "value": 0})
    job["schedule"]["cron"]["dependPrePeriod"] = "false"
    create(api, job)
    shown = api.call("GET", "/jobs/loose").json()
    assert shown["description"] == "5"
    assert shown["basicConfig"]["priority"] == 1
    assert shown["nodes"][0]["retryTimes"] == 3
    assert shown["nodes"][0]["properties"][-1] == {"name": "emptyRunningJob", "value": "0"}
    assert shown["schedule"]["cron"]["dependPrePeriod"] is False
    listed = api.call("GET", "/jobs", query={"jobName": "loose"}).json()["jobs"]
    assert [j["priority"] for j in listed] == [1]


@pytest.mark.parametrize("field", ["processType", "schedule"])
def test_create_refuses_a_job_without_a_mandatory_field_and_stores_nothing(
    api: SignedClient, field: str
) -> None:
    job = make_job()
    del job[field]
    response = api.call("POST", "/jobs", job)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error_code"] == "DLF.3051"
    assert [(d["field"], d["rule"]) for d in body["details"]] == [(field, "required")]
    assert "mandatory" in body["details"][0]["message"]
    assert api.call("GET", "/jobs/daily_sales").json()["error_code"] == "DLF.0100"


def test_update_refuses_a_job_without_a_mandatory_field_and_changes_nothing(
    api: SignedClient,
) -> None:
    create(api, make_job())
    job = make_job(directory="/elsewhere")
    del job["schedule"], job["processType"]
    response = api.call("PUT", "/jobs/daily_sales", job)
    assert response.status_code == 400, response.text
    fields = [d["field"] for d in response.json()["details"]]
    assert fields == ["processType", "schedule"]
    shown = api.call("GET", "/jobs/daily_sales").json()
    assert shown["directory"] == "/sales"
    assert shown["schedule"] == make_job()["schedule"]


def test_a_v2_shaped_job_sent_to_v1_is_told_the_v1_field_names(api: SignedClient) -> None:
    body = {"name": "daily_sales", "process_type": "BATCH", "basic_config": {"owner": "alice"}}
    response = api.call("POST", "/jobs", body)
    assert response.status_code == 400, response.text
    messages = {d["field"]: d["message"] for d in response.json()["details"]}
    assert set(messages) == {"processType", "schedule"}
    assert "processType not process_type" in messages["processType"]
    assert "basicConfig not basic_config" in messages["schedule"]
    assert api.call("GET", "/jobs/daily_sales").status_code == 400


def test_a_job_without_nodes_is_created_as_the_go_sdk_acceptance_test_sends_it(
    api: SignedClient,
) -> None:
    create(api, {"name": "once", "schedule": {"type": "EXECUTE_ONCE"}, "processType": "BATCH"})
    assert api.call("GET", "/jobs/once").json()["processType"] == "BATCH"
