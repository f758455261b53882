"""``python -m bench.history``: a workspace on its hundredth (and thousandth) day — how long the
lists that grow with history take to answer, through the command line and the console.

The history is made through the services, as a team makes it: an enterprise workspace holding
the workload (``bench/workload.py``, ``--jobs`` jobs) and its production side, a ``qa``
workspace with the workload's connections and a route ``dev-qa`` from the first to the second.
Each of ``--rounds`` rounds changes five jobs and submits them (five pending items), packages
them, deploys that package into production, and promotes the route into ``qa`` (plan, apply,
the import run): one release package, one ledger entry, two imports and a plan a round, with
their audit entries and per-object lines.

Then each ``--scale`` factor F copies that history F - 1 times, each copy F days further back
(tasks with their lines and change records, audit entries, route promotions, release packages
with their items, ledger entries with their objects; SQLite only), so a factor of 10 stands
for ten times the rounds with the same shape. At each factor a real ``jobferry serve`` answers:

* the command line (one ``python -m jobferry`` process each, as a user types it; start-up
  included): ``tasks list``, ``tasks list -w qa --kind import``, ``audit``, ``audit --object``
  of a job, ``routes history``, ``releases list``, ``releases ledger``;
* the console (a signed-in session, one GET each): the tasks page, the audit log, the route's
  page, the release packages and the release ledger;

each the best of ``--repeat`` runs, with the size of what it printed or drew. Figures only:
no target fails the run. ``--again --data DIR`` times the lists again over the history an
earlier run with ``--data DIR`` left there (the same data, before and after a change).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench.releases import seed as seed_enterprise
from bench.remotes import migrated
from bench.remotes_cli import local_server
from bench.throughput import AK, PROJECT, SK
from bench.workload import job_doc
from jobferry.console.web import SESSION_COOKIE
from jobferry.domain.enums import TaskKind
from jobferry.domain.releases import StartupMode
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.releases.records import DeployRequest, PackageRequest
from jobferry.storage.releases import ItemFilter

CHANGED = 5
"""Jobs changed (and released, and promoted) a round."""

ROUTE = "dev-qa"
DAY_MS = 86_400_000


def _run_tasks(services: Services) -> None:
    """Run every queued import (a deploy's, a promotion's) in this process."""
    while (claimed := services.tasks.claim((TaskKind.IMPORT,), look_first=False)) is not None:
        services.imports.run(services.imports.resume(claimed))


def _qa(services: Services, admin: Scope) -> None:
    """The ``qa`` workspace with the workload's connections, and the route into it."""
    actor = admin.actor
    ws = services.accounts.create_workspace(actor, actor.project_id, "qa")
    qa = services.accounts.scope(actor, actor.project_id, ws)
    for c in range(20):
        config = {"type": "DWS", "config": {"host": f"10.1.0.{c}"}, "secrets": {"password": "pw"}}
        services.environment.put(qa, "connection", f"dws_conn_{c:02d}", config)
    route = {
        "source": {"workspace": admin.workspace.name},
        "target": {"workspace": "qa"},
        "selection": {"kind": "ALL"},
        "sameNamePolicy": "OVERWRITE",
    }
    services.routes.put(admin, ROUTE, route)


def _promote(services: Services, admin: Scope) -> None:
    planned = services.route_plans.plan(admin, ROUTE, {})
    if planned.plan is None:
        return
    services.route_plans.apply(admin, ROUTE, planned.plan.plan_id)
    _run_tasks(services)


def _round(services: Services, admin: Scope, developer: Scope, jobs: int, n: int) -> None:
    """Five jobs changed and submitted, packaged, deployed; the route promoted."""
    rng = random.Random(n)
    for i in rng.sample(range(jobs), CHANGED):
        doc = job_doc(i, rng)
        doc["description"] = f"round {n}"
        services.jobs.update(developer, str(doc["name"]), doc)
    _, items = services.releases.pending(developer, ItemFilter(), 100, 0)
    request = PackageRequest(
        str(developer.actor.user_id),
        f"release_{n:04d}",
        tuple(str(i.id) for i in items),
        (str(admin.actor.user_id),),
    )
    package = services.releases.create(developer, request, []).package_id
    services.releases.deploy(admin, DeployRequest((package,), StartupMode.LEAVE))
    _run_tasks(services)
    _promote(services, admin)


