"""DataArts Studio data-connection calls (/data-connections): snake_case, development and
production sides, secrets never answered, the same store as every other connection API."""

from __future__ import annotations

from typing import Any

import orjson

from support.accounts import default_workspace
from support.builders import make_job
from support.clients import SignedClient, assert_error
from support.exporting import seed
from support.importing import new_workspace, upload

PASSWORD = "Dws-pr0d-pass-90210"
MASK = "*********"


def source(name: str = "dws_link", env_type: int = 0, **config: Any) -> dict[str, Any]:
    return {
        "dw_name": name,
        "dw_type": "DWS",
        "dw_config": {"ip": "10.1.2.3", "port": "8000", "db_password": PASSWORD, **config},
        "agent_id": "0123456789abcdef0123456789abcdef0123",
        "agent_name": "cdm-1",
        "env_type": env_type,
        "supportService": 4,
        "dw_category": "DWS",
        "description": "warehouse",
    }


def sources(*vos: dict[str, Any], mode: int = 0) -> dict[str, Any]:
    return {"mode": mode, "visible": 1, "data_source_vos": list(vos)}


def call(api: SignedClient, method: str, path: str = "", body: Any = None, **kw: Any) -> Any:
    kw.setdefault("workspace", default_workspace(api))
    return api.call(method, f"/data-connections{path}", body, **kw)


def listed(api: SignedClient, **query: Any) -> dict[str, Any]:
    response = call(api, "GET", query=query)
    assert response.status_code == 200, response.text
    assert PASSWORD not in response.text
    body: dict[str, Any] = response.json()
    return body


def dw_id(api: SignedClient, name: str, env_type: int = 0) -> str:
    for item in listed(api, name=name)["data_connection_lists"]:
        detail = call(api, "GET", f"/{item['dw_id']}").json()
        if detail["dw_name"] == name and detail["env_type"] == env_type:
            return str(item["dw_id"])
    raise AssertionError(f"{name} not listed")


def test_create_answers_an_empty_200_and_show_never_answers_the_secret(
    api: SignedClient,
) -> None:
    created = call(api, "POST", body=sources(source()))
    assert created.status_code == 200, created.text
    assert created.content == b""

    ident = dw_id(api, "dws_link")
    shown = call(api, "GET", f"/{ident}")

    assert shown.status_code == 200
    assert PASSWORD not in shown.text
    body = shown.json()
    assert body["dw_config"] == {"ip": "10.1.2.3", "port": "8000", "db_password": MASK}
    assert (body["dw_name"], body["dw_type"], body["env_type"]) == ("dws_link", "DWS", 0)
    assert (body["agent_name"], body["dw_catagory"], body["description"]) == (
        "cdm-1",
        "DWS",
        "warehouse",
    )
    assert body["dw_id"] == ident
    assert len(ident) == 32
    assert body["create_user"] == "admin"
    assert body["update_type"] == 0


def test_development_and_production_sides_share_a_name(api: SignedClient) -> None:
    both = sources(source(), source(env_type=1, ip="10.9.9.9"), mode=1)
    assert call(api, "POST", body=both).status_code == 200

    page = listed(api)
    dev, prod = dw_id(api, "dws_link", 0), dw_id(api, "dws_link", 1)

    assert page["count"] == page["total_size"] == 2
    assert {i["dw_name"] for i in page["data_connection_lists"]} == {"dws_link"}
    assert dev != prod
    assert call(api, "GET", f"/{prod}").json()["dw_config"]["ip"] == "10.9.9.9"
    # jobs and the Factory connection calls see the development side
    assert api.call("GET", "/connections/dws_link").json()["config"]["ip"] == "10.1.2.3"
    env = api.call("GET", "/environment/connection/dws_link").json()
    assert env["secrets"] == {"db_password": "set"}
    assert env["config"]["agentName"] == "cdm-1"
    again = call(api, "POST", body=sources(source(env_type=1)))
    assert_error(again, "DLF.6309", "dws_link", "production")


def test_a_connection_made_by_the_factory_call_is_listed_here(api: SignedClient) -> None:
    body = {"name": "hive_conn", "type": "HIVE", "config": {"clusterName": "mrs"}}
    assert api.call("POST", "/connections", body).status_code == 204

    items = listed(api)["data_connection_lists"]

    assert [(i["dw_name"], i["dw_type"]) for i in items] == [("hive_conn", "HIVE")]


def test_list_filters_and_pages_with_string_numbers(api: SignedClient) -> None:
    vos = [source(f"conn_{i}", ip=f"10.0.0.{i}") for i in range(3)]
    vos.append({**source("other"), "dw_type": "MYSQL"})
    assert call(api, "POST", body=sources(*vos)).status_code == 200

    assert listed(api, limit="2", offset="1")["count"] == 2  # page 1 of 2-item pages
    assert [i["dw_name"] for i in listed(api, type="mysql")["data_connection_lists"]] == ["other"]
    assert [i["dw_name"] for i in listed(api, ip="10.0.0.2")["data_connection_lists"]] == ["conn_2"]
    assert listed(api, name="conn_")["max_records"] == 3
    assert_error(call(api, "GET", query={"limit": "ten"}), "DLF.3051", "limit")
    blank = call(api, "GET", query={"offset": ""})  # refused as every other list refuses it
    assert_error(blank, "DLF.3051", "offset must be a whole number from 0 to 1000000000, not ''")


