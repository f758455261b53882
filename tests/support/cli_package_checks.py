"""What the package commands say, told for a person or with ``--json``, checked against
the plan the model predicts (docs/cli.md ``plan`` and ``import``, "Standard output and standard
error"); for ``tests/cli/test_generated_package_commands.py``."""

from __future__ import annotations

import re
from typing import Any

from typer.testing import Result

from support.cli_package_model import Planned
from support.cli_package_stories import FAR

SUMMARY = re.compile(
    r"^(\d+) to create, (\d+) to overwrite, (\d+) skipped, (\d+) unchanged; (\d+) problem\(s\)$",
    re.M,
)
RUNNING = re.compile(r"^[A-Z][\w ]*: task [0-9a-f]{32} is running \(\d+%\)")
ACTIONS = ("CREATE", "OVERWRITE", "SKIP", "UNCHANGED")


def about_the_run(stderr: str) -> str:
    """Standard error without what docs/cli.md lets a run say there besides an error: a task
    followed that still runs after its first look, said in one line (no terminal)."""
    return "".join(line for line in stderr.splitlines(True) if not RUNNING.match(line))


def check_plan(planned: Planned, body: Any, result: Result) -> None:
    """The plan's actions object by object (``--json``), or its counts (for a person), and
    the objects with problems, are the model's."""
    said = (planned, result.stdout)
    if body is None:
        counts = SUMMARY.search(result.stdout)
        assert counts is not None, said
        expected = [planned.count(a) for a in ACTIONS]
        assert [int(n) for n in counts.groups()[:4]] == expected, said
        assert (int(counts.group(5)) > 0) == bool(planned.problems), said
        check_fixes(planned, result.stdout)
        return
    plan = body["plan"]
    actions = {o["name"]: o["action"] for o in plan["objects"]}
    assert actions == planned.actions, said
    reasons = {p["reason"] for p in plan["problems"]}
    assert reasons == set().union(*planned.problems.values()), said


def check_fixes(planned: Planned, out: str) -> None:
    """Each problem told to a person says its fix with jobferry's commands and flags
    (docs/cli.md ``plan``), never with an API call."""
    for name, reasons in planned.problems.items():
        fixes = {
            "missing_reference": ["jobferry env put connection ssh_conn"] if name == FAR else [],
            "drift": ["--on-drift keep-target"],
            "older_package": ["--on-drift"],
            "scheduled": [f"jobferry jobs stop {name}", "--scheduling pause-and-restore"],
        }
        for reason in reasons:
            for fix in fixes[reason]:
                assert fix in out, (name, reason, fix, out)
    assert not re.search(r"\b(GET|POST|PUT|DELETE|PATCH)\s+\S*/|/v[12]/|\.\.\./", out), out


def check_verdict(act: str, planned: Planned, out: str) -> None:
    """The closing verdict, the line the exit code stands for (docs/cli.md "Standard output
    and standard error"): a plan's problems, what is pending, or that nothing would change;
    an import's refusal, what it skipped, or that it imported."""
    lines = out.strip().splitlines()
    written, skipped = planned.count("CREATE") + planned.count("OVERWRITE"), planned.count("SKIP")
    if act == "plan":
        last = lines[-1]
        if planned.problems:
            assert last.endswith("problem(s) found; the import would be refused."), out
        elif written or skipped:
            assert last.startswith("Changes pending: "), out
            assert (f"{written} object(s) to write" in last) == bool(written), out
            assert (f"{skipped} differing object(s) skipped" in last) == bool(skipped), out
        else:
            assert last == "Nothing would change: the target matches the package.", out
    elif planned.problems:
        assert lines[-1].endswith("problem(s); nothing was imported."), out
    elif written:
        assert "Imported." in lines, out
    elif skipped:
        assert lines[-1].startswith(f"Nothing imported: {skipped} changed object(s) skipped"), out
    else:
        assert lines[-1] == "Nothing to import.", out
