"""``GET /v1/{project_id}/jobs/{job_name}/compare`` and ``…/scripts/{script_name}/compare``
(with ``…/scripts/{script_name}/versions``): two states of a job or script compared, on the
wire; the service's rules are in tests/unit/services/definitions/test_compare.py."""

from __future__ import annotations

from support.builders import make_job, make_script
from support.clients import SignedClient, assert_error


def _job(api: SignedClient, value: str, status: str) -> None:
    job = make_job(targetStatus=status)
    job["params"][0]["value"] = value
    assert api.call("PUT", "/jobs/daily_sales", job).status_code == 204


def test_a_job_s_states_are_compared_from_one_version_to_another_or_its_draft(
    api: SignedClient,
) -> None:
    assert api.call("POST", "/jobs", make_job(targetStatus="SAVED")).status_code == 204
    _job(api, "first", "SUBMITTED")
    _job(api, "second", "SUBMITTED")
    _job(api, "draft", "SAVED")

    since = api.call("GET", "/jobs/daily_sales/compare").json()
    assert since == {
        "name": "daily_sales",
        "kind": "job",
        "from": 2,
        "to": None,
        "changes": [
            {"path": "params[bizdate].value", "op": "changed", "before": "second", "after": "draft"}
        ],
    }
    second = api.call("GET", "/jobs/daily_sales/compare", query={"to": 2}).json()
    assert (second["from"], [c["after"] for c in second["changes"]]) == (1, ["second"])
    back = api.call("GET", "/jobs/daily_sales/compare", query={"from": 2, "to": 1}).json()
    assert [c["after"] for c in back["changes"]] == ["first"]

    assert_error(
        api.call("GET", "/jobs/daily_sales/compare", query={"to": 9}),
        "DLF.0100",
        "no submitted version 9; its latest version is 2",
    )
    assert_error(api.call("GET", "/jobs/daily_sales/compare", query={"from": "x"}), "DLF.3051")
    assert_error(api.call("GET", "/jobs/nothing/compare"), "DLF.0100", "no job 'nothing'")


def test_a_script_s_versions_are_listed_and_compared(api: SignedClient) -> None:
    script = make_script("kpi_sql", targetStatus="SUBMITTED")
    assert api.call("POST", "/scripts", script).status_code == 204
    edited = script | {"content": "select 2;", "targetStatus": "SAVED"}
    assert api.call("PUT", "/scripts/kpi_sql", edited).status_code == 204

    versions = api.call("GET", "/scripts/kpi_sql/versions").json()
    assert (versions["total"], [v["version"] for v in versions["versions"]]) == (1, [1])
    compared = api.call("GET", "/scripts/kpi_sql/compare").json()
    assert compared["changes"] == [
        {"path": "content", "op": "changed", "before": "select 1;", "after": "select 2;"}
    ]
    assert_error(api.call("GET", "/scripts/kpi_sq/versions"), "DLF.6201", "kpi_sql")


def test_a_version_is_restored_as_the_development_state(api: SignedClient) -> None:
    """``POST …/jobs/{job_name}/versions/{version}/restore`` (and a script's): the
    development state becomes the version's definition, saved, not submitted; the rules are
    in tests/unit/services/definitions/test_restore.py."""
    assert api.call("POST", "/jobs", make_job(targetStatus="SAVED")).status_code == 204
    _job(api, "first", "SUBMITTED")
    _job(api, "draft", "SAVED")

    restored = api.call("POST", "/jobs/daily_sales/versions/1/restore")
    assert restored.status_code == 200
    assert restored.json() == {
        "name": "daily_sales",
        "kind": "job",
        "version": 1,
        "saved": True,
        "changes": [
            {"path": "params[bizdate].value", "op": "changed", "before": "draft", "after": "first"}
        ],
    }
    assert api.call("GET", "/jobs/daily_sales/compare").json()["changes"] == []
    again = api.call("POST", "/jobs/daily_sales/versions/1/restore").json()
    assert (again["saved"], again["changes"]) == (False, [])

    assert_error(
        api.call("POST", "/jobs/daily_sales/versions/7/restore"),
        "DLF.0100",
        "no submitted version 7",
    )
    assert_error(api.call("POST", "/jobs/daily_sales/versions/x/restore"), "DLF.3051")
    script = make_script("kpi_sql", targetStatus="SUBMITTED")
    assert api.call("POST", "/scripts", script).status_code == 204
    edited = script | {"content": "select 2;", "targetStatus": "SAVED"}
    assert api.call("PUT", "/scripts/kpi_sql", edited).status_code == 204
    back = api.call("POST", "/scripts/kpi_sql/versions/1/restore").json()
    assert [(c["path"], c["after"]) for c in back["changes"]] == [("content", "select 1;")]
    assert api.call("GET", "/scripts/kpi_sql").json()["content"] == "select 1;"


def test_a_script_s_submitted_version_is_shown(api: SignedClient) -> None:
    script = make_script("kpi_sql", targetStatus="SUBMITTED")
    assert api.call("POST", "/scripts", script).status_code == 204
    edited = script | {"content": "select 2;", "targetStatus": "SAVED"}
    assert api.call("PUT", "/scripts/kpi_sql", edited).status_code == 204

    shown = api.call("GET", "/scripts/kpi_sql", query={"version": 1}).json()
    assert (shown["content"], shown["version"]) == ("select 1;", 1)
    assert api.call("GET", "/scripts/kpi_sql").json()["content"] == "select 2;"
    assert_error(
        api.call("GET", "/scripts/kpi_sql", query={"version": 3}),
        "DLF.0100",
        "no submitted version 3",
    )


def test_the_development_state_is_submitted(api: SignedClient) -> None:
    assert api.call("POST", "/jobs", make_job(targetStatus="SAVED")).status_code == 204

    submitted = api.call("POST", "/jobs/daily_sales/submit")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json() == {"name": "daily_sales", "kind": "job", "version": 1, "made": True}
    again = api.call("POST", "/jobs/daily_sales/submit", {"approvers": []}).json()
    assert (again["version"], again["made"]) == (1, False)
    assert_error(
        api.call("POST", "/jobs/daily_sales/submit", {"targetStatus": "SAVED"}),
        "DLF.3051",
        "takes only approvers, not targetStatus",
    )
    assert_error(api.call("POST", "/jobs/nothing/submit"), "DLF.0100", "no job 'nothing'")
