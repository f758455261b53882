"""Import: every check with its exact reason, plan and diff, atomic apply, task status.

Every refusal also asserts that nothing changed in the target workspace.
"""

from __future__ import annotations

import gc
import io
import json
import warnings
import zipfile
from typing import Any

from jobferry.cli.import_options import ImportOptions
from jobferry.console.wizard import OPTION_DEFAULTS, import_body
from support.accounts import default_workspace
from support.builders import make_job, make_script
from support.clients import SignedClient, wait_task
from support.exporting import seed
from support.importing import (
    DRIFTED_CONNECTION,
    new_workspace,
    post_package,
    run_import,
    upload,
)

CONN = {"type": "DWS", "config": {"host": "db"}, "secrets": {"password": "pw"}}


def package(*objects: tuple[str, dict[str, Any]]) -> bytes:
    """A DataArts-shaped package (no manifest) holding the given (path, document) entries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path, doc in objects:
            zf.writestr(path, json.dumps(doc))
    return buffer.getvalue()


def prod_with_connections(api: SignedClient) -> str:
    ws = new_workspace(api, "prod")
    for name in ("dws_conn", "ssh_conn"):
        assert (
            api.call("PUT", f"/environment/connection/{name}", CONN, workspace=ws).status_code
            == 200
        )
    return ws


def exported(api: SignedClient, names: tuple[str, ...] = ("daily_sales",)) -> bytes:
    seed(api, names)
    response = api.call("POST", "/jobs/batch-export", {"jobList": list(names)})
    assert response.status_code == 200
    return response.content


def uploaded_to_prod(api: SignedClient) -> tuple[str, str]:
    """daily_sales exported from the default workspace and uploaded for a new workspace 'prod'
    with the connections it uses: prod's id and the package's path."""
    data = exported(api)
    prod = prod_with_connections(api)
    return prod, upload(api, data, prod)


def job_count(api: SignedClient, ws: str) -> int:
    total: int = api.call("GET", "/jobs", query={"limit": 100}, workspace=ws).json()["total"]
    return total


def test_export_then_import_gives_equal_jobs_scripts_and_resources(api: SignedClient) -> None:
    data = exported(api, ("a_job", "b_job"))
    prod = prod_with_connections(api)
    task = run_import(api, {"path": upload(api, data, prod)}, workspace=prod)
    assert task["status"] == "SUCCESSFUL", task
    for name in ("a_job", "b_job"):
        source = api.call("GET", f"/jobs/{name}").json()
        target = api.call("GET", f"/jobs/{name}", workspace=prod).json()
        assert {k: target[k] for k in source if k not in ("id", "createTime")} == {
            k: source[k] for k in source if k not in ("id", "createTime")
        }
    for script in ("a_job_sql", "b_job_sh"):
        source = api.call("GET", f"/scripts/{script}").json()
        target = api.call("GET", f"/scripts/{script}", workspace=prod).json()
        assert target["content"] == source["content"]
        assert target["type"] == source["type"]
    resources = api.call("GET", "/resources", workspace=prod).json()["resources"]
    assert [r["name"] for r in resources] == ["udf_jar"]
    subtasks = {s["name"]: s for s in task["subtasks"]}
    assert subtasks["Import the a_job job."]["status"] == "SUCCESSFUL"
    assert "submitted version 1" in subtasks["Import the a_job job."]["message"]
    assert task["result"]["versionsCreated"] == 6


def test_reimporting_the_same_package_changes_nothing(api: SignedClient) -> None:
    prod, path = uploaded_to_prod(api)
    run_import(api, {"path": path}, workspace=prod)
    versions = api.call("GET", "/jobs/daily_sales/versions", workspace=prod).json()["total"]
    again = run_import(api, {"path": path, "sameNamePolicy": "OVERWRITE"}, workspace=prod)
    assert again["status"] == "SUCCESSFUL"
    assert again["result"]["summary"] == {
        "CREATE": 0,
        "OVERWRITE": 0,
        "SKIP": 0,
        "UNCHANGED": 4,
        "RENAME": 0,
        "DELETE": 0,
    }
    assert again["result"]["versionsCreated"] == 0
    after = api.call("GET", "/jobs/daily_sales/versions", workspace=prod).json()["total"]
    assert after == versions


def test_missing_connection_is_reported_with_how_to_fix_and_nothing_is_imported(
    api: SignedClient,
) -> None:
    data = exported(api)
    prod = new_workspace(api, "prod")
    task = run_import(api, {"path": upload(api, data, prod)}, workspace=prod)
    assert task["status"] == "FAILED"
    problems = task["result"]["problems"]
    # Each missing connection is one problem, listing every object that uses it.
    missing = {p["name"]: p for p in problems if p["reason"] == "missing_reference"}
    assert sorted(missing) == ["dws_conn", "ssh_conn"]
    assert len(problems) == 2
    dws = missing["dws_conn"]
    assert (dws["kind"], dws["reference"]) == (
        "connection",
        {"kind": "connection", "name": "dws_conn"},
    )
    users = {(u["kind"], u["name"]) for u in dws["usedBy"]}
    assert {("job", "daily_sales"), ("script", "daily_sales_sql")} <= users
    assert dws["detail"].startswith(
        f"connection 'dws_conn' does not exist in workspace 'prod'; {len(users)} object(s) use it: "
    )
    assert "job 'daily_sales'" in dws["detail"]
    fixes = " ".join(p["fix"] for p in problems)
    assert '"type": "DWS_CONNECTION"' in fixes
    assert "PUT /environment/connection/dws_conn" in fixes
    assert job_count(api, prod) == 0
    assert api.call("GET", "/scripts", workspace=prod).json()["total"] == 0


def test_a_plan_says_each_missing_environment_object_once_listing_every_user(
    api: SignedClient,
) -> None:
    data = exported(api, ("a_job", "b_job", "c_job"))
    prod = new_workspace(api, "prod")
    api.call("PUT", "/environment/connection/ssh_conn", CONN, workspace=prod)
    body = {"path": upload(api, data, prod)}
    plan = api.call("POST", "/jobs/import/plan", body, workspace=prod).json()
    assert [(p["reason"], p["kind"], p["name"]) for p in plan["problems"]] == [
        ("missing_reference", "connection", "dws_conn")
    ]
    assert plan["summary"]["problems"] == 1
    users = {(u["kind"], u["name"]) for u in plan["problems"][0]["usedBy"]}
    assert {("job", "a_job"), ("job", "b_job"), ("job", "c_job")} <= users
    assert "usedByTotal" not in plan["problems"][0]  # all of them are listed
    # Each object still carries its own problem, naming where it uses the connection.
    lines = {(o["kind"], o["name"]): o.get("problems", []) for o in plan["objects"]}
    own = lines[("job", "b_job")]
    assert [p["reference"] for p in own] == [{"kind": "connection", "name": "dws_conn"}]
    assert own[0]["detail"].startswith("job 'b_job' node ")


def test_replacements_map_a_connection_to_its_production_name(api: SignedClient) -> None:
    data = exported(api)
    prod = new_workspace(api, "prod")
    for name in ("dws_prod", "ssh_conn"):
        api.call("PUT", f"/environment/connection/{name}", CONN, workspace=prod)
    body = {
        "path": upload(api, data, prod),
        "resources": [{"name": "dws_conn", "type": "DWS_CONNECTION", "replace": "dws_prod"}],
    }
    task = run_import(api, body, workspace=prod)
    assert task["status"] == "SUCCESSFUL", task
    job = api.call("GET", "/jobs/daily_sales", workspace=prod).json()
    props = {p["name"]: p["value"] for p in job["nodes"][0]["properties"]}
    assert props["connectionName"] == "dws_prod"
    script = api.call("GET", "/scripts/daily_sales_sql", workspace=prod).json()
    assert script["connectionName"] == "dws_prod"


def test_params_jobs_param_execute_user_and_target_directory(api: SignedClient) -> None:
    data = exported(api)
    prod = prod_with_connections(api)
    body = {
        "path": upload(api, data, prod),
        "params": {"bizdate": "20260101"},
        "jobsParam": [{"name": "daily_sales", "params": {"region": "eu"}}],
        "executeUser": "etl_prod",
        "targetDirectory": "/imported",
    }
    task = run_import(api, body, workspace=prod)
    assert task["status"] == "SUCCESSFUL", task
    job = api.call("GET", "/jobs/daily_sales", workspace=prod).json()
    assert {p["name"]: p["value"] for p in job["params"]} == {
        "bizdate": "20260101",
        "region": "eu",
    }
    assert job["basicConfig"]["executeUser"] == "etl_prod"
    assert job["directory"] == "/imported"


def test_skip_keeps_the_target_and_overwrite_replaces_it_with_a_new_version(
    api: SignedClient,
) -> None:
    prod, path = uploaded_to_prod(api)
    run_import(api, {"path": path}, workspace=prod)
    local = make_job("daily_sales", description="edited in prod")
    assert api.call("PUT", "/jobs/daily_sales", local, workspace=prod).status_code == 204
    skipped = run_import(api, {"path": path}, workspace=prod)
    job_line = next(s for s in skipped["subtasks"] if s["id"] == "job:daily_sales")
    assert job_line["action"] == "SKIP"
    assert "the same-name policy is to skip it" in job_line["message"]
    kept = api.call("GET", "/jobs/daily_sales", workspace=prod).json()
    assert kept["description"] == "edited in prod"

    # The job was changed in prod since the import wrote it: overwriting that drift is refused
    # unless asked for (onDrift).
    refused = run_import(api, {"path": path, "sameNamePolicy": "OVERWRITE"}, workspace=prod)
    assert refused["status"] == "FAILED"
    assert refused["result"]["problems"][0]["reason"] == "drift"
    assert "description" in refused["result"]["problems"][0]["detail"]
    body = {"path": path, "sameNamePolicy": "OVERWRITE", "onDrift": "TAKE_PACKAGE"}
    overwritten = run_import(api, body, workspace=prod)
    assert overwritten["status"] == "SUCCESSFUL"
    # The task's line of the job says drift protection was overridden, and by whom.
    assert overwritten["message"].endswith(
        "1 written over changes made in the target: drift protection overridden by "
        f"{overwritten['createUser']}."
    )
    line = next(s for s in overwritten["subtasks"] if s["id"] == "job:daily_sales")
    assert line["message"].startswith("Overwrote job 'daily_sales' (2 change(s)), over the ")
    assert (
        "changes made in workspace 'prod' since the last import (description, "
        "nodes[load].properties[resourceName]): drift "
        f"protection overridden by {overwritten['createUser']}; submitted version 3."
        in line["message"]
    ), line["message"]
    job = api.call("GET", "/jobs/daily_sales", workspace=prod).json()
    assert "description" not in job
    versions = api.call("GET", "/jobs/daily_sales/versions", workspace=prod).json()["versions"]
    assert [v["version"] for v in versions] == [3, 2, 1]


def test_saved_target_status_writes_no_version(api: SignedClient) -> None:
    data = exported(api)
    prod = prod_with_connections(api)
    task = run_import(
        api, {"path": upload(api, data, prod), "targetStatus": "SAVED"}, workspace=prod
    )
    assert task["result"]["versionsCreated"] == 0
    assert api.call("GET", "/jobs/daily_sales/versions", workspace=prod).json()["total"] == 0


def test_overwriting_a_scheduled_job_is_refused_until_it_is_stopped(api: SignedClient) -> None:
    prod, path = uploaded_to_prod(api)
    run_import(api, {"path": path}, workspace=prod)
    changed = make_job("daily_sales", description="prod copy")
    changed["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    api.call("PUT", "/jobs/daily_sales", changed, workspace=prod)
    api.call("POST", "/jobs/daily_sales/start", workspace=prod)
    refused = run_import(api, {"path": path, "sameNamePolicy": "OVERWRITE"}, workspace=prod)
    assert refused["status"] == "FAILED"
    problem = refused["result"]["problems"][0]
    assert problem["reason"] == "scheduled"
    assert "stop it" in problem["fix"]
    kept = api.call("GET", "/jobs/daily_sales", workspace=prod).json()
    assert kept["description"] == "prod copy"


def test_a_job_locked_by_another_user_under_the_hard_policy_is_refused(api: SignedClient) -> None:
    prod, path = uploaded_to_prod(api)
    run_import(api, {"path": path}, workspace=prod)
    api.call("PUT", "/jobs/daily_sales", make_job("daily_sales", description="x"), workspace=prod)
    api.call("POST", "/users", {"name": "dora"})
    creds = api.call("POST", "/users/dora/credentials").json()
    api.call("PUT", f"/users/dora/roles/{prod}", {"role": "developer"})
    dora = api.as_user(creds["accessKey"], creds["secretKey"])
    assert dora.call("POST", "/locks/job/daily_sales", workspace=prod).status_code == 200
    api.call("PUT", f"/workspaces/{prod}", {"lockPolicy": "hard"})
    refused = run_import(api, {"path": path, "sameNamePolicy": "OVERWRITE"}, workspace=prod)
    assert refused["status"] == "FAILED"
    assert refused["result"]["problems"][0]["reason"] == "locked"
    assert "dora" in refused["result"]["problems"][0]["detail"]
    assert api.call("GET", "/jobs/daily_sales", workspace=prod).json()["description"] == "x"


def test_a_locked_tag_refuses_the_job_and_a_missing_tag_is_created(api: SignedClient) -> None:
    data = exported(api)
    prod = prod_with_connections(api)
    api.call("PUT", "/tags/daily", {"locked": True}, workspace=prod)
    refused = run_import(api, {"path": upload(api, data, prod)}, workspace=prod)
    assert refused["result"]["problems"][0]["reason"] == "locked_tag"
    assert job_count(api, prod) == 0
    api.call("PUT", "/tags/daily", {"locked": False}, workspace=prod)
    other = new_workspace(api, "uat")
    for name in ("dws_conn", "ssh_conn"):
        api.call("PUT", f"/environment/connection/{name}", CONN, workspace=other)
    run_import(api, {"path": upload(api, data, other)}, workspace=other)
    assert [t["name"] for t in api.call("GET", "/tags", workspace=other).json()["tags"]] == [
        "daily"
    ]


def test_invalid_definitions_and_illegal_names_are_all_reported(api: SignedClient) -> None:
    bad_nodes = make_job("broken")
    bad_nodes["nodes"][1]["preNodeName"] = ["nowhere"]
    data = package(
        ("jobs/broken.job", bad_nodes),
        ("jobs/bad.job", make_job("bad name!")),
        ("scripts/s.script", {"name": "s", "content": "x"}),
    )
    prod = new_workspace(api, "prod")
    task = run_import(api, {"path": upload(api, data, prod)}, workspace=prod)
    assert task["status"] == "FAILED"
    reasons = {(p["kind"], p["name"], p["reason"]) for p in task["result"]["problems"]}
    assert ("job", "broken", "invalid_definition") in reasons
    assert ("job", "bad name!", "invalid_definition") in reasons
    assert ("script", "s", "invalid_definition") in reasons
    assert job_count(api, prod) == 0


def test_a_dependency_cycle_across_package_and_target_is_refused(api: SignedClient) -> None:
    prod = prod_with_connections(api)
    upstream = make_job("b_job")
    upstream["schedule"]["cron"]["dependJobs"] = {"jobs": ["a_job"]}
    for name in ("a_job_sql", "a_job_sh", "b_job_sql", "b_job_sh"):
        api.call("POST", "/scripts", make_script(name), workspace=prod)
    api.call("POST", "/jobs", make_job("a_job"), workspace=prod)
    api.call("POST", "/jobs", upstream, workspace=prod)
    looping = make_job("a_job")
    looping["schedule"]["cron"]["dependJobs"] = {"jobs": ["b_job"]}
    data = package(("jobs/a_job.job", looping))
    task = run_import(
        api, {"path": upload(api, data, prod), "sameNamePolicy": "OVERWRITE"}, workspace=prod
    )
    problem = task["result"]["problems"][0]
    assert problem["reason"] == "dependency_cycle"
    assert "a_job" in problem["detail"]
    assert "b_job" in problem["detail"]
    assert "dependJobs" not in json.dumps(
        api.call("GET", "/jobs/a_job", workspace=prod).json()["schedule"]
    )


def test_per_object_mode_imports_what_passes_and_reports_the_rest(api: SignedClient) -> None:
    good = make_job("good")
    good["nodes"] = good["nodes"][:1]
    good["nodes"][0]["properties"] = [{"name": "connectionName", "value": "dws_conn"}]
    missing = make_job("needs_queue")
    missing["nodes"] = missing["nodes"][:1]
    missing["nodes"][0]["properties"] = [{"name": "queueName", "value": "no_such_queue"}]
    data = package(("jobs/good.job", good), ("jobs/needs_queue.job", missing))
    prod = prod_with_connections(api)
    path = upload(api, data, prod)
    atomic = run_import(api, {"path": path}, workspace=prod)
    assert atomic["status"] == "FAILED"
    assert job_count(api, prod) == 0
    partial = run_import(api, {"path": path, "mode": "PER_OBJECT"}, workspace=prod)
    assert partial["status"] == "WARNING"
    lines = {s["id"]: s for s in partial["subtasks"]}
    assert lines["job:good"]["status"] == "SUCCESSFUL"
    assert lines["job:needs_queue"]["status"] == "FAILED"
    assert "dli_queue 'no_such_queue'" in lines["job:needs_queue"]["message"]
    names = [j["name"] for j in api.call("GET", "/jobs", workspace=prod).json()["jobs"]]
    assert names == ["good"]


def test_plan_shows_actions_and_a_field_diff(api: SignedClient) -> None:
    prod, path = uploaded_to_prod(api)
    first = api.call("POST", "/jobs/import/plan", {"path": path}, workspace=prod).json()
    assert first["summary"]["CREATE"] == 4
    run_import(api, {"path": path}, workspace=prod)
    changed = make_job("daily_sales")
    changed["nodes"][0]["properties"][1]["value"] = "ssh_conn"
    changed["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    api.call("PUT", "/jobs/daily_sales", changed, workspace=prod)
    plan = api.call(
        "POST", "/jobs/import/plan", {"path": path, "sameNamePolicy": "OVERWRITE"}, workspace=prod
    ).json()
    line = next(o for o in plan["objects"] if o["name"] == "daily_sales")
    assert line["action"] == "OVERWRITE"
    assert line["drift"] is True
    assert DRIFTED_CONNECTION in line["diff"]
    assert plan["summary"]["UNCHANGED"] == 3
    # What changes first, then what stays as it is (each part in apply order: jobs after what
    # they use); the import still writes in apply order.
    first = plan["objects"][0]
    assert (first["kind"], first["action"]) == ("job", "OVERWRITE")
    assert all(o["action"] == "UNCHANGED" for o in plan["objects"][1:])


def test_an_import_naming_a_plan_is_refused_when_the_target_changed(api: SignedClient) -> None:
    prod, path = uploaded_to_prod(api)
    plan = api.call("POST", "/jobs/import/plan", {"path": path}, workspace=prod).json()
    api.call("POST", "/scripts", make_script("daily_sales_sql"), workspace=prod)
    stale = run_import(api, {"path": path, "planId": plan["planId"]}, workspace=prod)
    assert stale["status"] == "FAILED"
    assert "changed since plan" in stale["message"]
    assert job_count(api, prod) == 0
    fresh = api.call("POST", "/jobs/import/plan", {"path": path}, workspace=prod).json()
    done = run_import(api, {"path": path, "planId": fresh["planId"]}, workspace=prod)
    assert done["status"] == "SUCCESSFUL", done
    other_options = run_import(
        api, {"path": path, "planId": fresh["planId"], "targetStatus": "SAVED"}, workspace=prod
    )
    assert "another package or other import options" in other_options["message"]


def test_a_plan_made_by_the_console_applies_from_the_cli(api: SignedClient) -> None:
    """The console writes every option out, the CLI leaves defaults out: one request."""
    prod, path = uploaded_to_prod(api)
    console = import_body({**OPTION_DEFAULTS, "path": path, "resources": []})
    assert {"targetStatus", "mode"} <= set(console), "the console spells the defaults"
    plan = api.call("POST", "/jobs/import/plan", console, workspace=prod).json()
    cli = {"path": path, **ImportOptions().body(), "planId": plan["planId"]}
    assert not {"targetStatus", "mode"} & set(cli), "the CLI leaves them out"
    done = run_import(api, cli, workspace=prod)
    assert done["status"] == "SUCCESSFUL", done
    assert job_count(api, prod) == 1


def test_a_second_import_in_the_same_workspace_is_refused_naming_the_running_task(
    api: SignedClient,
) -> None:
    from jobferry.services.context import now_ms
    from jobferry.storage.importing import target as repo

    prod, path = uploaded_to_prod(api)
    services = api.client.app.state.services  # type: ignore[attr-defined]
    scope = services.accounts.scope(services.accounts.actor_for(api.ak), api.project_id, prod)
    running = services.tasks.create(scope, "import", "Import in progress.", {})
    with services.db.transaction() as tx:
        repo.take_lock(tx, prod, running, now_ms())
    refused = api.call("POST", "/jobs/import", {"path": path}, workspace=prod)
    assert (refused.status_code, refused.json()["error_code"]) == (400, "DLF.9014")
    assert running in refused.json()["error_msg"]
    services.tasks.finish(running, "SUCCESSFUL", "done")
    task = run_import(api, {"path": path}, workspace=prod)
    assert task["status"] == "SUCCESSFUL", "a finished holder's lock is taken over"


def test_dry_run_answers_the_plan_through_the_task_without_writing(api: SignedClient) -> None:
    data = exported(api)
    prod = prod_with_connections(api)
    started = api.call(
        "POST", "/jobs/import", {"path": upload(api, data, prod), "dryRun": True}, workspace=prod
    )
    task = wait_task(api, started.json()["taskId"], prod)
    assert task["status"] == "SUCCESSFUL"
    assert task["result"]["plan"]["summary"]["CREATE"] == 4
    assert job_count(api, prod) == 0


def test_check_file_lists_jobs_with_directory_and_params_and_scripts(api: SignedClient) -> None:
    data = exported(api)
    prod = new_workspace(api, "prod")
    info = api.call("POST", "/jobs/check-file", {"path": upload(api, data, prod)}, workspace=prod)
    assert info.status_code == 200
    body = info.json()
    assert body["jobs"] == [
        {"name": "daily_sales", "path": "/sales", "params": {"bizdate": "${yyyyMMdd}"}}
    ]
    assert {"name": "daily_sales_sql", "path": "/sales"} in body["scripts"]
    assert body["manifest"] is True
    assert body["layout"] == "batch"


def test_hostile_packages_are_refused_naming_the_entry_and_nothing_is_written(
    api: SignedClient,
) -> None:
    prod = new_workspace(api, "prod")
    traversal = package(("../evil.job", make_job("evil")))
    checked = api.call(
        "POST", "/jobs/check-file", {"path": upload(api, traversal, prod)}, workspace=prod
    )
    assert (checked.status_code, checked.json()["error_code"]) == (400, "DLF.9020")
    assert "../evil.job" in checked.json()["error_msg"]
    task = run_import(api, {"path": upload(api, b"not a zip at all", prod)}, workspace=prod)
    assert task["status"] == "FAILED"
    assert job_count(api, prod) == 0


def test_import_request_problems_are_refused_at_once(api: SignedClient) -> None:
    missing_path = api.call("POST", "/jobs/import", {})
    assert missing_path.json()["error_code"] == "DLF.0802"
    bad = api.call(
        "POST",
        "/jobs/import",
        {
            "path": "obs://b/x.zip",
            "sameNamePolicy": "MERGE",
            "resources": [{"name": "x", "type": "NOPE", "replace": "y"}],
        },
    )
    assert bad.json()["error_code"] == "DLF.3051"
    assert "sameNamePolicy" in bad.json()["error_msg"]
    assert "NOPE" in bad.json()["error_msg"]
    unknown_upload = api.call("POST", "/jobs/import", {"path": "upload://nope"})
    assert unknown_upload.json()["error_code"] == "DLF.0815"


def test_viewers_may_not_import_and_developers_may_not_import_to_production(
    api: SignedClient,
) -> None:
    data = exported(api)
    ws = api.call("GET", "/workspaces").json()["workspaces"][0]["id"]
    path = upload(api, data)
    for user, role in (("vic", "viewer"), ("dev", "developer")):
        api.call("POST", "/users", {"name": user})
        creds = api.call("POST", f"/users/{user}/credentials").json()
        api.call("PUT", f"/users/{user}/roles/{ws}", {"role": role})
        client = api.as_user(creds["accessKey"], creds["secretKey"])
        body: dict[str, Any] = {"path": path}
        if role == "developer":
            body["targetStatus"] = "PRODUCTION"
        refused = client.call("POST", "/jobs/import", body)
        assert refused.status_code == 403, refused.text
    done = wait_task(api, api.call("POST", "/jobs/import", {"path": path}).json()["taskId"])
    assert done["status"] == "SUCCESSFUL"


def test_expired_uploads_are_swept_and_can_no_longer_be_imported(api: SignedClient) -> None:
    prod, path = uploaded_to_prod(api)
    services = api.client.app.state.services  # type: ignore[attr-defined]
    assert services.imports.sweep() == 0
    assert services.imports.sweep(now=2**62) == 1
    refused = api.call("POST", "/jobs/import", {"path": path}, workspace=prod)
    assert refused.json()["error_code"] == "DLF.0815"
    assert not any((services.settings.data_dir / "uploads").rglob("*.zip"))


def test_viewers_may_not_look_into_packages(api: SignedClient) -> None:
    data = exported(api)
    path = upload(api, data)
    ws = api.call("GET", "/workspaces").json()["workspaces"][0]["id"]
    api.call("POST", "/users", {"name": "vic"})
    creds = api.call("POST", "/users/vic/credentials").json()
    api.call("PUT", f"/users/vic/roles/{ws}", {"role": "viewer"})
    viewer = api.as_user(creds["accessKey"], creds["secretKey"])
    assert viewer.call("POST", "/jobs/check-file", {"path": path}).status_code == 403


def test_overwrite_replaces_changed_scripts_and_resources_too(api: SignedClient) -> None:
    prod, path = uploaded_to_prod(api)
    run_import(api, {"path": path}, workspace=prod)
    edited = make_script("daily_sales_sql", content="select 'prod edit';")
    assert api.call("PUT", "/scripts/daily_sales_sql", edited, workspace=prod).status_code == 204
    res_id = api.call("GET", "/resources", workspace=prod).json()["resources"][0]["id"]
    res = {"name": "udf_jar", "type": "file", "location": "obs://bucket/other.jar"}
    assert api.call("PUT", f"/resources/{res_id}", res, workspace=prod).status_code == 204
    body = {"path": path, "sameNamePolicy": "OVERWRITE", "onDrift": "TAKE_PACKAGE"}
    task = run_import(api, body, workspace=prod)
    assert task["result"]["summary"]["OVERWRITE"] == 2, task["result"]
    script = api.call("GET", "/scripts/daily_sales_sql", workspace=prod).json()
    assert script["content"] == "select 1;"
    assert script["version"] == 3
    resource = api.call("GET", f"/resources/{res_id}", workspace=prod).json()
    assert (resource["type"], resource["location"]) == ("jar", "obs://bucket/libs/udf.jar")


def test_a_package_of_a_download_center_imports_by_its_download_path(api: SignedClient) -> None:
    seed(api, ("daily_sales",))
    task = wait_task(
        api,
        api.call("POST", "/exports", {"mode": "names", "names": ["daily_sales"]}).json()["taskId"],
    )
    assert task["status"] == "SUCCESSFUL", task
    item = api.call("GET", "/downloads").json()["downloads"][0]
    prod = prod_with_connections(api)

    path = f"download://{default_workspace(api)}/{item['id']}"
    done = run_import(api, {"path": path, "sameNamePolicy": "OVERWRITE"}, prod)

    assert done["status"] == "SUCCESSFUL", done
    assert f"from {item['fileName']} (exported from workspace 'default' on " in done["name"]
    assert job_count(api, prod) == 1
    gone = api.call(
        "POST",
        "/jobs/import",
        {"path": f"download://{default_workspace(api)}/nope"},
        workspace=prod,
    )
    assert gone.status_code == 400
    assert gone.json()["error_code"] == "DLF.9005"


def test_an_upload_without_the_file_field_is_refused_and_its_file_closed(
    api: SignedClient,
) -> None:
    """The zip sent in a field other than ``file`` is refused, naming the field; the file the
    form spooled for it is closed on the way out, not left to the collector."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        refused = post_package(api, b"PK\x05\x06" + bytes(18), field="package")
        gc.collect()
    assert refused.status_code == 400, refused.text
    assert "the field 'file'" in refused.json()["error_msg"]
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)], caught
