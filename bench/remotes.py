"""``python -m bench.remotes``: refresh of a remote of 5,000 jobs with 50 ms added to every
remote call, then an unchanged re-plan.

The remote is a second ``jobferry serve`` (embedded SQLite, or PostgreSQL with ``--db
postgresql``) whose default workspace is seeded straight through its database in a process of
its own (the workload of ``bench/workload.py``: N jobs × 5 nodes, one script per job, 200
resources, 20 connections). In front of it runs the contract filter the tests use
(``tests/support/gateway.py``), adding ``--latency`` seconds to every call. This process is
the local server: it adds the remote through the remotes service (its shadow workspace on a
database of its own) and measures, through the service a CLI or API call drives:

* **first refresh**: the empty shadow filled (every object created);
* **unchanged refresh**: nothing changed on the remote, nothing written;
* **unchanged re-plan**: a plan (dry run) of the shadow's own whole-workspace export against
  the shadow, every object UNCHANGED, made once the last refresh is older than
  ``JOBFERRY_REMOTE_REFRESH_SECONDS``: the plan's task refreshes the shadow first (an unchanged
  refresh), then plans;
* **push of N changes** (``--changes``, default 1,000): the shadow copied into a local
  workspace, N of its jobs changed there, exported as changed since, planned into the shadow
  (``plan_seconds``: an unchanged refresh, then the plan) and that plan imported
  (``sameNamePolicy OVERWRITE``, its ``planId``), as ``promote --apply`` does: the push
  re-reads them, writes N ``update_job`` calls (``JOBFERRY_REMOTE_PUSH_CALLS_IN_FLIGHT`` at a
  time) and commits the shadow; ``list_calls``: the list calls among its calls (its reads
  before and after the writes, by name or by page: ``--changes 30`` for a small push into a
  large remote).

For each: seconds, calls made to the remote, and this process's peak resident memory so far
(``VmHWM``: the seeding ran elsewhere). Targets (issue #38, 2 cores): refresh ≤ 30 s,
unchanged re-plan ≤ 10 s, a push of 1,000 changes ≤ 20 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.cpu import own_cpu_seconds, tree_cpu_seconds
from bench.databases import PG_URL, database
from bench.measure import peak_rss_mb
from bench.throughput import ADMIN_ENV, AK, PROJECT, SK, free_port, running, serve_env
from bench.workload import generate
from jobferry.api.presenters.plans import summary_document
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope
from jobferry.services.exporting.options import parse_background_export
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.remotes.records import Refresh, RemoteSpec
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.storage.schema import upgrade

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.gateway import Gateway, gateway_to  # type: ignore[import-not-found]


def migrated(data_dir: Path, url: str) -> tuple[Database, Services]:
    """Services on a freshly migrated database whose project has the bench admin."""
    settings = Settings(data_dir=data_dir, database_url=url)
    db = Database(settings.resolved_database_url())
    upgrade(db)
    services = Services.build(settings, db)
    services.accounts.bootstrap(PROJECT, AK, SK)
    return db, services


def seed(data_dir: Path, url: str, jobs: int) -> None:
    """The remote's database: the workload in its default workspace (prints that id)."""
    db, services = migrated(data_dir, url)
    actor = services.accounts.actor_for(AK)
    scope = services.accounts.scope(actor, actor.project_id, None)
    generate(services, scope, jobs)
    db.dispose()
    print(scope.workspace.id)


@dataclass(frozen=True)
class Calls:
    """What the remote received so far: its calls (through the filter) and the CPU-seconds
    of its server, beside this process's own (the local side, in process here)."""

    seen: Callable[[], int]
    server_pid: int
    lists: Callable[[], int] = lambda: 0
    """The list calls (``list_jobs``, ``list_scripts``, ``list_resources``) among them."""

    def cpu(self) -> tuple[float, float]:
        """(this process, the remote's server) CPU-seconds so far."""
        return own_cpu_seconds(), tree_cpu_seconds(self.server_pid)

    def cpu_since(self, before: tuple[float, float]) -> dict[str, float]:
        """The CPU-seconds each side spent since ``before`` (a ``cpu()``)."""
        now = self.cpu()
        return {"local": round(now[0] - before[0], 2), "remote": round(now[1] - before[1], 2)}


