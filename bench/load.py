"""``python -m bench.load``: a bounded mixed read/write load on real ``jobferry serve``
processes over loopback, against 1 and 2 processes on PostgreSQL and 1 on SQLite.

Each of ``--clients`` threads (16) sends signed requests, as the official SDK builds them
(``jobferry.signing``, the SDK's ``SDK-HMAC-SHA256``), one after another over its own keep-alive
connection for ``--seconds`` (60): reads of a seeded workspace (show and list jobs, show
scripts), writes of its own jobs and scripts (create, update, delete), and small batch exports
(two jobs with their scripts). Every answer must have its expected status; anything else, or a
transport error, counts as an error. Prints p50/p99 latency and requests/s per operation and in
all, the error count, and the machine's load average before and after each run.

The load generator runs on the same machine as the server, so on a small machine it competes
with the server for the same cores: compare runs made side by side, not across machines.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.databases import PG_URL, database
from bench.throughput import ADMIN_ENV, AK, PROJECT, SK, free_port, running, serve_env
from jobferry.signing import sign_request

SEED_JOBS = 50
BASE = f"/v1/{PROJECT}"
MIX = {
    "show_job": 30,
    "list_jobs": 10,
    "show_script": 10,
    "create_job": 8,
    "update_job": 8,
    "delete_job": 6,
    "create_script": 6,
    "update_script": 6,
    "delete_script": 4,
    "export_jobs": 12,
}
"""Relative weight of each operation: 50 % reads, 38 % writes, 12 % small exports."""


def job_body(name: str, script: str, note: str) -> dict[str, Any]:
    """A one-node DWS SQL job running ``script``, scheduled daily (what a developer saves)."""
    return {
        "name": name,
        "nodes": [
            {
                "name": "load",
                "type": "DWSSQL",
                "location": {"x": "10", "y": "20"},
                "properties": [
                    {"name": "scriptName", "value": script},
                    {"name": "connectionName", "value": "dws_conn"},
                    {"name": "database", "value": "postgres"},
                ],
            }
        ],
        "schedule": {
            "type": "CRON",
            "cron": {"startTime": "2026-01-01T00:00:00+08", "expression": "0 0 2 * * ?"},
        },
        "params": [{"name": "note", "value": note}],
        "directory": "/load",
        "processType": "BATCH",
    }


def script_body(name: str, note: str) -> dict[str, Any]:
    """A DWS SQL script."""
    return {
        "name": name,
        "type": "DWSSQL",
        "content": f"select '{note}' as note, count(*) from orders;",
        "directory": "/load",
        "connectionName": "dws_conn",
        "database": "postgres",
    }


class Client:
    """One keep-alive connection sending signed requests."""

    def __init__(self, port: int) -> None:
        self.host = f"127.0.0.1:{port}"
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def send(self, method: str, path: str, query: str = "", body: Any = None) -> tuple[int, bytes]:
        data = b"" if body is None else json.dumps(body).encode()
        headers = {"Host": self.host, "Content-Type": "application/json", "X-Project-Id": PROJECT}
        headers.update(sign_request(method, path, query, headers, data, AK, SK))
        self.conn.request(method, f"{path}?{query}" if query else path, data or None, headers)
        answer = self.conn.getresponse()
        return answer.status, answer.read()

    def close(self) -> None:
        self.conn.close()


@dataclass
class Worker:
    """One simulated client: its operations, its own jobs and scripts, what it measured."""

    number: int
    client: Client
    rng: random.Random
    jobs: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    made: int = 0
    timings: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def fresh(self, prefix: str) -> str:
        self.made += 1
        return f"{prefix}_c{self.number:02d}_{self.made:06d}"

    def seeded(self) -> str:
        return f"seed_{self.rng.randrange(SEED_JOBS):03d}"

    def request(self, op: str) -> tuple[str, str, str, Any, int]:
        """(method, path, query, body, expected status) of one ``op``; an update or delete
        with nothing of its own to change creates instead."""
        if op in ("update_job", "delete_job") and not self.jobs:
            op = "create_job"
        if op in ("update_script", "delete_script") and not self.scripts:
            op = "create_script"
        note = uuid.uuid4().hex  # every write differs: no signature is ever replayed
        if op == "show_job":
            return "GET", f"{BASE}/jobs/{self.seeded()}", "", None, 200
        if op == "list_jobs":
            return "GET", f"{BASE}/jobs", f"limit=10&offset={self.rng.randrange(40)}", None, 200
        if op == "show_script":
            return "GET", f"{BASE}/scripts/{self.seeded()}_sql", "", None, 200
        if op == "create_job":
            name = self.fresh("job")
            self.jobs.append(name)
            return "POST", f"{BASE}/jobs", "", job_body(name, f"{self.seeded()}_sql", note), 204
        if op == "update_job":
            name = self.rng.choice(self.jobs)
            body = job_body(name, f"{self.seeded()}_sql", note)
            return "PUT", f"{BASE}/jobs/{name}", "", body, 204
        if op == "delete_job":
            name = self.jobs.pop(self.rng.randrange(len(self.jobs)))
            return "DELETE", f"{BASE}/jobs/{name}", "", None, 204
        return self._script_or_export(op, note)

    def _script_or_export(self, op: str, note: str) -> tuple[str, str, str, Any, int]:
        if op == "create_script":
            name = self.fresh("script")
            self.scripts.append(name)
            return "POST", f"{BASE}/scripts", "", script_body(name, note), 204
        if op == "update_script":
            name = self.rng.choice(self.scripts)
            return "PUT", f"{BASE}/scripts/{name}", "", script_body(name, note), 204
        if op == "delete_script":
            name = self.scripts.pop(self.rng.randrange(len(self.scripts)))
            return "DELETE", f"{BASE}/scripts/{name}", "", None, 204
        body = {"jobList": sorted({self.seeded(), self.seeded()}), "exportDepend": True}
        return "POST", f"{BASE}/jobs/batch-export", "", body, 200

    def run(self, until: float) -> None:
        ops, weights = list(MIX), list(MIX.values())
        while time.monotonic() < until:
            op = self.rng.choices(ops, weights)[0]
            method, path, query, body, expected = self.request(op)
            started = time.perf_counter()
            try:
                status, answer = self.client.send(method, path, query, body)
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(f"{op}: {exc!r}")
                self.client.close()
                continue
            elapsed = time.perf_counter() - started
            if status != expected:
                self.errors.append(f"{op}: {status} {answer[:200]!r}")
            self.timings.setdefault(op, []).append(elapsed)


def seed(port: int) -> None:
    """The workspace the reads look at: SEED_JOBS jobs, each with its script."""
    client = Client(port)
    try:
        for k in range(SEED_JOBS):
            name = f"seed_{k:03d}"
            for method, path, body in (
                ("POST", f"{BASE}/scripts", script_body(f"{name}_sql", "seed")),
                ("POST", f"{BASE}/jobs", job_body(name, f"{name}_sql", "seed")),
            ):
                status, answer = client.send(method, path, body=body)
                if status != 204:
                    raise SystemExit(f"seeding failed: {status} {answer[:300]!r}")
    finally:
        client.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def summary(workers: list[Worker], seconds: float) -> dict[str, Any]:
    by_op: dict[str, list[float]] = {}
    for worker in workers:
        for op, values in worker.timings.items():
            by_op.setdefault(op, []).extend(values)
    everything = [v for values in by_op.values() for v in values]

    def row(values: list[float]) -> dict[str, float]:
        return {
            "requests": len(values),
            "rps": len(values) / seconds,
            "p50_ms": percentile(values, 0.50) * 1000,
            "p99_ms": percentile(values, 0.99) * 1000,
        }

    errors = [e for worker in workers for e in worker.errors]
    return {
        "operations": {op: row(values) for op, values in sorted(by_op.items())},
        "all": row(everything),
        "errors": len(errors),
        "first_errors": errors[:5],
    }


def wait_for_processes(url: str, processes: int) -> None:
    """Until every server process has registered (the first answers /health alone)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                count = conn.exec_driver_sql("SELECT count(*) FROM workers").scalar_one()
            if count >= processes:
                return
            time.sleep(0.2)
    finally:
        engine.dispose()
    raise SystemExit(f"only {count} of {processes} server processes started")


