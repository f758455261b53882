"""One measurement in a fresh process, so peak RSS belongs to that measurement alone.

``python -m bench.measure export|floor DATA_DIR DATABASE_URL`` prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import orjson
import sqlalchemy as sa

from jobferry.services.collector import collector_paused
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import parse_background_export
from jobferry.services.importing.request import parse_import_request
from jobferry.settings import Settings
from jobferry.storage import Database, tables


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_export(services: Services) -> dict[str, object]:
    """A workspace export through the service, as the background task runs it."""
    actor = services.accounts.actor_for("BENCHADMINAK00000001")
    scope = services.accounts.scope(actor, actor.project_id, None)
    start = time.perf_counter()
    prepared = services.exports.prepare(scope, parse_background_export({"mode": "workspace"}))
    services.exports.run(prepared)
    elapsed = time.perf_counter() - start
    task = services.tasks.show(scope, prepared.task_id)
    assert task["status"] == "SUCCESSFUL", task
    return {"seconds": elapsed, "bytes": task["result"]["size"], "jobs": task["result"]["jobs"]}


def measure_floor(services: Services) -> dict[str, object]:
    """Read the same rows and write the same bytes into a zip, with no other work."""
    engine = services.db.engine
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "floor.zip"
        with engine.connect() as conn, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            for table, ext in (("jobs", "job"), ("scripts", "script"), ("resources", "resource")):
                rows = conn.execute(sa.text(f"select name, document from {table}"))
                for name, document in rows:
                    zf.writestr(f"{table}/{name}.{ext}", document.encode(), compresslevel=6)
        size = target.stat().st_size
    return {"seconds": time.perf_counter() - start, "bytes": size}


def _scope(services: Services, workspace: str | None) -> Scope:
    actor = services.accounts.actor_for("BENCHADMINAK00000001")
    return services.accounts.scope(actor, actor.project_id, workspace)


def measure_import(services: Services, workspace: str, path: str) -> dict[str, object]:
    """An import of the uploaded workspace package, as the import task runs it."""
    scope = _scope(services, workspace)
    start = time.perf_counter()
    prepared = services.imports.prepare(
        scope, parse_import_request({"path": path, "sameNamePolicy": "OVERWRITE"})
    )
    services.imports.run(prepared)
    elapsed = time.perf_counter() - start
    task = services.tasks.show(scope, prepared.task_id)
    assert task["status"] == "SUCCESSFUL", task["message"]
    return {"seconds": elapsed, "summary": task["result"]["summary"]}


def measure_import_floor(services: Services, workspace: str, package: Path) -> dict[str, object]:
    """Unzip + parse + one bulk insert of the same rows, with no other work."""
    start = time.perf_counter()
    rows: dict[str, list[dict[str, object]]] = {"job": [], "script": [], "resource": []}
    with zipfile.ZipFile(package) as zf:
        for info in zf.infolist():
            kind = info.filename.rsplit(".", 1)[-1]
            if kind not in rows:
                continue
            doc = orjson.loads(zf.read(info))
            rows[kind].append({"name": doc["name"], "document": orjson.dumps(doc).decode()})
    now = int(time.time() * 1000)
    with services.db.engine.begin() as conn:
        common = {
            "workspace_id": workspace,
            "directory": "/",
            "created_at": now,
            "created_by": "bench",
            "updated_at": now,
            "updated_by": "bench",
        }
        conn.execute(
            sa.insert(tables.jobs),
            [{**common, **r, "process_type": "BATCH", "status": "STOPPED"} for r in rows["job"]],
        )
        conn.execute(
            sa.insert(tables.scripts),
            [
                {**common, **r, "id": f"{workspace}-s{i}", "type": "DWSSQL"}
                for i, r in enumerate(rows["script"])
            ],
        )
        conn.execute(
            sa.insert(tables.resources),
            [
                {**common, **r, "id": f"{workspace}-r{i}", "type": "jar"}
                for i, r in enumerate(rows["resource"])
            ],
        )
    return {"seconds": time.perf_counter() - start, "jobs": len(rows["job"])}


def main() -> None:
    """Entry point of one measurement."""
    what, data_dir, url = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    settings = Settings(data_dir=data_dir, database_url=url)
    db = Database(settings.resolved_database_url())
    services = Services.build(settings, db)
    if what == "export":
        result = measure_export(services)
    elif what == "import":
        result = measure_import(services, sys.argv[4], sys.argv[5])
    else:
        # The floors run under the same collector pause the export and import tasks take, so a
        # ratio compares work done, not garbage-collector settings.
        with collector_paused():
            if what == "floor":
                result = measure_floor(services)
            else:
                result = measure_import_floor(services, sys.argv[4], Path(sys.argv[5]))
    # A server goes on after a task; this process stops, so it first finishes the background
    # WAL checkpoint (SQLite) the measured work left, and says how long that took.
    start = time.perf_counter()
    db.dispose()
    result["close_seconds"] = round(time.perf_counter() - start, 3)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
