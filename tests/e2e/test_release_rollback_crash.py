"""A server killed (SIGKILL) during the rollback of a release leaves production as the release
left it or as it was before, never between, and the package and the release ledger say which;
a rollback that did not happen can be asked again. The release itself and the reads are the
DataArts Studio SDK's calls, the rollback and the ledger jobferry's extensions."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from support.crashes import HEARTBEAT, database_url, kill
from support.releases import (
    Person,
    enterprise_mode,
    production_jobs,
    sdk_deploy,
    sdk_jobs,
    sdk_package,
    sdk_package_detail,
    studio_person,
)
from support.server import ServerProcess, new_workspace, start_server, wait_for_task

pytestmark = pytest.mark.e2e
JOBS = 100


def _rollback(server: ServerProcess, ws: str, package: str) -> Any:
    path = f"/factory/release-packages/{package}/rollback"
    return server.call("POST", path, workspace=ws, api="v2")


def _release(server: ServerProcess, ws: str) -> tuple[str, Person]:
    developer = studio_person(server, ws, "dev", "developer")
    deployer = studio_person(server, ws, "dep", "deployer")
    sdk_jobs(developer, ws, "back", JOBS)
    package = sdk_package(developer, ws, "back", [deployer.user_id])
    task = sdk_deploy(deployer, ws, package)
    assert wait_for_task(server, ws, task).status == "SUCCESSFUL"
    return package, deployer


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_server_killed_during_a_rollback_leaves_production_before_or_after(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = database_url(backend, tmp_path, request)
    server = start_server(tmp_path / "data", url, **HEARTBEAT)
    try:
        ws = new_workspace(server, "back", "dws_conn")
        production = enterprise_mode(server, ws, "back")
        package, deployer = _release(server, ws)
        assert production_jobs(server, production) == JOBS
        asked = threading.Thread(target=_rollback_quietly, args=(server, ws, package))
        asked.start()
        time.sleep(0.05)
        kill(server)
        asked.join()
    finally:
        server.stop()
    restarted = start_server(tmp_path / "data", url, **HEARTBEAT)
    try:
        deployer = deployer.on(restarted)
        jobs = production_jobs(restarted, production)
        shown = sdk_package_detail(deployer, ws, package).release_package
        ledger = restarted.call("GET", "/factory/release-ledger", workspace=ws, api="v2").json()
        actions = [e["action"] for e in ledger["entries"]]
        if jobs == JOBS:  # killed before the rollback committed: as the release left it
            assert shown.deploy_status == 2
            assert actions == ["deploy"]
            again = _rollback(restarted, ws, package)
            assert again.status_code == 200, again.text
            jobs = production_jobs(restarted, production)
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
