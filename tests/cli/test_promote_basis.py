"""``jobferry promote ROUTE --out FILE`` on a route into a remote's shadow refreshed from a
carried snapshot, and the import of that package on the remote's side: two real servers that
share nothing but the files carried between them.

The high side (``prod``, the target server) exports its prod workspace whole; the low side
(``cli``) refreshes its shadow of that workspace from the file (the remote is never called),
plans the route into the shadow, and cuts the package with its basis. Back on the high side, a
job changed there since the snapshot refuses the package (exit 3, ``DLF.9042``), nothing
written; after a new snapshot round trip (whose plan shows the change made there) the package
imports."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from support.builders import make_job
from support.cli import Cli
from support.exporting import seed

JOBS = ("daily_sales", "weekly_sales")


def _snapshot(prod: Cli, file: str) -> Path:
    """prod's workspace exported whole on its own server: the snapshot carried over."""
    exported = prod.json("export", "--workspace-all", "-o", file, workspace=prod.workspace)
    return Path(exported["file"])


def _edit(cli: Cli, name: str, description: str) -> None:
    job = make_job(name, description=description)
    job["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    changed = cli.remote.call("PUT", f"/jobs/{name}", job, workspace=cli.workspace)
    assert changed.status_code == 204, changed.text


def _held(prod: Cli) -> dict[str, Any]:
    """The jobs prod holds, as shown (with when and by whom they were last changed)."""
    listed = prod.remote.call("GET", "/jobs", workspace=prod.workspace)
    assert listed.status_code == 200, listed.text
    return {
        job["name"]: prod.remote.call(
            "GET", f"/jobs/{job['name']}", workspace=prod.workspace
        ).json()
        for job in listed.json()["jobs"]
    }


def _descriptions(prod: Cli) -> dict[str, Any]:
    return {name: shown.get("description") for name, shown in _held(prod).items()}


def _low_side(test: Cli, prod: Cli, tmp_path: Path) -> tuple[str, str]:
    """Remote (its shadow) refreshed from prod's snapshot and the route into it: their names."""
    remote = f"prod_{uuid.uuid4().hex[:8]}"
    secret = tmp_path / "never-used.sk"
    secret.write_text("never-used\n", encoding="utf-8")
    added = test(
        "remotes", "add", remote, "--endpoint", prod.server.url,
        "--project-id", prod.server.project_id, "--workspace", prod.workspace,
        "--access-key", "AKNEVERCALLED", "--secret-key", f"@{secret}",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    refreshed = test("remotes", "refresh", remote, "--from", str(_snapshot(prod, "snap1.zip")))
    assert refreshed.exit_code == 0, refreshed.output
    route = f"gap-{uuid.uuid4().hex[:8]}"
    made = test(
        "routes", "create", route, "--from", test.workspace, "--to", remote, "--policy", "overwrite"
    )
    assert made.exit_code == 0, made.output
    return remote, route


@pytest.mark.slow  # a server of its own for the high side, two snapshot round trips: ~10 s
def test_a_package_cut_against_a_snapshot_is_refused_where_its_objects_changed_since(
    cli: Cli, prod: Cli, tmp_path: Path
) -> None:
    test = cli
    seed(prod.remote, JOBS, workspace=prod.workspace)
    seed(test.remote, JOBS, workspace=test.workspace)
    remote, route = _low_side(test, prod, tmp_path)
    _edit(test, "daily_sales", "promoted from test")

    planned = test.json("promote", route, code=4)  # planned against the shadow, as reviewed
    assert planned["plan"]["remoteState"]["from"] == "snapshot"
    actions = {(o["kind"], o["name"]): o["action"] for o in planned["plan"]["objects"]}
    assert actions[("job", "daily_sales")] == "OVERWRITE"
    assert actions[("job", "weekly_sales")] == "UNCHANGED"
    # the text output says it too: which snapshot, made when, how old, how to read the remote
    shown = test("promote", route)
    assert shown.exit_code == 4, shown.output
    said = " ".join(shown.output.split())
    assert f"Planned against a carried snapshot of remote '{remote}'" in said, said
    assert "snap1.zip (SHA-256 " in said
    assert re.search(
        r"made \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC, (under a minute|\d+ minutes?) old", said
    )
    assert f"jobferry remotes refresh {remote} reads the remote itself" in said
    cut = test.json("promote", route, "--out", "p1.zip")
    assert cut["promotion"]["carried"] == "out"
    assert Path("p1.zip").is_file()

    _edit(prod, "weekly_sales", "hot-fixed in prod")  # on the high side, after the snapshot
    before = _held(prod)
    refused = prod("import", "p1.zip", "--policy", "overwrite", "--yes", workspace=prod.workspace)
    assert refused.exit_code == 3, refused.output
    assert "DLF.9042" in refused.output, refused.output
    assert "job 'weekly_sales' (changed)" in refused.output
    assert f"jobferry remotes refresh {remote} --from FILE" in refused.output
    assert "daily_sales" not in refused.output.split("changed here since")[1].split(";")[0]
    assert _held(prod) == before  # nothing written, daily_sales neither

    # The round trip again: a new snapshot, a new cut; the high side takes it along its route.
    again = test("remotes", "refresh", remote, "--from", str(_snapshot(prod, "snap2.zip")))
    assert again.exit_code == 0, again.output
    replanned = test.json("promote", route, code=4)  # the reviewer now sees the hot-fix go
    actions = {(o["kind"], o["name"]): o["action"] for o in replanned["plan"]["objects"]}
    assert actions[("job", "weekly_sales")] == "OVERWRITE"
    assert test.json("promote", route, "--out", "p2.zip")["promotion"]["carried"] == "out"
    made = prod(
        "routes", "create", route, "--from-carried", "--from-id", test.workspace,
        "--to", prod.workspace, "--policy", "overwrite",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    done = prod.json("promote", route, "--in", "p2.zip", "--apply", "--yes")
    assert done["task"]["status"] == "SUCCESSFUL", done["task"]
    assert _descriptions(prod) == {"daily_sales": "promoted from test", "weekly_sales": None}
