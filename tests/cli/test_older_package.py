"""``jobferry import`` of a package older than the one of the same source that last wrote an
object: refused as a problem with the fix in this CLI's flags (exit 3); ``--on-drift
keep-target`` leaves the object as the newer package wrote it."""

from __future__ import annotations

import time
from pathlib import Path

from support.builders import make_job
from support.cli import Cli


def test_an_older_export_is_refused_then_kept_by_keep_target(cli: Cli, package: Path) -> None:
    target = cli.remote.new_workspace("target", "dws_conn", "ssh_conn")
    time.sleep(0.005)  # the edit is a later change than the first export, to the millisecond
    job = make_job("daily_sales", description="newer")
    job["nodes"][0]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    edited = cli.remote.call("PUT", "/jobs/daily_sales", job, workspace=cli.workspace)
    assert edited.status_code == 204, edited.text
    newer = Path(cli.json("export", "daily_sales", "-o", "newer.zip")["file"])
    cli.imported(newer, "--policy", "overwrite", workspace=target)

    refused = cli("import", str(package), "--policy", "overwrite", "--yes", workspace=target)
    assert refused.exit_code == 3, refused.output
    said = " ".join(refused.output.split())
    assert "last written by a package of the same source" in said
    assert "--on-drift keep-target (leave it as it is)" in said
    assert "onDrift" not in said  # the fix in the CLI's words

    options = ("--policy", "overwrite", "--on-drift", "keep-target", "--yes")
    kept = cli.json("import", str(package), *options, workspace=target)
    [line] = [o for o in kept["plan"]["objects"] if o["kind"] == "job"]
    assert (line["action"], line["reason"]["code"]) == ("SKIP", "KEPT_NEWER")
    assert kept["task"] is None  # nothing left to write
    shown = cli.remote.call("GET", "/jobs/daily_sales", workspace=target).json()
    assert shown["description"] == "newer"
