"""The DataArts Studio Python SDK (``huaweicloudsdkdataartsstudio``) against a real server,
strictly: every call jobferry serves, its request built by the SDK's models with every optional
field they have, and its answer read into the SDK's response model with every field a user
reads filled (``unset_fields`` names exactly the ones left ``None``, each for a reason said
beside it); the calls jobferry does not serve reach the SDK as 501 ``DLF.9501``."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, ServerResponseException
from huaweicloudsdkdataartsstudio.v1 import (
    ApigDataSourcesVo,
    ApigDataSourceVo,
    CancelFactoryPackagesRequest,
    CancelFactoryPackagesRequestBody,
    CreateConnectionsRequest,
    CreateFactoryEnvRequest,
    DeleteDataconnectionRequest,
    DeployFactoryPackagesRequest,
    DeployFactoryPackagesRequestBody,
    EnvRequestBody,
    EnvRequestBodyParams,
    ListDataArtsStudioInstancesRequest,
    ListDatabasesRequest,
    ListDataconnectionsRequest,
    ListFactoryJobsRequest,
    ListFactoryPendingItemsRequest,
    ListFactoryReleasePackagesRequest,
    ListFactoryScriptsRequest,
    ListFactoryWorkspacesApprovalRequest,
    ListReleasePackagesRequestBody,
    ListWorkspaceRolesRequest,
    ListWorkspaceusersRequest,
    SetFactoryJobTagsRequest,
    SetJobTagsRequestBody,
    ShowDataconnectionRequest,
    ShowFactoryEnvRequest,
    ShowFactoryPackageDetailRequest,
    ShowWorkSpaceRequest,
    UpdateDataconnectionRequest,
    UpdateFactoryJobNameRequest,
    UpdateFactoryJobNameRequestBody,
    UpdateWorkSpaceOldRequest,
    WorkspaceDto,
)
from huaweicloudsdkdgc.v1 import CreateJobRequest, CreateScriptRequest, ListJobsRequest

from support.builders import make_job, make_script
from support.releases import Person, sdk_package, studio_person
from support.sdkcalls import unset_fields
from support.server import ServerProcess, listed_workspace, new_workspace, wait_for_task

pytestmark = pytest.mark.e2e
FAR = 4_102_444_800_000  # 2100-01-01 in epoch ms: every time window below holds everything

NOT_DEPLOYED = {"deploy_user_id", "deploy_user_name", "deploy_timestamp"}
"""A package not released yet has no deployer and no deploy time (DataArts fills them on
release)."""
SCRIPT_ITEM = {"task_id", "start_job_status"}
"""A script's package line names the script in ``script_id`` (``task_id`` is a job's id) and
starts no job."""


def _enterprise(server: ServerProcess, name: str) -> tuple[str, Person, Person]:
    """A workspace switched to enterprise mode (every field of ``WorkspaceDto`` sent as its
    value is), a developer and a deployer in it."""
    ws = new_workspace(server, name, "dws_conn")
    ssh = json.dumps({"type": "SSH", "config": {}}).encode()
    assert server.call("PUT", "/environment/connection/ssh_conn", ssh, workspace=ws).ok
    switched = server.studio_client().update_work_space_old(
        UpdateWorkSpaceOldRequest(
            instance_id=server.project_id,
            workspace_id=ws,
            body=WorkspaceDto(
                name=name,
                mode="1",
                description="",
                bad_record_location_name="",
                job_log_location_name="",
                eps_id="0",
                status="0",
            ),
        )
    )
    assert switched.status_code == 200
    developer = studio_person(server, ws, f"{name}_dev", "developer")
    return ws, developer, studio_person(server, ws, f"{name}_dep", "deployer")


def _submit(person: Person, ws: str, name: str) -> None:
    person.dgc.create_script(CreateScriptRequest(workspace=ws, body=make_script(f"{name}_sql")))
    shell = make_script(f"{name}_sh", type="Shell", content="echo hi")
    person.dgc.create_script(CreateScriptRequest(workspace=ws, body=shell))
    person.dgc.create_job(CreateJobRequest(workspace=ws, body=make_job(name)))


def _packages(person: Person, ws: str, **filters: Any) -> Any:
    request = ListFactoryReleasePackagesRequest(
        workspace=ws, body=ListReleasePackagesRequestBody(**filters)
    )
    return person.studio.list_factory_release_packages(request)


def test_release_calls_with_every_optional_field_are_read_whole_by_the_sdk(
    server: ServerProcess,
) -> None:
    name = f"rf_{uuid.uuid4().hex[:6]}"
    ws, dev, dep = _enterprise(server, name)
    _submit(dev, ws, name)

    only_the_job = dev.studio.list_factory_pending_items(
        ListFactoryPendingItemsRequest(
            workspace=ws,
            submit_user_name=f"{name}_dev",
            item_name=name,
            update_type="1",
            task_type="1",
            start_time="0",
            end_time=str(FAR),
            limit=10,
            offset=0,
        )
    )
    assert only_the_job.total == 1
    assert [(i.item_name, i.task_type, i.update_type) for i in only_the_job.data] == [(name, 1, 1)]
    assert unset_fields(only_the_job) == set()
    second_page = dev.studio.list_factory_pending_items(
        ListFactoryPendingItemsRequest(workspace=ws, item_name=name, limit=2, offset=1)
    )
    assert (second_page.total, len(second_page.data)) == (3, 1)  # offset is a page number
    items = dev.studio.list_factory_pending_items(
        ListFactoryPendingItemsRequest(workspace=ws, item_name=name, limit=100)
    ).data
    first = sdk_package(dev, ws, f"{name}_p1", [dep.user_id], items)

    every_filter = {
        "key_word": f"{name}_p",
        "apply_user_name": f"{name}_dev",
        "apply_user_name_filter": [f"{name}_dev"],
        "apply_begin_time": 0,
        "apply_end_time": FAR,
        "sorted_direction": "desc",
        "order_column": "apply_timestamp",
        "limit": 10,
        "offset": 0,
    }
    waiting = _packages(dep, ws, deploy_status_filter=[1], **every_filter)
    assert (waiting.total, [p.package_id for p in waiting.data]) == (1, [first])
    assert waiting.data[0].package_approvers[0].user_name == f"{name}_dep"
    assert waiting.x_request_id
    assert unset_fields(waiting) == {f"data[].{f}" for f in NOT_DEPLOYED}
    detail = dep.studio.show_factory_package_detail(
        ShowFactoryPackageDetailRequest(workspace=ws, package_id=first)
    )
    assert detail.x_request_id
    assert unset_fields(detail) == {f"release_package.{f}" for f in NOT_DEPLOYED} | {
        "task_details[].task_id",  # the scripts'
        "task_details[].script_id",  # the job's
        "task_details[].start_job_status",  # not released yet
    }

    deployed = dep.studio.deploy_factory_packages(
        DeployFactoryPackagesRequest(
            workspace=ws,
            body=DeployFactoryPackagesRequestBody(package_ids=[first], startup_mode=1),
        )
    )
    assert unset_fields(deployed) == set()
    assert deployed.deploy_package_details[0].package_id == int(first)
    task = wait_for_task(server, ws, deployed.deploy_package_details[0].asy_task_id)
    assert task.status == "SUCCESSFUL", task.message

    released = dep.studio.show_factory_package_detail(
        ShowFactoryPackageDetailRequest(workspace=ws, package_id=first)
    )
    assert released.release_package.deploy_status == 2
    assert released.release_package.deploy_user_name == f"{name}_dep"
    assert unset_fields(released) == {f"task_details[].{f}" for f in SCRIPT_ITEM} | {
        "task_details[].script_id"
    }
    job_line = next(t for t in released.task_details if t.task_type == 1)
    assert unset_fields(job_line) == {"script_id"}
    assert (job_line.deploy_status, job_line.start_job_status, job_line.deployed_version) == (
        2,
        2,
        1,
    )
    deploy_filters = {
        "deploy_user_name": f"{name}_dep",
        "deploy_user_name_filter": [f"{name}_dep"],
        "deploy_begin_time": 0,
        "deploy_end_time": FAR,
        "deploy_status_filter": [2],
    }
    done = _packages(dep, ws, **{**every_filter, **deploy_filters, "order_column": "package_name"})
    assert [p.package_id for p in done.data] == [first]
    assert unset_fields(done) == set()

    renamed = dev.studio.update_factory_job_name(
        UpdateFactoryJobNameRequest(
            job_name=name, workspace=ws, body=UpdateFactoryJobNameRequestBody(name=f"{name}_2")
        )
    )
    assert renamed.is_success is True
    changed = dev.studio.list_factory_pending_items(
        ListFactoryPendingItemsRequest(workspace=ws, item_name=f"{name}_2", update_type="2")
    ).data
    assert [(i.pending_version, i.deployed_version) for i in changed] == [(1, 1)]
    second = sdk_package(dev, ws, f"{name}_p2", [dep.user_id], changed)
    cancelled = dep.studio.cancel_factory_packages(
        CancelFactoryPackagesRequest(
            workspace=ws, body=CancelFactoryPackagesRequestBody(package_ids=[second])
        )
    )
    assert cancelled.status_code == 200
    gone = _packages(dep, ws, key_word=f"{name}_p2")
    assert [(p.package_id, p.delete_flag) for p in gone.data] == [(second, 1)]

    reviews = dev.studio.list_factory_workspaces_approval(
        ListFactoryWorkspacesApprovalRequest(
            workspace=ws,
            begin_time=0,
            end_time=FAR,
            status="APPROVED",
            type="FINISHED",
            apply_id="1",
            approver_name="admin",
            create_user=f"{name}_dev",
            object_name=name,
            object_type="JOB",
            offset=0,
            limit=10,
        )
    )
    assert (reviews.total, reviews.job_apply_search_list) == (0, [])  # enterprise: no reviews


def test_workspace_connection_variable_and_script_calls_with_every_optional_field(
    server: ServerProcess,
) -> None:
    name = f"wf_{uuid.uuid4().hex[:6]}"
    ws, dev, _ = _enterprise(server, name)
    admin = server.studio_client()

    instances = admin.list_data_arts_studio_instances(
        ListDataArtsStudioInstancesRequest(limit=10, offset=0)
    )
    order = instances.commodity_orders[0]
    assert (order.resource_id, order.domain_id) == (server.project_id, server.project_id)
    mine = listed_workspace(admin, order.resource_id, id=ws)
    shown = admin.show_work_space(
        ShowWorkSpaceRequest(instance_id=order.resource_id, workspace_id=ws)
    )
    kept_by_no_one = {
        "bad_record_location_name",
        "job_log_location_name",
        "owner_name",
        "create_user",
        "update_time",
        "update_user",
    }
    assert unset_fields(shown) == unset_fields(mine) == kept_by_no_one
    assert (shown.name, shown.domain_id) == (name, server.project_id)

    roles = dev.studio.list_workspace_roles(
        ListWorkspaceRolesRequest(instance_id=order.resource_id, workspace_id=ws)
    )
    assert {r.role_code for r in roles.body} >= {"admin", "developer", "deployer"}
    assert unset_fields(roles) == set()
    members = dev.studio.list_workspaceusers(
        ListWorkspaceusersRequest(workspace_id=ws, limit="1", offset="1")
    )
    assert (members.count, members.total_page, len(members.data)) == (3, 3, 1)
    assert shown.member_num == mine.member_num == members.count  # the project admin counts
    assert unset_fields(members) == {"data[].create_user", "data[].update_user"}

    variables = EnvRequestBody(
        params=[EnvRequestBodyParams(name="env_db", type="variable", value="db", desc="d")]
    )
    saved = admin.create_factory_env(CreateFactoryEnvRequest(workspace=ws, body=variables))
    assert (saved.is_success, saved.to_json_object()["status_code"]) == (True, 200)
    env = admin.show_factory_env(ShowFactoryEnvRequest(workspace=ws))
    assert [(p.name, p.type, p.value, p.desc) for p in env.params] == [
        ("env_db", "variable", "db", "d")
    ]

    source = ApigDataSourceVo(
        dw_name="dws_conn",
        dw_type="DWS",
        dw_config={"ip": "10.1.2.3", "port": "8000", "db_password": "Str0ng-pass"},
        agent_id="0123456789abcdef0123456789abcdef0123",
        agent_name="cdm-1",
        env_type=1,
        support_service=1,
        dw_category="DWS",
        description="production warehouse",
    )
    sources = ApigDataSourcesVo(mode=1, visible=1, data_source_vos=[source])
    admin.create_connections(CreateConnectionsRequest(workspace=ws, body=sources))
    found = admin.list_dataconnections(
        ListDataconnectionsRequest(
            workspace=ws, name="dws", type="dws", ip="10.1.2", limit="10", offset="0"
        )
    )
    assert (found.count, found.max_records) == (1, 1)
    assert unset_fields(found) == set()
    dw_id = found.data_connection_lists[0].dw_id
    detail = admin.show_dataconnection(
        ShowDataconnectionRequest(workspace=ws, data_connection_id=dw_id)
    )
    assert unset_fields(detail) == set()
    assert (detail.env_type, detail.dw_catagory, detail.dw_config["db_password"]) == (
        1,
        "DWS",
        "*********",
    )
    source.dw_config = {**source.dw_config, "ip": "10.1.2.4"}
    admin.update_dataconnection(
        UpdateDataconnectionRequest(workspace=ws, data_connection_id=dw_id, body=sources)
    )
    assert (
        admin.show_dataconnection(
            ShowDataconnectionRequest(workspace=ws, data_connection_id=dw_id)
        ).update_type
        == 1
    )
    admin.delete_dataconnection(DeleteDataconnectionRequest(workspace=ws, data_connection_id=dw_id))

    for index in range(2):
        script = make_script(f"{name}_{index}", description="d", queueName="q", owner="o")
        dev.dgc.create_script(CreateScriptRequest(workspace=ws, body=script))
    page = dev.studio.list_factory_scripts(
        ListFactoryScriptsRequest(workspace=ws, limit=1, offset=1, script_name=name)
    )
    assert (page.total, [s.name for s in page.scripts]) == (2, [f"{name}_1"])  # by name
    assert unset_fields(page) == {"scripts[].configuration"}  # none was given


def test_calls_jobferry_does_not_serve_reach_the_sdk_as_501_and_change_nothing(
    server: ServerProcess,
) -> None:
    name = f"nf_{uuid.uuid4().hex[:6]}"
    ws = new_workspace(server, name, "dws_conn")
    studio, dgc = server.studio_client(), server.client()
    dgc.create_script(CreateScriptRequest(workspace=ws, body=make_script(f"{name}_sql")))
    dgc.create_script(CreateScriptRequest(workspace=ws, body=make_script(f"{name}_sh")))
    dgc.create_job(CreateJobRequest(workspace=ws, body=make_job(name)))
    before = dgc.list_jobs(ListJobsRequest(workspace=ws)).to_json_object()

    for call, send in (
        (
            "list_factory_jobs",
            lambda: studio.list_factory_jobs(ListFactoryJobsRequest(workspace=ws)),
        ),
        (
            "set_factory_job_tags",
            lambda: studio.set_factory_job_tags(
                SetFactoryJobTagsRequest(
                    job_name=name, workspace=ws, body=SetJobTagsRequestBody(tag_names=["a"])
                )
            ),
        ),
        (
            "list_databases",
            lambda: studio.list_databases(ListDatabasesRequest(connection_id="c1", workspace=ws)),
        ),
    ):
        with pytest.raises(ServerResponseException) as refused:
            send()
        assert (refused.value.status_code, refused.value.error_code) == (501, "DLF.9501")
        assert refused.value.error_msg.startswith(f"{call} is not supported: ")
        if call == "set_factory_job_tags":  # jobferry keeps tags: the v1 call sets them
            assert "update_job" in refused.value.error_msg
    assert dgc.list_jobs(ListJobsRequest(workspace=ws)).to_json_object() == before


def test_a_rename_carrying_its_own_authorization_is_refused_and_renames_nothing(
    server: ServerProcess,
) -> None:
    # update_factory_job_name exposes Authorization and Host: filled, the SDK does not sign.
    name = f"au_{uuid.uuid4().hex[:6]}"
    ws = new_workspace(server, name, "dws_conn")
    dgc = server.client()
    dgc.create_script(CreateScriptRequest(workspace=ws, body=make_script(f"{name}_sql")))
    dgc.create_script(CreateScriptRequest(workspace=ws, body=make_script(f"{name}_sh")))
    dgc.create_job(CreateJobRequest(workspace=ws, body=make_job(name)))

    with pytest.raises(ClientRequestException) as refused:
        server.studio_client().update_factory_job_name(
            UpdateFactoryJobNameRequest(
                job_name=name,
                workspace=ws,
                authorization="Bearer user-set",
                host="example.invalid",
                body=UpdateFactoryJobNameRequestBody(name=f"{name}_2"),
            )
        )

    assert (refused.value.status_code, refused.value.error_code) == (401, "APIGW.0301")
    names = [j.name for j in dgc.list_jobs(ListJobsRequest(workspace=ws)).jobs]
    assert names == [name]


def test_the_review_centre_with_every_optional_field_is_read_whole_by_the_sdk(
    server: ServerProcess,
) -> None:
    name = f"rv_{uuid.uuid4().hex[:6]}"
    ws = new_workspace(server, name, "dws_conn")
    dgc = server.client()
    dgc.create_script(CreateScriptRequest(workspace=ws, body=make_script(f"{name}_sql")))
    dgc.create_script(CreateScriptRequest(workspace=ws, body=make_script(f"{name}_sh")))
    switch = json.dumps({"approvalEnabled": True}).encode()
    assert server.call("PUT", f"/workspaces/{ws}", switch).ok
    job = make_job(name, targetStatus="SUBMITTED", approvers=[{"approverName": "admin"}])
    dgc.create_job(CreateJobRequest(workspace=ws, body=job))
    studio = server.studio_client()

    def reviews(**query: Any) -> Any:
        request = ListFactoryWorkspacesApprovalRequest(
            workspace=ws, begin_time=0, end_time=FAR, offset=0, limit=10, **query
        )
        return studio.list_factory_workspaces_approval(request)

    mine = reviews(status="APPROVED", type="APPLY", object_name=name, object_type="JOB")
    assert mine.total == 1
    item = mine.job_apply_search_list[0]
    assert (item.object_name, item.status, item.create_user, item.approver_name) == (
        name,
        "APPROVED",
        "admin",
        "admin",
    )
    assert item.approval_time == item.submit_time
    assert unset_fields(mine) == {"job_apply_search_list[].actual_approver"}  # applied at once
    asked = reviews(
        type="FINISHED", apply_id=item.apply_id, approver_name="admin", create_user="admin"
    )
    assert [i.apply_id for i in asked.job_apply_search_list] == [item.apply_id]
    assert reviews(type="FINISHED", apply_id="0").total == 0
