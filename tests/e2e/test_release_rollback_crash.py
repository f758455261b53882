"""A server killed (SIGKILL) during the rollback of a release leaves production as the release
left it or as it was before, never between, and the package and the release ledger say which;
a rollback that did not happen can be asked again. The release itself and the reads are the
DataArts Studio SDK's calls, the rollback and the ledger jobferry's extensions."""

from __future__ import annotations

import signal
import threading
import time
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


def _production_jobs(server: ServerProcess, production: str) -> int:
    listed = server.client().list_jobs(ListJobsRequest(workspace=production, limit=1))
    total: int = listed.total
    return total


def _rolled_back(deployer: Person, ws: str, package: str) -> Any:
    request = ShowFactoryPackageDetailRequest(workspace=ws, package_id=package)
    return deployer.studio.show_factory_package_detail(request).release_package


def _rollback(server: ServerProcess, ws: str, package: str) -> Any:
    path = f"/factory/release-packages/{package}/rollback"
    return server.call("POST", path, workspace=ws, api="v2")


def _release(server: ServerProcess, ws: str) -> tuple[str, Person]:
    developer = studio_person(server, ws, "dev", "developer")
    deployer = studio_person(server, ws, "dep", "deployer")
    for i in range(JOBS):
        job = make_job(f"back_{i:03d}")
        for node in job["nodes"]:
            node["properties"] = [{"name": "connectionName", "value": "dws_conn"}]
        developer.dgc.create_job(CreateJobRequest(workspace=ws, body=job))
    items = developer.studio.list_factory_pending_items(
        ListFactoryPendingItemsRequest(workspace=ws, limit=100)
    ).data
    body = CreateFactoryPendingItemsPackageBody(
        apply_user_id=developer.user_id,
        package_name="back",
        pending_item_list=[i.pending_item_id for i in items],
        approver_ids=[deployer.user_id],
    )
    package = str(
        developer.studio.create_factory_pending_items_package(
            CreateFactoryPendingItemsPackageRequest(workspace=ws, body=body)
        ).release_package_id
    )
    asked = DeployFactoryPackagesRequestBody(package_ids=[package], startup_mode=1)
    task = deployer.studio.deploy_factory_packages(
        DeployFactoryPackagesRequest(workspace=ws, body=asked)
    ).deploy_package_details[0]
    assert wait_for_task(server, ws, task.asy_task_id).status == "SUCCESSFUL"
    return package, deployer


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_server_killed_during_a_rollback_leaves_production_before_or_after(
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
        ws = new_workspace(server, "back", "dws_conn")
        server.studio_client().update_work_space_old(
            UpdateWorkSpaceOldRequest(
                instance_id=server.project_id,
                workspace_id=ws,
                body=WorkspaceDto(name="back", mode="1"),
            )
        )
        listed = server.call("GET", "/workspaces").json()["workspaces"]
        production = next(w for w in listed if w["id"] == ws)["productionWorkspaceId"]
        package, deployer = _release(server, ws)
        assert _production_jobs(server, production) == JOBS
        asked = threading.Thread(target=_rollback_quietly, args=(server, ws, package))
        asked.start()
        time.sleep(0.05)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        asked.join()
    finally:
        server.stop()
    restarted = start_server(tmp_path / "data", url, **env)
    try:
        deployer = deployer.on(restarted)
        jobs = _production_jobs(restarted, production)
        shown = _rolled_back(deployer, ws, package)
        ledger = restarted.call("GET", "/factory/release-ledger", workspace=ws, api="v2").json()
        actions = [e["action"] for e in ledger["entries"]]
        if jobs == JOBS:  # killed before the rollback committed: as the release left it
            assert shown.deploy_status == 2
            assert actions == ["deploy"]
            again = _rollback(restarted, ws, package)
            assert again.status_code == 200, again.text
            jobs = _production_jobs(restarted, production)
            actions = ["rollback", "deploy"]
        else:
            assert actions == ["rollback", "deploy"]
        assert jobs == 0
        after = restarted.call("GET", "/factory/release-ledger", workspace=ws, api="v2").json()
        assert [e["action"] for e in after["entries"]] == actions
        assert after["production"] == []
    finally:
        restarted.stop()


def _rollback_quietly(server: ServerProcess, ws: str, package: str) -> None:
    try:
        _rollback(server, ws, package)
    except Exception:
        return
