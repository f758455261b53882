"""``python -m bench.routes``: requests per second of every signed read route a DataArts client
polls, each beside a bare FastAPI handler answering the same bytes in the same run.

A real ``jobferry serve`` (embedded SQLite, or PostgreSQL with ``--db postgresql``) holds 30
jobs, 30 scripts and 30 resources; ``wrk`` (Debian package) drives each route with 16
connections, signed as the SDK signs: ``show_job``, ``show_script``, ``show_resource`` and the
first page of ten of ``list_jobs``, ``list_scripts`` and ``list_resources``. Then one bare
app (a single ``async def`` route answering, per path, the very bytes jobferry answered) is
driven the same way, so each ratio compares like with like on this machine at this hour.
Targets (issue #36): every show route at least 35 % of its bare figure, every list route 20 %.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from bench.throughput import (
    AK,
    PROJECT,
    SK,
    call,
    free_port,
    jobferry_over,
    load_average,
    running,
    wrk,
    wrk_runs,
)
from jobferry.signing import sign_request

BARE_APP = """
import json, sys
from fastapi import FastAPI, Request, Response
bodies = {path: open(file, "rb").read() for path, file in json.load(open(sys.argv[1])).items()}
app = FastAPI()

@app.get("/{path:path}")
async def answer(path: str, request: Request) -> Response:
    return Response(bodies[request.url.path], media_type="application/json")

if __name__ == "__main__":
    import uvicorn
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""

SHOWS = ("show_job", "show_script", "show_resource")
TARGET = {"show": 0.35, "list": 0.20}
OBJECTS = 30


def _seed(url: str) -> str:
    """30 jobs, scripts and resources; the id of the first resource."""
    job = json.loads((Path(__file__).parent / "throughput_job.json").read_text())
    first_resource = ""
    for i in range(OBJECTS):
        script = {
            "name": f"bench_script_{i:02d}",
            "type": "DWSSQL",
            "content": f"select {i};",
            "connectionName": "dws_conn",
            "database": "postgres",
        }
        call(url, "POST", f"/v1/{PROJECT}/scripts", json.dumps(script).encode())
        name = "bench_job" if i == 0 else f"bench_job_{i:02d}"
        call(url, "POST", f"/v1/{PROJECT}/jobs", json.dumps({**job, "name": name}).encode())
        resource = {
            "name": f"bench_resource_{i:02d}",
            "type": "jar",
            "location": f"obs://bench/lib/r{i}.jar",
        }
        made = json.loads(
            call(url, "POST", f"/v1/{PROJECT}/resources", json.dumps(resource).encode())
        )
        first_resource = first_resource or str(made["resourceId"])
    return first_resource


def _routes(resource_id: str) -> dict[str, tuple[str, str]]:
    """Route → (path, query)."""
    page = "limit=10&offset=0"
    return {
        "show_job": (f"/v1/{PROJECT}/jobs/bench_job", ""),
        "show_script": (f"/v1/{PROJECT}/scripts/bench_script_00", ""),
        "show_resource": (f"/v1/{PROJECT}/resources/{resource_id}", ""),
        "list_jobs": (f"/v1/{PROJECT}/jobs", page),
        "list_scripts": (f"/v1/{PROJECT}/scripts", page),
        "list_resources": (f"/v1/{PROJECT}/resources", page),
    }


def _headers(url: str, method: str, path: str, query: str) -> dict[str, str]:
    headers = {
        "Host": url.removeprefix("http://"),
        "Content-Type": "application/json",
        "X-Project-Id": PROJECT,
    }
    headers.update(sign_request(method, path, query, headers, b"", AK, SK))
    return headers


def _get(url: str, path: str, query: str) -> bytes:
    import urllib.request

    target = url + path + (f"?{query}" if query else "")
    request = urllib.request.Request(target, headers=_headers(url, "GET", path, query))
    with urllib.request.urlopen(request, timeout=30) as answer:
        return bytes(answer.read())


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """Every read route on jobferry over ``backend``, then the bare app on the same bytes."""
    with jobferry_over(backend, args) as server:
        data, url = server.data, server.url
        served: dict[str, dict[str, float]] = {}
        bodies: dict[str, str] = {}
        with server.serving():
            routes = _routes(_seed(url))
            for name, (path, query) in routes.items():
                body = _get(url, path, query)
                (data / f"{name}.json").write_bytes(body)
                bodies[path] = str(data / f"{name}.json")
                target = url + path + (f"?{query}" if query else "")
                load_before = load_average()
                served[name] = wrk(
                    target, _headers(url, "GET", path, query), args.seconds, args.connections
                )
                served[name]["load"] = load_before
                served[name]["bytes"] = float(len(body))
        (data / "bodies.json").write_text(json.dumps(bodies))
        (data / "bare.py").write_text(BARE_APP)
        bare_port = free_port()
        bare_url = f"http://127.0.0.1:{bare_port}"
        cmd = [sys.executable, str(data / "bare.py"), str(data / "bodies.json"), str(bare_port)]
        bare: dict[str, dict[str, float]] = {}
        first = next(iter(routes.values()))[0]
        with running(cmd, dict(os.environ), f"{bare_url}{first}"):
            for name, (path, query) in routes.items():
                target = bare_url + path + (f"?{query}" if query else "")
                load_before = load_average()
                bare[name] = wrk(target, {}, args.seconds, args.connections)
                bare[name]["load"] = load_before
    return {
        "database": backend,
        "routes": {
            name: {
                "jobferry": served[name],
                "bare": bare[name],
                "ratio": served[name]["rps"] / bare[name]["rps"],
                "target": TARGET["show" if name in SHOWS else "list"],
            }
            for name in served
        },
    }


def main() -> None:
    done = wrk_runs("python -m bench.routes", "sqlite", 5, measure)
    if done is None:
        return
    args, runs = done
    print(f"signed reads, {args.connections} connections, {args.seconds} s each")
    header = f"{'route':22}{'jobferry':>10}{'bare':>10}{'ratio':>8}{'target':>8}{'p99 ms':>9}"
    for report in runs:
        print(f"-- {report['database']}")
        print(header)
        for name, row in report["routes"].items():
            mark = "ok" if row["ratio"] >= row["target"] else "BELOW"
            print(
                f"{name:22}{row['jobferry']['rps']:>10.0f}{row['bare']['rps']:>10.0f}"
                f"{row['ratio']:>8.0%}{row['target']:>8.0%}{row['jobferry']['p99_ms']:>9.1f}"
                f"  {mark}"
            )


if __name__ == "__main__":
    main()
