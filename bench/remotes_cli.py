"""``python -m bench.remotes_cli``: the remotes bench through the user's path, the ``jobferry``
command against a running ``jobferry serve``.

The remote is what ``bench/remotes.py`` builds: a second ``jobferry serve`` whose default
workspace holds the workload (N jobs × 5 nodes, one script per job, 200 resources, 20
connections), behind the tests' contract filter adding ``--latency`` seconds to every call.
The local side is a ``jobferry serve`` of its own (embedded SQLite, or PostgreSQL with ``--db
postgresql``), and every measured step is one ``python -m jobferry …`` process, as a user types
it (process start, signing, upload, waiting for the task and printing included):

* ``remotes refresh prod``: the **first refresh** (every object created), then an **unchanged
  refresh** (``--refreshes N``: N of them in a row, each timed);
* ``promote to-prod``: the route's plan from ``test`` (a copy of the shadow) into the shadow,
  everything ``UNCHANGED``: the **unchanged re-plan** (the promote's plan refreshes the shadow
  first, ``JOBFERRY_REMOTE_REFRESH_SECONDS=0``);
* ``promote to-prod --apply --yes`` on that unchanged plan: the **baseline** (the import
  writes nothing and pushes nothing; the route records it), unless ``--no-baseline``;
* twice, after ``--changes`` jobs of ``test`` are changed (signed ``PUT /jobs/{name}`` calls,
  not timed; other jobs each time; a new value of a job parameter, as a description does not
  reach a remote): ``promote to-prod``, the **plan**, and ``promote to-prod
  --apply --yes``, the **plan and push** the user runs as one command (the push alone is their
  difference). Each promotion carries only the jobs changed since the last applied one; with
  ``--no-baseline`` the first carries every job (nothing was promoted along the route before).

With ``--fail-last update``, a third round: ``--changes`` other jobs changed, ``promote
to-prod``, and ``promote to-prod --apply --yes`` with the push's last write refused by the
filter (400, the write not passed on; the last of as many writes as the second round's push
made): the push fails on its last call and **undoes** the others before the command ends (exit
1). With ``--fail-last delete``, the last job of ``test`` (the workload's jobs depend only on
jobs made before them) is deleted too, and both commands take
``--propagate-deletes``: the push updates the jobs (one level of calls, read back as it ends),
then fails on the deletion, its last call. ``undo`` gives the seconds from the refused write to
the command's last remote call, by the filter's clock, and those calls by name.

For each: seconds, the calls the remote received, and the peak resident memory of the local
server's process tree (``bench/peak.py``). Targets (issue #38, 2 cores): refresh ≤ 30 s,
unchanged re-plan ≤ 10 s, push of 1,000 changes ≤ 20 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.cpu import own_cpu_seconds, tree_cpu_seconds
from bench.databases import database
from bench.http import Client, Sampler
from bench.remotes import arguments, released, seeded_remote
from bench.throughput import (
    ADMIN_ENV,
    AK,
    PROJECT,
    SK,
    free_port,
    load_average,
    serve_env,
    wait_ready,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.gateway import Gateway  # type: ignore[import-not-found]

SERVER_FIELDS = ("id", "createTime", "lastUpdateUser", "version")
"""The fields of a shown job the server sets, left out of an update (as a client does)."""


class Cli:
    """``python -m jobferry`` processes signed as the bench admin against one server."""

    def __init__(self, url: str, data: Path) -> None:
        (data / "config.toml").write_text("")  # no contexts: the environment says all
        self.env = {
            **os.environ,
            "JOBFERRY_CONFIG": str(data / "config.toml"),
            "JOBFERRY_ENDPOINT": url,
            "JOBFERRY_PROJECT_ID": PROJECT,
            "JOBFERRY_AK": AK,
            "JOBFERRY_SK": SK,
            "BENCH_SK": SK,
            "COLUMNS": "200",
        }

    def __call__(self, *args: str, codes: tuple[int, ...] = (0,)) -> tuple[float, Any]:
        """Run ``jobferry ARGS --json``; its seconds and printed document (a refusal or an
        unexpected exit code ends the bench, naming it)."""
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "jobferry", *args, "--json"],
            env=self.env,
            capture_output=True,
            text=True,
        )
        seconds = round(time.perf_counter() - started, 2)
        if done.returncode not in codes:
            raise SystemExit(
                f"jobferry {' '.join(args)}: exit {done.returncode}\n{done.stdout[:3000]}"
            )
        return seconds, json.loads(done.stdout) if done.stdout.strip() else None


@contextmanager
def local_server(
    data: Path, url: str, port: int = 0, log_level: str | None = None
) -> Iterator[tuple[str, int]]:
    """A ``jobferry serve`` over ``url`` with the bench admin, on ``port`` (0: a free one),
    its database upgraded first, logging to ``data/serve.log`` (``log_level``: each request,
    at ``info``); its url and process id."""
    port = port or free_port()
    level = {"JOBFERRY_LOG_LEVEL": log_level} if log_level else {}
    env = serve_env(data, url, port, **ADMIN_ENV, **level)
    upgrade = [sys.executable, "-m", "jobferry", "db", "upgrade"]
    subprocess.run(upgrade, env=env, check=True, capture_output=True)
    log = (data / "serve.log").open("wb")
    cmd = [sys.executable, "-m", "jobferry", "serve"]
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(f"http://127.0.0.1:{port}/health", proc)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=120)
        log.close()


class Step:
    """Figures of one measured command: seconds, remote calls, the server's peak memory, and
    the CPU-seconds of the local server, of the remote's and of this process (the filter)."""

    def __init__(self, gate: Gateway, pid: int, remote_pid: int) -> None:
        self.gate, self.pid, self.remote_pid = gate, pid, remote_pid

    def _cpu(self) -> tuple[float, float, float]:
        return tree_cpu_seconds(self.pid), tree_cpu_seconds(self.remote_pid), own_cpu_seconds()

    def __call__(self, cli: Cli, *args: str, codes: tuple[int, ...] = (0,)) -> dict[str, Any]:
        calls, sampler, load = len(self.gate.seen), Sampler(self.pid), load_average()
        cpu = self._cpu()
        seconds, answer = cli(*args, codes=codes)
        spent = [round(after - before, 2) for before, after in zip(cpu, self._cpu(), strict=True)]
        figures: dict[str, Any] = {
            "seconds": seconds,
            "calls": len(self.gate.seen) - calls,
            "by_call": dict(Counter(str(s.call) for s in self.gate.seen[calls:]).most_common()),
            "server_peak_rss_mb": round(sampler.stop(), 1),
            "cpu_seconds": dict(zip(("local", "remote", "filter"), spent, strict=True)),
            "load_average": load,
        }
        summary = _summary(answer)
        if summary:
            figures["summary"] = summary
        if isinstance(answer, dict) and isinstance(answer.get("seconds"), int | float):
            figures["server_seconds"] = answer["seconds"]  # a refresh's own, in the server
        task = answer.get("task") if isinstance(answer, dict) else None
        if isinstance(task, dict) and task.get("endTime"):  # the import (the push) alone
            figures["task_seconds"] = round((task["endTime"] - task["startTime"]) / 1000, 2)
        return figures


