"""``python -m bench.apply_cli``: ``jobferry apply -f DIR`` of a folder the workspace already
matches, as CI runs it on every commit, and ``jobferry pull``, through the command line.

One ``jobferry serve`` (embedded SQLite, or PostgreSQL with ``--db postgresql``) holds the
workload in its default workspace (N jobs × 5 nodes, one script per job, 200 resources, 20
connections; ``bench/workload.py``). The workspace is pulled into a folder once (not timed);
then, timing one ``python -m jobferry`` process each (process start, signing, the calls and
printing included), ``--runs`` times each:

* **unchanged**: ``jobferry apply -f DIR --yes`` of the pulled folder: every object
  ``UNCHANGED``, nothing imported;
* **changed**: the same after ``--changes`` job files were given a new description (each run
  a description of its own, so each run changes them again): those are imported;
* **pull**: ``jobferry pull DIR`` into the folder as the last apply left it (every file
  already holding its bytes);
* **first** (``--first`` runs, after the unchanged ones): ``jobferry apply -f DIR --yes -w WS``
  of the pulled folder into a new empty workspace that has the workload's connections (made
  before, not timed): every object ``CREATE``, a first import of the whole workload, its plan
  prepared in the helper process.

The phases, where they can be told apart: the client's read and check of the folder and its
packing (:func:`jobferry.cli.apply.load_folder` and :func:`jobferry.package.folder.pack`,
timed in this process on the same folder), and the server's side from its access log (one line
a request, with its milliseconds): the upload (``POST /packages``), the plan (``POST
/jobs/import/plan``, and the planning task's seconds when it runs as one), the import (``POST
/jobs/import`` and its task). ``other`` is the command's seconds less the server's requests:
process start, reading and packing, signing, printing. ``server_cpu``: the CPU seconds the
server used during the command, its helper processes included (:func:`server_cpu`), which the
machine's other work does not change as much as it changes the seconds.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.databases import PG_URL, database
from bench.promote_cli import _seed, _workspace
from bench.remotes_cli import Cli, local_server
from jobferry.cli.apply import load_folder
from jobferry.package.folder import pack

ACCESS = re.compile(r"\] INFO:?\s+(\w+) (\S+) (\d+) ([\d.]+)ms request_id")
"""One line of the server's access log: method, path, status, milliseconds."""


def _stat(pid: int | str) -> list[str]:
    """The fields of ``/proc/PID/stat`` after the process's name (state first)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def server_cpu(pid: int) -> float:
    """CPU seconds the server process has used, with its children's (the forkserver, and the
    helper processes it forked and has reaped: a plan's helper ends with its read). A
    command's share of the machine on two shared cores, whatever else ran beside it."""
    own = _stat(pid)
    ticks = int(own[11]) + int(own[12])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = _stat(proc.name)
        except OSError:  # gone meanwhile
            continue
        if fields[1] == str(pid):
            ticks += sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _requests(log: Path, since: int) -> list[tuple[str, str, float]]:
    """The requests the server logged after byte ``since`` of its log: method, path, seconds."""
    with log.open("rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    found = []
    for line in text.splitlines():
        match = ACCESS.search(line)
        if match:
            found.append((match[1], match[2], float(match[4]) / 1000))
    return found


PHASES = (
    ("POST", "/packages", "upload"),
    ("POST", "/jobs/import/plan", "plan"),
    ("POST", "/jobs/import", "import"),
    ("POST", "/exports", "export"),
    ("GET", "/content", "download"),
)
"""A request's phase by its method and how its path ends; a task's reads (``GET
/system-tasks/…``, waiting for it) count in the phase of the request that started it."""


def _phases(requests: list[tuple[str, str, float]], seconds: float) -> dict[str, Any]:
    """The server's seconds by phase, and what is left of the command's."""
    phases: dict[str, float] = {}
    current = "reads"
    for method, path, took in requests:
        named = [p for m, end, p in PHASES if m == method and path.endswith(end)]
        if named:
            current = named[0]
        phase = named[0] if named else current if "/system-tasks/" in path else "reads"
        phases[phase] = phases.get(phase, 0.0) + took
    server = sum(phases.values())
    rounded = {k: round(v, 2) for k, v in phases.items()}
    return {"seconds": seconds, **rounded, "other": round(seconds - server, 2)}


def _client_side(folder: Path) -> dict[str, float]:
    """The client's read and check of the folder, and its packing, timed here."""
    started = time.perf_counter()
    objects = load_folder(folder)
    read = time.perf_counter() - started
    started = time.perf_counter()
    pack(objects, io.BytesIO(), whole=False)
    packed = time.perf_counter() - started
    return {"read_check": round(read, 2), "pack": round(packed, 2)}


def _describe(folder: Path, changes: int, run: int) -> None:
    """``changes`` job files given a new description, as a person editing them would."""
    for path in sorted((folder / "jobs").glob("*.json"))[:changes]:
        document = json.loads(path.read_text())
        document["description"] = f"changed in commit {run}"
        path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def _timed(cli: Cli, log: Path, pid: int, *args: str) -> dict[str, Any]:
    since, cpu = log.stat().st_size, server_cpu(pid)
    seconds, said = cli(*args)
    time.sleep(0.2)  # the last access line flushed
    phases = _phases(_requests(log, since), seconds)
    phases["server_cpu"] = round(server_cpu(pid) - cpu, 2)
    task = said.get("task") if isinstance(said, dict) else None
    if isinstance(task, dict):
        phases["task"] = (int(task.get("endTime") or 0) - int(task.get("startTime") or 0)) / 1000
    return phases


def measure(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Each command ``--runs`` times, with its phases."""
    folder = root / "defs"
    with database(args.db, root, args.pg_url, "apply") as url:
        _seed(root, url, args.jobs)
        with local_server(root, url, log_level="info") as (server, pid):
            cli = Cli(server, root)
            log = root / "serve.log"
            cli("pull", str(folder))
            apply = ("apply", "-f", str(folder), "--yes")
            unchanged = [_timed(cli, log, pid, *apply) for _ in range(args.runs)]
            first = []
            for run in range(args.first):
                _workspace(cli, url, root, f"first{run}")
                first.append(_timed(cli, log, pid, *apply, "-w", f"first{run}"))
            client = _client_side(folder)
            changed = []
            for run in range(args.runs):
                _describe(folder, args.changes, run)
                changed.append(_timed(cli, log, pid, *apply))
            pulled = [_timed(cli, log, pid, "pull", str(folder)) for _ in range(args.runs)]
    return {
        "jobs": args.jobs,
        "changes": args.changes,
        "db": args.db,
        "client": client,
        "unchanged": unchanged,
        "first": first,
        "changed": changed,
        "pull": pulled,
    }


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--first", type=int, default=1, help="first applies into new workspaces")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--keep", help="an empty folder to work in, kept (data, folder, log)")
    args = parser.parse_args()
    if args.keep:
        print(json.dumps(measure(args, Path(args.keep)), indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(measure(args, Path(tmp)), indent=2))


if __name__ == "__main__":
    main()
