"""``python -m bench.longlists``: the hundredth day's long lists — the audit log and the task
list of a workspace used for a hundred days, from the user's seat, on SQLite and PostgreSQL.

A small real history is made through the services (``bench.history``'s: an enterprise
workspace of ``--jobs`` jobs and its production side, a route promoted, ``--rounds`` rounds of
changes released, deployed and promoted), then the enterprise workspace's own audit lines and
tasks are copied, as they are, until it holds ``--audit`` lines and ``--tasks`` tasks spread
over the last ``--days`` days (new ids, in the order of their times, as a server numbers
them). A real ``jobferry serve`` then answers, once each (none of these reads is kept in the
server's memory, so a first read is what is timed):

* the command line, one ``python -m jobferry`` process each as typed (start-up included,
  ``jobferry --version`` alone for scale): ``audit`` (its first page: the command reads no
  other), ``audit --limit 100``, ``tasks list`` (the first page), ``tasks list --page`` of the
  last page of 20 and of 100;
* the API's audit and task lists walked by offset as a script reads a whole list
  (``limit=100``, ``offset += rows received``, one call after another): seconds, the server's
  CPU seconds, how many calls and the slowest, and a digest of every answer's bytes (the same
  before and after a change that must not change them);
* the console (signed in, one GET each): the audit log's first and last page, the tasks
  page's first and last page.

``--data DIR`` keeps each database (the SQLite file in ``DIR/sqlite``, the PostgreSQL schema
``--schema``, marked seeded in ``DIR/postgresql``) and uses it again on a later run: the same
data before and after a change. ``--drop`` drops the PostgreSQL schema and ends. Figures only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests
import sqlalchemy as sa

from bench.bigspace import cli_env, cpu_seconds
from bench.databases import PG_URL
from bench.history import make_history
from bench.remotes import migrated
from bench.remotes_cli import local_server
from bench.throughput import AK, PROJECT, SK
from jobferry.console.web import SESSION_COOKIE
from jobferry.signing import sign_request
from jobferry.storage.bulk import insert_tuples
from jobferry.storage.tables import audit_log, system_tasks

DAY_MS = 86_400_000
BATCH = 10_000


def _url(backend: str, data: Path, schema: str, pg_url: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{data / 'jobferry.db'}"
    return f"{pg_url}?options={quote(f'-csearch_path={schema}')}"


def _engine_url(pg_url: str) -> str:
    return pg_url.replace("postgresql://", "postgresql+psycopg://", 1)


def _copies(templates: list[dict[str, Any]], count: int, days: int) -> Iterator[dict[str, Any]]:
    """``count`` copies of ``templates`` (taken in turn), oldest first, their times spread
    evenly over the ``days`` before the oldest template."""
    span = days * DAY_MS
    newest = min(int(t.get("at") or t.get("start_time") or 0) for t in templates)
    for n in range(count):
        back = span - span * n // count  # n = 0: ``days`` back; the last copy just before
        yield {**templates[n % len(templates)], "_back": back, "_at": newest - back}


def _grow(services: Any, workspace: str, audit: int, tasks: int, days: int) -> None:
    """The workspace's audit lines and tasks copied to ``audit`` and ``tasks`` of them."""
    db = services.db
    with db.transaction() as tx:
        lines = [
            dict(r._mapping)
            for r in tx.conn.execute(
                sa.select(audit_log).where(audit_log.c.workspace_id == workspace)
            )
        ]
        made = [
            dict(r._mapping)
            for r in tx.conn.execute(
                sa.select(system_tasks).where(system_tasks.c.workspace_id == workspace)
            )
        ]
    fields = [c.name for c in audit_log.c if c.name != "id"]
    rows: list[tuple[Any, ...]] = []
    for copy in _copies(lines, max(audit - len(lines), 0), days):
        copy["at"] = copy["_at"]
        rows.append(tuple(copy[f] for f in fields))
        if len(rows) == BATCH:
            with db.transaction() as tx:
                insert_tuples(tx, audit_log, fields, rows)
            rows = []
    with db.transaction() as tx:
        insert_tuples(tx, audit_log, fields, rows)
    task_fields = [c.name for c in system_tasks.c]
    rows = []
    for copy in _copies(made, max(tasks - len(made), 0), days):
        shift = copy["start_time"] - copy["_at"]
        copy["id"] = uuid.uuid4().hex
        for f in ("start_time", "end_time", "last_update", "lines_dropped_at"):
            if copy[f] is not None:
                copy[f] -= shift
        rows.append(tuple(copy[f] for f in task_fields))
    for start in range(0, len(rows), BATCH):
        with db.transaction() as tx:
            insert_tuples(tx, system_tasks, task_fields, rows[start : start + BATCH])