def _summary(answer: Any) -> Any:
    """What a refresh counted or a plan summed up, from a command's document."""
    if not isinstance(answer, dict):
        return None
    for key in ("counts", "summary"):
        if key in answer:
            return answer[key]
    for key in ("plan", "task", "refresh"):
        inner = answer.get(key)
        if isinstance(inner, dict):
            found = _summary(inner)
            if found:
                return found
    return None


def _test_workspace(cli: Cli, data: Path, local_url: str) -> None:
    """Workspace ``test`` on the local server: a copy of the shadow ``prod`` with the
    connections its jobs use (not measured)."""
    admin_env = {**cli.env, "JOBFERRY_DATABASE_URL": local_url, "JOBFERRY_DATA_DIR": str(data)}
    subprocess.run(
        [sys.executable, "-m", "jobferry", "admin", "create-workspace", "test"],
        env=admin_env,
        check=True,
        capture_output=True,
    )
    for c in range(20):  # the workload's connections (bench/workload.py)
        name = f"dws_conn_{c:02d}"
        secret = "password=env:BENCH_SK"
        cli("env", "put", "connection", name, "--type", "DWS", "--secret", secret, "-w", "test")
    whole = data / "prod.zip"
    cli("export", "--workspace-all", "-o", str(whole), "-w", "prod")
    cli("import", str(whole), "--policy", "overwrite", "--status", "saved", "--yes", "-w", "test")


def _change_jobs(url: str, workspace: str, first: int, changes: int) -> int:
    """``changes`` jobs of ``workspace`` from the ``first`` on (in listing order) saved with a
    new description; how many."""
    port = int(url.rsplit(":", 1)[1])
    client = Client(port, PROJECT, workspace, AK, SK)
    names: list[str] = []
    while len(names) < changes:
        page = client.send("GET", f"/jobs?limit=100&offset={first + len(names)}")["jobs"]
        if not page:
            break
        names += [job["name"] for job in page][: changes - len(names)]
    for name in names:
        shown = client.send("GET", f"/jobs/{name}")
        update = {k: v for k, v in shown.items() if k not in SERVER_FIELDS}
        client.send("PUT", f"/jobs/{name}", {**update, "params": released(update)})
    return len(names)


