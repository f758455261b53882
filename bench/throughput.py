"""``python -m bench.throughput``: requests per second of a signed ``show_job`` on a real
jobferry server, side by side with a bare FastAPI handler answering the same bytes, both under
``wrk`` (Debian package ``wrk``) on loopback. Prints a table; ``--json`` for the raw figures.

The jobferry figure is the whole path a DataArts client takes: signature check, credential and
workspace look-up, role check, the job read and its JSON. The bare app answers a constant body
of the same size from one ``async def`` route: the framework's own ceiling on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from jobferry.signing import sign_request

PROJECT = "bench0123456789abcdef0123456789a"
AK, SK = "BENCHADMINAK00000001", "bench-admin-secret-0123456789abcdefghij"

BARE_APP = """
import sys
from fastapi import FastAPI, Response
body = open(sys.argv[1], "rb").read()
app = FastAPI()

@app.get("/v1/{project_id}/jobs/{job_name}")
async def show_job(project_id: str, job_name: str) -> Response:
    return Response(body, media_type="application/json")

if __name__ == "__main__":
    import uvicorn
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


@contextmanager
def running(cmd: list[str], env: dict[str, str], ready: str) -> Iterator[None]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_ready(ready, proc)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def signed_headers(method: str, url: str, path: str, body: bytes = b"") -> dict[str, str]:
    headers = {
        "Host": url.removeprefix("http://"),
        "Content-Type": "application/json",
        "X-Project-Id": PROJECT,
    }
    headers.update(sign_request(method, path, "", headers, body, AK, SK))
    return headers


def call(url: str, method: str, path: str, body: bytes = b"") -> bytes:
    request = urllib.request.Request(
        url + path,
        data=body or None,
        method=method,
        headers=signed_headers(method, url, path, body),
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return bytes(answer.read())


def wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> dict[str, float]:
    args = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "JOBFERRY_DATA_DIR": str(data),
            "JOBFERRY_DATABASE_URL": f"sqlite:///{data / 'jobferry.db'}",
            "JOBFERRY_HOST": "127.0.0.1",
            "JOBFERRY_PORT": str(port),
            "JOBFERRY_PROJECT_ID": PROJECT,
            "JOBFERRY_ADMIN_AK": AK,
            "JOBFERRY_ADMIN_SK": SK,
            "JOBFERRY_LOG_LEVEL": "warning",
        }
        subprocess.run([sys.executable, "-m", "jobferry", "db", "upgrade"], env=env, check=True)
        path = f"/v1/{PROJECT}/jobs/bench_job"
        with running([sys.executable, "-m", "jobferry", "serve"], env, f"{url}/health"):
            job = json.loads((Path(__file__).parent / "throughput_job.json").read_text())
            call(url, "POST", f"/v1/{PROJECT}/jobs", json.dumps(job).encode())
            body = call(url, "GET", path)
            served = wrk(
                url + path, signed_headers("GET", url, path), args.seconds, args.connections
            )
        (data / "body.json").write_bytes(body)
        (data / "bare.py").write_text(BARE_APP)
        bare_port = free_port()
        bare_url = f"http://127.0.0.1:{bare_port}"
        cmd = [sys.executable, str(data / "bare.py"), str(data / "body.json"), str(bare_port)]
        with running(cmd, dict(os.environ), f"{bare_url}{path}"):
            bare = wrk(bare_url + path, {}, args.seconds, args.connections)
    report: dict[str, Any] = {
        "connections": args.connections,
        "seconds": args.seconds,
        "body_bytes": len(body),
        "jobferry": served,
        "bare_fastapi": bare,
        "ratio": served["rps"] / bare["rps"],
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"signed show_job, {args.connections} connections, {args.seconds} s, {len(body)} bytes")
    print(f"{'':14}{'req/s':>10}{'p99 ms':>10}{'non-2xx':>9}")
    for name in ("jobferry", "bare_fastapi"):
        row = report[name]
        print(f"{name:14}{row['rps']:>10.0f}{row['p99_ms']:>10.1f}{row['non_2xx']:>9.0f}")
    print(f"ratio: {report['ratio']:.0%} of the bare framework (target >= 35%)")


if __name__ == "__main__":
    main()
