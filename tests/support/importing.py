"""Helpers for import tests: upload a package, import it, wait for the task."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

from support.clients import SignedClient, wait_task

DRIFTED_CONNECTION = {
    "path": "nodes[load].properties[connectionName].value",
    "op": "changed",
    "before": "ssh_conn",
    "after": "dws_conn",
    "origin": "target",
}
"""The diff line of daily_sales imported again after its load node was moved to ssh_conn in the
target: the package brings dws_conn back over a change made there."""


def multipart(
    data: bytes, boundary: str = "jobferryboundary7MA4YWxkTrZu0gW", field: str = "file"
) -> bytes:
    """A multipart/form-data body holding ``data`` as the file field ``field`` (pkg.zip)."""
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="pkg.zip"\r\nContent-Type: application/zip\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )


def upload(api: SignedClient, data: bytes, workspace: str | None = None) -> str:
    """Upload a package as the SDK would (multipart, UNSIGNED-PAYLOAD); returns its path."""
    response = post_package(api, data, workspace)
    assert response.status_code == 200, response.text
    path: str = response.json()["path"]
    return path


def post_package(
    api: SignedClient, data: bytes, workspace: str | None = None, field: str = "file"
) -> Response:
    """The answer to uploading ``data`` as the SDK would (multipart, UNSIGNED-PAYLOAD), in the
    form's field ``field``."""
    boundary = "jobferryboundary7MA4YWxkTrZu0gW"
    body = multipart(data, boundary, field)
    raw_path = f"/v1/{api.project_id}/packages"
    headers = {
        "Host": "testserver",
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-Project-Id": api.project_id,
        "X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD",
    }
    if workspace:
        headers["workspace"] = workspace
    headers.update(api.signer.sign("POST", raw_path, "", headers, body, api.ak, api.sk))
    client: TestClient = api.client
    return client.post(raw_path, content=body, headers=headers)


def run_import(
    api: SignedClient, body: dict[str, Any], workspace: str | None = None
) -> dict[str, Any]:
    """Start an import and wait for its task."""
    started = api.call("POST", "/jobs/import", body, workspace=workspace)
    assert started.status_code == 200, started.text
    task: dict[str, Any] = wait_task(api, started.json()["taskId"], workspace)
    return task


def plan_import(
    api: SignedClient, body: dict[str, Any], workspace: str | None = None
) -> dict[str, Any]:
    """``POST /jobs/import/plan``'s plan, followed to its task's when it ran as one (a large
    package, or a remote's shadow refreshed first)."""
    answer = api.call("POST", "/jobs/import/plan", body, workspace=workspace)
    assert answer.status_code == 200, answer.text
    if "taskId" not in answer.json():
        return dict(answer.json())
    task = wait_task(api, answer.json()["taskId"], workspace)
    assert task["status"] in ("SUCCESSFUL", "WARNING"), task
    return dict(task["result"]["plan"])


def new_workspace(api: SignedClient, name: str) -> str:
    """Create a workspace; returns its id."""
    response = api.call("POST", "/workspaces", {"name": name})
    assert response.status_code == 200, response.text
    ws: str = response.json()["id"]
    return ws


PROD_CONNECTION = {"type": "DWS", "config": {"host": "db"}, "secrets": {"password": "pw"}}


def connected_workspace(api: SignedClient, name: str = "prod") -> str:
    """A new workspace holding the connections the builders' jobs use (dws_conn, ssh_conn)."""
    ws = new_workspace(api, name)
    for connection in ("dws_conn", "ssh_conn"):
        answer = api.call(
            "PUT", f"/environment/connection/{connection}", PROD_CONNECTION, workspace=ws
        )
        assert answer.status_code == 200, answer.text
    return ws
