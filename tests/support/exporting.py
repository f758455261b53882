"""Helpers for export tests: read zips, wait for tasks, seed a workspace, rename a job."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from support.accounts import default_workspace
from support.builders import make_job, make_resource, make_script
from support.clients import SignedClient, wait_task


def entries(data: bytes) -> dict[str, bytes]:
    """Every entry of a zip, by path, in archive order."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def seed(api: SignedClient, names: tuple[str, ...] = ("daily_sales",), **kw: Any) -> None:
    """Jobs with their scripts, a resource and the connection they use."""
    conn = {"type": "DWS", "config": {"host": "10.0.0.1"}, "secrets": {"password": "s3cr3t-pw"}}
    assert api.call("PUT", "/environment/connection/dws_conn", conn, **kw).status_code == 200
    assert api.call("POST", "/resources", make_resource("udf_jar"), **kw).status_code == 200
    for name in names:
        assert api.call("POST", "/scripts", make_script(f"{name}_sql"), **kw).status_code == 204
        sh = make_script(f"{name}_sh", type="Shell", content="echo hi")
        assert api.call("POST", "/scripts", sh, **kw).status_code == 204
        job = make_job(name)
        job["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
        assert api.call("POST", "/jobs", job, **kw).status_code == 204, name


def manifest(data: bytes) -> dict[str, Any]:
    """The parsed manifest.json of a package."""
    value: dict[str, Any] = json.loads(entries(data)["manifest.json"])
    return value


def listing(data: bytes) -> list[dict[str, Any]]:
    """The entries a package's manifest lists (``manifest.entries``, one JSON line each)."""
    return [json.loads(line) for line in entries(data)["manifest.entries"].splitlines()]


def workspace_package(api: SignedClient, workspace: str | None = None) -> bytes:
    """A workspace (the caller's by default) exported whole, with its inventory, through
    ``POST /exports`` and the download center."""
    started = api.call("POST", "/exports", {"mode": "workspace"}, workspace=workspace)
    assert started.status_code == 200, started.text
    task = wait_task(api, started.json()["taskId"], workspace)
    assert task["status"] == "SUCCESSFUL", task
    path = f"/downloads/{task['result']['downloadId']}/content"
    got = api.call("GET", path, workspace=workspace)
    assert got.status_code == 200, got.text
    return bytes(got.content)


def rename_job(api: SignedClient, old: str, new: str) -> None:
    """Rename job ``old`` of the default workspace to ``new`` with DataArts' v2 rename call
    (which keeps the job's identity, as a user renames it)."""
    answer = api.call(
        "PUT",
        f"/factory/jobs/{old}/rename",
        {"name": new},
        version="v2",
        workspace=default_workspace(api),
    )
    assert answer.status_code == 200, answer.text