def make_history(services: Services, jobs: int, rounds: int) -> tuple[Scope, float]:
    """The workspace, the route and ``rounds`` rounds; the admin and the seconds a round."""
    admin, developer, _ = seed_enterprise(services, jobs)
    _qa(services, admin)
    _promote(services, admin)  # the first promotion carries every job
    started = time.perf_counter()
    for n in range(rounds):
        _round(services, admin, developer, jobs, n)
    return admin, (time.perf_counter() - started) / max(rounds, 1)


# Each copied row: its id made new (``{k}``: the copy's number), its times moved ``:shift``
# back, its references to copied rows made new the same way. Columns not named are copied.
NEW_TASK = "substr({c}, 1, 29) || printf('z%02d', :k)"
COPIES: dict[str, dict[str, str]] = {
    "system_tasks": {
        "id": NEW_TASK,
        "start_time": "{c} - :shift",
        "end_time": "{c} - :shift",
        "last_update": "{c} - :shift",
    },
    "task_subtasks": {"task_id": NEW_TASK},
    "import_changes": {"task_id": NEW_TASK},
    "audit_log": {"id": "NULL", "at": "{c} - :shift"},
    "route_promotions": {
        "id": NEW_TASK,
        "task_id": NEW_TASK,
        "snapshot_at": "{c} - :shift",
        "since": "{c} - :shift",
        "created_at": "{c} - :shift",
        "rolled_back_at": "{c} - :shift",
    },
    "release_packages": {
        "id": "{c} + :offset",
        "task_id": NEW_TASK,
        "apply_timestamp": "{c} - :shift",
        "deploy_timestamp": "{c} - :shift",
    },
    "release_items": {"id": "{c} + :offset", "package_id": "{c} + :offset"},
    "release_ledger": {
        "id": "{c} + :offset",
        "package_id": "{c} + :offset",
        "target_entry": "{c} + :offset",
        "task_id": NEW_TASK,
        "at": "{c} - :shift",
    },
    "release_ledger_objects": {"entry_id": "{c} + :offset"},
}


def _copy(db: sqlite3.Connection, copies: range) -> None:
    """The made history copied once for each number of ``copies``, copy k k × 30 days back
    (SQLite only)."""
    span = DAY_MS * 30
    offset = 1_000_000
    for table, changes in COPIES.items():
        columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
        if not columns:
            continue
        chosen = [c for c in columns if not (c == "id" and changes.get(c) == "NULL")]
        picked = ", ".join(changes.get(c, "{c}").format(c=c) for c in chosen)
        where = "id < :base" if "id" in changes and "offset" in changes["id"] else "1 = 1"
        if table == "release_ledger_objects":
            where = "entry_id < :base"
        if "task_id" in columns and NEW_TASK in changes.get("task_id", ""):
            where += " AND (task_id IS NULL OR task_id NOT GLOB '*z[0-9][0-9]')"
        if table in ("system_tasks", "route_promotions"):
            where += " AND id NOT GLOB '*z[0-9][0-9]'"
        if table == "audit_log":
            where = "at > :newest - :span"
        sql = (
            f"INSERT INTO {table} ({', '.join(chosen)}) SELECT {picked} FROM {table} WHERE {where}"
        )
        newest = db.execute("SELECT max(at) FROM audit_log").fetchone()[0]
        for k in copies:
            db.execute(
                sql,
                {
                    "k": k,
                    "shift": span * k,
                    "offset": offset * k,
                    "base": offset,
                    "newest": newest,
                    "span": span,
                },
            )
    db.commit()


def _counts(db: sqlite3.Connection) -> dict[str, int]:
    return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COPIES}


def _best(repeat: int, run: Any) -> tuple[float, int]:
    """The best seconds of ``repeat`` runs of ``run`` (which answers its output's size)."""
    best, size = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        size = run()
        best = min(best, time.perf_counter() - started)
    return round(best, 3), size


