"""The DataArts script calls, in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from support.accounts import new_user
from support.builders import fixture, make_job, make_script
from support.clients import SignedClient, assert_error

SCRIPT_FIXTURES = (
    "hwdocs_dgc_script_dlisql1.script",
    "otc_doc_script_echoTimeShell.script",
    "dwtoolkit_load_data.script",
    "dwtoolkit_query1.script",
)


def create(api: SignedClient, script: dict[str, Any], **kw: Any) -> Any:
    response = api.call("POST", "/scripts", script, **kw)
    assert response.status_code == 204, response.text
    assert response.content == b""
    return response


def script_total(api: SignedClient) -> int:
    total: int = api.call("GET", "/scripts", query={"limit": 100}).json()["total"]
    return total


def test_create_then_show_returns_every_key_with_id_and_version(api: SignedClient) -> None:
    script = fixture("dwtoolkit_query1.script")
    create(api, script)
    response = api.call("GET", "/scripts/query1")
    assert response.status_code == 200
    shown = response.json()
    for key, value in script.items():
        assert shown[key] == value, key
    assert shown["templateVersion"] == "1.0"
    assert shown["currentDatabase"] == ""
    assert list(shown)[: len(script)] == list(script), "stored key order is the client's"
    assert isinstance(shown["id"], str)
    assert shown["id"]
    assert shown["version"] == 1, "no targetStatus without approval means SUBMITTED"
    assert isinstance(shown["modifyTime"], int)


@pytest.mark.parametrize("name", SCRIPT_FIXTURES)
def test_documented_script_examples_round_trip(api: SignedClient, name: str) -> None:
    script = fixture(name)
    create(api, script)
    shown = api.call("GET", f"/scripts/{script['name']}").json()
    assert {k: shown[k] for k in script} == script
    listed = api.call("GET", "/scripts", query={"scriptName": script["name"]}).json()
    assert listed["total"] == 1
    assert {k: listed["scripts"][0][k] for k in script} == script


def test_create_with_saved_target_status_has_no_version(api: SignedClient) -> None:
    create(api, make_script(targetStatus="SAVED"))
    shown = api.call("GET", "/scripts/daily_sales_sql").json()
    assert "version" not in shown
    assert "targetStatus" not in shown, "control fields are not stored"


def test_server_fields_in_the_body_do_not_override_the_servers(api: SignedClient) -> None:
    create(api, make_script(id="forged", modifyTime=1))
    shown = api.call("GET", "/scripts/daily_sales_sql").json()
    assert shown["id"] != "forged"
    assert shown["modifyTime"] != 1


def test_list_filters_by_script_name_and_pages(api: SignedClient) -> None:
    for i in range(12):
        create(api, make_script(f"etl_{i:02d}"))
    create(api, make_script("report_sh", type="Shell", content="echo 1"))

    first = api.call("GET", "/scripts").json()
    assert first["total"] == 13
    assert len(first["scripts"]) == 10, "limit defaults to 10"
    assert [s["name"] for s in first["scripts"]][:2] == ["etl_00", "etl_01"]
    assert all("content" in s and "id" in s for s in first["scripts"])
    second = api.call("GET", "/scripts", query={"offset": 10}).json()
    assert second["total"] == 13
    assert [s["name"] for s in second["scripts"]] == ["etl_10", "etl_11", "report_sh"]
    small = api.call("GET", "/scripts", query={"limit": 2, "offset": 11}).json()
    assert [s["name"] for s in small["scripts"]] == ["etl_11", "report_sh"]

    by_name = api.call("GET", "/scripts", query={"scriptName": "etl_1"}).json()
    assert by_name["total"] == 2
    assert [s["name"] for s in by_name["scripts"]] == ["etl_10", "etl_11"]
    substring = api.call("GET", "/scripts", query={"scriptName": "port"}).json()
    assert [s["name"] for s in substring["scripts"]] == ["report_sh"]
    none = api.call("GET", "/scripts", query={"scriptName": "zzz"}).json()
    assert none == {"total": 0, "scripts": []}
    percent = api.call("GET", "/scripts", query={"scriptName": "%"}).json()
    assert percent["total"] == 0, "the filter is a literal substring, not a LIKE pattern"

    bad = api.call("GET", "/scripts", query={"limit": 0})
    assert_error(bad, "DLF.3051", "limit")
    bad = api.call("GET", "/scripts", query={"offset": -1})
    assert_error(bad, "DLF.3051", "offset")


def test_update_replaces_the_definition_and_submits_a_new_version(api: SignedClient) -> None:
    create(api, make_script())
    changed = make_script(content="select 2;", description="second")
    response = api.call("PUT", "/scripts/daily_sales_sql", changed)
    assert response.status_code == 204, response.text
    assert response.content == b""
    shown = api.call("GET", "/scripts/daily_sales_sql").json()
    assert shown["content"] == "select 2;"
    assert shown["description"] == "second"
    assert shown["version"] == 2

    saved = make_script(content="select 3;", targetStatus="SAVED")
    assert api.call("PUT", "/scripts/daily_sales_sql", saved).status_code == 204
    shown = api.call("GET", "/scripts/daily_sales_sql").json()
    assert shown["content"] == "select 3;"
    assert shown["version"] == 2, "SAVED changes the development state only"


def test_update_without_a_name_takes_the_name_from_the_path(api: SignedClient) -> None:
    create(api, make_script())
    body = make_script(content="select 9;")
    del body["name"]
    assert api.call("PUT", "/scripts/daily_sales_sql", body).status_code == 204
    shown = api.call("GET", "/scripts/daily_sales_sql").json()
    assert shown["name"] == "daily_sales_sql"
    assert shown["content"] == "select 9;"


def test_delete_removes_the_script(api: SignedClient) -> None:
    create(api, make_script())
    create(api, make_script("keep_me"))
    response = api.call("DELETE", "/scripts/daily_sales_sql")
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_error(api.call("GET", "/scripts/daily_sales_sql"), "DLF.6201")
    assert [s["name"] for s in api.call("GET", "/scripts").json()["scripts"]] == ["keep_me"]


def test_delete_accepts_an_empty_delete_req_body(api: SignedClient) -> None:
    create(api, make_script())
    assert api.call("DELETE", "/scripts/daily_sales_sql", {}).status_code == 204
    assert script_total(api) == 0


def test_the_name_can_be_reused_after_delete(api: SignedClient) -> None:
    create(api, make_script(content="old"))
    api.call("DELETE", "/scripts/daily_sales_sql")
    create(api, make_script(content="new"))
    shown = api.call("GET", "/scripts/daily_sales_sql").json()
    assert shown["content"] == "new"
    assert shown["version"] == 1


def test_duplicate_name_is_refused_with_dlf_0202_and_keeps_the_original(
    api: SignedClient,
) -> None:
    create(api, make_script(content="original"))
    response = api.call("POST", "/scripts", make_script(content="intruder"))
    assert_error(response, "DLF.0202", "daily_sales_sql", "already exists")
    assert script_total(api) == 1
    shown = api.call("GET", "/scripts/daily_sales_sql").json()
    assert shown["content"] == "original"
    assert shown["version"] == 1


def test_unknown_script_answers_dlf_6201(api: SignedClient) -> None:
    for method, body in (("GET", None), ("PUT", make_script("nope")), ("DELETE", None)):
        response = api.call(method, "/scripts/nope", body)
        assert_error(response, "DLF.6201", "nope", "does not exist")
    assert script_total(api) == 0, "an update of an unknown script creates nothing"


def test_missing_type_is_refused_with_dlf_6247_and_stores_nothing(api: SignedClient) -> None:
    script = make_script()
    del script["type"]
    response = api.call("POST", "/scripts", script)
    assert_error(response, "DLF.6247", "type")
    assert response.json()["details"][0]["field"] == "type"
    assert script_total(api) == 0


def test_invalid_type_is_refused_with_dlf_3051_and_stores_nothing(api: SignedClient) -> None:
    response = api.call("POST", "/scripts", make_script(type="COBOL"))
    assert_error(response, "DLF.3051", "type", "COBOL")
    assert script_total(api) == 0


def test_invalid_update_leaves_the_script_unchanged(api: SignedClient) -> None:
    create(api, make_script())
    response = api.call("PUT", "/scripts/daily_sales_sql", make_script(type="COBOL"))
    assert_error(response, "DLF.3051", "COBOL")
    shown = api.call("GET", "/scripts/daily_sales_sql").json()
    assert shown["type"] == "DWSSQL"
    assert shown["version"] == 1


def test_missing_content_and_bad_name_are_all_reported(api: SignedClient) -> None:
    script = make_script(name="bad name!")
    del script["content"]
    response = api.call("POST", "/scripts", script)
    assert_error(response, "DLF.3051")
    fields = {d["field"] for d in response.json()["details"]}
    assert {"name", "content"} <= fields
    assert script_total(api) == 0


def test_delete_is_refused_with_dlf_9013_while_a_job_uses_the_script(api: SignedClient) -> None:
    create(api, make_script())
    assert api.call("POST", "/jobs", make_job()).status_code == 204
    response = api.call("DELETE", "/scripts/daily_sales_sql")
    assert_error(response, "DLF.9013", "daily_sales_sql", "daily_sales")
    assert response.json()["jobs"] == ["daily_sales"]
    assert api.call("GET", "/scripts/daily_sales_sql").status_code == 200
    assert script_total(api) == 1

    api.call("DELETE", "/jobs/daily_sales")
    assert api.call("DELETE", "/scripts/daily_sales_sql").status_code == 204
    assert script_total(api) == 0


def test_rename_by_update_is_refused(api: SignedClient) -> None:
    create(api, make_script())
    response = api.call("PUT", "/scripts/daily_sales_sql", make_script("renamed_sql"))
    assert_error(response, "DLF.3051", "cannot be renamed", "renamed_sql", "daily_sales_sql")
    assert api.call("GET", "/scripts/daily_sales_sql").json()["version"] == 1
    assert_error(api.call("GET", "/scripts/renamed_sql"), "DLF.6201")
    assert script_total(api) == 1


def test_non_ascii_script_name_round_trips(api: SignedClient) -> None:
    create(api, make_script("脚本_1", content="select '中文';"))
    shown = api.call("GET", "/scripts/%E8%84%9A%E6%9C%AC_1").json()
    assert shown["name"] == "脚本_1"
    assert shown["content"] == "select '中文';"


def test_show_and_list_name_the_creator_as_create_user(api: SignedClient) -> None:
    # The Terraform provider reads createUser into created_by.
    dev = new_user(api, "dana", "developer")
    create(dev, make_script(createUser="forged"))
    shown = api.call("GET", "/scripts/daily_sales_sql").json()
    assert shown["createUser"] == "dana"
    listed = api.call("GET", "/scripts").json()["scripts"]
    assert [s["createUser"] for s in listed] == ["dana"]
    shown["content"] = "SELECT 2"
    assert api.call("PUT", "/scripts/daily_sales_sql", shown).status_code == 204
    assert api.call("GET", "/scripts/daily_sales_sql").json()["createUser"] == "dana"


def test_unknown_script_answers_in_the_list_shape_too(api: SignedClient) -> None:
    body = api.call("GET", "/scripts/nope").json()
    assert body["errors"] == [{"error_code": "DLF.6201", "error_msg": body["error_msg"]}]


def test_a_script_created_without_a_directory_is_shown_without_one(api: SignedClient) -> None:
    # The Terraform provider's directory is optional, not computed: an invented "/" would be
    # a difference in every plan.
    script = make_script()
    script.pop("directory", None)
    create(api, script)
    assert "directory" not in api.call("GET", "/scripts/daily_sales_sql").json()
    create(api, make_script("placed", directory="/etl"))
    assert api.call("GET", "/scripts/placed").json()["directory"] == "/etl"


def test_approvers_as_the_terraform_provider_spells_them_are_read(api: SignedClient) -> None:
    # The provider sends a script's approvers as its configuration spells them
    # (approver_name); with approval switched on they are what the save needs.
    ws = api.call("GET", "/workspaces").json()["workspaces"][0]["id"]
    api.call("PUT", f"/workspaces/{ws}", {"approvalEnabled": True})
    approvers = [{"approver_name": "admin"}]
    script = make_script(targetStatus="SUBMITTED", approvers=approvers)
    assert create(api, script).status_code == 204
    both = [{"approver_name": "admin", "approverName": "admin"}]
    other = make_script("other", targetStatus="SUBMITTED", approvers=both)
    refused = api.call("POST", "/scripts", other)
    assert_error(refused, "DLF.3051", "gives its name twice")
    assert api.call("GET", "/scripts/other").status_code == 400  # nothing saved