def measure(
    args: argparse.Namespace, root: Path, remote_ws: str, gate: Gateway, remote_pid: int
) -> dict[str, Any]:
    """The commands against the remote behind ``gate`` (served by process ``remote_pid``),
    from a local server of their own."""
    results: dict[str, Any] = {}
    with (
        database(args.db, root / "local", args.pg_url, "local") as local_url,
        local_server(root / "local", local_url) as (url, pid),
    ):
        cli, step = Cli(url, root / "local"), Step(gate, pid, remote_pid)
        remote = ("--endpoint", gate.url, "--project-id", PROJECT, "--workspace", remote_ws)
        cli("remotes", "add", "prod", *remote, "--access-key", AK, "--secret-key", "env:BENCH_SK")
        results["first_refresh"] = step(cli, "remotes", "refresh", "prod")
        results["unchanged_refresh"] = step(cli, "remotes", "refresh", "prod")
        again = [step(cli, "remotes", "refresh", "prod") for _ in range(args.refreshes - 1)]
        if again:  # the same, a few more times: (seconds, the server's seconds) of each
            runs = [results["unchanged_refresh"], *again]
            results["unchanged_refreshes"] = [(r["seconds"], r.get("server_seconds")) for r in runs]
        _test_workspace(cli, root / "local", local_url)
        route = ("--from", "test", "--to", "prod", "--all", "--policy", "overwrite")
        cli("routes", "create", "to-prod", *route, "--scheduling", "pause-and-restore")
        results["unchanged_replan"] = step(cli, "promote", "to-prod", codes=(0, 4))
        if not args.no_baseline:
            results["baseline"] = step(cli, "promote", "to-prod", "--apply", "--yes")
        listed = cli("workspaces", "list")[1]
        test = next(w["id"] for w in listed["workspaces"] if w["name"] == "test")
        writes = 0
        for label, first in (("first_promotion", 0), ("next_promotion", args.changes)):
            changed = _change_jobs(url, test, first, args.changes)
            plan = step(cli, "promote", "to-prod", codes=(4,))
            before = len(gate.writes())
            applied = step(cli, "promote", "to-prod", "--apply", "--yes")
            writes = len(gate.writes()) - before
            push = round(applied["seconds"] - plan["seconds"], 2)
            results[label] = {"changes": changed, "plan": plan, "plan_and_push": applied}
            results[label]["push_alone_seconds"] = push
        if args.fail_last:
            changed = _change_jobs(url, test, 2 * args.changes, args.changes)
            options: tuple[str, ...] = ()
            if args.fail_last == "delete":  # the last job (no job depends on it) deleted too
                _delete_job(url, test, args.jobs - 1)
                options, writes = ("--propagate-deletes",), writes + 1
            failed = _failed(cli, step, gate, writes, options)
            results["failed_promotion"] = {"changes": changed, "fails": args.fail_last, **failed}
    return results


def _delete_job(url: str, workspace: str, at: int) -> None:
    """Delete the job of ``workspace`` at position ``at`` in listing order."""
    client = Client(int(url.rsplit(":", 1)[1]), PROJECT, workspace, AK, SK)
    (job,) = client.send("GET", f"/jobs?limit=1&offset={at}")["jobs"]
    client.send("DELETE", f"/jobs/{job['name']}")


def _failed(
    cli: Cli, step: Step, gate: Gateway, writes: int, options: tuple[str, ...]
) -> dict[str, Any]:
    """The plan, then its apply with the push's last write refused (the ``writes``-th): the
    push fails there and undoes the others. ``undo``: the remote's calls from the refused write
    to the last one the command made, their seconds by the filter's clock (the undo, and the
    calls still in flight when the write was refused)."""
    plan = step(cli, "promote", "to-prod", *options, codes=(4,))
    gate.refuse_write_in(writes)
    seen = len(gate.seen)
    applied = step(cli, "promote", "to-prod", *options, "--apply", "--yes", codes=(1,))
    calls = gate.seen[seen:]
    refused = next(n for n, s in enumerate(calls) if s.status == 400)
    after = calls[refused + 1 :]
    undo = {
        "seconds": round(calls[-1].at - calls[refused].at, 2),
        "calls": len(after),
        "by_call": dict(Counter(str(s.call) for s in after).most_common()),
    }
    return {"plan": plan, "plan_and_failed_push": applied, "undo": undo}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Seed the remote, serve it behind the filter, run the commands; the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "local").mkdir()
        with seeded_remote(args, root) as (remote_ws, gate, remote_pid):
            results = measure(args, root, remote_ws, gate, remote_pid)
            results["refused_calls"] = len(gate.refused())
    return {"jobs": args.jobs, "latency_ms": round(args.latency * 1000), "db": args.db, **results}


def main() -> None:
    """Entry point."""
    parser = arguments(__doc__)
    parser.add_argument(
        "--refreshes",
        type=int,
        default=1,
        help="unchanged refreshes in a row (each timed; the first is the one reported)",
    )
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="do not apply the unchanged promotion: the first change promotion carries all",
    )
    parser.add_argument(
        "--fail-last",
        choices=("update", "delete"),
        help="then a third promotion of --changes jobs whose push is refused its last call, "
        "and undone: 'update', the last of its updates (one level of calls); 'delete', the "
        "deletion of one more job, after the updates' level",
    )
    print(json.dumps(run(parser.parse_args()), indent=2))


if __name__ == "__main__":
    main()
