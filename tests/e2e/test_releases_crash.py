"""A server killed (SIGKILL) during a deploy leaves production as it was before the release
or as it is after it, never between, and the package says which: released, or failed (and
deployed again)."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from huaweicloudsdkdataartsstudio.v1 import (
    CreateFactoryPendingItemsPackageBody,
    CreateFactoryPendingItemsPackageRequest,
    DeployFactoryPackagesRequest,
    DeployFactoryPackagesRequestBody,
    ListFactoryPendingItemsRequest,
    ShowFactoryPackageDetailRequest,
    UpdateWorkSpaceOldRequest,
    WorkspaceDto,
)
from huaweicloudsdkdgc.v1 import CreateJobRequest, ListJobsRequest

from support.builders import make_job
from support.releases import Person, studio_person
from support.server import ServerProcess, new_workspace, start_server, wait_for_task

pytestmark = pytest.mark.e2e
JOBS = 100
"""A package's most items."""


def _deploy(deployer: Person, ws: str, package: str) -> str:
    body = DeployFactoryPackagesRequestBody(package_ids=[package], startup_mode=1)
    answer = deployer.studio.deploy_factory_packages(
        DeployFactoryPackagesRequest(workspace=ws, body=body)
    )
    task: str = answer.deploy_package_details[0].asy_task_id
    return task


def _production_jobs(server: ServerProcess, production: str) -> int:
    listed = server.client().list_jobs(ListJobsRequest(workspace=production, limit=1))
    total: int = listed.total
    return total


def _status(deployer: Person, ws: str, package: str) -> Any:
    request = ShowFactoryPackageDetailRequest(workspace=ws, package_id=package)
    return deployer.studio.show_factory_package_detail(request).release_package.deploy_status


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_server_killed_during_a_deploy_leaves_production_before_or_after(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'jobferry.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("shared_pg")
    )
    env = {"JOBFERRY_WORKER_HEARTBEAT_SECONDS": "1"}
    server = start_server(tmp_path / "data", url, **env)
    try:
        ws = new_workspace(server, "crash", "dws_conn")
        server.studio_client().update_work_space_old(
            UpdateWorkSpaceOldRequest(
                instance_id=server.project_id,
                workspace_id=ws,
                body=WorkspaceDto(name="crash", mode="1"),
            )
        )
        listed = server.call("GET", "/workspaces").json()["workspaces"]
        production = next(w for w in listed if w["id"] == ws)["productionWorkspaceId"]
        developer = studio_person(server, ws, "dev", "developer")
        deployer = studio_person(server, ws, "dep", "deployer")
        for i in range(JOBS):
            job = make_job(f"crash_{i:03d}")
            for node in job["nodes"]:
                node["properties"] = [{"name": "connectionName", "value": "dws_conn"}]
            developer.dgc.create_job(CreateJobRequest(workspace=ws, body=job))
        items = developer.studio.list_factory_pending_items(
            ListFactoryPendingItemsRequest(workspace=ws, limit=100)
        ).data
        assert len(items) == JOBS
        body = CreateFactoryPendingItemsPackageBody(
            apply_user_id=developer.user_id,
            package_name="crash",
            pending_item_list=[i.pending_item_id for i in items],
            approver_ids=[deployer.user_id],
        )
        package = str(
            developer.studio.create_factory_pending_items_package(
                CreateFactoryPendingItemsPackageRequest(workspace=ws, body=body)
            ).release_package_id
        )
        task_id = _deploy(deployer, ws, package)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
    finally:
        server.stop()
    restarted = start_server(tmp_path / "data", url, **env)
    try:
        deployer = deployer.on(restarted)
        task = wait_for_task(restarted, ws, task_id, timeout=60)
        jobs, status = _production_jobs(restarted, production), _status(deployer, ws, package)
        assert (jobs, status) in ((0, 3), (JOBS, 2)), (jobs, status, task.message)
        if status == 3:
            again = _deploy(deployer, ws, package)
            assert wait_for_task(restarted, ws, again, timeout=60).status == "SUCCESSFUL"
            assert _production_jobs(restarted, production) == JOBS
            assert _status(deployer, ws, package) == 2
    finally:
        restarted.stop()
