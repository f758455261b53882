"""A server killed (SIGKILL) during a deploy leaves production as it was before the release
or as it is after it, never between, and the package says which: released, or failed (and
deployed again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from huaweicloudsdkdataartsstudio.v1 import ShowFactoryPackageDetailRequest

from support.crashes import HEARTBEAT, database_url, kill
from support.releases import (
    Person,
    enterprise_mode,
    production_jobs,
    sdk_deploy,
    sdk_jobs,
    sdk_package,
    studio_person,
)
from support.server import new_workspace, start_server, wait_for_task

pytestmark = pytest.mark.e2e
JOBS = 100
"""A package's most items."""


def _status(deployer: Person, ws: str, package: str) -> Any:
    request = ShowFactoryPackageDetailRequest(workspace=ws, package_id=package)
    return deployer.studio.show_factory_package_detail(request).release_package.deploy_status


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_server_killed_during_a_deploy_leaves_production_before_or_after(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = database_url(backend, tmp_path, request)
    server = start_server(tmp_path / "data", url, **HEARTBEAT)
    try:
        ws = new_workspace(server, "crash", "dws_conn")
        production = enterprise_mode(server, ws, "crash")
        developer = studio_person(server, ws, "dev", "developer")
        deployer = studio_person(server, ws, "dep", "deployer")
        sdk_jobs(developer, ws, "crash", JOBS)
        package = sdk_package(developer, ws, "crash", [deployer.user_id])
        task_id = sdk_deploy(deployer, ws, package)
        kill(server)
    finally:
        server.stop()
    restarted = start_server(tmp_path / "data", url, **HEARTBEAT)
    try:
        deployer = deployer.on(restarted)
        task = wait_for_task(restarted, ws, task_id, timeout=60)
        jobs, status = production_jobs(restarted, production), _status(deployer, ws, package)
        assert (jobs, status) in ((0, 3), (JOBS, 2)), (jobs, status, task.message)
        if status == 3:
            again = sdk_deploy(deployer, ws, package)
            assert wait_for_task(restarted, ws, again, timeout=60).status == "SUCCESSFUL"
            assert production_jobs(restarted, production) == JOBS
            assert _status(deployer, ws, package) == 2
    finally:
        restarted.stop()