def measure(backend: str, processes: int, args: argparse.Namespace) -> dict[str, Any]:
    """One run: a fresh database and server, the seed, then the load."""
    with tempfile.TemporaryDirectory(prefix="jobferry-load-") as tmp:
        data_dir = Path(tmp)
        with database(backend, data_dir, args.pg_url, "load") as url:
            port = free_port()
            env = serve_env(data_dir, url, port, **ADMIN_ENV, JOBFERRY_WORKERS=str(processes))
            jobferry = [sys.executable, "-m", "jobferry"]
            subprocess.run([*jobferry, "db", "upgrade"], env=env, check=True, capture_output=True)
            with running([*jobferry, "serve"], env, f"http://127.0.0.1:{port}/health"):
                seed(port)
                wait_for_processes(url, processes)
                load_before, cpu_before = os.getloadavg(), time.process_time()
                workers = [Worker(n, Client(port), random.Random(n)) for n in range(args.clients)]
                until = time.monotonic() + args.seconds
                threads = [threading.Thread(target=w.run, args=(until,)) for w in workers]
                started = time.monotonic()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                elapsed = time.monotonic() - started
                client_cpu = time.process_time() - cpu_before
                for worker in workers:
                    worker.client.close()
    result = summary(workers, elapsed)
    result.update(
        backend=backend,
        processes=processes,
        clients=args.clients,
        seconds=round(elapsed, 1),
        client_cpu_seconds=round(client_cpu, 1),
        load_before=[round(x, 2) for x in load_before],
        load_after=[round(x, 2) for x in os.getloadavg()],
    )
    return result


def show(result: dict[str, Any]) -> None:
    print(
        f"\n{result['backend']}, {result['processes']} process(es), {result['clients']} clients, "
        f"{result['seconds']} s; load average before {result['load_before']}, after "
        f"{result['load_after']}; the load generator used {result['client_cpu_seconds']} s "
        "of CPU"
    )
    print(f"  {'operation':<14}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    rows = [*result["operations"].items(), ("all", result["all"])]
    for op, row in rows:
        print(
            f"  {op:<14}{row['requests']:>9}{row['rps']:>9.1f}{row['p50_ms']:>9.1f}"
            f"{row['p99_ms']:>9.1f}"
        )
    print(f"  errors: {result['errors']}")
    for error in result["first_errors"]:
        print(f"    {error}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--runs",
        default="postgresql:1,postgresql:2,sqlite:1",
        help="backend:processes, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server (database 'test')")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args()
    results = []
    for run in args.runs.split(","):
        backend, _, processes = run.partition(":")
        results.append(measure(backend, int(processes or 1), args))
        if not args.json:
            show(results[-1])
    if args.json:
        print(json.dumps(results, indent=2))
    if any(r["errors"] for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
