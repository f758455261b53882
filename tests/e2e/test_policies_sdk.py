"""A workspace's policy refusing a release through the DataArts Studio Python SDK against a
real server, unchanged: a package breaking the owner rule is refused at creation (``DLF.3051``
naming the rule and the job), and a deploy once a freeze window began is refused with
``DLF.9085`` (the package left waiting), then goes once the freeze is lifted."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdgc.v1 import CreateJobRequest, CreateScriptRequest

from support.builders import make_job, make_script
from support.releases import (
    enterprise_mode,
    sdk_deploy,
    sdk_package,
    sdk_package_detail,
    studio_person,
)
from support.server import ServerProcess, new_workspace, wait_for_task

pytestmark = pytest.mark.e2e


def _put_policy(server: ServerProcess, ws: str, document: dict[str, Any]) -> None:
    answer = server.call("PUT", "/policies/workspace", json.dumps(document).encode(), ws)
    assert answer.ok, answer.text


def test_a_policy_refuses_a_package_and_a_deploy_through_the_studio_sdk(
    server: ServerProcess,
) -> None:
    suffix = uuid.uuid4().hex[:6]
    name = f"pol_{suffix}"
    ws = new_workspace(server, name, "dws_conn")
    ssh = json.dumps({"type": "SSH", "config": {}}).encode()
    assert server.call("PUT", "/environment/connection/ssh_conn", ssh, workspace=ws).ok
    enterprise_mode(server, ws, name)
    developer = studio_person(server, ws, f"dev_{suffix}", "developer")
    deployer = studio_person(server, ws, f"dep_{suffix}", "deployer")
    for script in (make_script(f"{name}_sql"), make_script(f"{name}_sh", type="Shell")):
        developer.dgc.create_script(CreateScriptRequest(workspace=ws, body=script))
    developer.dgc.create_job(CreateJobRequest(workspace=ws, body=make_job(name)))

    _put_policy(server, ws, {"owners": ["ops"]})
    with pytest.raises(ClientRequestException) as refused:
        sdk_package(developer, ws, f"{name}_p1", [deployer.user_id])
    assert (refused.value.status_code, refused.value.error_code) == (400, "DLF.3051")
    assert f"job '{name}' breaks the owner rule" in refused.value.error_msg

    _put_policy(server, ws, {})
    package_id = sdk_package(developer, ws, f"{name}_p2", [deployer.user_id])
    now = datetime.now(UTC)
    window = {
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
    }
    _put_policy(server, ws, {"freeze": [window]})
    with pytest.raises(ClientRequestException) as frozen:
        sdk_deploy(deployer, ws, package_id, startup_mode=0)
    assert (frozen.value.status_code, frozen.value.error_code) == (400, "DLF.9085")
    assert "freeze window" in frozen.value.error_msg
    shown = sdk_package_detail(deployer, ws, package_id)
    assert shown.release_package.deploy_status == 1  # waiting still

    _put_policy(server, ws, {})
    task = wait_for_task(server, ws, sdk_deploy(deployer, ws, package_id, startup_mode=0))
    assert task.status == "SUCCESSFUL", task.message
