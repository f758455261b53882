"""DataArts Studio factory v2 job and script calls: PUT …/factory/jobs/{job_name}/rename and
GET …/factory/scripts."""

from __future__ import annotations

from typing import Any

from jobferry.domain.definitions import LOCKED_BY_HEADER
from support.accounts import default_workspace, new_user
from support.builders import make_job, make_script
from support.clients import SignedClient, assert_error
from support.importing import new_workspace


def v2(api: SignedClient, method: str, path: str, body: Any = None, **kw: Any) -> Any:
    kw.setdefault("workspace", default_workspace(api))
    return api.call(method, f"/factory{path}", body, version="v2", **kw)


def create(api: SignedClient, job: dict[str, Any], workspace: str | None = None) -> None:
    answer = api.call("POST", "/jobs", job, workspace=workspace)
    assert answer.status_code == 204, answer.text


def depending_on(name: str, *upstream: str) -> dict[str, Any]:
    job = make_job(name)
    job["schedule"]["cron"]["dependJobs"] = {"jobs": list(upstream), "dependPeriod": "SAME_PERIOD"}
    return job


# -- rename ----------------------------------------------------------------------------------


def test_rename_keeps_the_job_its_versions_and_rewrites_its_dependents(api: SignedClient) -> None:
    create(api, make_job("extract", targetStatus="SUBMITTED"))
    create(api, depending_on("load", "extract", "other"))
    create(api, depending_on("report", "load"))
    before = api.call("GET", "/jobs/extract").json()

    answer = v2(api, "PUT", "/jobs/extract/rename", {"name": "extract_v2"})

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"is_success": True, "status_code": 200}
    assert_error(api.call("GET", "/jobs/extract"), "DLF.0100", "extract")
    after = api.call("GET", "/jobs/extract_v2").json()
    assert after["name"] == "extract_v2"
    assert after["id"] == before["id"]
    assert {k: v for k, v in after.items() if k not in ("name", "lastUpdateUser")} == {
        k: v for k, v in before.items() if k not in ("name", "lastUpdateUser")
    }
    versions = api.call("GET", "/jobs/extract_v2/versions").json()
    assert [v["version"] for v in versions["versions"]] == [1]
    assert api.call("GET", "/jobs/extract_v2", query={"version": 1}).json()["name"] == "extract_v2"
    load = api.call("GET", "/jobs/load").json()
    assert load["schedule"]["cron"]["dependJobs"]["jobs"] == ["extract_v2", "other"]
    report = api.call("GET", "/jobs/report").json()
    assert report["schedule"]["cron"]["dependJobs"]["jobs"] == ["load"]
    refs = api.call("GET", "/jobs/extract_v2", query={"dependencies": True}).json()
    assert [d["jobName"] for d in refs["downstreamJobs"]] == ["load"]


def test_rename_of_a_missing_job_answers_dlf_30100(api: SignedClient) -> None:
    answer = v2(api, "PUT", "/jobs/nothing/rename", {"name": "x"})
    assert_error(answer, "DLF.30100", "Job[nothing] does not exist")


def test_rename_refuses_a_taken_or_invalid_name_and_changes_nothing(api: SignedClient) -> None:
    create(api, make_job("a_job"))
    create(api, make_job("b_job"))

    assert_error(v2(api, "PUT", "/jobs/a_job/rename", {"name": "b_job"}), "DLF.0102", "b_job")
    assert_error(v2(api, "PUT", "/jobs/a_job/rename", {"name": "bad/name"}), "DLF.3018", "name")
    assert_error(v2(api, "PUT", "/jobs/a_job/rename", {}), "DLF.3004", "name")
    assert_error(v2(api, "PUT", "/jobs/a_job/rename", {"name": ".."}), "DLF.3018")

    names = [j["name"] for j in api.call("GET", "/jobs").json()["jobs"]]
    assert names == ["a_job", "b_job"]


def test_rename_to_the_same_name_succeeds_and_changes_nothing(api: SignedClient) -> None:
    create(api, make_job("same"))
    before = api.call("GET", "/jobs/same").json()
    assert v2(api, "PUT", "/jobs/same/rename", {"name": "same"}).status_code == 200
    assert api.call("GET", "/jobs/same").json() == before


