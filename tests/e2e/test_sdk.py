"""The official huaweicloudsdkdgc SDK drives a real jobferry server, unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, ServerResponseException
from huaweicloudsdkdgc.v1 import (
    CreateJobRequest,
    CreateResourceRequest,
    CreateScriptRequest,
    DeleteJobRequest,
    DeleteReq,
    DeleteResourceRequest,
    DeleteScriptRequest,
    ExecuteScriptRequest,
    JobApprover,
    JobInfo,
    JobParam,
    ListJobInstancesRequest,
    ListJobsRequest,
    ListResourcesRequest,
    ListScriptsRequest,
    ListSystemTasksRequest,
    Location,
    ModelProperty,
    Node,
    RunOnceRequest,
    Schedule,
    ShowJobRequest,
    ShowJobStatusRequest,
    ShowResourceRequest,
    ShowScriptRequest,
    StartJobReq,
    StartJobRequest,
    StopJobRequest,
    UpdateJobRequest,
    UpdateResourceRequest,
    UpdateScriptRequest,
)
from huaweicloudsdkdgc.v1.model.cron import Cron

from support.builders import fixture, make_job, make_resource, make_script
from support.server import ServerProcess, new_user, new_workspace

pytestmark = pytest.mark.e2e


def sdk_job(name: str) -> JobInfo:
    """A job built with the SDK's own models, as an SDK user writes it."""
    return JobInfo(
        name=name,
        nodes=[
            Node(
                name="sql_1",
                type="DLISQL",
                location=Location(x="-45.5", y="-134.5"),
                pre_node_name=[],
                properties=[
                    ModelProperty(name="scriptName", value="script_1"),
                    ModelProperty(name="queueName", value="default"),
                ],
                polling_interval=20,
                max_execution_time=360,
                retry_times=0,
                retry_interval=120,
                fail_policy="FAIL_CHILD",
            )
        ],
        schedule=Schedule(
            type="CRON",
            cron=Cron(
                start_time="2024-01-01T00:00:00+08",
                expression="0 0 2 * * ?",
                expression_time_zone="GMT+08:00",
            ),
        ),
        params=[JobParam(name="bizdate", value="20240101", type="variable")],
        directory="/demo",
        process_type="BATCH",
    )


def raw(resp: Any) -> Any:
    return resp.to_json_object()


def test_job_crud_versions_and_scheduling(server: ServerProcess) -> None:
    client = server.client()
    ws = new_workspace(server, "sdk_crud")
    assert (
        client.create_job(CreateJobRequest(workspace=ws, body=sdk_job("job_demo"))).status_code
        == 204
    )

    shown = client.show_job(ShowJobRequest(workspace=ws, job_name="job_demo"))
    assert shown.name == "job_demo"
    assert shown.nodes[0].properties[0].value == "script_1"
    assert shown.schedule.cron.expression == "0 0 2 * * ?"
    assert shown.version == "1"

    updated = sdk_job("job_demo")
    updated.params = [JobParam(name="bizdate", value="20250101")]
    client.update_job(UpdateJobRequest(workspace=ws, job_name="job_demo", body=updated))
    v1 = client.show_job(ShowJobRequest(workspace=ws, job_name="job_demo", version=1))
    v2 = client.show_job(ShowJobRequest(workspace=ws, job_name="job_demo", version=2))
    assert (v1.params[0].value, v2.params[0].value) == ("20240101", "20250101")

    listed = client.list_jobs(ListJobsRequest(workspace=ws, limit=10, offset=0))
    assert listed.total == 1
    assert listed.jobs[0].name == "job_demo"
    assert listed.jobs[0].status == "STOPPED"

    client.start_job(
        StartJobRequest(
            workspace=ws, job_name="job_demo", body=StartJobReq(job_params=[JobParam("p", "v")])
        )
    )
    assert client.list_jobs(ListJobsRequest(workspace=ws)).jobs[0].status == "SCHEDULING"
    status = client.show_job_status(ShowJobStatusRequest(workspace=ws, job_name="job_demo"))
    assert status.status == "NORMAL"
    client.stop_job(StopJobRequest(workspace=ws, job_name="job_demo"))
    assert client.list_jobs(ListJobsRequest(workspace=ws)).jobs[0].status == "STOPPED"

    deleted = client.delete_job(
        DeleteJobRequest(
            workspace=ws, job_name="job_demo", body=DeleteReq(approvers=[JobApprover("bob")])
        )
    )
    assert deleted.status_code == 204
    with pytest.raises(ClientRequestException) as missing:
        client.show_job(ShowJobRequest(workspace=ws, job_name="job_demo"))
    assert (missing.value.status_code, missing.value.error_code) == (400, "DLF.0100")
    assert missing.value.request_id


