"""``python -m bench.bigspace``: a big workspace from the user's seat — how long every list,
show and search a user runs takes, through the command line and the console, at 20,000 and
100,000 jobs.

Each size is a workspace made as ``bench.history`` makes one (``--rounds`` rounds): the
workload's N jobs with their scripts and 200 resources in an enterprise workspace and its
production side (one import of every job and script: a task with 2N per-object lines), a
``qa`` workspace and the route ``dev-qa`` into it, then five jobs changed, released, deployed
and promoted a round. A real ``jobferry serve`` answers:

* the command line, one ``python -m jobferry`` process each as a user types it (start-up
  included, ``jobferry --version`` alone for scale): ``jobs list`` of the whole workspace and
  of its production side, ``jobs list --name``, ``jobs show``, ``tasks list``, ``tasks show``
  of the import of every job, ``audit``, ``audit --object``, ``routes history``, ``releases list``,
  ``releases ledger``, ``downloads list``, ``env list``, ``drift`` of the production side;
* a plain offset walk of the jobs list, as the Terraform provider's data sources and the SDKs
  read a whole list (``list_jobs`` with ``limit=100``, ``offset += rows received``, one call
  after another), once: its seconds, the server's CPU seconds, and a digest of every answer's
  bytes (the same before and after a change that must not change them);
* the console (a signed-in session, one GET each): the jobs list (the root, a folder, its
  last page, a search by name, by tag), a job's page, the scripts and resources lists and a
  search, the tasks page and the page of the import of every job, the audit log, the route's
  page, release packages, pending releases, the release ledger, downloads, drift.

Each other figure is the best of ``--repeat`` runs in seconds (a repeat of an unchanged list
is answered from the server's kept answers: ``--repeat 1`` times a first read), with the size
of what it printed or drew. ``--data DIR`` keeps each size's workspace in ``DIR/<jobs>`` and
uses it again on a later run (the same data before and after a change; seeding 100,000 jobs
takes minutes). Figures only: no target fails the run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from bench.history import ROUTE, make_history
from bench.remotes import migrated
from bench.remotes_cli import local_server
from bench.throughput import ADMIN_ENV, AK, PROJECT, SK, serve_env
from jobferry.console.web import SESSION_COOKIE
from jobferry.signing import sign_request


def _best(repeat: int, run: Callable[[], int]) -> dict[str, Any]:
    """The best seconds of ``repeat`` runs of ``run`` (which answers its output's size)."""
    best, size = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        size = run()
        best = min(best, time.perf_counter() - started)
    return {"seconds": round(best, 3), "bytes": size}


def seeded(root: Path, jobs: int, rounds: int) -> Path:
    """``root/<jobs>`` with the workspace made (kept from an earlier run when it is there)."""
    data = root / str(jobs)
    if (data / "seeded").exists():
        return data
    data.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{data / 'jobferry.db'}"
    started = time.perf_counter()
    db, services = migrated(data, url)
    make_history(services, jobs, rounds)
    db.dispose()
    (data / "seeded").write_text(f"{time.perf_counter() - started:.1f} s\n")
    return data


def upgraded(data: Path) -> float:
    """``jobferry db upgrade`` of ``data``'s database (a kept one may be older): seconds."""
    env = serve_env(data, f"sqlite:///{data / 'jobferry.db'}", 0, **ADMIN_ENV)
    started = time.perf_counter()
    upgrade = [sys.executable, "-m", "jobferry", "db", "upgrade"]
    subprocess.run(upgrade, env=env, check=True, capture_output=True)
    return round(time.perf_counter() - started, 2)


def _facts(data: Path) -> dict[str, str]:
    """The admin's workspace id, the task of the largest import (the production side's first)
    and that workspace's id."""
    with sqlite3.connect(data / "jobferry.db") as db:
        default = db.execute("SELECT id FROM workspaces WHERE name = 'default'").fetchone()[0]
        task, prod = db.execute(
            "SELECT task_id, workspace_id FROM task_subtasks JOIN system_tasks t ON t.id = task_id"
            " GROUP BY task_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    return {"default": default, "prod": prod, "task": task}


def _chosen(timed: dict[str, Any], only: list[str], side: str) -> dict[str, Any]:
    """The commands or pages whose label, after ``side`` (``cli``, ``console``), holds one of
    ``only`` (every one when it is empty)."""
    return {k: v for k, v in timed.items() if not only or any(w in f"{side} {k}" for w in only)}


def cli_env(data: Path, url: str, workspace: str) -> dict[str, str]:
    """The environment a user's command line has against the server at ``url``: an empty
    config file in ``data``, the bench's admin keys, ``workspace``, a wide terminal."""
    config = data / "config.toml"
    config.write_text("")
    return {
        **os.environ,
        "JOBFERRY_CONFIG": str(config),
        "JOBFERRY_ENDPOINT": url,
        "JOBFERRY_PROJECT_ID": PROJECT,
        "JOBFERRY_AK": AK,
        "JOBFERRY_SK": SK,
        "JOBFERRY_WORKSPACE": workspace,
        "COLUMNS": "200",
    }


def cli(
    url: str, data: Path, facts: dict[str, str], repeat: int, only: list[str]
) -> dict[str, Any]:
    """Each command's best time, start-up included."""
    env = cli_env(data, url, "default")
    commands = {
        "--version (start-up)": ["--version"],
        "jobs list": ["jobs", "list"],
        "jobs list -w (production)": ["jobs", "list", "-w", facts["prod"]],
        "jobs list --name job_0001": ["jobs", "list", "--name", "job_0001"],
        "jobs show job_00042": ["jobs", "show", "job_00042"],
        "tasks list": ["tasks", "list"],
        "tasks show (import of every job)": ["tasks", "show", facts["task"], "-w", facts["prod"]],
        "audit": ["audit"],
        "audit --object job_00042": ["audit", "--object", "job_00042", "--since", "30d"],
        "routes history": ["routes", "history", ROUTE],
        "releases list": ["releases", "list"],
        "releases ledger": ["releases", "ledger"],
        "downloads list": ["downloads", "list"],
        "env list": ["env", "list"],
        "drift -w (production)": ["drift", "-w", facts["prod"]],
    }
    figures: dict[str, Any] = {}
    for label, args in _chosen(commands, only, "cli").items():

        def run(args: list[str] = args) -> int:
            done = subprocess.run(
                [sys.executable, "-m", "jobferry", *args], env=env, capture_output=True
            )
            if done.returncode not in (0, 4):
                raise SystemExit(f"jobferry {' '.join(args)}: {done.stderr[:2000]!r}")
            return len(done.stdout)

        figures[label] = _best(repeat, run)
        print(f"  cli {label}: {figures[label]}", file=sys.stderr)
    return figures


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds the process ``pid`` has used (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def offset_walk(url: str, workspace: str) -> tuple[int, str]:
    """Every job of ``workspace`` through ``list_jobs``, offset += rows received: how many,
    and the sha256 of every answer's bytes in order."""
    session = requests.Session()
    digest = hashlib.sha256()
    offset, total = 0, None
    while total is None or offset < total:
        query = f"limit=100&offset={offset}"
        path = f"/v1/{PROJECT}/jobs"
        headers = {"Host": url.removeprefix("http://"), "X-Project-Id": PROJECT}
        headers["workspace"] = workspace
        headers.update(sign_request("GET", path, query, headers, b"", AK, SK))
        answer = session.get(f"{url}{path}?{query}", headers=headers, timeout=300)
        answer.raise_for_status()
        digest.update(answer.content)
        page = answer.json()
        total = int(page["total"])
        if not page["jobs"]:
            break
        offset += len(page["jobs"])
    return offset, digest.hexdigest()


def walks(url: str, pid: int, facts: dict[str, str], only: list[str]) -> dict[str, Any]:
    """Each workspace's offset walk, once (a second walk of unchanged data is answered from
    the server's kept answers): seconds, the server's CPU seconds, the rows and the digest of
    the answers."""
    spaces = {"jobs (offset += rows)": facts["default"], "jobs -w (production)": facts["prod"]}
    figures: dict[str, Any] = {}
    for label, workspace in _chosen(spaces, only, "walk").items():
        cpu, started = cpu_seconds(pid), time.perf_counter()
        rows, digest = offset_walk(url, workspace)
        figures[label] = {
            "seconds": round(time.perf_counter() - started, 3),
            "server_cpu": round(cpu_seconds(pid) - cpu, 2),
            "rows": rows,
            "digest": digest,
        }
        print(f"  walk {label}: {figures[label]}", file=sys.stderr)
    return figures


def console(
    url: str, data: Path, facts: dict[str, str], repeat: int, only: list[str]
) -> dict[str, Any]:
    """Each page's best time, signed in as the bench admin."""
    _db, services = migrated(data, f"sqlite:///{data / 'jobferry.db'}")
    actor = services.accounts.actor_for(AK)
    token, _ = services.signin.start_session(actor)
    _db.dispose()
    session = requests.Session()
    session.cookies.set(SESSION_COOKIE, token)
    ws, prod = facts["default"], facts["prod"]
    pages = {
        "jobs": f"/w/{ws}/jobs",
        "jobs, a folder": f"/w/{ws}/jobs?folder=/etl/07",
        "jobs, a folder's last page": f"/w/{ws}/jobs?folder=/etl/07&page=999",
        "jobs, search by name": f"/w/{ws}/jobs?q=job_0001",
        "jobs, search by tag": f"/w/{ws}/jobs?tag=team_3",
        "a job": f"/w/{ws}/jobs/job_00042",
        "scripts": f"/w/{ws}/scripts",
        "scripts, search": f"/w/{ws}/scripts?q=script_0001",
        "resources": f"/w/{ws}/resources",
        "tasks": f"/w/{ws}/tasks",
        "task (import of every job)": f"/w/{prod}/tasks/{facts['task']}",
        "audit log": f"/w/{ws}/admin/audit",
        "route": f"/w/{ws}/routes/{ROUTE}",
        "release packages": f"/w/{ws}/releases/packages",
        "pending releases": f"/w/{ws}/releases/pending",
        "release ledger": f"/w/{ws}/release-ledger",
        "downloads": f"/w/{ws}/downloads",
        "drift (production)": f"/w/{prod}/drift",
    }
    figures: dict[str, Any] = {}
    for label, path in _chosen(pages, only, "console").items():

        def run(path: str = path) -> int:
            answer = session.get(f"{url}/console{path}", timeout=300, allow_redirects=False)
            if answer.status_code != 200:
                raise SystemExit(f"{path}: {answer.status_code} {answer.text[:500]}")
            return len(answer.content)

        figures[label] = _best(repeat, run)
        print(f"  console {label}: {figures[label]}", file=sys.stderr)
    return figures


def measure(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Every size: seeded (or kept), served, timed."""
    out: dict[str, Any] = {"cores": os.cpu_count(), "sizes": {}}
    for jobs in args.jobs:
        data = seeded(root, jobs, args.rounds)
        facts = _facts(data)
        upgrade = upgraded(data)
        load = os.getloadavg()[0]
        print(f"{jobs} jobs (load average {load:.1f}, upgrade {upgrade} s)", file=sys.stderr)
        with local_server(data, f"sqlite:///{data / 'jobferry.db'}", args.port) as (url, pid):
            out["sizes"][str(jobs)] = {
                "load": round(load, 1),
                "upgrade_seconds": upgrade,
                "walk": walks(url, pid, facts, args.only),
                "cli": cli(url, data, facts, args.repeat, args.only),
                "console": console(url, data, facts, args.repeat, args.only),
            }
    return out


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--jobs", type=lambda v: [int(x) for x in v.split(",")], default=[20_000, 100_000]
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="the server's port (0: a free one)")
    parser.add_argument("--data", type=Path, help="a folder keeping each size's workspace")
    parser.add_argument(
        "--only",
        type=lambda v: v.split(","),
        default=[],
        help="comma-separated words: only the commands and pages whose label holds one",
    )
    args = parser.parse_args()
    if args.data is not None:
        print(json.dumps(measure(args, args.data), indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(measure(args, Path(tmp)), indent=2))


if __name__ == "__main__":
    main()
