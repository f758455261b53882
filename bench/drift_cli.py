"""``python -m bench.drift_cli``: ``jobferry drift`` of a promoted workspace, through the command
line as a user runs it, before and after changes by hand.

One ``jobferry serve`` (embedded SQLite, or PostgreSQL with ``--db postgresql``) holds the
workload in its default workspace (N jobs × 5 nodes, one script per job, 200 resources, 20
connections; ``bench/workload.py``), promoted whole along a route into ``prod``. Then, timing
one ``python -m jobferry`` process each (process start, signing, the call and printing
included):

* **unchanged**: ``jobferry drift -w prod`` while prod holds what the promotion wrote: every
  object compared by its hash alone;
* **changed**: the same after ``--changes`` jobs of prod were edited by hand (``jobferry pull``,
  a new description in each file, ``jobferry apply -f``, not timed): those are parsed and
  compared field by field.

Each is run ``--runs`` times; every run's seconds are printed, and what the report said.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from bench.databases import PG_URL, database
from bench.promote_cli import _seed, _workspace
from bench.remotes_cli import Cli, local_server

DRIFTED = 4
"""``jobferry drift``'s exit code when anything changed."""


def _edit(cli: Cli, root: Path, changes: int) -> None:
    """``changes`` jobs of prod given a new description, as a person editing files would."""
    folder = root / "prod-defs"
    cli("pull", "-w", "prod", str(folder))
    for path in sorted((folder / "jobs").glob("*.json"))[:changes]:
        document = json.loads(path.read_text())
        document["description"] = "changed by hand in prod"
        path.write_text(json.dumps(document, indent=2))
    cli("apply", "-f", str(folder), "-w", "prod", "--yes")


def _runs(cli: Cli, runs: int, codes: tuple[int, ...]) -> dict[str, Any]:
    seconds: list[float] = []
    said: Any = None
    for _ in range(runs):
        took, said = cli("drift", "-w", "prod", codes=codes)
        seconds.append(took)
    report = said if isinstance(said, dict) else {}
    return {"seconds": seconds, "compared": report.get("compared"), "total": report.get("total")}


def measure(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """The drift report's seconds before and after the edits."""
    with database(args.db, root, args.pg_url, "drift") as url:
        _seed(root, url, args.jobs)
        with local_server(root, url) as (server, _pid):
            cli = Cli(server, root)
            _workspace(cli, url, root, "prod")
            cli("routes", "create", "r", "--from", "default", "--to", "prod", "--all")
            cli("promote", "r", "--apply", "--yes")
            unchanged = _runs(cli, args.runs, (0,))
            _edit(cli, root, args.changes)
            changed = _runs(cli, args.runs, (DRIFTED,))
    return {
        "jobs": args.jobs,
        "changes": args.changes,
        "db": args.db,
        "unchanged": unchanged,
        "changed": changed,
    }


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(measure(args, Path(tmp)), indent=2))


if __name__ == "__main__":
    main()
