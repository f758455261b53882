"""``jobferry jobs versions|diff|restore`` and ``jobferry scripts versions|diff|restore``: the
submitted versions of a job or script, what changed between two of them or since the latest
was submitted (exit 0 the same, 4 they differ), and one restored — against a real server."""

from __future__ import annotations

from typing import Any

from support.builders import editable
from support.cli import Cli
from support.exporting import seed


def _save(cli: Cli, kind: str, name: str, submit: bool, **fields: Any) -> None:
    shown = cli.remote.call("GET", f"/{kind}s/{name}", workspace=cli.workspace).json()
    body = editable(shown) | fields | {"targetStatus": "SUBMITTED" if submit else "SAVED"}
    saved = cli.remote.call("PUT", f"/{kind}s/{name}", body, workspace=cli.workspace)
    assert saved.status_code in (200, 204), saved.text


def test_a_job_s_versions_and_what_changed_between_them(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)  # version 1
    _save(cli, "job", "daily_sales", True, description="second")  # version 2
    _save(cli, "job", "daily_sales", False, description="draft")

    listed = cli("jobs", "versions", "daily_sales", env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    rows = [line.split("│") for line in listed.stdout.splitlines() if "│" in line]
    assert [(r[0].strip(), r[1].strip()) for r in rows] == [("2", "SUBMITTED"), ("1", "SUBMITTED")]
    assert [v["version"] for v in cli.json("jobs", "versions", "daily_sales")["versions"]] == [2, 1]

    since = cli("jobs", "diff", "daily_sales", env={"COLUMNS": "200"})
    assert since.exit_code == 4, since.output
    assert "job daily_sales, from version 2 to the development state:" in since.stdout
    assert "~ description: 'second' → 'draft'" in since.stdout
    second = cli("jobs", "diff", "daily_sales", "--to", "2", env={"COLUMNS": "200"})
    assert second.exit_code == 4, second.output
    assert "+ description: 'second'" in second.stdout
    assert "changed from version 1 to version 2." in second.stdout
    answer = cli.json("jobs", "diff", "daily_sales", "--from", "2", "--to", "1", code=4)
    assert (answer["from"], answer["to"]) == (2, 1)
    assert answer["changes"] == [{"path": "description", "op": "removed", "before": "second"}]

    same = cli("jobs", "diff", "daily_sales", "--from", "1", "--to", "1")
    assert same.exit_code == 0, same.output
    assert "No change in job daily_sales from version 1 to version 1." in same.stdout

    first = cli("jobs", "diff", "daily_sales", "--to", "1")
    assert first.exit_code == 1
    assert "Version 1 is the first version the job 'daily_sales' keeps" in first.stderr
    missing = cli("jobs", "versions", "daily_sale")
    assert missing.exit_code == 1
    assert "Did you mean 'daily_sales'?" in " ".join(missing.stderr.split())


def test_a_script_s_content_changes_are_said_line_by_line(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)  # daily_sales_sh: version 1
    _save(cli, "script", "daily_sales_sh", False, content="echo hi\n-- a comment\necho done\n")

    listed = cli.json("scripts", "versions", "daily_sales_sh")
    assert [v["version"] for v in listed["versions"]] == [1]
    changed = cli("scripts", "diff", "daily_sales_sh", env={"COLUMNS": "200"})
    assert changed.exit_code == 4, changed.output
    lines = [line.strip() for line in changed.stdout.splitlines()]
    assert lines[1:6] == ["~ content:", "@@ -1 +1,3 @@", "echo hi", "+-- a comment", "+echo done"]


def test_a_version_is_restored_as_the_development_state_after_asking(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)  # version 1
    _save(cli, "job", "daily_sales", True, description="second")  # version 2
    _save(cli, "job", "daily_sales", False, description="draft")

    unasked = cli("jobs", "restore", "daily_sales", "--version", "1")
    assert unasked.exit_code == 2, unasked.output  # no terminal to ask: --yes
    assert "pass --yes to restore it without asking" in " ".join(unasked.stderr.split())

    restored = cli("jobs", "restore", "daily_sales", "--version", "2", "--yes")
    assert restored.exit_code == 0, restored.output
    assert "~ description: 'draft' → 'second'" in restored.stdout
    assert "Restored job daily_sales to version 2: 1 field(s) changed" in restored.stdout
    assert cli("jobs", "diff", "daily_sales").exit_code == 0  # the draft is version 2 again
    again = cli.json("jobs", "restore", "daily_sales", "--version", "2", "--yes")
    assert (again["saved"], again["changes"]) == (False, [])

    script = cli("scripts", "restore", "daily_sales_sh", "--version", "1", "--yes")
    assert script.exit_code == 0, script.output
    assert "is version 1 already; nothing was saved." in script.stdout
    missing = cli("jobs", "restore", "daily_sales", "--version", "5", "--yes")
    assert missing.exit_code == 1
    assert "List its versions and restore one it has." in " ".join(missing.stderr.split())


def test_a_script_s_submitted_version_is_shown(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)  # daily_sales_sh: version 1
    _save(cli, "script", "daily_sales_sh", False, content="echo changed\n")

    shown = cli("scripts", "show", "daily_sales_sh", "--version", "1", env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "echo hi" in shown.stdout
    assert "echo changed" not in shown.stdout
    assert cli.json("scripts", "show", "daily_sales_sh", "--version", "1")["version"] == 1
    assert cli("scripts", "show", "daily_sales_sh", "--version", "4").exit_code == 1


def test_the_development_state_is_submitted_as_a_version(cli: Cli) -> None:
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)  # version 1
    _save(cli, "job", "daily_sales", False, description="draft")

    submitted = cli("jobs", "submit", "daily_sales")
    assert submitted.exit_code == 0, submitted.output
    assert "Submitted job daily_sales as version 2." in submitted.stdout
    assert cli("jobs", "diff", "daily_sales").exit_code == 0
    again = cli.json("jobs", "submit", "daily_sales")
    assert (again["version"], again["made"]) == (2, False)
    same = cli("scripts", "submit", "daily_sales_sh")
    assert "is version 1 already; nothing was submitted." in same.stdout

    restored = cli("jobs", "restore", "daily_sales", "--version", "1", "--yes")
    assert "jobferry jobs submit daily_sales makes it a version again" in restored.stdout