def seeded(args: argparse.Namespace, backend: str) -> tuple[Path, str, dict[str, Any]]:
    """The backend's folder, database url and facts (the workspace, its counts), seeded when
    not kept from an earlier run."""
    data = args.data / backend
    url = _url(backend, data, args.schema, args.pg_url)
    facts_file = data / "seeded"
    if facts_file.exists():
        return data, url, json.loads(facts_file.read_text())
    data.mkdir(parents=True, exist_ok=True)
    if backend == "postgresql":
        admin = sa.create_engine(_engine_url(args.pg_url))
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE')
            conn.exec_driver_sql(f'CREATE SCHEMA "{args.schema}"')
        admin.dispose()
    started = time.perf_counter()
    db, services = migrated(data, url)
    admin_scope, _ = make_history(services, args.jobs, args.rounds)
    workspace = admin_scope.workspace.id
    _grow(services, workspace, args.audit, args.tasks, args.days)
    with db.transaction() as tx:
        count = tx.conn.execute
        lines = count(sa.select(sa.func.count()).where(audit_log.c.workspace_id == workspace))
        made = count(sa.select(sa.func.count()).where(system_tasks.c.workspace_id == workspace))
        facts: dict[str, Any] = {
            "workspace": workspace,
            "audit": lines.scalar_one(),
            "tasks": made.scalar_one(),
        }
    if backend == "postgresql":
        with db.transaction() as tx:
            tx.conn.exec_driver_sql("ANALYZE")
    db.dispose()
    facts["seed_seconds"] = round(time.perf_counter() - started, 1)
    facts_file.write_text(json.dumps(facts))
    return data, url, facts


def cli(url: str, data: Path, facts: dict[str, Any]) -> dict[str, Any]:
    """Each command once, start-up included: seconds and bytes printed."""
    env = cli_env(data, url, facts["workspace"])
    last20, last100 = -(-facts["tasks"] // 20), -(-facts["tasks"] // 100)
    commands = {
        "--version (start-up)": ["--version"],
        "audit": ["audit"],
        "audit --limit 100": ["audit", "--limit", "100"],
        "tasks list": ["tasks", "list"],
        f"tasks list --page {last20} (the last)": ["tasks", "list", "--page", str(last20)],
        f"tasks list --limit 100 --page {last100} (the last)": [
            *("tasks", "list", "--limit", "100", "--page", str(last100))
        ],
    }
    figures: dict[str, Any] = {}
    for label, command in commands.items():
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "jobferry", *command], env=env, capture_output=True
        )
        if done.returncode != 0:
            raise SystemExit(f"jobferry {' '.join(command)}: {done.stderr[:2000]!r}")
        figures[label] = {
            "seconds": round(time.perf_counter() - started, 3),
            "bytes": len(done.stdout),
        }
        print(f"  cli {label}: {figures[label]}", file=sys.stderr)
    return figures


