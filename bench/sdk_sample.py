"""The baseline import has to beat: creating objects one SDK call at a time, on a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import requests
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkdgc.v1 import (
    CreateJobRequest,
    CreateResourceRequest,
    CreateScriptRequest,
    DgcClient,
)

from jobferry.signing import sign_request

AK, SK = "BENCHADMINAK00000001", "bench-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _names(job: dict[str, Any], prop: str) -> list[str]:
    """The values of node property ``prop`` in a job, in order, once each."""
    names: dict[str, None] = {}
    for node in job.get("nodes", []):
        for item in node.get("properties", []):
            if item.get("name") == prop:
                names[str(item.get("value"))] = None
    return list(names)


@dataclass(frozen=True)
class SdkCost:
    """Mean seconds of one SDK create call per kind of object, and what the package holds."""

    job: float
    script: float
    resource: float
    jobs: int
    scripts: int
    resources: int

    def jobs_only(self) -> float:
        """Seconds for one ``create_job`` per job of the package."""
        return self.job * self.jobs

    def package(self) -> float:
        """Seconds for one create call per object of the package: its whole content."""
        return self.job * self.jobs + self.script * self.scripts + self.resource * self.resources


def sdk_cost(data_dir: Path, url: str, package: Path, sample: int) -> SdkCost:
    """What creating objects one SDK call at a time costs, timed over ``sample`` jobs."""
    port = _free_port()
    env = {
        **os.environ,
        "JOBFERRY_DATA_DIR": str(data_dir),
        "JOBFERRY_DATABASE_URL": url,
        "JOBFERRY_PORT": str(port),
        "JOBFERRY_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobferry", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if requests.get(base + "/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        project = "bench"
        raw_path = f"/v1/{project}/workspaces"
        body = b'{"name": "sdk_sample"}'
        headers = {
            "Host": f"127.0.0.1:{port}",
            "Content-Type": "application/json",
            "X-Project-Id": project,
        }
        headers.update(sign_request("POST", raw_path, "", headers, body, AK, SK))
        ws = requests.post(base + raw_path, data=body, headers=headers, timeout=30).json()["id"]
        config = HttpConfig.get_default_config()
        client = (
            DgcClient.new_builder()
            .with_http_config(config)
            .with_credentials(BasicCredentials(AK, SK, project))
            .with_endpoints([base])
            .build()
        )
        with zipfile.ZipFile(package) as zf:
            docs = [
                (n.rsplit(".", 1)[-1], orjson.loads(zf.read(n)))
                for n in zf.namelist()
                if n.endswith((".job", ".script", ".resource"))
            ]
        scripts = {d["name"]: d for kind, d in docs if kind == "script"}
        resources = {d["name"]: d for kind, d in docs if kind == "resource"}
        all_jobs = [d for kind, d in docs if kind == "job"]
        counts = (len(all_jobs), len(scripts), len(resources))
        jobs = all_jobs[:sample]
        # Each job is created after what it uses (its scripts and resources, first use only),
        # as a user re-creating the workspace by hand would; every call is timed by its kind.
        spent = {"job": 0.0, "script": 0.0, "resource": 0.0}
        calls = {"job": 0, "script": 0, "resource": 0}

        def timed(kind: str, call: Any, request: Any) -> None:
            start = time.perf_counter()
            call(request)
            spent[kind] += time.perf_counter() - start
            calls[kind] += 1

        for job in jobs:
            for name in _names(job, "resourceName"):
                resource = resources.pop(name, None)
                if resource is not None:
                    request = CreateResourceRequest(workspace=ws, body=resource)
                    timed("resource", client.create_resource, request)
            for name in _names(job, "scriptName"):
                script = scripts.pop(name, None)
                if script is not None:
                    script_body = {**script, "targetStatus": "SUBMITTED"}
                    request = CreateScriptRequest(workspace=ws, body=script_body)
                    timed("script", client.create_script, request)
            job_body = {**job, "targetStatus": "SUBMITTED"}
            timed("job", client.create_job, CreateJobRequest(workspace=ws, body=job_body))
        return SdkCost(
            spent["job"] / calls["job"],
            spent["script"] / max(calls["script"], 1),
            spent["resource"] / max(calls["resource"], 1),
            *counts,
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
