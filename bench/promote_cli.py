"""``python -m bench.promote_cli``: ``jobferry promote ROUTE --apply`` beside a plain
``jobferry import`` of the same package, both through the command line as a user runs them.

One ``jobferry serve`` (embedded SQLite, or PostgreSQL with ``--db postgresql``) holds the
workload in its default workspace (N jobs × 5 nodes, one script per job, 200 resources, 20
connections; ``bench/workload.py``). Each pair makes two empty workspaces with the workload's
connections and then, in alternating order (so neither always runs first on a warmer
machine), times one ``python -m jobferry`` process each (process start, signing, the calls,
waiting for the task and printing included):

* **import**: ``jobferry import PACKAGE --policy overwrite --yes`` of the default workspace's
  whole-workspace export (made once, not timed): upload, plan, import;
* **promote**: ``jobferry promote ROUTE --apply --yes`` of a route from the default workspace
  (every job, ``--policy overwrite``) to the other one: the package cut from the source, its
  plan (one call), its import recorded on the route (one call).

Both write the same objects into an empty workspace. Target (issue #45, 2 cores): promote ≤
1.2× import. The ratio of each pair, and the median of those after the ``--warmup`` pairs (the
first reads of the source and the first planning helper start cold), are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.databases import PG_URL, database
from bench.remotes_cli import Cli, local_server

CONNECTIONS = 20
"""The workload's connections (``bench/workload.py``), made in each target workspace."""


def _seed(data: Path, url: str, jobs: int) -> None:
    """The workload in the default workspace, in a process of its own (``bench.remotes``)."""
    cmd = [sys.executable, "-m", "bench.remotes", "--seed", str(data), url, "--jobs", str(jobs)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)


def _workspace(cli: Cli, url: str, data: Path, name: str) -> None:
    """An empty workspace with the workload's connections (not timed)."""
    env = {**cli.env, "JOBFERRY_DATABASE_URL": url, "JOBFERRY_DATA_DIR": str(data)}
    made = [sys.executable, "-m", "jobferry", "admin", "create-workspace", name]
    subprocess.run(made, env=env, check=True, capture_output=True)
    for c in range(CONNECTIONS):
        secret = "password=env:BENCH_SK"
        cli(
            "env",
            "put",
            "connection",
            f"dws_conn_{c:02d}",
            "--type",
            "DWS",
            "--secret",
            secret,
            "-w",
            name,
        )


def _task(answer: Any) -> dict[str, Any]:
    """The import task's seconds (start to end, on the server) and its message."""
    task = answer.get("task") if isinstance(answer, dict) else None
    if not isinstance(task, dict):
        return {}
    seconds = (int(task.get("endTime") or 0) - int(task.get("startTime") or 0)) / 1000
    return {"task_seconds": round(seconds, 2), "message": task.get("message")}


def measure(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """The pairs, and the median ratio."""
    with database(args.db, root, args.pg_url, "promote") as url:
        _seed(root, url, args.jobs)
        with local_server(root, url) as (server, _pid):
            cli = Cli(server, root)
            package = root / "whole.zip"
            cli("export", "--workspace-all", "-o", str(package))
            pairs = []
            for i in range(args.pairs + args.warmup):
                imported, promoted = f"imp{i}", f"pro{i}"
                _workspace(cli, url, root, imported)
                _workspace(cli, url, root, promoted)
                route = ("--from", "default", "--to", promoted, "--all", "--policy", "overwrite")
                cli("routes", "create", f"r{i}", *route)
                runs = {
                    "import": (
                        "import",
                        str(package),
                        "--policy",
                        "overwrite",
                        "--yes",
                        "-w",
                        imported,
                    ),
                    "promote": ("promote", f"r{i}", "--apply", "--yes"),
                }
                order = ("import", "promote") if i % 2 == 0 else ("promote", "import")
                pair: dict[str, Any] = {"first": order[0]}
                for kind in order:
                    seconds, answer = cli(*runs[kind])
                    pair[kind] = {"seconds": seconds, **_task(answer)}
                pair["ratio"] = round(pair["promote"]["seconds"] / pair["import"]["seconds"], 3)
                pair["warmup"] = i < args.warmup
                pairs.append(pair)
    ratios = [p["ratio"] for p in pairs if not p["warmup"]]
    return {
        "jobs": args.jobs,
        "db": args.db,
        "pairs": pairs,
        "median_ratio": statistics.median(ratios),
        "target_ratio": 1.2,
    }


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1, help="pairs run first, not counted")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(measure(args, Path(tmp)), indent=2))


if __name__ == "__main__":
    main()