def offset_walk(url: str, workspace: str, path: str, items: str) -> dict[str, Any]:
    """Every entry of a list through the API, offset += rows received."""
    session = requests.Session()
    digest = hashlib.sha256()
    offset, total, calls, slowest = 0, None, 0, 0.0
    while total is None or offset < total:
        query = f"limit=100&offset={offset}"
        full = f"/v1/{PROJECT}/{path}"
        headers = {"Host": url.removeprefix("http://"), "X-Project-Id": PROJECT}
        headers["workspace"] = workspace
        headers.update(sign_request("GET", full, query, headers, b"", AK, SK))
        started = time.perf_counter()
        answer = session.get(f"{url}{full}?{query}", headers=headers, timeout=300)
        slowest = max(slowest, time.perf_counter() - started)
        answer.raise_for_status()
        calls += 1
        digest.update(answer.content)
        page = answer.json()
        total = int(page["total"])
        if not page[items]:
            break
        offset += len(page[items])
    return {
        "rows": offset,
        "calls": calls,
        "slowest": round(slowest, 3),
        "digest": digest.hexdigest(),
    }


def walks(url: str, pid: int, facts: dict[str, Any]) -> dict[str, Any]:
    """The audit log's and the task list's offset walks, once each."""
    figures: dict[str, Any] = {}
    for label, path, items in (("audit", "audit", "entries"), ("tasks", "system-tasks", "tasks")):
        cpu, started = cpu_seconds(pid), time.perf_counter()
        walked = offset_walk(url, facts["workspace"], path, items)
        figures[label] = {
            "seconds": round(time.perf_counter() - started, 3),
            "server_cpu": round(cpu_seconds(pid) - cpu, 2),
            **walked,
        }
        print(f"  walk {label}: {figures[label]}", file=sys.stderr)
    return figures


def console(url: str, data: Path, db_url: str, facts: dict[str, Any]) -> dict[str, Any]:
    """Each page once, signed in as the bench admin."""
    db, services = migrated(data, db_url)
    token, _ = services.signin.start_session(services.accounts.actor_for(AK))
    db.dispose()
    session = requests.Session()
    session.cookies.set(SESSION_COOKIE, token)
    ws = facts["workspace"]
    pages = {
        "audit log": f"/w/{ws}/admin/audit",
        "audit log, the last page": f"/w/{ws}/admin/audit?offset={facts['audit'] - 1}",
        "tasks": f"/w/{ws}/tasks",
        "tasks, the last page": f"/w/{ws}/tasks?offset={facts['tasks'] - 1}",
    }
    figures: dict[str, Any] = {}
    for label, path in pages.items():
        started = time.perf_counter()
        answer = session.get(f"{url}/console{path}", timeout=300, allow_redirects=False)
        if answer.status_code != 200:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:500]}")
        figures[label] = {
            "seconds": round(time.perf_counter() - started, 3),
            "bytes": len(answer.content),
        }
        print(f"  console {label}: {figures[label]}", file=sys.stderr)
    return figures


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every backend: seeded (or kept), served, timed."""
    out: dict[str, Any] = {"cores": os.cpu_count(), "backends": {}}
    for backend in args.db:
        data, url, facts = seeded(args, backend)
        load = os.getloadavg()[0]
        print(f"{backend} {facts} (load average {load:.1f})", file=sys.stderr)
        with local_server(data, url, args.port) as (server, pid):
            out["backends"][backend] = {
                "load": round(load, 1),
                "facts": facts,
                "cli": cli(server, data, facts),
                "console": console(server, data, url, facts),
                "walk": walks(server, pid, facts),
                "load_after": round(os.getloadavg()[0], 1),
            }
    return out


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--db", type=lambda v: v.split(","), default=["sqlite", "postgresql"])
    parser.add_argument("--audit", type=int, default=200_000)
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=0, help="the server's port (0: a free one)")
    parser.add_argument("--data", type=Path, required=True, help="a folder keeping each database")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--schema", default="bench_longlists", help="the PostgreSQL schema")
    parser.add_argument("--drop", action="store_true", help="drop the PostgreSQL schema, end")
    args = parser.parse_args()
    if args.drop:
        admin = sa.create_engine(_engine_url(args.pg_url))
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE')
        admin.dispose()
        (args.data / "postgresql" / "seeded").unlink(missing_ok=True)
        return
    print(json.dumps(measure(args), indent=2))


if __name__ == "__main__":
    main()
