"""Enterprise-mode releases driven by the DataArts Studio Python SDK
(``huaweicloudsdkdataartsstudio``) against a real server, unchanged: a workspace switched to
enterprise mode, jobs submitted by a developer (the dgc SDK), pending items packaged with a
deployer as approver, the package deployed (its system task polled), its detail read, another
package cancelled; production read through jobferry's extension."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdataartsstudio.v1 import (
    CancelFactoryPackagesRequest,
    CancelFactoryPackagesRequestBody,
    DeployFactoryPackagesRequest,
    DeployFactoryPackagesRequestBody,
    ListFactoryPendingItemsRequest,
    ListFactoryReleasePackagesRequest,
    ListReleasePackagesRequestBody,
    ListWorkspaceRolesRequest,
    ListWorkspaceusersRequest,
    UpdateWorkSpaceOldRequest,
    WorkspaceDto,
)
from huaweicloudsdkdgc.v1 import CreateJobRequest, CreateScriptRequest, ShowJobRequest

from support.builders import make_job, make_script
from support.releases import Person, sdk_package, sdk_package_detail, studio_person
from support.server import ServerProcess, new_workspace, wait_for_task

pytestmark = pytest.mark.e2e


def _submit(person: Person, ws: str, name: str, **overrides: Any) -> None:
    person.dgc.create_script(CreateScriptRequest(workspace=ws, body=make_script(f"{name}_sql")))
    shell = make_script(f"{name}_sh", type="Shell", content="echo hi")
    person.dgc.create_script(CreateScriptRequest(workspace=ws, body=shell))
    person.dgc.create_job(CreateJobRequest(workspace=ws, body=make_job(name, **overrides)))


def _items(person: Person, ws: str, name: str) -> list[Any]:
    request = ListFactoryPendingItemsRequest(workspace=ws, limit=100)
    listed = person.studio.list_factory_pending_items(request)
    return [i for i in listed.data if i.item_name.startswith(name)]


def test_the_release_flow_through_the_studio_sdk(server: ServerProcess) -> None:
    suffix = uuid.uuid4().hex[:6]
    name = f"em_{suffix}"
    ws = new_workspace(server, name, "dws_conn")
    ssh = json.dumps({"type": "SSH", "config": {}}).encode()
    assert server.call("PUT", "/environment/connection/ssh_conn", ssh, workspace=ws).ok
    admin = server.studio_client()
    admin.update_work_space_old(
        UpdateWorkSpaceOldRequest(
            instance_id=server.project_id,
            workspace_id=ws,
            body=WorkspaceDto(name=name, mode="1"),
        )
    )
    listed = server.call("GET", "/workspaces").json()["workspaces"]
    production = next(w for w in listed if w["id"] == ws)["productionWorkspaceId"]
    assert production
    assert production not in {w["id"] for w in listed}
    developer = studio_person(server, ws, f"dev_{suffix}", "developer")
    deployer = studio_person(server, ws, f"dep_{suffix}", "deployer")

    roles = developer.studio.list_workspace_roles(
        ListWorkspaceRolesRequest(instance_id=server.project_id, workspace_id=ws)
    )
    assert "deployer" in {r.role_code for r in roles.body}
    members = developer.studio.list_workspaceusers(
        ListWorkspaceusersRequest(workspace_id=ws, limit="100", offset="0")
    ).data
    approvers = [m.user_id for m in members if m.roles[0].role_code == "deployer"]
    assert approvers == [deployer.user_id]

    _submit(developer, ws, f"{name}_a")
    items = _items(developer, ws, f"{name}_a")
    assert {(i.task_type, i.update_type, i.pending_version) for i in items} == {
        (1, 1, 1),
        (2, 1, 1),
    }
    assert {i.package_flag for i in items} == {0}
    first = sdk_package(developer, ws, f"{name}_pkg1", [approvers[0]], items)

    listed_packages = deployer.studio.list_factory_release_packages(
        ListFactoryReleasePackagesRequest(
            workspace=ws, body=ListReleasePackagesRequestBody(deploy_status_filter=[1])
        )
    )
    assert [p.package_id for p in listed_packages.data] == [first]
    assert listed_packages.data[0].package_approvers[0].user_id == deployer.user_id

    with pytest.raises(ClientRequestException) as not_approver:
        developer.studio.deploy_factory_packages(
            DeployFactoryPackagesRequest(
                workspace=ws, body=DeployFactoryPackagesRequestBody(package_ids=[first])
            )
        )
    assert not_approver.value.status_code == 403
    deployed = deployer.studio.deploy_factory_packages(
        DeployFactoryPackagesRequest(
            workspace=ws,
            body=DeployFactoryPackagesRequestBody(package_ids=[first], startup_mode=1),
        )
    )
    detail = deployed.deploy_package_details[0]
    assert detail.package_id == int(first)
    assert detail.asy_subtask_num == len(items)
    task = wait_for_task(server, ws, detail.asy_task_id)
    assert task.status == "SUCCESSFUL", task.message

    shown = sdk_package_detail(deployer, ws, first)
    assert shown.release_package.deploy_status == 2
    assert shown.release_package.deploy_user_name == f"dep_{suffix}"
    job = next(t for t in shown.task_details if t.task_type == 1)
    assert (job.deploy_status, job.start_job_status, job.deployed_version) == (2, 2, 1)
    released = server.client().show_job(ShowJobRequest(workspace=production, job_name=f"{name}_a"))
    assert released.name == f"{name}_a"

    _submit(developer, ws, f"{name}_b")
    b_items = _items(developer, ws, f"{name}_b")
    second = sdk_package(developer, ws, f"{name}_pkg2", [deployer.user_id], b_items)
    deployer.studio.cancel_factory_packages(
        CancelFactoryPackagesRequest(
            workspace=ws, body=CancelFactoryPackagesRequestBody(package_ids=[second])
        )
    )
    assert len(_items(developer, ws, f"{name}_b")) == 3
    with pytest.raises(ClientRequestException) as released_already:
        deployer.studio.cancel_factory_packages(
            CancelFactoryPackagesRequest(
                workspace=ws, body=CancelFactoryPackagesRequestBody(package_ids=[first])
            )
        )
    assert (released_already.value.status_code, released_already.value.error_code) == (
        400,
        "DLF.20990",
    )
