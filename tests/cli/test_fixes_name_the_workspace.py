"""A fix the command line prints names the workspace the refused command acted in: run with
``-w`` on another workspace than the context's, the printed ``jobferry …`` command carries
``-w NAME``, and run as printed (split as a shell splits it) it acts on that workspace, not on
the context's; run on the context's own workspace, the fix is printed as it always was."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from support.builders import editable
from support.cli import Cli
from support.exporting import seed


def _printed(text: str, command: str) -> list[str]:
    """The words of the ``jobferry <command> …`` a message prints, up to the end of its
    clause (a comma, a bracket, a semicolon, the sentence's full stop, or the verb of a
    sentence the command is the subject of: ``jobferry tasks list lists …``)."""
    flat = " ".join(text.split())  # Rich may wrap a long message
    found = re.search(rf"jobferry {command}[^,;()]*?(?=[,;()]|\.(?:\s|$)| lists )", flat)
    assert found is not None, f"no jobferry {command} in: {flat}"
    words = shlex.split(found.group(0))
    assert words[0] == "jobferry"
    return words[1:]


def _other(cli: Cli) -> tuple[str, str]:
    """A second workspace (id, name) with daily_sales scheduled, as in the context's."""
    other = cli.remote.new_workspace("other")
    for workspace in (cli.workspace, other):
        seed(cli.remote, ("daily_sales",), workspace=workspace)
        started = cli.remote.call("POST", "/jobs/daily_sales/start", {}, workspace=workspace)
        assert started.status_code == 204, started.text
    return other, cli.remote.workspace_name(other)


def test_a_scheduled_jobs_refusal_stops_it_in_the_workspace_given(cli: Cli) -> None:
    other, name = _other(cli)
    refused = cli("jobs", "rename", "daily_sales", "sales_daily", workspace=name)
    assert refused.exit_code == 1, refused.output
    fix = _printed(refused.stderr, "jobs stop")
    assert fix == ["jobs", "stop", "daily_sales", "-w", name]

    assert cli(*fix).exit_code == 0  # as printed: with the context of the refused command
    renamed = cli("jobs", "rename", "daily_sales", "sales_daily", workspace=name)
    assert renamed.exit_code == 0, renamed.output
    assert cli.remote.call("GET", "/jobs/sales_daily", workspace=other).status_code == 200
    # the context's own workspace was not touched: its job is still scheduled, and its
    # refusal says the fix as it always did, without -w
    own = cli("jobs", "rename", "daily_sales", "sales_daily")
    assert own.exit_code == 1
    assert _printed(own.stderr, "jobs stop") == ["jobs", "stop", "daily_sales"]


def test_a_missing_environment_objects_refusal_lists_the_workspace_given(cli: Cli) -> None:
    other = cli.remote.new_workspace("other", "only_there")
    name = cli.remote.workspace_name(other)
    refused = cli("env", "show", "connection", "no such name!", workspace=name)
    assert refused.exit_code == 1, refused.output
    fix = _printed(refused.stderr, "env list")
    assert fix == ["env", "list", "connection", "-w", name]
    listed = cli.json(*fix)
    assert "only_there" in str(listed)
    assert "only_there" not in str(cli.json("env", "list", "connection"))

    missing = cli("env", "show", "connection", "not_here", workspace=other)  # by its id
    assert missing.exit_code == 1, missing.output
    said = " ".join(missing.stderr.split())
    assert f"jobferry env put connection not_here -w {other} --type …" in said


def test_a_missing_tasks_refusal_lists_the_tasks_of_the_workspace_given(
    cli: Cli, package: Path
) -> None:
    other = cli.remote.new_workspace("other", "dws_conn", "ssh_conn")
    name = cli.remote.workspace_name(other)
    task = cli.imported(package, workspace=other)["task"]["id"]
    refused = cli("tasks", "show", "0123456789abcdef", workspace=name)
    assert refused.exit_code == 1, refused.output
    fix = _printed(refused.stderr, "tasks list")
    assert fix == ["tasks", "list", "-w", name]
    assert task in cli(*fix).stdout
    assert task not in cli("tasks", "list").stdout
    assert _printed(cli("tasks", "show", "0123456789abcdef").stderr, "tasks list") == [
        "tasks",
        "list",
    ]


def test_a_plan_problems_fix_stops_the_job_in_the_workspace_planned(
    cli: Cli, package: Path
) -> None:
    other = cli.remote.new_workspace("other", "dws_conn", "ssh_conn")
    name = cli.remote.workspace_name(other)
    cli.imported(package, "--status", "production", workspace=other)
    job = editable(cli.remote.call("GET", "/jobs/daily_sales", workspace=other).json())
    job["description"] = "changed in the target"
    assert cli.remote.call("PUT", "/jobs/daily_sales", job, workspace=other).status_code == 204
    assert cli("jobs", "start", "daily_sales", workspace=other).exit_code == 0
    assert cli("jobs", "start", "daily_sales").exit_code == 0  # the context's, too
    options = ("--policy", "overwrite", "--on-drift", "take-package")
    planned = cli("plan", str(package), *options, workspace=name)
    assert planned.exit_code == 3, planned.output
    fix = _printed(planned.stdout, "jobs stop")
    assert fix == ["jobs", "stop", "daily_sales", "-w", name]

    assert cli(*fix).exit_code == 0
    again = cli("plan", str(package), *options, workspace=name)
    assert "jobs stop" not in again.stdout, again.stdout
    own = cli("jobs", "rename", "daily_sales", "sales_daily")  # still scheduled here
    assert own.exit_code == 1
    assert "is scheduled" in " ".join(own.stderr.split())