def test_update_keeps_a_masked_secret_and_refuses_a_rename(api: SignedClient) -> None:
    assert call(api, "POST", body=sources(source())).status_code == 200
    ident = dw_id(api, "dws_link")
    shown = call(api, "GET", f"/{ident}").json()
    vo = {k: shown[k] for k in ("dw_name", "dw_type", "dw_config", "env_type")}
    vo["description"] = "changed"

    updated = call(api, "PUT", f"/{ident}", sources(vo))

    assert updated.status_code == 200, updated.text
    after = call(api, "GET", f"/{ident}").json()
    assert after["description"] == "changed"
    assert after["update_type"] == 1
    env = api.call("GET", "/environment/connection/dws_link").json()
    assert env["secrets"] == {"db_password": "set"}
    renamed = call(api, "PUT", f"/{ident}", sources({**vo, "dw_name": "other"}))
    assert_error(renamed, "DLF.3051", "renamed")
    retyped = call(api, "PUT", f"/{ident}", sources({**vo, "dw_type": "MYSQL"}))
    assert_error(retyped, "DLF.6323", "DWS")


def test_delete_removes_one_side_and_refuses_the_side_jobs_use(api: SignedClient) -> None:
    both = sources(source("dws_conn"), source("dws_conn", env_type=1), source("ssh_conn"))
    assert call(api, "POST", body=both).status_code == 200
    assert api.call("POST", "/jobs", make_job("daily_sales")).status_code == 204
    dev, prod = dw_id(api, "dws_conn", 0), dw_id(api, "dws_conn", 1)

    assert_error(call(api, "DELETE", f"/{dev}"), "DLF.9013", "daily_sales")
    deleted = call(api, "DELETE", f"/{prod}")
    assert deleted.status_code == 200, deleted.text
    assert_error(call(api, "GET", f"/{prod}"), "DLF.6322", prod)
    assert call(api, "GET", f"/{dev}").status_code == 200


def test_refusals(api: SignedClient) -> None:
    no_header = api.call("GET", "/data-connections")
    assert_error(no_header, "DLF.0802", "workspace")
    bad = sources({"dw_name": "", "dw_type": "DWS", "env_type": 3, "extra": 1})
    assert_error(call(api, "POST", body=bad), "DLF.3051", "dw_name", "env_type", "extra")
    twice = sources(source(), source())
    assert_error(call(api, "POST", body=twice), "DLF.3051", "twice")
    validation = call(api, "POST", "/validation", source())
    assert_error(validation, "DLF.9501", "cannot test", status=501)
    assert listed(api)["total_size"] == 0


def test_no_answer_carries_a_secret(api: SignedClient) -> None:
    assert call(api, "POST", body=sources(source(), source(env_type=1))).status_code == 200
    answers = [
        call(api, "GET").text,
        call(api, "GET", f"/{dw_id(api, 'dws_link', 1)}").text,
        api.call("GET", "/connections").text,
        api.call("GET", "/environment/connection").text,
        api.call("POST", "/connections/export").content.decode("latin-1"),
        orjson.dumps(api.call("GET", "/audit").json()).decode(),
    ]
    assert all(PASSWORD not in text for text in answers)


def test_job_import_checks_and_profiles_see_data_connections(api: SignedClient) -> None:
    seed(api)  # a job and scripts using dws_conn and ssh_conn
    jobs = api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]}).content
    prod = new_workspace(api, "dc_prod")
    plan_body = {"path": upload(api, jobs, prod)}
    missing = api.call("POST", "/jobs/import/plan", plan_body, workspace=prod).json()
    assert {p["reference"]["name"] for p in missing["problems"]} == {"dws_conn", "ssh_conn"}

    for name in ("dws_conn", "ssh_conn", "dws_prod", "ssh_prod"):
        created = call(api, "POST", body=sources(source(name)), workspace=prod)
        assert created.status_code == 200, created.text

    planned = api.call("POST", "/jobs/import/plan", plan_body, workspace=prod).json()
    assert planned["problems"] == []
    # A profile may map the package's connections onto ones made through this API.
    profile = {"renames": {"connection": {"dws_conn": "dws_prod", "ssh_conn": "ssh_prod"}}}
    saved = api.call("PUT", "/profiles/to_prod", orjson.dumps(profile), workspace=prod)
    assert saved.status_code == 200, saved.text
    mapped = {**plan_body, "profile": "to_prod"}
    report = api.call("POST", "/profiles/check", mapped, workspace=prod).json()
    assert report["complete"] is True, report
    assert api.call("POST", "/jobs/import/plan", mapped, workspace=prod).json()["problems"] == []
