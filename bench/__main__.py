"""``python -m bench [--jobs 10000,100000] [--db sqlite|postgresql]``: for each size, generate a
workspace, then measure a workspace export, an import (into an empty workspace, again with
everything unchanged, and over everything changed), a plan and a rollback, each in a fresh
process, against floors measured in the same run. Prints a table per size, then how each
figure grew from the smallest size to the largest (linear growth is the size ratio)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from bench.databases import PG_URL, database
from bench.sdk_sample import sdk_cost
from bench.workload import generate
from jobferry.package.layout import kind_of
from jobferry.package.manifest import ManifestHeader, parse_requirements
from jobferry.package.model import PackageObject
from jobferry.package.reader import PackageReader
from jobferry.package.reading import object_of
from jobferry.package.writer import NewEntry, PackageWriter
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting.options import parse_background_export
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.storage.schema import upgrade

AK, SK = "BENCHADMINAK00000001", "bench-secret"
Figures = dict[str, Any]


def run_measure(what: str, data_dir: Path, url: str, *extra: str) -> Figures:
    out = subprocess.run(
        [sys.executable, "-m", "bench.measure", what, str(data_dir), url, *extra],
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise SystemExit(f"bench.measure {what} failed:\n{out.stderr}")
    result: Figures = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def changed_package(source: Path, target: Path) -> None:
    """The package again with every job and script changed (one more parameter, one more
    SQL line): importing it over the original overwrites everything."""
    with PackageReader(source) as reader, target.open("wb") as out:
        manifest = reader.manifest or {}
        header = ManifestHeader(
            producer_version=manifest["producer"]["version"],
            project_id=manifest["source"]["projectId"],
            workspace_id=manifest["source"]["workspaceId"],
            workspace_name=manifest["source"]["workspace"],
            created_at_ms=1,
            options=manifest["options"],
            requires=parse_requirements(manifest),
        )
        writer = PackageWriter(out, header, threads=2)
        batch: list[NewEntry] = []
        for obj in _in_path_order(source):  # the writer takes its entries in path order
            doc = obj.document
            if obj.kind == "job":
                doc["params"].append({"name": "round", "value": "2", "type": "variable"})
            elif obj.kind == "script":
                doc["content"] += "-- round 2\n"
            batch.append(NewEntry(obj.path, obj.kind, obj.name, obj.name, orjson.dumps(doc)))
            if len(batch) == 500:
                writer.add_many(batch)
                batch = []
        writer.add_many(batch)
        writer.close()


def _in_path_order(source: Path) -> Iterator[PackageObject]:
    """The package's objects in the order of their paths (a read hands them out kind by kind)."""
    with zipfile.ZipFile(source) as zf:
        for name in sorted(zf.namelist()):
            kind = kind_of(name)
            if kind is not None:
                yield object_of(name, kind, orjson.loads(zf.read(name)))


def prepare(services: Services, data_dir: Path, targets: int) -> tuple[Path, Path, list[Any]]:
    """Export the workspace once, write its changed twin, and make empty target workspaces
    (with the connections the jobs use) holding both packages as uploads."""
    actor = services.accounts.actor_for(AK)
    scope = services.accounts.scope(actor, actor.project_id, None)
    prepared = services.exports.prepare(scope, parse_background_export({"mode": "workspace"}))
    services.exports.run(prepared)
    result = services.tasks.show(scope, prepared.task_id).outcome
    package, changed = data_dir / "workspace.zip", data_dir / "changed.zip"
    _item, chunks = services.downloads.open(scope, result["downloadId"])
    with package.open("wb") as out:
        out.writelines(chunks)
    changed_package(package, changed)
    made = []
    for k in range(targets):
        ws = services.accounts.create_workspace(actor, actor.project_id, f"target_{k}")
        target = services.accounts.scope(actor, actor.project_id, ws)
        for c in range(20):
            services.environment.put(
                target,
                "connection",
                f"dws_conn_{c:02d}",
                {"type": "DWS", "config": {}, "secrets": {"password": "prod-pw"}},
            )
        paths = []
        for source in (package, changed):
            with source.open("rb") as fh:
                paths.append(services.imports.upload(target, fh, source.name).path)
        made.append((ws, *paths))
    return package, changed, made


def best(runs: list[Figures]) -> Figures:
    return min(runs, key=lambda r: r["seconds"])


def size_run(jobs: int, args: argparse.Namespace) -> Figures:
    """Every figure for one workspace size."""
    with tempfile.TemporaryDirectory(prefix="jobferry-bench-") as tmp:
        data_dir = Path(tmp)
        with database(args.db, data_dir, args.pg_url) as url:
            db, services = migrated(data_dir, url)
            started = time.perf_counter()
            generate(services, _default_scope(services), jobs)
            print(f"generated {jobs} jobs on {args.db} in {time.perf_counter() - started:.1f} s")
            package, _, targets = prepare(services, data_dir, args.repeat + 1)
            db.dispose()
            return _measure(data_dir, url, package, targets, jobs, args)