def test_rename_needs_the_workspace_header_a_stopped_job_and_a_writer(api: SignedClient) -> None:
    create(api, make_job("busy", targetStatus="SUBMITTED"))
    assert api.call("POST", "/jobs/busy/start").status_code == 204

    no_header = api.call("PUT", "/factory/jobs/busy/rename", {"name": "x"}, version="v2")
    assert no_header.status_code == 400
    assert "workspace" in no_header.json()["error_msg"]
    assert_error(v2(api, "PUT", "/jobs/busy/rename", {"name": "x"}), "DLF.9011", "stop it")
    viewer = new_user(api, "viewer_r", "viewer")
    ws = default_workspace(api)
    refused = v2(viewer, "PUT", "/jobs/busy/rename", {"name": "x"}, workspace=ws)
    assert refused.status_code == 403, refused.text
    assert api.call("GET", "/jobs/busy").status_code == 200


def test_rename_refuses_when_jobs_of_another_workspace_depend_on_it(api: SignedClient) -> None:
    create(api, make_job("shared"))
    default_name = next(
        w["name"] for w in api.call("GET", "/workspaces").json()["workspaces"] if w["isDefault"]
    )
    other = new_workspace(api, "consumers")
    consumer = make_job("consumer")
    consumer["schedule"]["cron"]["dependJobs"] = {
        "otherWorkSpaceJobs": [{"workSpace": default_name, "jobName": "shared"}]
    }
    create(api, consumer, workspace=other)

    answer = v2(api, "PUT", "/jobs/shared/rename", {"name": "shared2"})

    assert_error(answer, "DLF.9013", "consumers/consumer", "other workspaces")
    assert api.call("GET", "/jobs/shared").status_code == 200


def test_a_renamed_job_keeps_its_lock(api: SignedClient) -> None:
    create(api, make_job("locked"))
    assert api.call("POST", "/locks/job/locked").status_code == 200

    renamed = v2(api, "PUT", "/jobs/locked/rename", {"name": "locked2"})
    assert renamed.status_code == 200
    assert LOCKED_BY_HEADER not in renamed.headers  # the caller's own lock

    assert [(lk["kind"], lk["name"]) for lk in api.call("GET", "/locks").json()["locks"]] == [
        ("job", "locked2")
    ]
    bob = new_user(api, "bob", "developer")
    passed = v2(bob, "PUT", "/jobs/locked2/rename", {"name": "locked3"})
    assert passed.json() == {"is_success": True, "status_code": 200}
    assert passed.headers[LOCKED_BY_HEADER] == "admin"  # the soft policy only warns


def test_a_rename_names_in_its_header_the_holders_of_the_dependents_it_rewrote(
    api: SignedClient,
) -> None:
    # The header named only the renamed job's own holder: the dependents the rename rewrote
    # over other users' locks went unsaid. Several users are comma-separated, the job's first.
    for job in (
        make_job("extract"),
        depending_on("load", "extract"),
        depending_on("report", "extract"),
    ):
        create(api, job)
    bob, carol = new_user(api, "bob", "developer"), new_user(api, "carol", "developer")
    assert api.call("POST", "/locks/job/extract").status_code == 200
    assert bob.call("POST", "/locks/job/report").status_code == 200
    assert carol.call("POST", "/locks/job/load").status_code == 200

    renamed = v2(carol, "PUT", "/jobs/extract/rename", {"name": "extract_v2"})

    assert renamed.json() == {"is_success": True, "status_code": 200}
    assert renamed.headers[LOCKED_BY_HEADER] == "admin,bob"  # not carol: her own lock
    only = v2(api, "PUT", "/jobs/extract_v2/rename", {"name": "extract"})  # the job is his
    assert only.headers[LOCKED_BY_HEADER] == "carol,bob"


# -- v2 script list --------------------------------------------------------------------------


def test_v2_script_list_answers_snake_case_without_content(api: SignedClient) -> None:
    for name in ("s_a", "s_b", "s_c"):
        created = api.call("POST", "/scripts", make_script(name, description="d", queueName="q"))
        assert created.status_code == 204, created.text

    listed = v2(api, "GET", "/scripts", query={"limit": 2, "offset": 1})

    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["total"] == 3
    assert [s["name"] for s in body["scripts"]] == ["s_b", "s_c"]
    item = body["scripts"][0]
    assert "content" not in item
    assert isinstance(item["id"], str)
    assert item["connection_name"] == "dws_conn"
    assert item["queue_name"] == "q"
    assert item["create_user"]
    assert isinstance(item["modify_time"], int)
    assert {k for k in item if any(c.isupper() for c in k)} == set()


def test_v2_script_list_filters_by_name_and_checks_paging(api: SignedClient) -> None:
    for name in ("orders_sql", "users_sql"):
        api.call("POST", "/scripts", make_script(name))

    found = v2(api, "GET", "/scripts", query={"script_name": "orders"}).json()

    assert [s["name"] for s in found["scripts"]] == ["orders_sql"]
    assert_error(v2(api, "GET", "/scripts", query={"limit": 0}), "DLF.3051", "limit")