def test_documented_example_jobs_show_back_with_every_key(server: ServerProcess) -> None:
    client = server.client()
    ws = new_workspace(server, "sdk_fixtures")
    for name in ("otc_doc_job_myJob_hivesql.job", "otc_doc_job_realtime_myJob_dis_cs_dli.job"):
        job = fixture(name)
        # SDK users with definitions from exported files pass the dict as the body unchanged.
        client.create_job(CreateJobRequest(workspace=ws, body=job))
        shown = raw(client.show_job(ShowJobRequest(workspace=ws, job_name=job["name"])))
        # The real-time example's "version": "1.0" is the server's: the job's version 1.
        assert {k: shown[k] for k in job} == job | ({"version": "1"} if "version" in job else {})
        client.delete_job(DeleteJobRequest(workspace=ws, job_name=job["name"]))


def test_unicode_job_name_round_trips_through_the_path(server: ServerProcess) -> None:
    client = server.client()
    ws = new_workspace(server, "sdk_unicode")
    client.create_job(CreateJobRequest(workspace=ws, body=make_job("作业_1")))
    shown = client.show_job(ShowJobRequest(workspace=ws, job_name="作业_1"))
    assert shown.name == "作业_1"
    found = client.list_jobs(ListJobsRequest(workspace=ws, job_name="作业"))
    assert [j.name for j in found.jobs] == ["作业_1"]


def test_workspaces_isolate_objects(server: ServerProcess) -> None:
    client = server.client()
    ws_a, ws_b = new_workspace(server, "iso_a"), new_workspace(server, "iso_b")
    client.create_job(CreateJobRequest(workspace=ws_a, body=make_job("shared_name")))
    with pytest.raises(ClientRequestException) as missing:
        client.show_job(ShowJobRequest(workspace=ws_b, job_name="shared_name"))
    assert missing.value.error_code == "DLF.0100"
    client.create_job(CreateJobRequest(workspace=ws_b, body=make_job("shared_name")))
    assert client.list_jobs(ListJobsRequest(workspace=ws_a)).total == 1
    assert client.list_jobs(ListJobsRequest(workspace=ws_b)).total == 1


def test_duplicate_and_invalid_jobs_are_refused_with_documented_codes(
    server: ServerProcess,
) -> None:
    client = server.client()
    ws = new_workspace(server, "sdk_errors")
    client.create_job(CreateJobRequest(workspace=ws, body=make_job()))
    with pytest.raises(ClientRequestException) as dup:
        client.create_job(CreateJobRequest(workspace=ws, body=make_job()))
    assert dup.value.error_code == "DLF.0102"
    bad = make_job("broken")
    bad["nodes"][0]["name"] = "report"  # duplicate node name
    with pytest.raises(ClientRequestException) as invalid:
        client.create_job(CreateJobRequest(workspace=ws, body=bad))
    assert invalid.value.error_code == "DLF.3051"
    assert "nodes[1].name" in invalid.value.error_msg
    assert client.list_jobs(ListJobsRequest(workspace=ws)).total == 1