def _figures(started: float, done: Refresh | None, calls: int) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "seconds": round(time.perf_counter() - started, 2),
        "calls": calls,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    if done is not None:
        figures["counts"] = {
            kind: {action: n for action, n in by_action.items() if n}
            for kind, by_action in done.counts.items()
        }
    return figures


def _plan_unchanged(services: Services, scope: Scope) -> dict[str, Any]:
    """A dry-run plan of the shadow's own whole-workspace export against the shadow."""
    prepared = services.exports.prepare(scope, parse_background_export({"mode": "workspace"}))
    services.exports.run(prepared)
    exported = services.tasks.show(scope, prepared.task_id)
    path = f"download://{scope.workspace.id}/{exported.outcome['downloadId']}"
    body = {"path": path, "sameNamePolicy": "OVERWRITE", "dryRun": True}
    started = time.perf_counter()
    planning = services.imports.prepare(scope, parse_import_request(body))
    services.imports.run(planning)
    task = services.tasks.show(scope, planning.task_id, subtasks=0)
    assert task.status in ("SUCCESSFUL", "WARNING"), task.message
    return {
        "plan_seconds": round(time.perf_counter() - started, 2),
        "summary": summary_document(Plan.of_stored(task.outcome["plan"]).summary),
    }


def _export(services: Services, scope: Scope, body: dict[str, Any]) -> str:
    """A background export of ``scope`` (``body``), run here; its ``download://`` path."""
    prepared = services.exports.prepare(scope, parse_background_export(body))
    services.exports.run(prepared)
    exported = services.tasks.show(scope, prepared.task_id)
    assert exported.status in ("SUCCESSFUL", "WARNING"), exported.message
    return f"download://{scope.workspace.id}/{exported.outcome['downloadId']}"


def _import(services: Services, scope: Scope, body: dict[str, Any]) -> dict[str, Any]:
    """An import into ``scope``, run here; its task's outcome."""
    prepared = services.imports.prepare(scope, parse_import_request(body))
    services.imports.run(prepared)
    task = services.tasks.show(scope, prepared.task_id, subtasks=0)
    assert task.status in ("SUCCESSFUL", "WARNING"), task.message
    return dict(task.outcome)


