"""``python -m bench [--jobs N] [--db sqlite|postgresql]``: generate a workspace, then measure a
workspace export against its floor, each in a fresh process. Prints a table."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from bench.sdk_sample import sdk_cost
from bench.workload import generate
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import parse_background_export
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.storage.schema import upgrade

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def prepare_imports(
    services: Services, scope: Scope, data_dir: Path, count: int
) -> tuple[Path, list[tuple[str, str]]]:
    """Export the workspace once; make ``count`` empty target workspaces with the package."""
    prepared = services.exports.prepare(scope, parse_background_export({"mode": "workspace"}))
    services.exports.run(prepared)
    result = services.tasks.show(scope, prepared.task_id)["result"]
    package = data_dir / "workspace.zip"
    services.downloads.fetch(scope, result["downloadId"], package)
    targets = []
    for k in range(count):
        ws = services.accounts.create_workspace(scope.actor, scope.actor.project_id, f"target_{k}")
        target = services.accounts.scope(scope.actor, scope.actor.project_id, ws)
        for c in range(20):
            services.environment.put(
                target,
                "connection",
                f"dws_conn_{c:02d}",
                {"type": "DWS", "config": {}, "secrets": {"password": "prod-pw"}},
            )
        with package.open("rb") as fh:
            path = services.imports.upload(target, fh, "workspace.zip")["path"]
        targets.append((ws, path))
    return package, targets


def run_measure(what: str, data_dir: Path, url: str, *extra: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.measure", what, str(data_dir), url, *extra],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _seconds(runs: list[dict[str, Any]]) -> str:
    return ", ".join(f"{r['seconds']:.2f}" for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000, help="jobs in the workspace")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server for --db postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="measurements (best is reported)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="jobferry-bench-") as tmp:
        data_dir = Path(tmp)
        schema = None
        admin = None
        if args.db == "sqlite":
            url = f"sqlite:///{data_dir / 'bench.db'}"
        else:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(args.pg_url.replace("postgresql://", "postgresql+psycopg://"))
            with admin.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            url = f"{args.pg_url}?options={quote(f'-csearch_path={schema}')}"
        try:
            settings = Settings(data_dir=data_dir, database_url=url)
            db = Database(settings.resolved_database_url())
            upgrade(db)
            services = Services.build(settings, db)
            services.accounts.bootstrap("bench", "BENCHADMINAK00000001", "bench-secret")
            actor = services.accounts.actor_for("BENCHADMINAK00000001")
            scope = services.accounts.scope(actor, actor.project_id, None)
            started = time.perf_counter()
            generate(services, scope, args.jobs)
            print(
                f"generated {args.jobs} jobs on {args.db} in {time.perf_counter() - started:.1f} s"
            )
            package, targets = prepare_imports(services, scope, data_dir, args.repeat * 2 + 1)
            db.dispose()
            exports = [run_measure("export", data_dir, url) for _ in range(args.repeat)]
            floors = [run_measure("floor", data_dir, url) for _ in range(args.repeat)]
            imports, reimports, import_floors = [], [], []
            for k in range(args.repeat):
                ws, path = targets[k]
                imports.append(run_measure("import", data_dir, url, ws, path))
                reimports.append(run_measure("import", data_dir, url, ws, path))
                floor_ws = targets[args.repeat + k][0]
                import_floors.append(
                    run_measure("import-floor", data_dir, url, floor_ws, str(package))
                )
            sdk = sdk_cost(data_dir, url, package, min(500, args.jobs))
        finally:
            if admin is not None:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    best = min(exports, key=lambda r: r["seconds"])
    floor = min(floors, key=lambda r: r["seconds"])
    ratio = best["seconds"] / floor["seconds"]
    print(f"workspace export of {args.jobs} jobs on {args.db} (best of {args.repeat})")
    print(
        f"  export : {best['seconds']:.2f} s, {best['bytes'] / 1e6:.1f} MB, "
        f"peak RSS {max(r['peak_rss_mb'] for r in exports):.0f} MB"
    )
    print(
        f"  floor  : {floor['seconds']:.2f} s, {floor['bytes'] / 1e6:.1f} MB, "
        f"peak RSS {max(r['peak_rss_mb'] for r in floors):.0f} MB"
    )
    print(f"  ratio  : {ratio:.2f}x the floor")
    imp = min(imports, key=lambda r: r["seconds"])
    again = min(reimports, key=lambda r: r["seconds"])
    ifloor = min(import_floors, key=lambda r: r["seconds"])
    print(f"import of the {args.jobs}-job workspace package on {args.db} (best of {args.repeat})")
    print(
        f"  import   : {imp['seconds']:.2f} s into an empty workspace, "
        f"peak RSS {max(r['peak_rss_mb'] for r in imports):.0f} MB "
        f"(runs: {_seconds(imports)})"
    )
    print(
        f"  then     : {imp['close_seconds']:.2f} s finishing the background WAL checkpoint "
        "(SQLite; not part of the import, which had reported success)"
    )
    print(f"  re-import: {again['seconds']:.2f} s, all unchanged: {again['summary']}")
    print(
        f"  floor    : {ifloor['seconds']:.2f} s (unzip + parse + one bulk insert; runs: "
        f"{_seconds(import_floors)}); "
        f"ratio {imp['seconds'] / ifloor['seconds']:.2f}x"
    )
    print(
        f"  SDK calls: create_job {sdk.job * 1000:.1f} ms, create_script {sdk.script * 1000:.1f} "
        f"ms, create_resource {sdk.resource * 1000:.1f} ms (means over the first "
        f"{min(500, args.jobs)} jobs and what they use)"
    )
    whole = sdk.package()
    print(
        f"  SDK, one call per object of the package ({sdk.jobs} jobs, {sdk.scripts} scripts, "
        f"{sdk.resources} resources): {whole:.0f} s; import is {whole / imp['seconds']:.0f}x "
        "faster (the target: the same content)"
    )
    alone = sdk.jobs_only()
    print(
        f"  SDK, create_job alone per job: {alone:.0f} s; import is "
        f"{alone / imp['seconds']:.0f}x faster (jobs without the scripts and resources they use)"
    )


if __name__ == "__main__":
    main()
