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

import sqlalchemy as sa

from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.storage import Database


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_export(services: Services) -> dict[str, object]:
    """A workspace export through the service, as the background task runs it."""
    actor = services.accounts.actor_for("BENCHADMINAK00000001")
    scope = services.accounts.scope(actor, actor.project_id, None)
    start = time.perf_counter()
    prepared = services.exports.prepare(scope, {"mode": "workspace"})
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


def main() -> None:
    """Entry point of one measurement."""
    what, data_dir, url = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    settings = Settings(data_dir=data_dir, database_url=url)
    db = Database(settings.resolved_database_url())
    services = Services.build(settings, db)
    result = measure_export(services) if what == "export" else measure_floor(services)
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
