"""``python -m bench.throughput``: requests per second of a signed ``show_job`` on a real
jobferry server, side by side with a bare FastAPI handler answering the same bytes, both under
``wrk`` (Debian package ``wrk``) on loopback, on embedded SQLite and on PostgreSQL (``--db``; a
schema of its own on ``--pg-url``, dropped afterwards). The jobferry and bare servers are
measured back to back, and the load average is printed beside each figure (the machine may be
shared). Prints a table; ``--json`` for the raw figures.

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
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.databases import PG_URL, database
from jobferry.signing import sign_request

PROJECT = "bench0123456789abcdef0123456789a"
AK, SK = "BENCHADMINAK00000001", "bench-admin-secret-0123456789abcdefghij"
ADMIN_ENV = {"JOBFERRY_PROJECT_ID": PROJECT, "JOBFERRY_ADMIN_AK": AK, "JOBFERRY_ADMIN_SK": SK}
"""The settings that make AK/SK the bootstrap admin of PROJECT."""

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


def serve_env(data: Path, database_url: str, port: int, **settings: str) -> dict[str, str]:
    """The environment of a quiet ``jobferry serve`` on loopback ``port`` over ``data`` and
    ``database_url``, with ``settings`` (``JOBFERRY_…`` names) on top."""
    return {
        **os.environ,
        "JOBFERRY_DATA_DIR": str(data),
        "JOBFERRY_DATABASE_URL": database_url,
        "JOBFERRY_HOST": "127.0.0.1",
        "JOBFERRY_PORT": str(port),
        "JOBFERRY_LOG_LEVEL": "warning",
        **settings,
    }


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
def running(cmd: list[str], env: dict[str, str], ready: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_ready(ready, proc)
        yield proc
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


def load_average() -> float:
    """The one-minute load average (other work on the machine skews every figure)."""
    return os.getloadavg()[0]


@dataclass(frozen=True)
class Jobferry:
    """A migrated jobferry over a database: its scratch folder, url and environment."""

    data: Path
    url: str
    env: dict[str, str]

    def serving(self) -> AbstractContextManager[subprocess.Popen[bytes]]:
        """Run it until the block ends."""
        cmd = [sys.executable, "-m", "jobferry", "serve"]
        return running(cmd, self.env, f"{self.url}/health")


@contextmanager
def jobferry_over(backend: str, args: argparse.Namespace) -> Iterator[Jobferry]:
    """A scratch folder and a migrated jobferry over ``backend``; the folder outlives the
    server, for the bare app's bodies."""
    with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp), args.pg_url) as db:
        data = Path(tmp)
        port = free_port()
        env = serve_env(data, db, port, **ADMIN_ENV)
        subprocess.run([sys.executable, "-m", "jobferry", "db", "upgrade"], env=env, check=True)
        yield Jobferry(data, f"http://127.0.0.1:{port}", env)


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """Signed ``show_job`` on jobferry over ``backend``, then the bare app, back to back."""
    with jobferry_over(backend, args) as server:
        data, url = server.data, server.url
        path = f"/v1/{PROJECT}/jobs/bench_job"
        with server.serving():
            job = json.loads((Path(__file__).parent / "throughput_job.json").read_text())
            call(url, "POST", f"/v1/{PROJECT}/jobs", json.dumps(job).encode())
            body = call(url, "GET", path)
            load_before = load_average()
            served = wrk(
                url + path, signed_headers("GET", url, path), args.seconds, args.connections
            )
            served["load"] = load_before
        (data / "body.json").write_bytes(body)
        (data / "bare.py").write_text(BARE_APP)
        bare_port = free_port()
        bare_url = f"http://127.0.0.1:{bare_port}"
        cmd = [sys.executable, str(data / "bare.py"), str(data / "body.json"), str(bare_port)]
        with running(cmd, dict(os.environ), f"{bare_url}{path}"):
            load_before = load_average()
            bare = wrk(bare_url + path, {}, args.seconds, args.connections)
            bare["load"] = load_before
    return {
        "database": backend,
        "body_bytes": len(body),
        "jobferry": served,
        "bare_fastapi": bare,
        "ratio": served["rps"] / bare["rps"],
    }


def wrk_runs(
    prog: str, databases: str, seconds: int, measure_on: Callable[[str, argparse.Namespace], Any]
) -> tuple[argparse.Namespace, list[Any]] | None:
    """The options every wrk bench takes, its runs one database after the other; ``None``
    when ``--json`` printed them already."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--seconds", type=int, default=seconds)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--db", default=databases, help="comma-separated: sqlite, postgresql")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server for --db postgresql")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    runs = [measure_on(backend, args) for backend in args.db.split(",")]
    if args.json:
        print(json.dumps({"connections": args.connections, "seconds": args.seconds, "runs": runs}))
        return None
    return args, runs


def main() -> None:
    done = wrk_runs("python -m bench.throughput", "sqlite,postgresql", 10, measure)
    if done is None:
        return
    args, runs = done
    print(f"signed show_job, {args.connections} connections, {args.seconds} s each")
    print(f"{'':24}{'req/s':>10}{'p99 ms':>10}{'non-2xx':>9}{'load':>7}")
    for report in runs:
        for name in ("jobferry", "bare_fastapi"):
            row = report[name]
            label = f"{report['database']} {name}"
            print(
                f"{label:24}{row['rps']:>10.0f}{row['p99_ms']:>10.1f}"
                f"{row['non_2xx']:>9.0f}{row['load']:>7.2f}"
            )
        print(
            f"{report['database']}: {report['ratio']:.0%} of the bare framework "
            f"({report['body_bytes']} bytes; target >= 35%)"
        )


if __name__ == "__main__":
    main()