def _cli(url: str, data: Path, workspace: str, repeat: int) -> dict[str, Any]:
    env = {
        **os.environ,
        "JOBFERRY_CONFIG": str(data / "config.toml"),
        "JOBFERRY_ENDPOINT": url,
        "JOBFERRY_PROJECT_ID": PROJECT,
        "JOBFERRY_AK": AK,
        "JOBFERRY_SK": SK,
        "JOBFERRY_WORKSPACE": workspace,
        "COLUMNS": "200",
    }
    (data / "config.toml").write_text("")
    commands = {
        "tasks list": ["tasks", "list"],
        "tasks list -w qa --kind import": ["tasks", "list", "-w", "qa", "--kind", "import"],
        "audit": ["audit"],
        "audit --object job_00001": ["audit", "--object", "job_00001", "--since", "30d"],
        "routes history": ["routes", "history", ROUTE],
        "releases list": ["releases", "list"],
        "releases ledger": ["releases", "ledger"],
    }
    figures: dict[str, Any] = {}
    for label, args in commands.items():

        def run(args: list[str] = args) -> int:
            done = subprocess.run(
                [sys.executable, "-m", "jobferry", *args], env=env, capture_output=True
            )
            if done.returncode not in (0, 4):
                raise SystemExit(f"jobferry {' '.join(args)}: {done.stderr[:2000]!r}")
            return len(done.stdout)

        seconds, size = _best(repeat, run)
        figures[label] = {"seconds": seconds, "bytes": size}
    return figures


def _console(url: str, services: Services, admin: Scope, repeat: int) -> dict[str, Any]:
    token, _ = services.signin.start_session(admin.actor)
    session = requests.Session()
    session.cookies.set(SESSION_COOKIE, token)
    ws = admin.workspace.id
    pages = {
        "tasks": f"/w/{ws}/tasks",
        "audit log": f"/w/{ws}/admin/audit",
        "route": f"/w/{ws}/routes/{ROUTE}",
        "release packages": f"/w/{ws}/releases/packages",
        "release ledger": f"/w/{ws}/release-ledger",
    }
    figures: dict[str, Any] = {}
    for label, path in pages.items():

        def run(path: str = path) -> int:
            answer = session.get(f"{url}/console{path}", timeout=300, allow_redirects=False)
            if answer.status_code != 200:
                raise SystemExit(f"{path}: {answer.status_code} {answer.text[:500]}")
            return len(answer.content)

        seconds, size = _best(repeat, run)
        figures[label] = {"seconds": seconds, "bytes": size}
    return figures


def again(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Time the lists over a history an earlier run left in ``root`` (``--data``), as it is:
    the same data before and after a change of the code."""
    url = f"sqlite:///{root / 'jobferry.db'}"
    with sqlite3.connect(root / "jobferry.db") as raw:
        counts = _counts(raw)
    with local_server(root, url) as (server_url, _pid):
        db, services = migrated(root, url)
        actor = services.accounts.actor_for(AK)
        admin = services.accounts.scope(actor, actor.project_id, None)
        figures = {
            "rows": counts,
            "cli": _cli(server_url, root, admin.workspace.name, args.repeat),
            "console": _console(server_url, services, admin, args.repeat),
        }
        db.dispose()
    return figures


def measure(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """Make the history, then at each scale copy it and time the lists."""
    url = f"sqlite:///{root / 'jobferry.db'}"
    db, services = migrated(root, url)
    admin, per_round = make_history(services, args.jobs, args.rounds)
    db.dispose()
    out: dict[str, Any] = {
        "jobs": args.jobs,
        "rounds": args.rounds,
        "seconds_a_round": round(per_round, 2),
        "cores": os.cpu_count(),
        "scales": {},
    }
    copied = 1
    for factor in args.scale:
        with sqlite3.connect(root / "jobferry.db") as raw:
            _copy(raw, range(copied, factor))
            copied = max(copied, factor)
            counts = _counts(raw)
        with local_server(root, url) as (server_url, _pid):
            db, services = migrated(root, url)
            figures = {
                "rows": counts,
                "database_mb": round((root / "jobferry.db").stat().st_size / 2**20, 1),
                "cli": _cli(server_url, root, admin.workspace.name, args.repeat),
                "console": _console(server_url, services, admin, args.repeat),
            }
            db.dispose()
        out["scales"][str(factor)] = figures
        print(json.dumps({str(factor): figures}), file=sys.stderr)
    return out


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--scale", type=lambda v: [int(x) for x in v.split(",")], default=[1, 10, 100]
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, help="An empty folder to keep (the server's log)")
    parser.add_argument(
        "--again", action="store_true", help="Only time the lists over the history in --data"
    )
    args = parser.parse_args()
    if args.again:
        print(json.dumps(again(args, args.data), indent=2))
        return
    if args.data is not None:
        print(json.dumps(measure(args, args.data), indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(measure(args, Path(tmp)), indent=2))


if __name__ == "__main__":
    main()