def released(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The job's parameters with ``release`` set: an edit a push carries (``create_job`` and
    ``update_job`` send a job's parameters, never its description)."""
    kept = [p for p in job.get("params") or [] if p.get("name") != "release"]
    return [*kept, {"name": "release", "value": "changed for the bench", "type": "variable"}]


def _push(
    services: Services, actor: Actor, shadow: Scope, changes: int, remote: Calls
) -> dict[str, Any]:
    """``changes`` of the shadow's jobs changed in a local workspace (a copy of the shadow)
    and imported back into the shadow: the push's seconds, the remote calls it made, and the
    CPU-seconds of this process and of the remote's server."""
    names: list[str] = []
    while len(names) < changes:
        page = services.jobs.list_jobs(
            shadow, job_type=None, job_name=None, tags=None, limit=100, offset=len(names)
        )[1]
        if not page:
            break
        names += [job.name for job in page][: changes - len(names)]
    local = services.accounts.create_workspace(actor, actor.project_id, "bench_test")
    test = services.accounts.scope(actor, actor.project_id, local)
    for c in range(20):  # the workload's connections (bench/workload.py)
        config = {"host": f"10.0.0.{c}"}
        connection = {"type": "DWS", "config": config, "secrets": {"password": "pw"}}
        services.environment.put(test, "connection", f"dws_conn_{c:02d}", connection)
    whole = _export(services, shadow, {"mode": "workspace"})
    _import(services, test, {"path": whole, "sameNamePolicy": "OVERWRITE"})
    since = int(time.time() * 1000)
    time.sleep(0.01)
    for name in names:
        job = services.jobs.show(test, name)
        document = {**job.document, "params": released(job.document)}
        services.jobs.update(test, name, document)
    changed = _export(services, test, {"mode": "workspace", "changed": "since", "since": since})
    # As promote --apply does: the plan (the shadow refreshed first), then the import of that
    # plan (the push).
    body = {"path": changed, "sameNamePolicy": "OVERWRITE"}
    started, calls = time.perf_counter(), remote.seen()
    planned = Plan.of_stored(_import(services, shadow, {**body, "dryRun": True})["plan"])
    plan_seconds, plan_calls = round(time.perf_counter() - started, 2), remote.seen() - calls
    started, calls, cpu = time.perf_counter(), remote.seen(), remote.cpu()
    lists = remote.lists()
    outcome = _import(services, shadow, {**body, "planId": planned.plan_id})
    return {
        "plan_seconds": plan_seconds,
        "plan_calls": plan_calls,
        "seconds": round(time.perf_counter() - started, 2),
        "calls": remote.seen() - calls,
        "list_calls": remote.lists() - lists,
        "cpu_seconds": remote.cpu_since(cpu),
        "changes": len(names),
        "summary": outcome.get("plan", {}).get("summary"),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def measure(
    services: Services, actor: Actor, url: str, remote_ws: str, changes: int, remote: Calls
) -> dict[str, Any]:
    """The measurements against the remote behind ``url``."""
    remotes = services.remotes
    remotes.add(actor, RemoteSpec("prod", url, PROJECT, remote_ws, AK, SK))
    shadow = remotes.get(actor, "prod").workspace_id
    scope = services.accounts.scope(actor, actor.project_id, shadow)
    results: dict[str, Any] = {}
    for label in ("first_refresh", "unchanged_refresh"):
        started = time.perf_counter()
        done = remotes.refresh(actor, "prod")
        results[label] = _figures(started, done, done.calls)
    # A plan refreshes the shadow first (JOBFERRY_REMOTE_REFRESH_SECONDS, default 0).
    calls = remote.seen()
    started = time.perf_counter()
    plan = _plan_unchanged(services, scope)
    results["unchanged_replan"] = {**_figures(started, None, remote.seen() - calls), **plan}
    if changes:
        results["push"] = _push(services, actor, scope, changes, remote)
    return results


@contextmanager
def seeded_remote(args: argparse.Namespace, root: Path) -> Iterator[tuple[str, Gateway, int]]:
    """A remote of ``args.jobs`` jobs (a ``jobferry serve`` over ``args.db``, seeded in a
    process of its own) behind the contract filter adding ``args.latency`` to every call: the
    remote workspace's id, the filter and the remote server's process id."""
    (root / "remote").mkdir()
    with database(args.db, root / "remote", args.pg_url, "remote") as remote_url:
        seed_cmd = ["-m", "bench.remotes", "--seed", str(root / "remote"), remote_url]
        seeded = subprocess.run(
            [sys.executable, *seed_cmd, "--jobs", str(args.jobs)],
            check=True,
            capture_output=True,
            text=True,
        )
        remote_ws = seeded.stdout.strip().splitlines()[-1]
        port = free_port()
        env = serve_env(root / "remote", remote_url, port, **ADMIN_ENV)
        cmd = [sys.executable, "-m", "jobferry", "serve"]
        with (
            running(cmd, env, f"http://127.0.0.1:{port}/health") as server,
            gateway_to(f"http://127.0.0.1:{port}") as gate,
        ):
            gate.latency = args.latency
            yield remote_ws, gate, server.pid


def _lists(gate: Gateway) -> int:
    return sum(1 for call in gate.calls() if call.startswith("list_"))


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Seed the remote, serve it behind the filter, measure; the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "local").mkdir()
        with (
            seeded_remote(args, root) as (remote_ws, gate, remote_pid),
            database(args.db, root / "local", args.pg_url, "local") as local_url,
        ):
            db, services = migrated(root / "local", local_url)
            try:
                actor = services.accounts.actor_for(AK)
                calls = Calls(lambda: len(gate.seen), remote_pid, lambda: _lists(gate))
                results = measure(services, actor, gate.url, remote_ws, args.changes, calls)
            finally:
                db.dispose()
            results["refused_calls"] = len(gate.refused())
    return {"jobs": args.jobs, "latency_ms": round(args.latency * 1000), "db": args.db, **results}


def arguments(doc: str | None) -> argparse.ArgumentParser:
    """The options of a remotes bench (``doc``: its module docstring): the remote's size and
    latency, the changes pushed, the database."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0] if doc else None)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per remote call")
    parser.add_argument("--changes", type=int, default=1000, help="jobs changed and pushed")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    return parser


def main() -> None:
    """Entry point."""
    parser = arguments(__doc__)
    parser.add_argument("--seed", nargs=2, metavar=("DATA_DIR", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        seed(Path(args.seed[0]), args.seed[1], args.jobs)
        return
    print(json.dumps(run(args), indent=2))


if __name__ == "__main__":
    main()
