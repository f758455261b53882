"""``python -m bench.busy [--jobs 20000] [--db sqlite|postgresql] [--port 18021]``: what the other
users of a busy server feel while one operator runs something big.

A workspace of N jobs and an empty target workspace (with the connections the jobs use) are
seeded as ``bench.http`` seeds them, and the workspace's package is uploaded to the target,
before a real ``jobferry serve`` starts. Then, with nothing else running and while each big
operation runs in turn (an ``OVERWRITE`` import of the package into the target, a whole-workspace
export of the source), one prober sends, round after round, one after another:

- ``loop``: an unsigned ``GET /v1/{project}/jobs`` (refused on the event loop, no thread: how
  long the loop itself takes to get to a request);
- ``api list``: a signed ``GET /v1/{project}/jobs?limit=100``;
- ``api show``: a signed ``GET /v1/{project}/jobs/{job}``;
- ``console jobs`` / ``console job`` / ``console tasks``: the console's jobs list, a job's page
  and the tasks page, signed in;
- ``cli``: ``jobferry jobs list --name job_0004`` (111 jobs; a process of its own, start-up
  included), over and over on a thread of its own beside the requests.

Each phase starts with 40 console sessions last used a minute before, and the console probes
take the next every 3 s (colleagues coming back to the console: a page view notes its session
as used, a write, once a minute). An answer that is not the one expected (a console error
page, a CLI refusal) is counted.

Prints p50 / p99 / max per probe and phase, with the load average at the phase's start (the
machine may be shared). ``--json FILE`` keeps every figure; ``--lag FILE`` serves through
``bench/lagserve.py`` (the loop's own lag per phase, and the stacks of its stalls in FILE);
``--phases`` picks and orders them (``idle,import,export``).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.__main__ import AK, SK, migrated
from bench.databases import PG_URL, database
from bench.http import Client, seed
from bench.throughput import serve_env, wait_ready
from jobferry.console.web import SESSION_COOKIE
from jobferry.services.accounts.signin import TOUCH_EVERY_MS
from jobferry.services.container import Services
from jobferry.services.context import now_ms
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.storage import console as console_repo

Figures = dict[str, Any]
SESSIONS, SESSION_SECONDS = 40, 3.0
"""Console sessions made for each phase, each last used a minute before it, and how long each
is used before the next (a colleague coming back to the console every few seconds)."""
CLI_NAME = "job_0004"
"""``jobs list --name``: 111 jobs of the workload, two pages (the whole list of 20,000 jobs is
200 pages and tens of seconds: see the README)."""


class Prober:
    """Every kind of request, one after another, round after round (a connection each, so
    the server's keep-alive timeout never meets a slow round)."""

    def __init__(
        self, port: int, project: str, workspace: str, cli_env: Figures, sk: str = SK
    ) -> None:
        self.port, self.project, self.ws, self.sk = port, project, workspace, sk
        self.sessions: list[str] = []
        self.cli_env = cli_env
        self.failed: dict[str, int] = {}

    def _get(self, path: str, headers: dict[str, str], ok: int = 200) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.request("GET", path, headers=headers)
        answer = conn.getresponse()
        answer.read()
        conn.close()
        return answer.status == ok

    def cookie(self) -> str:
        """The session of the colleague using the console now: another every few seconds."""
        turn = int(time.monotonic() / SESSION_SECONDS) % len(self.sessions)
        return f"{SESSION_COOKIE}={self.sessions[turn]}"

    def _api(self, route: str) -> bool:
        # a connection of its own, as each SDK call
        client = Client(self.port, self.project, self.ws, AK, self.sk)
        try:
            client.send("GET", route)
        except SystemExit:  # refused
            return False
        finally:
            client.conn.close()
        return True

    def probes(self) -> dict[str, Callable[[], bool]]:
        ws = self.ws

        def console(path: str) -> Callable[[], bool]:
            return lambda: self._get(f"/console/w/{ws}{path}", {"Cookie": self.cookie()})

        return {
            "loop": lambda: self._get(f"/v1/{self.project}/jobs", {}, ok=401),
            "api list": lambda: self._api("/jobs?limit=100"),
            "api show": lambda: self._api("/jobs/job_00042"),
            "console jobs": console("/jobs"),
            "console job": console("/jobs/job_00042"),
            "console tasks": console("/tasks"),
        }

    def cli(self) -> bool:
        done = subprocess.run(
            [sys.executable, "-m", "jobferry", "jobs", "list", "--name", CLI_NAME],
            env=self.cli_env,
            capture_output=True,
        )
        return done.returncode == 0

    def run(self, stop: threading.Event) -> dict[str, list[float]]:
        """Probe until ``stop``: the requests on this thread, the command on one beside it;
        how long each took (an answer that was not the one expected counted in
        ``self.failed``)."""
        took: dict[str, list[float]] = {"cli": []}

        def commands() -> None:
            while not stop.is_set():
                started = time.perf_counter()
                if not self.cli():
                    self.failed["cli"] = self.failed.get("cli", 0) + 1
                took["cli"].append(time.perf_counter() - started)

        beside = threading.Thread(target=commands)
        beside.start()
        probes = self.probes()
        while not stop.is_set():
            for name, probe in probes.items():
                started = time.perf_counter()
                if not probe():
                    self.failed[name] = self.failed.get(name, 0) + 1
                took.setdefault(name, []).append(time.perf_counter() - started)
            time.sleep(0.05)
        beside.join()
        return took


def lags_so_far(lag: Path | None) -> list[float]:
    """Every lag (s) the server's lag probe wrote so far (``bench/lagserve.py``; none without)."""
    if lag is None:
        return []
    with contextlib.suppress(OSError):
        text = lag.with_name(lag.name + ".lags").read_text()
        return [float(line) / 1000 for line in text.split()]
    return []


def figures(took: list[float]) -> Figures:
    ordered = sorted(took)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(p99 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def during(prober: Prober, work: Callable[[], Any], lag: Path | None) -> Figures:
    """Probe until ``work`` returns; every probe's figures and how long the work took, with
    the server's loop lag meanwhile (``lag``: the lag probe's file)."""
    stop, out = threading.Event(), {}
    load, lags_before = os.getloadavg()[0], len(lags_so_far(lag))

    def probe() -> None:
        out["took"] = prober.run(stop)

    thread = threading.Thread(target=probe)
    thread.start()
    started = time.perf_counter()
    try:
        work()
    finally:
        seconds = time.perf_counter() - started
        stop.set()
        thread.join()
    result: Figures = {"seconds": round(seconds, 2), "load": load}
    result.update({name: figures(took) for name, took in out["took"].items()})
    result["failed"], prober.failed = prober.failed, {}
    time.sleep(1.5 if lag else 0)  # the probe writes its lags every second
    if lags := lags_so_far(lag)[lags_before:]:
        result["loop lag"] = figures(lags)
    return result


def show(phase: str, result: Figures) -> None:
    print(f"  {phase}: {result['seconds']:.1f} s, load average {result['load']:.1f}")
    if result["failed"]:
        print(f"    not answered as expected: {result['failed']}")
    for name, row in result.items():
        if isinstance(row, dict) and name != "failed":
            print(
                f"    {name:<14} n {row['n']:4d}  p50 {row['p50_ms']:8.1f}  "
                f"p99 {row['p99_ms']:8.1f}  max {row['max_ms']:8.1f} ms"
            )


def seen_a_minute_ago(data: Path, url: str, count: int) -> list[str]:
    """New console sessions of the bench admin, each last used a minute ago: cookie tokens."""
    settings = Settings(data_dir=data, database_url=url)
    db = Database(settings.resolved_database_url())
    tokens = []
    try:
        services = Services.build(settings, db)
        for _ in range(count):
            token, session = services.signin.start_session(services.accounts.actor_for(AK))
            with db.transaction() as tx:
                console_repo.touch_session(tx, session.id, now_ms() - TOUCH_EVERY_MS - 1000)
            tokens.append(token)
    finally:
        db.dispose()
    return tokens


def prepare(data: Path, url: str, jobs: int, cache: Path) -> tuple[str, str, str, str]:
    """Seed, upload the package to the target; project, source and target workspaces, the
    package's upload path."""
    project, target_ws = seed(data, url, jobs, cache)
    db, services = migrated(data, url)
    actor = services.accounts.actor_for(AK)
    source = services.accounts.scope(actor, actor.project_id, None)
    target = services.accounts.scope(actor, actor.project_id, target_ws)
    package = cache / f"workload-{jobs}.zip"
    with package.open("rb") as fh:
        path = services.imports.upload(target, fh, package.name).path
    db.dispose()
    return project, source.workspace.id, target_ws, path


def measure(args: argparse.Namespace) -> Figures:
    with tempfile.TemporaryDirectory(prefix="jobferry-busy-") as tmp:
        data = Path(tmp)
        with database(args.db, data, args.pg_url) as url:
            project, source_ws, target_ws, path = prepare(data, url, args.jobs, args.cache)
            env = serve_env(data, url, args.port)
            log = (data / "serve.log").open("wb")
            cmd = [sys.executable, "-m", "jobferry", "serve"]
            if args.lag:
                env["JOBFERRY_BENCH_LAG_FILE"] = str(args.lag)
                cmd = [sys.executable, "-m", "bench.lagserve"]
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_ready(f"http://127.0.0.1:{args.port}/health", proc)
                return phases(args, project, source_ws, target_ws, path, url, data)
            finally:
                proc.terminate()
                proc.wait(timeout=60)
                log.close()
                if args.log:
                    args.log.write_bytes((data / "serve.log").read_bytes())


def phases(
    args: argparse.Namespace,
    project: str,
    source_ws: str,
    target_ws: str,
    path: str,
    url: str,
    data: Path,
) -> Figures:
    (data / "config.toml").write_text("")
    cli_env = {
        **os.environ,
        "JOBFERRY_CONFIG": str(data / "config.toml"),
        "JOBFERRY_ENDPOINT": f"http://127.0.0.1:{args.port}",
        "JOBFERRY_PROJECT_ID": project,
        "JOBFERRY_AK": AK,
        "JOBFERRY_SK": SK,
        "COLUMNS": "200",
    }
    prober = Prober(args.port, project, source_ws, cli_env)
    source, target = Client(args.port, project), Client(args.port, project, target_ws)
    body = {"path": path, "sameNamePolicy": "OVERWRITE"}

    def import_() -> None:
        target.wait(target.send("POST", "/jobs/import", body)["taskId"])

    def export() -> None:
        source.wait(source.send("POST", "/exports", {"mode": "workspace"})["taskId"])

    work: dict[str, Callable[[], None]] = {
        "idle": lambda: time.sleep(args.idle),
        "import": import_,
        "export": export,
    }
    out: Figures = {"jobs": args.jobs, "db": args.db}
    for phase in args.phases.split(","):
        prober.sessions = seen_a_minute_ago(data, url, SESSIONS)
        out[phase] = during(prober, work[phase], args.lag)
        show(phase, out[phase])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.busy", description=__doc__)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--port", type=int, default=18021)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of the idle phase")
    parser.add_argument("--phases", default="idle,import,export")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--log", type=Path, help="keep the server's log in this file")
    parser.add_argument(
        "--lag", type=Path, help="serve with the event-loop lag probe (bench/lagserve.py), to here"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "jobferry-bench-http",
        help="where each size's generated workload is kept as a package (as bench.http)",
    )
    args = parser.parse_args()
    print(f"{args.jobs} jobs on {args.db} (load average {os.getloadavg()[0]:.1f})")
    result = measure(args)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
