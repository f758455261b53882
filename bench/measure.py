"""One measurement in a fresh process, so peak RSS belongs to that measurement alone.

``python -m bench.measure WHAT DATA_DIR DATABASE_URL [ARGS…]`` prints one JSON line. WHAT is
``export``, ``floor``, ``import WS PATH``, ``plan WS PATH``, ``rollback WS TASK`` or
``import-floor WS PACKAGE``.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import orjson
import sqlalchemy as sa

from jobferry.api.presenters.plans import summary_document
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import parse_background_export
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.support.collector import collector_paused
from jobferry.settings import Settings
from jobferry.storage import Database, tables

AK = "BENCHADMINAK00000001"


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB.

    Linux's ``ru_maxrss`` is no good here: a process started by another starts from its
    parent's peak (the kernel carries it over fork and exec), so every measurement reported the
    bench driver's own peak, which had generated the workspace. ``VmHWM`` belongs to this
    process's memory alone."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakMemory:
    """The peak resident memory of this process and of the processes it starts (an import's
    helper process), summed, sampled every 20 ms by ``bench/peak.py`` from a process of its
    own: ``VmHWM`` covers this process alone, and a server's memory is both."""

    def __init__(self) -> None:
        self._sampler = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("peak.py")), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def stop(self) -> float:
        """Stop sampling; the peak in MiB."""
        out, _ = self._sampler.communicate("")
        return int(out.strip() or 0) / 1024


def _scope(services: Services, workspace: str | None) -> Scope:
    actor = services.accounts.actor_for(AK)
    return services.accounts.scope(actor, actor.project_id, workspace)


def measure_export(services: Services) -> dict[str, object]:
    """A workspace export through the service, as the background task runs it."""
    scope = _scope(services, None)
    start = time.perf_counter()
    prepared = services.exports.prepare(scope, parse_background_export({"mode": "workspace"}))
    services.exports.run(prepared)
    elapsed = time.perf_counter() - start
    task = services.tasks.show(scope, prepared.task_id)
    assert task.status == "SUCCESSFUL", task
    return {"seconds": elapsed, "bytes": task.outcome["size"], "jobs": task.outcome["jobs"]}


def measure_floor(services: Services) -> dict[str, object]:
    """Read the same rows and write the same bytes into a zip, with no other work."""
    engine = services.db.engine
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "floor.zip"
        with engine.connect() as conn, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for table, ext in (("jobs", "job"), ("scripts", "script"), ("resources", "resource")):
                rows = conn.execution_options(stream_results=True).execute(
                    sa.text(f"select name, document from {table}")
                )
                for name, document in rows:
                    zf.writestr(f"{table}/{name}.{ext}", document.encode(), compresslevel=6)
        size = target.stat().st_size
    return {"seconds": time.perf_counter() - start, "bytes": size}


def measure_import(
    services: Services, workspace: str, path: str, dry_run: bool = False
) -> dict[str, object]:
    """An import (or its plan) of an uploaded package, as the import task runs it."""
    scope = _scope(services, workspace)
    body = {"path": path, "sameNamePolicy": "OVERWRITE", "dryRun": dry_run}
    start = time.perf_counter()
    prepared = services.imports.prepare(scope, parse_import_request(body))
    services.imports.run(prepared)
    elapsed = time.perf_counter() - start
    task = services.tasks.show(scope, prepared.task_id, subtasks=0)
    assert task.status in ("SUCCESSFUL", "WARNING"), task.message
    if dry_run:  # the dry run's task keeps its plan in the stored form
        summary = summary_document(Plan.of_stored(task.outcome["plan"]).summary)
    else:
        summary = task.outcome["summary"]
    return {"seconds": elapsed, "summary": summary, "taskId": prepared.task_id}


def measure_rollback(services: Services, workspace: str, task_id: str) -> dict[str, object]:
    """A rollback of an import task."""
    scope = _scope(services, workspace)
    start = time.perf_counter()
    answer = services.rollback.rollback(scope, task_id)
    return {"seconds": time.perf_counter() - start, "objects": answer.count}


def measure_import_floor(services: Services, workspace: str, package: Path) -> dict[str, object]:
    """Unzip + parse + bulk insert of the same rows, with no other work (in batches, so
    the floor's own memory stays flat at any size)."""
    start = time.perf_counter()
    now = int(time.time() * 1000)
    common = {
        "workspace_id": workspace,
        "directory": "/",
        "created_at": now,
        "created_by": "bench",
        "updated_at": now,
        "updated_by": "bench",
    }
    extra: dict[str, dict[str, object]] = {
        "job": {"process_type": "BATCH", "status": "STOPPED"},
        "script": {"type": "DWSSQL"},
        "resource": {"type": "jar"},
    }
    table = {"job": tables.jobs, "script": tables.scripts, "resource": tables.resources}
    count = 0
    with zipfile.ZipFile(package) as zf, services.db.engine.begin() as conn:
        rows: dict[str, list[dict[str, object]]] = {"job": [], "script": [], "resource": []}
        for info in zf.infolist():
            kind = info.filename.rsplit(".", 1)[-1]
            if kind not in rows:
                continue
            doc = orjson.loads(zf.read(info))
            row: dict[str, object] = {**common, **extra.get(kind, {}), "name": doc["name"]}
            row["document"] = orjson.dumps(doc).decode()
            if kind != "job":
                row["id"] = f"{workspace}-{kind[0]}{count}"
            else:
                row["uid"] = f"{workspace[:20]}{count:012d}"
            rows[kind].append(row)
            count += 1
            if len(rows[kind]) == 1000:
                conn.execute(sa.insert(table[kind]), rows[kind])
                rows[kind] = []
        for kind, left in rows.items():
            if left:
                conn.execute(sa.insert(table[kind]), left)
    return {"seconds": time.perf_counter() - start, "objects": count}


def main() -> None:
    """Entry point of one measurement."""
    what, data_dir, url, *args = sys.argv[1:]
    memory = PeakMemory()
    settings = Settings(data_dir=Path(data_dir), database_url=url)
    db = Database(settings.resolved_database_url())
    services = Services.build(settings, db)
    result: dict[str, object]
    if what == "export":
        result = measure_export(services)
    elif what in ("import", "plan"):
        result = measure_import(services, args[0], args[1], dry_run=what == "plan")
    elif what == "rollback":
        result = measure_rollback(services, args[0], args[1])
    else:
        # The floors run under the same collector pause the export and import tasks take, so a
        # ratio compares work done, not garbage-collector settings.
        with collector_paused():
            if what == "floor":
                result = measure_floor(services)
            else:
                result = measure_import_floor(services, args[0], Path(args[1]))
    # A server goes on after a task; this process stops, so it first finishes the background
    # WAL checkpoint (SQLite) the measured work left, and says how long that took.
    start = time.perf_counter()
    db.dispose()
    result["close_seconds"] = round(time.perf_counter() - start, 3)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    result["peak_rss_with_helper_mb"] = round(max(memory.stop(), peak_rss_mb()), 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
