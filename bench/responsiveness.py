"""``python -m bench.responsiveness [--jobs 100000] [--db sqlite|postgresql]``: how long a signed
one-job GET waits while a big plan, import or export runs on the same server.

A workspace of N jobs is generated and exported, and its package uploaded to an empty target
workspace, before a real ``jobferry serve`` starts on that database. Then, for each background
operation (a plan of the package, its import, a workspace export), a probe sends signed
``show_job`` requests one after another (at most ``--rate`` a second) until the operation's
task ends, and reports p50, p99 and the slowest answer; the same probe first runs for a few
seconds with nothing else to do. Target (issue #17): p99 ≤ 250 ms and max ≤ 1 s at 100,000.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench.__main__ import AK, SK, migrated, prepare
from bench.databases import PG_URL, database
from bench.throughput import free_port, running, serve_env
from bench.workload import generate
from jobferry.signing import sign_request


class Client:
    """Signed calls to one server, as the SDK makes them."""

    def __init__(self, url: str, project: str) -> None:
        self.url, self.project = url, project

    def call(
        self, method: str, path: str, body: Any = None, workspace: str | None = None
    ) -> tuple[int, Any]:
        data = b"" if body is None else json.dumps(body).encode()
        path, _, query = path.partition("?")
        full = f"/v1/{self.project}{path}"
        headers = {
            "Host": self.url.removeprefix("http://"),
            "Content-Type": "application/json",
            "X-Project-Id": self.project,
        }
        if workspace:
            headers["workspace"] = workspace
        headers.update(sign_request(method, full, query, headers, data, AK, SK))
        target = self.url + full + (f"?{query}" if query else "")
        request = urllib.request.Request(target, data=data or None, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=60) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None

    def wait(self, task_id: str, workspace: str | None) -> dict[str, Any]:
        while True:  # the list, not the task: an import's task carries 200,000 subtasks
            _, head = self.call("GET", "/system-tasks?limit=10", None, workspace)
            mine = next(t for t in head["tasks"] if t["id"] == task_id)
            if mine["status"] != "RUNNING":
                return dict(mine)
            time.sleep(0.5)


def probe(client: Client, job: str, rate: float, stop: threading.Event) -> list[float]:
    """Seconds each signed show_job took, until ``stop`` is set."""
    took: list[float] = []
    gap = 1.0 / rate
    while not stop.is_set():
        start = time.perf_counter()
        status, _ = client.call("GET", f"/jobs/{job}")
        took.append(time.perf_counter() - start)
        assert status == 200
        time.sleep(max(0.0, gap - took[-1]))
    return took


def figures(took: list[float]) -> dict[str, float]:
    ms = sorted(t * 1000 for t in took)
    return {
        "requests": len(ms),
        "p50_ms": statistics.median(ms),
        "p99_ms": ms[min(len(ms) - 1, int(len(ms) * 0.99))],
        "max_ms": ms[-1],
    }


def during(client: Client, job: str, rate: float, start: Any) -> dict[str, Any]:
    """Probe while the operation ``start`` starts and its task runs to its end."""
    stop = threading.Event()
    took: list[float] = []
    thread = threading.Thread(target=lambda: took.extend(probe(client, job, rate, stop)))
    thread.start()
    began = time.perf_counter()
    try:
        outcome = start()
    finally:
        stop.set()
        thread.join()
    return {
        **figures(took),
        "operation_seconds": round(time.perf_counter() - began, 1),
        "outcome": outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.responsiveness")
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--rate", type=float, default=20.0, help="probe requests a second")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="jobferry-resp-") as tmp:
        data = Path(tmp)
        with database(args.db, data, args.pg_url) as url:
            db, services = migrated(data, url)
            actor = services.accounts.actor_for(AK)
            scope = services.accounts.scope(actor, actor.project_id, None)
            generate(services, scope, args.jobs)
            _, _, targets = prepare(services, data, 1)
            project = actor.project_id
            db.dispose()
            report = serve_and_probe(data, url, project, targets[0], args)
    print(json.dumps(report, indent=2))


def serve_and_probe(
    data: Path, url: str, project: str, target: Any, args: argparse.Namespace
) -> dict[str, Any]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = serve_env(data, url, port)
    ws, path, _ = target
    client = Client(base, project)
    report: dict[str, Any] = {"jobs": args.jobs, "db": args.db, "load": os.getloadavg()}
    with running([sys.executable, "-m", "jobferry", "serve"], env, f"{base}/health"):
        stop = threading.Event()
        timer = threading.Timer(10, stop.set)
        timer.start()
        report["idle"] = figures(probe(client, "job_00001", args.rate, stop))

        def run(method: str, route: str, body: dict[str, Any], workspace: str | None) -> Any:
            _, answer = client.call(method, route, body, workspace)
            if "taskId" not in answer:  # a small package's plan is answered at once
                return "answered"
            return client.wait(answer["taskId"], workspace)["status"]

        body = {"path": path, "sameNamePolicy": "OVERWRITE"}
        report["plan"] = during(
            client, "job_00001", args.rate, lambda: run("POST", "/jobs/import/plan", body, ws)
        )
        report["import"] = during(
            client, "job_00001", args.rate, lambda: run("POST", "/jobs/import", body, ws)
        )
        report["export"] = during(
            client,
            "job_00001",
            args.rate,
            lambda: run("POST", "/exports", {"mode": "workspace"}, None),
        )
    return report


if __name__ == "__main__":
    main()