def test_script_crud(server: ServerProcess) -> None:
    client = server.client()
    ws = new_workspace(server, "sdk_scripts")
    for name in (
        "hwdocs_dgc_script_dlisql1.script",
        "otc_doc_script_echoTimeShell.script",
        "dwtoolkit_query1.script",
    ):
        script = fixture(name)
        assert (
            client.create_script(CreateScriptRequest(workspace=ws, body=script)).status_code == 204
        )
        shown = raw(client.show_script(ShowScriptRequest(workspace=ws, script_name=script["name"])))
        assert {k: shown[k] for k in script} == script
    changed = dict(fixture("otc_doc_script_echoTimeShell.script"), content="echo b")
    client.update_script(
        UpdateScriptRequest(workspace=ws, script_name="echoTimeShell", body=changed)
    )
    shown_model = client.show_script(ShowScriptRequest(workspace=ws, script_name="echoTimeShell"))
    assert shown_model.content == "echo b"
    assert shown_model.version == 2
    listed = client.list_scripts(ListScriptsRequest(workspace=ws, script_name="Shell"))
    assert [s.name for s in listed.scripts] == ["echoTimeShell"]
    with pytest.raises(ClientRequestException) as dup:
        client.create_script(CreateScriptRequest(workspace=ws, body=make_script("query1")))
    assert dup.value.error_code == "DLF.0202"
    client.delete_script(DeleteScriptRequest(workspace=ws, script_name="query1"))
    with pytest.raises(ClientRequestException) as missing:
        client.show_script(ShowScriptRequest(workspace=ws, script_name="query1"))
    assert missing.value.error_code == "DLF.6201"


def test_resource_crud(server: ServerProcess) -> None:
    client = server.client()
    ws = new_workspace(server, "sdk_resources")
    created = client.create_resource(
        CreateResourceRequest(workspace=ws, body=fixture("otc_doc_resource_test_jar.resource"))
    )
    assert created.status_code == 200
    resource_id = json.loads(created.raw_content)["resourceId"]
    shown = client.show_resource(ShowResourceRequest(workspace=ws, resource_id=resource_id))
    assert (shown.id, shown.name, shown.type) == (resource_id, "test", "jar")
    client.update_resource(
        UpdateResourceRequest(
            workspace=ws, resource_id=resource_id, body=make_resource("test", desc="new")
        )
    )
    listed = client.list_resources(ListResourcesRequest(workspace=ws, resource_name="tes"))
    assert [(r.name, r.desc) for r in listed.resources] == [("test", "new")]
    client.delete_resource(DeleteResourceRequest(workspace=ws, resource_id=resource_id))
    with pytest.raises(ClientRequestException) as missing:
        client.show_resource(ShowResourceRequest(workspace=ws, resource_id=resource_id))
    assert missing.value.error_code == "DLF.6241"


def test_execution_calls_answer_not_supported(server: ServerProcess) -> None:
    client = server.client()
    ws = new_workspace(server, "sdk_exec")
    client.create_job(CreateJobRequest(workspace=ws, body=make_job()))
    for call in (
        lambda: client.run_once(RunOnceRequest(workspace=ws, job_name="daily_sales")),
        lambda: client.list_job_instances(ListJobInstancesRequest(workspace=ws)),
        lambda: client.execute_script(ExecuteScriptRequest(workspace=ws, script_name="s")),
    ):
        with pytest.raises(ServerResponseException) as refused:
            call()
        assert (refused.value.status_code, refused.value.error_code) == (501, "DLF.9501")
        assert "not supported" in refused.value.error_msg
    with pytest.raises(ClientRequestException) as no_task:
        client.list_system_tasks(ListSystemTasksRequest(workspace=ws, task_id="0" * 32))
    assert no_task.value.error_code == "DLF.0810"


def test_wrong_secret_and_unknown_key_are_refused(server: ServerProcess) -> None:
    for ak, sk in ((server.ak, "wrong-secret"), ("UNKNOWNAK00000000000", server.sk)):
        with pytest.raises(ClientRequestException) as refused:
            server.client(ak, sk).list_jobs(ListJobsRequest())
        assert (refused.value.status_code, refused.value.error_code) == (401, "APIGW.0301")


def test_a_new_users_credentials_and_role_work_through_the_sdk(server: ServerProcess) -> None:
    ws = new_workspace(server, "sdk_roles")
    new_user(server, "viewer_vic")
    issued = server.call("POST", "/users/viewer_vic/credentials").json()
    client = server.client(issued["accessKey"], issued["secretKey"])
    with pytest.raises(ClientRequestException) as no_role:
        client.list_jobs(ListJobsRequest(workspace=ws))
    assert no_role.value.status_code == 403
    role = server.call("PUT", f"/users/viewer_vic/roles/{ws}", b'{"role": "viewer"}')
    assert role.status_code == 204
    assert client.list_jobs(ListJobsRequest(workspace=ws)).total == 0
    with pytest.raises(ClientRequestException) as read_only:
        client.create_job(CreateJobRequest(workspace=ws, body=make_job()))
    assert read_only.value.status_code == 403
