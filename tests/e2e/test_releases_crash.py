"""A server killed (SIGKILL) during a deploy leaves production as it was before the release
or as it is after it, never between, and the package says which: released, or failed (and
deployed again)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.crashes import HEARTBEAT, database_url, kill
from support.releases import (
    enterprise_mode,
    production_jobs,
    sdk_deploy,
    sdk_jobs,
    sdk_package,
    sdk_package_detail,
    studio_person,
)
from support.server import new_workspace, start_server, wait_for_task

pytestmark = pytest.mark.e2e
JOBS = 100
"""A package's most items."""


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
        jobs, status = (
            production_jobs(restarted, production),
            sdk_package_detail(deployer, ws, package).release_package.deploy_status,
        )
        assert (jobs, status) in ((0, 3), (JOBS, 2)), (jobs, status, task.message)
        if status == 3:
            again = sdk_deploy(deployer, ws, package)
            assert wait_for_task(restarted, ws, again, timeout=60).status == "SUCCESSFUL"
            assert production_jobs(restarted, production) == JOBS
            assert sdk_package_detail(deployer, ws, package).release_package.deploy_status == 2
    finally:
        restarted.stop()
