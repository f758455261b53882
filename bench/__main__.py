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
from urllib.parse import quote

import sqlalchemy as sa

from bench.workload import generate
from jobferry.services.container import Services
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.storage.schema import upgrade

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def run_measure(what: str, data_dir: Path, url: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.measure", what, str(data_dir), url],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


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
            db.dispose()
            exports = [run_measure("export", data_dir, url) for _ in range(args.repeat)]
            floors = [run_measure("floor", data_dir, url) for _ in range(args.repeat)]
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


if __name__ == "__main__":
    main()