def migrated(data_dir: Path, url: str) -> tuple[Database, Services]:
    """The services on a freshly migrated database whose project (``bench``) has the bench
    admin, ``AK`` with secret ``SK``."""
    settings = Settings(data_dir=data_dir, database_url=url)
    db = Database(settings.resolved_database_url())
    upgrade(db)
    services = Services.build(settings, db)
    services.accounts.bootstrap("bench", AK, SK)
    return db, services


def _default_scope(services: Services) -> Scope:
    actor = services.accounts.actor_for(AK)
    return services.accounts.scope(actor, actor.project_id, None)


def _measure(
    data_dir: Path, url: str, package: Path, targets: list[Any], jobs: int, args: argparse.Namespace
) -> Figures:
    out: Figures = {"jobs": jobs}
    out["export"] = [run_measure("export", data_dir, url) for _ in range(args.repeat)]
    out["export_floor"] = [run_measure("floor", data_dir, url) for _ in range(args.repeat)]
    imports, reimports, plans, overwrites, rollbacks = [], [], [], [], []
    for ws, path, changed in targets[: args.repeat]:
        plans.append(run_measure("plan", data_dir, url, ws, path))
        imports.append(run_measure("import", data_dir, url, ws, path))
        reimports.append(run_measure("import", data_dir, url, ws, path))
        overwrites.append(run_measure("import", data_dir, url, ws, changed))
        rollbacks.append(run_measure("rollback", data_dir, url, ws, overwrites[-1]["taskId"]))
    out.update(
        plan=plans, import_=imports, reimport=reimports, overwrite=overwrites, rollback=rollbacks
    )
    floor_ws = targets[args.repeat][0]
    out["import_floor"] = [run_measure("import-floor", data_dir, url, floor_ws, str(package))]
    if args.sdk:
        sdk = sdk_cost(data_dir, url, package, min(500, jobs))
        out["sdk_package_seconds"] = sdk.package()
        out["sdk_jobs_only_seconds"] = sdk.jobs_only()
        out["sdk_ms"] = {"job": sdk.job * 1000, "script": sdk.script * 1000}
    return out


ROWS = (
    ("export", "workspace export"),
    ("export_floor", "export floor"),
    ("plan", "plan (dry run)"),
    ("import_", "import into an empty workspace"),
    ("reimport", "re-import, all unchanged"),
    ("overwrite", "import overwriting everything"),
    ("rollback", "rollback of that import"),
    ("import_floor", "import floor"),
)


def report(figures: Figures, db: str) -> None:
    jobs = figures["jobs"]
    print(f"\n{jobs} jobs on {db} (best of {len(figures['export'])}; peak RSS: worst run)")
    for key, label in ROWS:
        runs = figures[key]
        times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        rss = max(r["peak_rss_mb"] for r in runs)
        both = max(r.get("peak_rss_with_helper_mb", 0.0) for r in runs)
        print(
            f"  {label:<34} {best(runs)['seconds']:7.2f} s  (runs {times})  RSS {rss:5.0f} MB"
            f" (with helper {both:5.0f} MB)"
        )
    export = best(figures["export"])["seconds"] / best(figures["export_floor"])["seconds"]
    imported = best(figures["import_"])["seconds"] / best(figures["import_floor"])["seconds"]
    print(f"  export / floor {export:.2f}x, import / floor {imported:.2f}x")
    print(f"  re-import summary: {best(figures['reimport'])['summary']}")
    print(f"  overwrite summary: {best(figures['overwrite'])['summary']}")
    if "sdk_package_seconds" in figures:
        whole = figures["sdk_package_seconds"]
        print(
            f"  SDK, one call per object: {whole:.0f} s → import "
            f"{whole / best(figures['import_'])['seconds']:.0f}x faster "
            f"(create_job {figures['sdk_ms']['job']:.1f} ms)"
        )


def growth(small: Figures, large: Figures) -> None:
    size = large["jobs"] / small["jobs"]
    print(f"\ngrowth from {small['jobs']} to {large['jobs']} jobs ({size:.0f}x the work)")
    for key, label in ROWS:
        t = best(large[key])["seconds"] / best(small[key])["seconds"]
        rss_small = max(r["peak_rss_mb"] for r in small[key])
        rss_large = max(r["peak_rss_mb"] for r in large[key])
        both_small = max(r.get("peak_rss_with_helper_mb", 1.0) for r in small[key])
        both_large = max(r.get("peak_rss_with_helper_mb", 1.0) for r in large[key])
        print(
            f"  {label:<34} time {t:5.1f}x ({t / size:.2f} of linear)  "
            f"RSS {rss_large / rss_small:.2f}x (with helper {both_large / both_small:.2f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", default="10000", help="workspace sizes, comma-separated")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server for --db postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="measurements (best is reported)")
    parser.add_argument("--sdk", action="store_true", help="also time the SDK, one call per object")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    sizes = [int(n) for n in args.jobs.split(",")]
    results = [size_run(n, args) for n in sizes]
    for figures in results:
        report(figures, args.db)
    if len(results) > 1:
        growth(results[0], results[-1])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
