"""The baseline import has to beat: creating jobs one SDK call at a time against a real server."""

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
from huaweicloudsdkdgc.v1 import CreateJobRequest, CreateScriptRequest, DgcClient

from jobferry.signing import sign_request

AK, SK = "BENCHADMINAK00000001", "bench-secret"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _script_names(job: dict[str, Any]) -> list[str]:
    """The scripts a job's nodes run, in order, once each."""
    names: dict[str, None] = {}
    for node in job.get("nodes", []):
        for prop in node.get("properties", []):
            if prop.get("name") == "scriptName":
                names[str(prop.get("value"))] = None
    return list(names)


@dataclass(frozen=True)
class SdkCost:
    """Seconds per job: ``job`` for create_job alone, ``with_script`` adding its create_script."""

    job: float
    with_script: float


def sdk_seconds_per_job(data_dir: Path, url: str, package: Path, sample: int) -> SdkCost:
    """What creating jobs one SDK call at a time costs, timed over ``sample`` jobs."""
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
                orjson.loads(zf.read(n)) for n in zf.namelist() if n.endswith((".job", ".script"))
            ]
        scripts = {d["name"]: d for d in docs if "content" in d}
        jobs = [d for d in docs if "nodes" in d][:sample]
        # Timed apart: create_job alone (one call per job, literally), and with each job's
        # script created first (the end state the import reaches).
        job_seconds = script_seconds = 0.0
        for job in jobs:
            for name in _script_names(job):
                script = scripts.pop(name, None)
                if script is not None:
                    body = {**script, "targetStatus": "SUBMITTED"}
                    start = time.perf_counter()
                    client.create_script(CreateScriptRequest(workspace=ws, body=body))
                    script_seconds += time.perf_counter() - start
            body = {**job, "targetStatus": "SUBMITTED"}
            start = time.perf_counter()
            client.create_job(CreateJobRequest(workspace=ws, body=body))
            job_seconds += time.perf_counter() - start
        return SdkCost(job_seconds / len(jobs), (job_seconds + script_seconds) / len(jobs))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
