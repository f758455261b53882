"""The remote DataArts endpoint of the remotes tests: a second jobferry server (SQLite) of this
test process, started once (``remote_server`` in tests/conftest.py), each test making
workspaces of its own in it, reached through the contract filter (``gateway``)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from jobferry.services.remotes.client import DataArtsClient, RemoteEndpoint
from support.builders import make_job, make_resource, make_script
from support.gateway import Gateway
from support.server import ServerProcess, new_workspace
from support.waiting import pauses

REMOTE_PROJECT = "re0123456789abcdef0123456789abcd"
"""The remote server's project (another project than the local servers', as a real remote's)."""


def post(server: ServerProcess, ws: str, path: str, body: dict[str, Any]) -> Any:
    """POST ``body`` to the remote server's ``path`` in workspace ``ws``; the answer (2xx)."""
    answer = server.call("POST", path, json.dumps(body).encode(), workspace=ws)
    assert answer.status_code in (200, 204), answer.text
    return answer


def remote_workspace(server: ServerProcess) -> str:
    """A new workspace of the remote with two jobs, a script and a resource; its id."""
    ws = new_workspace(server, f"prod_{uuid.uuid4().hex[:8]}", "dws_conn")
    post(server, ws, "/scripts", make_script("daily_sales_sql"))
    post(server, ws, "/resources", make_resource("udf_jar"))
    for name in ("daily_sales", "weekly_sales"):
        post(server, ws, "/jobs", make_job(name))
    return ws


def seeded_workspace(server: ServerProcess, prefix: str, names: tuple[str, ...]) -> str:
    """A new workspace of the remote with jobs ``names``, the scripts and resource they use and
    their connections (as ``support.exporting.seed`` makes them locally); its id."""
    ws = new_workspace(server, f"{prefix}_{uuid.uuid4().hex[:8]}", "dws_conn", "ssh_conn")
    post(server, ws, "/resources", make_resource("udf_jar"))
    for name in names:
        post(server, ws, "/scripts", make_script(f"{name}_sql"))
        post(server, ws, "/scripts", make_script(f"{name}_sh", type="Shell", content="echo hi"))
        job = make_job(name)
        job["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
        post(server, ws, "/jobs", job)
    return ws


def rename_remote_job(server: ServerProcess, ws: str, old: str, new: str) -> None:
    """Rename job ``old`` of the remote's workspace ``ws`` to ``new`` with DataArts' v2 rename
    call (the job keeps its identity there, as a user's rename in the console)."""
    endpoint = RemoteEndpoint(server.url, server.project_id, ws, server.ak, server.sk)
    with DataArtsClient("rename", endpoint) as client:
        client.send("update_factory_job_name", path={"job_name": old}, body={"name": new})


def remote_body(gate: Gateway, server: ServerProcess, ws: str, **over: str) -> dict[str, Any]:
    """``POST /remotes``'s body for remote "prod": workspace ``ws`` of ``server`` behind
    ``gate`` (``over``: fields changed)."""
    return {
        "name": "prod",
        "endpoint": gate.url,
        "projectId": server.project_id,
        "workspace": ws,
        "accessKey": server.ak,
        "secretKey": server.sk,
        **over,
    }


def exported_workspace(server: ServerProcess, ws: str) -> bytes:
    """Workspace ``ws`` of ``server`` exported whole on the remote's side (what a snapshot
    carried over is)."""
    task_id = post(server, ws, "/exports", {"mode": "workspace"}).json()["taskId"]
    deadline = time.monotonic() + 60
    waits = pauses(0.01, 0.1)
    while True:
        task = server.call("GET", f"/system-tasks/{task_id}", workspace=ws).json()
        if task["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(next(waits))
    assert task["status"] == "SUCCESSFUL", task
    content = server.call("GET", f"/downloads/{task['result']['downloadId']}/content", workspace=ws)
    assert content.status_code == 200
    return bytes(content.content)
