"""DataArts Factory connection calls (/connections): the same store as /environment/connection,
secrets masked in every answer, and the export/import bundle that moves connections between
environments without their passwords."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import orjson
import sqlalchemy as sa

from jobferry.services.container import Services
from jobferry.storage.tables import environment_secrets
from support.builders import make_job
from support.clients import SignedClient, assert_error, wait_task
from support.exporting import seed
from support.importing import new_workspace, upload

PASSWORD = "Sup3r-s3cret-dws-pw-4417"
MASK = "*********"


def dws(name: str = "dws_conn", **config: Any) -> dict[str, Any]:
    """A create-connection body as the Go SDKs send it: the password inside config."""
    return {
        "name": name,
        "type": "DWS",
        "config": {
            "clusterName": "dws-test",
            "userName": "loader",
            "password": PASSWORD,
            "sslEnable": False,
            "kmsKey": "KMS-1",
            "agentName": "cdm-1",
            **config,
        },
        "description": "test warehouse",
    }


def stored_secrets(services: Services, name: str) -> dict[str, str]:
    with services.db.engine.connect() as conn:
        token = conn.execute(
            sa.select(environment_secrets.c.secrets_encrypted).where(
                environment_secrets.c.name == name
            )
        ).scalar_one()
    value: dict[str, str] = orjson.loads(services.environment.box.decrypt(token))
    return value


def test_create_then_show_masks_the_password(api: SignedClient) -> None:
    created = api.call("POST", "/connections", dws())
    assert created.status_code == 204, created.text

    shown = api.call("GET", "/connections/dws_conn")

    assert shown.status_code == 200, shown.text
    assert PASSWORD not in shown.text
    body = shown.json()
    assert body == {
        "name": "dws_conn",
        "type": "DWS",
        "config": {**dws()["config"], "password": MASK},
        "description": "test warehouse",
    }


def test_a_connection_made_here_is_the_environment_object_and_back(api: SignedClient) -> None:
    assert api.call("POST", "/connections", dws()).status_code == 204
    env = api.call("GET", "/environment/connection/dws_conn").json()
    assert env["type"] == "DWS"
    assert env["secrets"] == {"password": "set"}
    assert "password" not in env["config"]

    other = {"type": "HIVE", "config": {"clusterName": "mrs"}, "secrets": {"password": "x"}}
    assert api.call("PUT", "/environment/connection/hive_conn", other).status_code == 200
    shown = api.call("GET", "/connections/hive_conn").json()
    assert shown["config"] == {"clusterName": "mrs", "password": MASK}


def test_list_pages_and_filters_by_name(api: SignedClient) -> None:
    for name in ("a_conn", "b_conn", "c_other"):
        assert api.call("POST", "/connections", dws(name)).status_code == 204

    first = api.call("GET", "/connections", query={"limit": 2, "offset": 0}).json()
    second = api.call("GET", "/connections", query={"limit": 2, "offset": 2}).json()
    filtered = api.call("GET", "/connections", query={"connectionName": "conn"}).json()

    assert first["total"] == 3
    assert [c["name"] for c in first["connections"]] == ["a_conn", "b_conn"]
    assert [c["name"] for c in second["connections"]] == ["c_other"]
    assert [c["name"] for c in filtered["connections"]] == ["a_conn", "b_conn"]
    assert PASSWORD not in orjson.dumps(first).decode()


def test_update_with_the_mask_keeps_the_stored_password(
    api: SignedClient, services: Services
) -> None:
    assert api.call("POST", "/connections", dws()).status_code == 204
    shown = api.call("GET", "/connections/dws_conn").json()
    shown["description"] = "newDescription"

    updated = api.call("PUT", "/connections/dws_conn", shown)

    assert updated.status_code == 204, updated.text
    assert api.call("GET", "/connections/dws_conn").json()["description"] == "newDescription"
    assert stored_secrets(services, "dws_conn") == {"password": PASSWORD}
    changed = dws(password="n3w-pw")
    assert api.call("PUT", "/connections/dws_conn", changed).status_code == 204
    assert stored_secrets(services, "dws_conn") == {"password": "n3w-pw"}


def test_refusals_name_the_connection_and_the_fix(api: SignedClient) -> None:
    assert api.call("POST", "/connections", dws()).status_code == 204

    assert_error(api.call("POST", "/connections", dws()), "DLF.6309", "dws_conn", "PUT")
    assert_error(api.call("GET", "/connections/nope"), "DLF.6322", "nope")
    assert_error(api.call("PUT", "/connections/nope", dws("nope")), "DLF.6322", "nope")
    as_hive = {**dws(), "type": "HIVE"}
    assert_error(api.call("PUT", "/connections/dws_conn", as_hive), "DLF.6323", "DWS", "HIVE")
    renamed = api.call("PUT", "/connections/dws_conn", dws("other"))
    assert_error(renamed, "DLF.3051", "cannot be renamed")
    checked = api.call("PUT", "/connections/dws_conn", dws(), query={"ischeck": "true"})
    assert_error(checked, "DLF.9501", "ischeck", status=501)
    assert_error(api.call("POST", "/connections", {"name": "x"}), "DLF.3051", "type")


def test_delete_refuses_a_connection_a_job_uses(api: SignedClient) -> None:
    assert api.call("POST", "/connections", dws()).status_code == 204
    assert api.call("POST", "/connections", dws("ssh_conn")).status_code == 204
    assert api.call("POST", "/jobs", make_job("daily_sales")).status_code == 204

    refused = api.call("DELETE", "/connections/dws_conn")
    assert_error(refused, "DLF.9013", "connection 'dws_conn'", "daily_sales")
    assert refused.json()["jobs"] == ["daily_sales"]
    assert api.call("GET", "/connections/dws_conn").status_code == 200
    assert api.call("DELETE", "/jobs/daily_sales").status_code == 204
    assert api.call("DELETE", "/connections/dws_conn").status_code == 204
    assert_error(api.call("GET", "/connections/dws_conn"), "DLF.6322")


def _bundle(api: SignedClient) -> dict[str, bytes]:
    response = api.call("POST", "/connections/export")
    assert response.status_code == 200, response.text
    assert "DLF_All_DataConnections.zip" in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def test_export_writes_every_connection_without_its_password(api: SignedClient) -> None:
    assert api.call("POST", "/connections", dws()).status_code == 204
    assert api.call("POST", "/connections", dws("hive", password=None)).status_code == 204

    entries = _bundle(api)

    assert sorted(entries) == ["connections/dws_conn.conn", "connections/hive.conn"]
    conn = orjson.loads(entries["connections/dws_conn.conn"])
    assert conn["name"] == "dws_conn"
    assert conn["type"] == "DWS"
    assert "password" not in conn["config"]
    assert conn["config"]["clusterName"] == "dws-test"
    assert all(PASSWORD.encode() not in data for data in entries.values())
    assert _bundle(api) == entries  # deterministic


def test_import_moves_connections_and_params_supply_the_passwords(
    api: SignedClient, services: Services
) -> None:
    assert api.call("POST", "/connections", dws()).status_code == 204
    assert api.call("POST", "/connections", dws("ssh_conn", clusterName="ssh")).status_code == 204
    data = api.call("POST", "/connections/export").content
    prod = new_workspace(api, "prod")
    path = upload(api, data, prod)
    body = {
        "path": path,
        "params": [
            {"name": "dws_conn", "connectionType": "DWS", "params": {"password": "prod-pw"}},
            {"name": "ssh_conn", "type": "DWS", "params": {"clusterName": "ssh-prod"}},
        ],
    }

    started = api.call("POST", "/connections/import", body, workspace=prod)

    assert started.status_code == 200, started.text
    task = wait_task(api, started.json()["taskId"], prod)
    assert task["status"] == "SUCCESSFUL", task
    assert {s["name"]: s["message"] for s in task["subtasks"]} == {
        "dws_conn": "CREATED",
        "ssh_conn": "CREATED",
    }
    moved = api.call("GET", "/connections/dws_conn", workspace=prod).json()
    assert moved["config"]["password"] == MASK
    ssh = api.call("GET", "/connections/ssh_conn", workspace=prod).json()
    assert ssh["config"]["clusterName"] == "ssh-prod"
    assert "password" not in ssh["config"]  # nothing supplied it


def test_import_skips_existing_names_unless_told_to_overwrite(api: SignedClient) -> None:
    assert api.call("POST", "/connections", dws(clusterName="new")).status_code == 204
    path = upload(api, api.call("POST", "/connections/export").content)
    assert api.call("PUT", "/connections/dws_conn", dws(clusterName="local")).status_code == 204

    skipped = api.call("POST", "/connections/import", {"path": path})
    task = wait_task(api, skipped.json()["taskId"])
    assert "SKIPPED" in task["subtasks"][0]["message"]
    assert api.call("GET", "/connections/dws_conn").json()["config"]["clusterName"] == "local"

    body = {"path": path, "sameNamePolicy": "OVERWRITE"}
    task = wait_task(api, api.call("POST", "/connections/import", body).json()["taskId"])
    assert task["subtasks"][0]["message"] == "OVERWRITTEN"
    shown = api.call("GET", "/connections/dws_conn").json()
    assert shown["config"]["clusterName"] == "new"
    assert shown["config"]["password"] == MASK  # the bundle had none: the stored one is kept


def test_import_refuses_a_bad_request_or_bundle_at_once(api: SignedClient) -> None:
    bad = api.call("POST", "/connections/import", {"path": "", "sameNamePolicy": "MERGE"})
    assert_error(bad, "DLF.3051", "path", "sameNamePolicy")
    not_zip = upload(api, b"not a zip")
    assert_error(api.call("POST", "/connections/import", {"path": not_zip}), "DLF.9020", "zip")
    assert api.call("POST", "/connections", dws()).status_code == 204
    path = upload(api, api.call("POST", "/connections/export").content)
    unknown = {"path": path, "params": [{"name": "elsewhere", "params": {}}]}
    assert_error(api.call("POST", "/connections/import", unknown), "DLF.3051", "elsewhere")


def test_job_import_checks_see_connections_moved_with_the_bundle(api: SignedClient) -> None:
    seed(api)  # dws_conn with a password, and a job using it
    assert api.call("POST", "/connections", dws("ssh_conn")).status_code == 204
    jobs = api.call("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]}).content
    bundle = api.call("POST", "/connections/export").content
    prod = new_workspace(api, "prod")
    plan_body = {"path": upload(api, jobs, prod)}

    moved = {"path": upload(api, bundle, prod)}
    started = api.call("POST", "/connections/import", moved, workspace=prod)
    wait_task(api, started.json()["taskId"], prod)
    planned = api.call("POST", "/jobs/import/plan", plan_body, workspace=prod).json()
    assert {p["reason"] for p in planned["problems"]} == {"missing_secret"}
    report = api.call("POST", "/profiles/check", plan_body, workspace=prod).json()
    assert {"name": "dws_conn", "state": "missing_secret"} in report["secrets"]

    moved["params"] = [
        {"name": "dws_conn", "params": {"password": "prod"}},
        {"name": "ssh_conn", "params": {"password": "prod-ssh"}},
    ]
    moved["sameNamePolicy"] = "OVERWRITE"
    started = api.call("POST", "/connections/import", moved, workspace=prod)
    wait_task(api, started.json()["taskId"], prod)
    planned = api.call("POST", "/jobs/import/plan", plan_body, workspace=prod).json()
    assert planned["problems"] == []
