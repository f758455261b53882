"""The Terraform provider's ``dataarts_factory_job_import`` with ``target_status: PRODUCTION``
into a workspace in enterprise mode: the import writes the production side directly (as
released), with no pending item, and the provider's poll of the system task through the
development workspace finds it."""

from __future__ import annotations

import uuid

import pytest
from huaweicloudsdkdataartsstudio.v1 import (
    ListFactoryPendingItemsRequest,
    UpdateWorkSpaceOldRequest,
    WorkspaceDto,
)

from support.s3server import S3Server
from support.server import ServerProcess, new_workspace
from support.terraform import TerraformClient
from support.terraform_actions import job_by_name
from support.terraform_jobs import create_job
from support.terraform_provider import export_job, import_jobs

from .shapes import restapi_job

pytestmark = pytest.mark.e2e


def test_an_import_as_released_writes_production(
    tf: TerraformClient, server: ServerProcess, workspace: str, s3_server: S3Server
) -> None:
    bucket = s3_server.new_bucket("tfem")
    name = "tf_released"
    create_job(tf, restapi_job(name, workspace, "BATCH", 10, 11))
    obs_path = f"obs://{bucket}/jobs-storage/"
    folder_path = export_job(tf, workspace, name, obs_path, exportStatus="DEVELOP")
    ws_name = f"tf_em_{uuid.uuid4().hex[:8]}"
    enterprise = new_workspace(server, ws_name)
    server.studio_client().update_work_space_old(
        UpdateWorkSpaceOldRequest(
            instance_id=server.project_id,
            workspace_id=enterprise,
            body=WorkspaceDto(name=ws_name, mode="1"),
        )
    )

    path = f"{obs_path}{folder_path}/{name}.zip"
    task = import_jobs(tf, enterprise, path, sameNamePolicy="OVERWRITE", targetStatus="PRODUCTION")

    assert task["status"] == "SUCCESSFUL", task
    listed = server.call("GET", "/workspaces").json()["workspaces"]
    production = next(w for w in listed if w["id"] == enterprise)["productionWorkspaceId"]
    assert job_by_name(tf, production, name, "BATCH") is not None
    assert job_by_name(tf, enterprise, name, "BATCH") is None
    pending = server.studio_client().list_factory_pending_items(
        ListFactoryPendingItemsRequest(workspace=enterprise)
    )
    assert pending.total == 0
