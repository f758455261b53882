"""The DataArts resource calls, in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

from support.builders import fixture, make_job, make_resource, make_script
from support.clients import SignedClient, assert_error
from support.importing import run_import, upload


def create(api: SignedClient, resource: dict[str, Any], **kw: Any) -> str:
    response = api.call("POST", "/resources", resource, **kw)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["resourceId"]
    assert isinstance(body["resourceId"], str)
    resource_id: str = body["resourceId"]
    return resource_id


def resources(api: SignedClient) -> list[dict[str, Any]]:
    listed = api.call("GET", "/resources", query={"limit": 100}).json()
    assert listed["total"] == len(listed["resources"])
    items: list[dict[str, Any]] = listed["resources"]
    return items


def job_using(resource_name: str, job_name: str = "daily_sales") -> dict[str, Any]:
    """A job whose first node names the resource through the resourceName property."""
    job = make_job(job_name)
    job["nodes"][0]["properties"].append({"name": "resourceName", "value": resource_name})
    return job


def test_create_returns_the_id_and_show_returns_every_key(api: SignedClient) -> None:
    resource = make_resource(extraField={"kept": True})
    resource_id = create(api, resource)
    uuid.UUID(resource_id)
    response = api.call("GET", f"/resources/{resource_id}")
    assert response.status_code == 200
    shown = response.json()
    for key, value in resource.items():
        assert shown[key] == value, key
    assert list(shown)[: len(resource)] == list(resource), "stored key order is the client's"
    assert shown["id"] == resource_id
    assert shown["jobRelation"] == []


def test_documented_resource_example_round_trips(api: SignedClient) -> None:
    resource = fixture("otc_doc_resource_test_jar.resource")
    resource_id = create(api, resource)
    shown = api.call("GET", f"/resources/{resource_id}").json()
    assert {k: shown[k] for k in resource} == resource
    listed = resources(api)
    assert [r["id"] for r in listed] == [resource_id]
    assert {k: listed[0][k] for k in resource} == resource


def test_show_lists_the_jobs_that_use_the_resource_in_job_relation(api: SignedClient) -> None:
    resource_id = create(api, make_resource())
    assert api.call("POST", "/jobs", job_using("udf_jar", "uses_it")).status_code == 204
    assert api.call("POST", "/jobs", make_job("ignores_it")).status_code == 204
    job_id = api.call("GET", "/jobs/uses_it").json()["id"]
    shown = api.call("GET", f"/resources/{resource_id}").json()
    assert shown["jobRelation"] == [
        {"relationType": "JOB", "taskName": "uses_it", "taskId": job_id}
    ]
    assert "jobRelation" not in resources(api)[0]


def test_job_relation_follows_job_updates(api: SignedClient) -> None:
    resource_id = create(api, make_resource())
    api.call("POST", "/jobs", job_using("udf_jar"))
    api.call("PUT", "/jobs/daily_sales", make_job())
    assert api.call("GET", f"/resources/{resource_id}").json()["jobRelation"] == []


def test_list_filters_by_resource_name_and_pages(api: SignedClient) -> None:
    for i in range(11):
        create(api, make_resource(f"lib_{i:02d}", location=f"obs://bucket/libs/lib{i}.jar"))
    create(api, make_resource("conf_file", type="file", location="obs://bucket/conf.ini"))

    first = api.call("GET", "/resources").json()
    assert first["total"] == 12
    assert len(first["resources"]) == 10
    assert all("id" in r for r in first["resources"])
    second = api.call("GET", "/resources", query={"offset": 10}).json()
    assert [r["name"] for r in second["resources"]] == ["lib_09", "lib_10"]
    by_name = api.call("GET", "/resources", query={"resourceName": "lib_1"}).json()
    assert by_name["total"] == 1
    assert [r["name"] for r in by_name["resources"]] == ["lib_10"]
    substring = api.call("GET", "/resources", query={"resourceName": "conf"}).json()
    assert [r["name"] for r in substring["resources"]] == ["conf_file"]
    assert api.call("GET", "/resources", query={"resourceName": "_"}).json()["total"] == 12
    assert api.call("GET", "/resources", query={"resourceName": "zz"}).json() == {
        "total": 0,
        "resources": [],
    }
    bad = api.call("GET", "/resources", query={"limit": 101})
    assert_error(bad, "DLF.3051", "limit")


def test_update_replaces_the_definition(api: SignedClient) -> None:
    resource_id = create(api, make_resource())
    changed = make_resource(location="obs://bucket/libs/udf-2.jar", desc="v2")
    response = api.call("PUT", f"/resources/{resource_id}", changed)
    assert response.status_code == 204, response.text
    assert response.content == b""
    shown = api.call("GET", f"/resources/{resource_id}").json()
    assert shown["location"] == "obs://bucket/libs/udf-2.jar"
    assert shown["desc"] == "v2"
    assert shown["id"] == resource_id


def test_update_without_a_name_keeps_the_name(api: SignedClient) -> None:
    resource_id = create(api, make_resource())
    body = make_resource(desc="nameless update")
    del body["name"]
    assert api.call("PUT", f"/resources/{resource_id}", body).status_code == 204
    shown = api.call("GET", f"/resources/{resource_id}").json()
    assert shown["name"] == "udf_jar"
    assert shown["desc"] == "nameless update"


def test_rename_of_an_unused_resource_is_allowed(api: SignedClient) -> None:
    resource_id = create(api, make_resource())
    response = api.call("PUT", f"/resources/{resource_id}", make_resource("renamed_jar"))
    assert response.status_code == 204, response.text
    assert [r["name"] for r in resources(api)] == ["renamed_jar"]


def test_delete_removes_the_resource(api: SignedClient) -> None:
    resource_id = create(api, make_resource())
    keep_id = create(api, make_resource("keep"))
    response = api.call("DELETE", f"/resources/{resource_id}")
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert_error(api.call("GET", f"/resources/{resource_id}"), "DLF.6241", status=404)
    assert [r["id"] for r in resources(api)] == [keep_id]


def test_unknown_resource_id_answers_dlf_6241(api: SignedClient) -> None:
    unknown = str(uuid.uuid4())
    for method, body in (("GET", None), ("PUT", make_resource()), ("DELETE", None)):
        response = api.call(method, f"/resources/{unknown}", body)
        assert_error(response, "DLF.6241", unknown, "does not exist", status=404)
    assert resources(api) == [], "an update of an unknown id creates nothing"


def test_bad_type_is_refused_with_dlf_6263_and_stores_nothing(api: SignedClient) -> None:
    response = api.call("POST", "/resources", make_resource(type="exe"))
    assert_error(response, "DLF.6263", "type", "exe")
    assert resources(api) == []


def test_missing_type_is_refused_with_dlf_6263(api: SignedClient) -> None:
    resource = make_resource()
    del resource["type"]
    assert_error(api.call("POST", "/resources", resource), "DLF.6263", "type")
    assert resources(api) == []


def test_location_that_is_not_an_obs_path_is_refused_with_dlf_6264(api: SignedClient) -> None:
    for location in ("/local/udf.jar", "s3://bucket/udf.jar", "https://host/udf.jar"):
        response = api.call("POST", "/resources", make_resource(location=location))
        assert_error(response, "DLF.6264", location, "obs://")
    missing = make_resource()
    del missing["location"]
    assert_error(api.call("POST", "/resources", missing), "DLF.6264", "location")
    assert resources(api) == []


def test_depend_file_that_is_not_an_obs_path_is_refused_with_dlf_6264(api: SignedClient) -> None:
    response = api.call("POST", "/resources", make_resource(dependFiles=["file:///x.jar"]))
    assert_error(response, "DLF.6264", "dependFiles[0]")
    assert resources(api) == []


def test_description_over_255_characters_is_refused_with_dlf_6265(api: SignedClient) -> None:
    response = api.call("POST", "/resources", make_resource(desc="d" * 256))
    assert_error(response, "DLF.6265", "desc")
    assert resources(api) == []
    create(api, make_resource(desc="d" * 255))
    assert len(resources(api)) == 1


def test_invalid_update_leaves_the_resource_unchanged(api: SignedClient) -> None:
    resource_id = create(api, make_resource())
    response = api.call("PUT", f"/resources/{resource_id}", make_resource(type="exe"))
    assert_error(response, "DLF.6263")
    assert api.call("GET", f"/resources/{resource_id}").json()["type"] == "jar"


def test_duplicate_name_is_refused_with_dlf_6259(api: SignedClient) -> None:
    first = create(api, make_resource())
    response = api.call("POST", "/resources", make_resource(desc="second"))
    assert_error(response, "DLF.6259", "udf_jar", first)
    listed = resources(api)
    assert [(r["id"], r["desc"]) for r in listed] == [(first, "UDFs")]


def test_rename_onto_a_taken_name_is_refused_with_dlf_6259(api: SignedClient) -> None:
    create(api, make_resource("taken"))
    resource_id = create(api, make_resource())
    response = api.call("PUT", f"/resources/{resource_id}", make_resource("taken"))
    assert_error(response, "DLF.6259", "taken")
    assert sorted(r["name"] for r in resources(api)) == ["taken", "udf_jar"]


def test_delete_is_refused_with_dlf_9013_while_a_job_uses_the_resource(
    api: SignedClient,
) -> None:
    resource_id = create(api, make_resource())
    api.call("POST", "/jobs", job_using("udf_jar"))
    response = api.call("DELETE", f"/resources/{resource_id}")
    assert_error(response, "DLF.9013", "udf_jar", "daily_sales")
    assert response.json()["jobs"] == ["daily_sales"]
    assert [r["id"] for r in resources(api)] == [resource_id]

    api.call("DELETE", "/jobs/daily_sales")
    assert api.call("DELETE", f"/resources/{resource_id}").status_code == 204
    assert resources(api) == []


def test_rename_is_refused_with_dlf_9013_while_a_job_uses_the_resource(
    api: SignedClient,
) -> None:
    resource_id = create(api, make_resource())
    api.call("POST", "/jobs", job_using("udf_jar"))
    response = api.call("PUT", f"/resources/{resource_id}", make_resource("renamed_jar"))
    assert_error(response, "DLF.9013", "udf_jar", "daily_sales", "renamed_jar")
    shown = api.call("GET", f"/resources/{resource_id}").json()
    assert shown["name"] == "udf_jar"
    assert len(shown["jobRelation"]) == 1

    same_name = make_resource(desc="still used, same name")
    assert api.call("PUT", f"/resources/{resource_id}", same_name).status_code == 204
    assert api.call("GET", f"/resources/{resource_id}").json()["desc"] == "still used, same name"


def test_resources_of_another_workspace_are_invisible(api: SignedClient) -> None:
    ws_b = api.call("POST", "/workspaces", {"name": "team_b"}).json()["id"]
    resource_id = create(api, make_resource())
    assert_error(
        api.call("GET", f"/resources/{resource_id}", workspace=ws_b), "DLF.6241", status=404
    )
    assert_error(
        api.call("DELETE", f"/resources/{resource_id}", workspace=ws_b), "DLF.6241", status=404
    )
    other_id = create(api, make_resource(), workspace=ws_b)
    assert other_id != resource_id
    assert [r["id"] for r in resources(api)] == [resource_id]


def test_snake_case_depend_packages_are_stored_and_read_back_as_depend_packages(
    api: SignedClient,
) -> None:
    # The Terraform provider sends depend_packages and reads dependPackages.
    packages = [{"type": "jar", "location": "obs://test/depend.jar"}]
    resource_id = create(api, make_resource(depend_packages=packages, desc="test"))
    shown = api.call("GET", f"/resources/{resource_id}").json()
    assert shown["dependPackages"] == packages
    assert "depend_packages" not in shown
    updated = [{"type": "file", "location": "obs://test/depend_update.properties"}]
    body = make_resource(depend_packages=updated)
    assert api.call("PUT", f"/resources/{resource_id}", body).status_code == 204
    assert api.call("GET", f"/resources/{resource_id}").json()["dependPackages"] == updated


def test_both_spellings_of_depend_packages_at_once_are_refused(api: SignedClient) -> None:
    packages = [{"type": "jar", "location": "obs://test/depend.jar"}]
    body = make_resource(depend_packages=packages, dependPackages=packages)
    assert_error(api.call("POST", "/resources", body), "DLF.3051", "depend_packages")
    assert resources(api) == []


def test_depend_packages_are_checked(api: SignedClient) -> None:
    bad = [
        {"type": "archive", "location": "obs://test/a.zip"},
        {"type": "jar", "location": "hdfs://nn/a.jar"},
        "obs://test/a.jar",
    ]
    response = api.call("POST", "/resources", make_resource(dependPackages=bad))
    assert response.status_code == 400, response.text
    fields = {d["field"] for d in response.json()["details"]}
    assert fields == {
        "dependPackages[0].type",
        "dependPackages[1].location",
        "dependPackages[2]",
    }


def test_hdfs_locations_are_accepted_for_the_main_file(api: SignedClient) -> None:
    for location in ("hdfs://test/main.jar", "hdfs://nn.example:8020/apps/a.jar", "hdfs:///a.jar"):
        resource_id = create(api, make_resource(f"r{len(resources(api))}", location=location))
        assert api.call("GET", f"/resources/{resource_id}").json()["location"] == location
    for location in ("hdfs://", "hdfs://nn", "http://test/main.jar", "file:///a.jar"):
        response = api.call("POST", "/resources", make_resource("bad", location=location))
        assert_error(response, "DLF.6264", "not an OBS path", "hdfs://")


def test_list_items_carry_resource_id_and_a_shown_resource_can_be_put_back(
    api: SignedClient,
) -> None:
    resource_id = create(api, make_resource())
    assert [(r["resourceId"], r["id"]) for r in resources(api)] == [(resource_id, resource_id)]
    shown = api.call("GET", f"/resources/{resource_id}").json()
    assert shown["resourceId"] == resource_id
    shown["desc"] = "round trip"
    assert api.call("PUT", f"/resources/{resource_id}", shown).status_code == 204
    again = api.call("GET", f"/resources/{resource_id}").json()
    assert again["desc"] == "round trip"
    assert again == {**shown, "jobRelation": []}


def test_depend_packages_survive_export_and_import(api: SignedClient) -> None:
    # What the Terraform provider sends (its depend_packages attribute), kept the whole way:
    # create -> show -> export -> import -> show, in DataArts' camelCase dependPackages.
    packages = [{"location": "obs://test/depend.jar", "type": "jar"}]
    create(api, make_resource("udf_jar", depend_packages=packages))
    job = make_job("daily_sales")
    job["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    for script in ("daily_sales_sql", "daily_sales_sh"):
        assert api.call("POST", "/scripts", make_script(script)).status_code == 204
    assert api.call("POST", "/jobs", job).status_code == 204
    package = api.call("POST", "/jobs/daily_sales/export", {"exportDepend": True}).content
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        exported = json.loads(zf.read("resources/udf_jar.resource"))
    assert exported["dependPackages"] == packages

    target = api.call("POST", "/workspaces", {"name": "imported"}).json()["id"]
    for name, kind in (("dws_conn", "DWS"), ("ssh_conn", "SSH")):
        conn = {"type": kind, "config": {"host": "10.0.0.1"}}
        put = api.call("PUT", f"/environment/connection/{name}", conn, workspace=target)
        assert put.status_code == 200, put.text
    path = upload(api, package, target)
    task = run_import(api, {"path": path, "sameNamePolicy": "OVERWRITE"}, target)
    assert task["status"] in ("SUCCESSFUL", "WARNING"), (task["message"], task.get("result"))
    listed = api.call("GET", "/resources", workspace=target).json()["resources"]
    imported = next(r for r in listed if r["name"] == "udf_jar")
    shown = api.call("GET", f"/resources/{imported['id']}", workspace=target).json()
    assert shown["dependPackages"] == packages
