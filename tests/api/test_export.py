"""Export: single, batch, name list, workspace; determinism, secrets, download center."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from jobferry.package.writebehind import WriteBehind
from jobferry.services.container import Services
from jobferry.services.exporting import package as package_module
from support.builders import make_job
from support.clients import SignedClient, wait_task
from support.console import admin_scope
from support.exporting import entries, listing, manifest, seed
from support.readahead import helper_process


def test_single_export_has_the_dataarts_layout_with_dependencies(api: SignedClient) -> None:
    seed(api)
    response = api.call("POST", "/jobs/daily_sales/export", {"exportDepend": True})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert 'filename="DLF_daily_sales.zip"' in response.headers["content-disposition"]
    files = entries(response.content)
    assert list(files) == [
        "jobs/daily_sales.job",
        "resources/udf_jar.resource",
        "scripts/daily_sales_sh.script",
        "scripts/daily_sales_sql.script",
        "manifest.entries",
        "manifest.json",
    ]
    stored = api.call("GET", "/jobs/daily_sales").json()
    exported = json.loads(files["jobs/daily_sales.job"])
    assert exported == {k: stored[k] for k in exported}
    assert "id" not in exported
    assert json.loads(files["scripts/daily_sales_sql.script"])["content"] == "select 1;"


def test_export_without_dependencies_holds_only_the_job(api: SignedClient) -> None:
    seed(api)
    data = api.call("POST", "/jobs/daily_sales/export", {"exportDepend": False}).content
    assert list(entries(data)) == ["jobs/daily_sales.job", "manifest.entries", "manifest.json"]


def test_manifest_lists_every_entry_with_its_hash_and_what_the_package_requires(
    api: SignedClient,
) -> None:
    seed(api)
    data = api.call("POST", "/jobs/daily_sales/export").content
    files = entries(data)
    man = manifest(data)
    assert man["formatVersion"] == 2
    assert man["producer"]["name"] == "jobferry"
    assert man["source"]["workspace"] == "default"
    assert man["options"]["exportStatus"] == "DEVELOP"
    listed = listing(data)
    assert man["entries"]["count"] == len(listed)
    for entry in listed:
        content = files[entry["path"]]
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        assert entry["size"] == len(content)
        assert entry["objectId"]
    kinds = {(e["kind"], e["name"]) for e in listed}
    assert ("job", "daily_sales") in kinds
    # A connection registered in the source names its type and secret KEYS (never values).
    assert {
        "kind": "connection",
        "name": "dws_conn",
        "type": "DWS",
        "secrets": ["password"],
    } in man["requires"]
    assert {"kind": "connection", "name": "ssh_conn"} in man["requires"]
    assert b"s3cr3t-pw" not in data


def test_manifest_can_be_left_out_for_strict_dataarts_packages(api: SignedClient) -> None:
    seed(api)
    data = api.call("POST", "/jobs/daily_sales/export", {"withManifest": False}).content
    assert "manifest.json" not in entries(data)


def test_the_same_jobs_export_to_identical_bytes(api: SignedClient) -> None:
    seed(api, ("a_job", "b_job"))
    first = api.call("POST", "/jobs/batch-export", {"jobList": ["b_job", "a_job"]}).content
    second = api.call("POST", "/jobs/batch-export", {"jobList": ["a_job", "b_job"]}).content
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()
    changed = make_job("a_job", description="changed")
    assert api.call("PUT", "/jobs/a_job", changed).status_code == 204
    third = api.call("POST", "/jobs/batch-export", {"jobList": ["a_job", "b_job"]}).content
    assert third != first


def test_secrets_never_appear_in_a_package(api: SignedClient) -> None:
    seed(api)
    cdm = {"type": "CDM", "config": {"from": "mysql"}, "secrets": {"token": "cdm-token-xyz"}}
    api.call("PUT", "/environment/cdm_job/sync_orders", cdm)
    job = make_job("sync")
    job["nodes"].append(
        {
            "name": "cdm",
            "type": "CDMJob",
            "location": {"x": "1", "y": "1"},
            "properties": [
                {"name": "clusterName", "value": "cdm_cluster_1"},
                {"name": "jobName", "value": "sync_orders"},
            ],
        }
    )
    assert api.call("POST", "/jobs", job).status_code == 204
    data = api.call("POST", "/jobs/sync/export").content
    files = entries(data)
    assert "cdm_jobs/sync_orders.cdmjob" in files
    assert json.loads(files["cdm_jobs/sync_orders.cdmjob"])["config"] == {"from": "mysql"}
    blob = b"".join(files.values())
    assert b"s3cr3t-pw" not in blob
    assert b"cdm-token-xyz" not in blob


def test_submit_status_exports_the_latest_submitted_version(api: SignedClient) -> None:
    seed(api)
    draft = make_job("daily_sales", targetStatus="SAVED", description="draft")
    assert api.call("PUT", "/jobs/daily_sales", draft).status_code == 204
    sub = entries(api.call("POST", "/jobs/daily_sales/export", {"exportStatus": "SUBMIT"}).content)
    dev = entries(api.call("POST", "/jobs/daily_sales/export", {"exportStatus": "DEVELOP"}).content)
    assert "description" not in json.loads(sub["jobs/daily_sales.job"])
    assert json.loads(dev["jobs/daily_sales.job"])["description"] == "draft"


def test_a_job_renamed_since_its_version_exports_that_version_under_its_new_name(
    api: SignedClient, services: Services
) -> None:
    seed(api)
    services.jobs.rename(admin_scope(services), "daily_sales", "nightly_sales")
    sub = entries(
        api.call("POST", "/jobs/nightly_sales/export", {"exportStatus": "SUBMIT"}).content
    )
    assert json.loads(sub["jobs/nightly_sales.job"])["name"] == "nightly_sales"


def test_submit_status_refuses_a_job_never_submitted(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job("fresh", targetStatus="SAVED"))
    response = api.call("POST", "/jobs/fresh/export", {"exportStatus": "SUBMIT"})
    assert response.status_code == 400
    assert "never submitted" in response.json()["error_msg"]


def test_export_of_an_unknown_job_is_dlf_0100(api: SignedClient, services: Services) -> None:
    response = api.call("POST", "/jobs/ghost/export")
    assert (response.status_code, response.json()["error_code"]) == (400, "DLF.0100")
    batch = api.call("POST", "/jobs/batch-export", {"jobList": ["ghost", "phantom"]})
    assert batch.json()["error_code"] == "DLF.0100"
    assert "ghost" in batch.json()["error_msg"]
    assert "phantom" in batch.json()["error_msg"]
    scratch = services.settings.data_dir / "tmp"
    assert not [p for p in scratch.rglob("*") if p.is_file()], "a refused export leaves no file"


def test_batch_export_has_one_folder_per_job(api: SignedClient) -> None:
    seed(api, ("a_job", "b_job"))
    response = api.call("POST", "/jobs/batch-export", {"jobList": ["a_job", "b_job"]})
    assert 'filename="jobs.zip"' in response.headers["content-disposition"]
    paths = list(entries(response.content))
    assert paths == [
        "jobs/a_job/a_job.job",
        "jobs/a_job/a_job_sh.script",
        "jobs/a_job/a_job_sql.script",
        "jobs/a_job/udf_jar.resource",
        "jobs/b_job/b_job.job",
        "jobs/b_job/b_job_sh.script",
        "jobs/b_job/b_job_sql.script",
        "jobs/b_job/udf_jar.resource",
        "manifest.entries",
        "manifest.json",
    ]


def test_batch_export_refuses_too_many_or_no_names(api: SignedClient) -> None:
    too_many = api.call("POST", "/jobs/batch-export", {"jobList": [f"j{i}" for i in range(101)]})
    assert too_many.json()["error_code"] == "DLF.3051"
    assert "at most 100" in too_many.json()["error_msg"]
    empty = api.call("POST", "/jobs/batch-export", {"jobList": []})
    assert empty.json()["error_code"] == "DLF.3051"


def test_with_upstream_brings_the_dependency_chain(api: SignedClient) -> None:
    api.call("POST", "/jobs", make_job("extract"))
    load = make_job("load")
    load["schedule"]["cron"]["dependJobs"] = {"jobs": ["extract"]}
    api.call("POST", "/jobs", load)
    report = make_job("report")
    report["schedule"]["cron"]["dependJobs"] = {"jobs": ["load", "gone_job"]}
    api.call("POST", "/jobs", report)
    data = api.call(
        "POST", "/jobs/report/export", {"withUpstream": True, "exportDepend": False}
    ).content
    assert [p for p in entries(data) if p.endswith(".job")] == [
        "jobs/extract.job",
        "jobs/load.job",
        "jobs/report.job",
    ]
    assert {"kind": "job", "name": "gone_job", "reason": "upstream job not found"} in manifest(
        data
    )["unresolved"]


def test_name_list_check_reports_each_unmatched_name_with_its_reason(api: SignedClient) -> None:
    seed(api, ("Daily_Sales", "orders"))
    report = api.call(
        "POST",
        "/exports/check-names",
        {"names": ["orders", "daily_sales", "nope", "bad name!", "", "orders"]},
    ).json()
    assert report["matched"] == ["orders"]
    reasons = {u["name"]: u["reason"] for u in report["unmatched"]}
    assert "did you mean 'Daily_Sales'" in reasons["daily_sales"]
    assert "no job 'nope'" in reasons["nope"]
    assert "bad name!" in reasons
    assert report["duplicates"] == ["orders"]
    too_many = api.call("POST", "/exports/check-names", {"names": [f"n{i}" for i in range(201)]})
    assert too_many.json()["error_code"] == "DLF.3051"
    assert "at most 200" in too_many.json()["error_msg"]


def test_export_by_name_list_refuses_until_every_name_matches(api: SignedClient) -> None:
    seed(api, ("orders",))
    refused = api.call("POST", "/exports", {"mode": "names", "names": ["orders", "nope"]})
    assert refused.status_code == 400
    assert "Matched 1, failed 1" in refused.json()["error_msg"]
    assert api.call("GET", "/downloads").json()["total"] == 0

    started = api.call("POST", "/exports", {"mode": "names", "names": ["orders"]})
    task = wait_task(api, started.json()["taskId"])
    assert task["status"] == "SUCCESSFUL", task
    center = api.call("GET", "/downloads").json()
    assert center["total"] == 1
    item = center["downloads"][0]
    assert center["lastGeneratedAt"] == item["createTime"]
    assert item["selection"]["mode"] == "names"
    assert item["selection"]["names"] == ["orders"]
    assert item["expireTime"] - item["createTime"] == 3 * 24 * 3600 * 1000
    content = api.call("GET", f"/downloads/{item['id']}/content")
    assert hashlib.sha256(content.content).hexdigest() == item["sha256"]
    assert "jobs/orders.job" in entries(content.content)
    assert task["result"]["downloadId"] == item["id"]


def test_workspace_export_all_then_only_what_changed(api: SignedClient) -> None:
    seed(api, ("a_job", "b_job", "c_job"))
    first = wait_task(api, api.call("POST", "/exports", {"mode": "workspace"}).json()["taskId"])
    assert first["result"]["jobs"] == 3
    changed = make_job("b_job", description="new")
    changed["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    api.call("PUT", "/jobs/b_job", changed)
    second = wait_task(
        api,
        api.call("POST", "/exports", {"mode": "workspace", "changed": "sinceLastExport"}).json()[
            "taskId"
        ],
    )
    assert second["result"]["jobs"] == 1
    package = api.call("GET", f"/downloads/{second['result']['downloadId']}/content").content
    assert [p for p in entries(package) if p.endswith(".job")] == ["jobs/b_job.job"]
    nothing = wait_task(
        api,
        api.call(
            "POST", "/exports", {"mode": "workspace", "changed": "since", "since": 4102444800000}
        ).json()["taskId"],
    )
    assert nothing["result"]["jobs"] == 0


def test_a_changed_script_makes_its_job_count_as_changed(api: SignedClient) -> None:
    seed(api, ("a_job", "b_job"))
    wait_task(api, api.call("POST", "/exports", {"mode": "workspace"}).json()["taskId"])
    script = {"name": "a_job_sql", "type": "DWSSQL", "content": "select 2;"}
    assert api.call("PUT", "/scripts/a_job_sql", script).status_code == 204
    task = wait_task(
        api,
        api.call("POST", "/exports", {"mode": "workspace", "changed": "sinceLastExport"}).json()[
            "taskId"
        ],
    )
    assert task["result"]["jobs"] == 1


def test_expired_packages_leave_the_download_center(api: SignedClient, services: Services) -> None:
    seed(api)
    task = wait_task(api, api.call("POST", "/exports", {"mode": "workspace"}).json()["taskId"])
    download_id = task["result"]["downloadId"]
    item = api.call("GET", f"/downloads/{download_id}").json()
    assert services.downloads.sweep(now=item["expireTime"] - 1) == 0
    assert services.downloads.sweep(now=item["expireTime"]) == 1
    gone = api.call("GET", f"/downloads/{download_id}/content")
    assert gone.json()["error_code"] == "DLF.9005"
    assert api.call("GET", "/downloads").json()["total"] == 0
    assert not any((services.settings.data_dir / "packages").rglob("*.zip"))


def test_a_package_can_be_deleted(api: SignedClient) -> None:
    seed(api)
    task = wait_task(api, api.call("POST", "/exports", {"mode": "workspace"}).json()["taskId"])
    download_id = task["result"]["downloadId"]
    assert api.call("DELETE", f"/downloads/{download_id}").status_code == 204
    assert api.call("GET", f"/downloads/{download_id}").json()["error_code"] == "DLF.9005"


def test_viewers_may_not_export(api: SignedClient) -> None:
    seed(api)
    api.call("POST", "/users", {"name": "vic"})
    creds = api.call("POST", "/users/vic/credentials").json()
    default_ws = api.call("GET", "/workspaces").json()["workspaces"][0]["id"]
    api.call("PUT", f"/users/vic/roles/{default_ws}", {"role": "viewer"})
    viewer = api.as_user(creds["accessKey"], creds["secretKey"])
    for method, path, body in (
        ("POST", "/jobs/daily_sales/export", None),
        ("POST", "/jobs/batch-export", {"jobList": ["daily_sales"]}),
        ("POST", "/exports", {"mode": "workspace"}),
        ("GET", "/downloads", None),
    ):
        response = viewer.call(method, path, body)
        assert response.status_code == 403, path
        assert response.json()["error_code"] == "DLF.6888"


def test_export_options_of_the_wrong_type_are_refused(api: SignedClient) -> None:
    seed(api)
    response = api.call("POST", "/jobs/daily_sales/export", {"exportStatus": "LATEST"})
    assert response.json()["error_code"] == "DLF.3051"
    assert "exportStatus" in response.json()["error_msg"]
    bad_path = api.call("POST", "/jobs/daily_sales/export", {"obsPath": "http://x/y"})
    assert bad_path.json()["error_code"] == "DLF.0803"


def test_an_export_written_by_a_helper_process_is_the_same_package(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(api, ("a_job", "b_job", "c_job"))
    assert api.call("POST", "/signing-key").status_code == 200
    packages: dict[str, tuple[bytes, bytes]] = {}
    helpers: list[Path] = []

    class Counted(WriteBehind):
        def __init__(self, path: Path, *args: Any) -> None:
            helpers.append(path)
            super().__init__(path, *args)

    monkeypatch.setattr(package_module, "WriteBehind", Counted)
    for way in ("here", "helper"):
        if way == "helper":
            settings = services.exports.settings.model_copy(update={"export_helper_jobs": 0})
            monkeypatch.setattr(services.exports, "settings", settings)
        task = wait_task(api, api.call("POST", "/exports", {"mode": "workspace"}).json()["taskId"])
        assert task["status"] == "SUCCESSFUL", task
        whole = api.call("GET", f"/downloads/{task['result']['downloadId']}/content").content
        listed = api.call("POST", "/jobs/batch-export", {"jobList": ["a_job", "c_job"]}).content
        packages[way] = (whole, listed)

    assert len(helpers) == 2  # the helper wrote both of the second round, none of the first
    assert packages["helper"] == packages["here"]
    whole, listed = packages["here"]
    assert "manifest.sig" in entries(whole)
    assert "manifest.sig" in entries(listed)
    assert [p for p in entries(whole) if p.endswith(".job")] == [
        f"jobs/{name}.job" for name in ("a_job", "b_job", "c_job")
    ]


def test_an_export_whose_helper_dies_fails_and_keeps_no_package(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(api, ("a_job", "b_job"))

    class Dying(WriteBehind):
        def close(self, header: Any = None) -> Any:
            process = helper_process(self)
            process.kill()  # as if the system had killed it mid-export
            process.join()
            return super().close(header)

    monkeypatch.setattr(package_module, "WriteBehind", Dying)
    settings = services.exports.settings.model_copy(update={"export_helper_jobs": 0})
    monkeypatch.setattr(services.exports, "settings", settings)

    task = wait_task(api, api.call("POST", "/exports", {"mode": "workspace"}).json()["taskId"])

    assert task["status"] == "FAILED", task
    assert "helper process writing the package stopped" in task["message"], task
    assert api.call("GET", "/downloads").json()["total"] == 0
    assert not any(services.settings.data_dir.rglob("*.zip"))
