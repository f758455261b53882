"""jobferry audit: who did what to which object in a workspace, and when; the search's options
reach the server as its query, and a time is a span back from now or a UTC date or time."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer

from jobferry.cli.audit import when, window
from jobferry.storage import Database, tables
from jobferry.storage import audit as audit_repo
from jobferry.storage.audit import DroppedAudit
from support.builders import make_job, make_script
from support.cli import Cli
from support.planning import jobs_with_dependencies


def test_audit_lists_an_objects_history_newest_first(cli: Cli) -> None:
    ws = cli.remote.new_workspace("audited", "dws_conn", "ssh_conn")
    for call in (
        ("POST", "/jobs", make_job()),
        ("POST", "/scripts", make_script()),
        ("PUT", "/jobs/daily_sales", make_job(description="v2", targetStatus="SAVED")),
    ):
        assert cli.remote.call(*call, workspace=ws).status_code < 300
    wide = {"COLUMNS": "200"}  # whole cells, whatever the terminal running the suite
    listed = cli("audit", "--object", "daily_sales", "--action", "job", workspace=ws, env=wide)
    assert listed.exit_code == 0, listed.output
    text = " ".join(listed.stdout.split())
    assert text.count("job daily_sales") == 2
    assert text.index("job.update") < text.index("job.create")  # newest first
    assert "target status=SAVED" in text  # the field in words, not the request's field
    assert "script" not in text  # --action job: the script's line is not one
    # imports are logged per package: an object's search says where its imports are
    name = cli.remote.workspace_name(ws)
    assert f"jobferry jobs show daily_sales -w {name} says which import last wrote" in text
    assert f"jobferry tasks show TASK -w {name} lists each object" in text

    one = cli.json("audit", "--kind", "script", "--since", "1h", workspace=ws)
    assert [(e["action"], e["objectName"]) for e in one["entries"]] == [
        ("script.create", "daily_sales_sql")
    ]
    assert cli.json("audit", "--until", "2000-01-01", workspace=ws)["entries"] == []
    wide = {"COLUMNS": "200"}
    backwards = cli(
        "audit", "--since", "2026-02-01", "--until", "2026-01-01", workspace=ws, env=wide
    )
    assert backwards.exit_code == 2
    said = " ".join(backwards.stderr.split())
    assert "--since 2026-02-01 is later than --until 2026-01-01" in said
    none = cli("audit", "--user", "nobody", workspace=ws)
    assert none.exit_code == 0, none.output
    assert "The audit log of workspace audited" in none.stdout
    assert "has no entry that matches." in none.stdout

    capped = cli("audit", "--limit", "1", workspace=ws)
    assert "The newest 1 of" in capped.stdout


def test_a_bad_search_is_refused_with_the_servers_reason(cli: Cli) -> None:
    refused = cli("audit", "--action", "Job Update")
    assert refused.exit_code == 1, refused.output
    assert "action 'Job Update' is neither an action" in refused.output
    unreadable = cli("audit", "--since", "yesterday")
    assert unreadable.exit_code == 2
    assert "--since" in unreadable.output


def test_when_reads_spans_dates_times_and_offsets() -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    at_noon = int(now.timestamp() * 1000)
    assert when("30m", "--since", now) == at_noon - 30 * 60_000
    assert when("7d", "--since", now) == at_noon - 7 * 86_400_000
    assert when("2026-11-27T12:00", "--since") == at_noon
    assert when("2026-11-27T20:00+08:00", "--since") == at_noon
    assert when("2026-11-27", "--since") == at_noon - 12 * 3_600_000
    with pytest.raises(typer.BadParameter, match="is not a time"):
        when("7 days", "--since")


def test_a_time_before_1970_or_past_any_calendar_is_a_usage_error_naming_the_option() -> None:
    # the server counts from 1970: an earlier time reached it, and was refused in its terms
    # (exit 1, "epoch milliseconds"); a span past year 1 ended the command with no word
    for text in ("1969-12-31", "3000w", "99999999w", "999999999999w"):
        with pytest.raises(typer.BadParameter, match="before 1970-01-01") as refused:
            when(text, "--until")
        assert refused.value.param_hint == "--until"
        assert "leave --until out" in str(refused.value)
    assert when("1970-01-01", "--since") == 0


def test_a_window_of_no_time_is_a_usage_error_naming_since() -> None:
    # since == until: the server refused the empty window in its own terms (exit 1)
    with pytest.raises(typer.BadParameter, match="is the same time as --until") as refused:
        window("2026-01-01", "2026-01-01T00:00Z")
    assert refused.value.param_hint == "--since"
    with pytest.raises(typer.BadParameter, match="is later than --until"):
        window("2026-01-02", "2026-01-01")
    assert window("1h", "30m") != window("1h", None)  # both spans from one moment
    spans = window("2h", "1h")
    assert spans["until"] - spans["since"] == 3_600_000  # type: ignore[operator]


def test_a_window_before_what_the_server_keeps_says_its_entries_were_dropped(cli: Cli) -> None:
    ws = cli.remote.new_workspace("audited_long_ago", "dws_conn", "ssh_conn")
    assert cli.remote.call("POST", "/jobs", make_job(), workspace=ws).status_code < 300
    before = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1000)
    assert cli.server.database_url is not None
    db = Database(cli.server.database_url)
    try:
        with db.transaction() as tx:  # as the sweep marks what JOBFERRY_AUDIT_DAYS=7 dropped
            audit_repo.mark_dropped(tx, DroppedAudit(before, before + 7 * 86_400_000, 7))
        old = cli("audit", "--until", "2024-12-01", workspace=ws, env={"COLUMNS": "200"})
        kept = cli("audit", workspace=ws, env={"COLUMNS": "200"})
        recent = cli("audit", "--since", "2025-02-01", workspace=ws, env={"COLUMNS": "200"})
    finally:
        with db.transaction() as tx:  # the server is shared with the worker's next tests
            tx.conn.execute(sa.delete(tables.dropped_audit))
        db.dispose()

    assert old.exit_code == 0, old.output
    said = " ".join(old.stdout.split())
    assert (
        "keeps no entry that matches. Entries before 2025-01-01 00:00:00 UTC were dropped" in said
    )
    assert "the server keeps 7 day(s) of them (JOBFERRY_AUDIT_DAYS)" in said
    assert "has no entry" not in said
    assert "Entries before 2025-01-01 00:00:00 UTC were dropped" in " ".join(kept.output.split())
    assert "daily_sales" in kept.stdout
    assert "were dropped" not in recent.output  # a window inside what is kept lost nothing


def test_an_objects_history_lists_the_imports_that_changed_it(cli: Cli, tmp_path: Path) -> None:
    # An import writes one audit line for its whole package: the object's search also lists
    # what each import (apply -f here; a promotion or a release alike) did to it.
    ws = cli.remote.new_workspace("applied", "dws_conn", "ssh_conn")
    for kind, name, document in jobs_with_dependencies(make_job("daily_sales")):
        (tmp_path / f"{kind}s").mkdir(exist_ok=True)
        (tmp_path / f"{kind}s" / f"{name}.json").write_text(json.dumps(document))
    applied = cli("apply", "-f", str(tmp_path), "--yes", workspace=ws)
    assert applied.exit_code == 0, applied.output

    wide = {"COLUMNS": "250"}
    listed = cli("audit", "--object", "daily_sales", "--since", "1d", workspace=ws, env=wide)
    assert listed.exit_code == 0, listed.output
    text = " ".join(listed.stdout.split())
    assert "Imports that changed daily_sales, newest first" in text
    assert "No line of the audit log names daily_sales besides the imports below." in text
    row = next(line for line in listed.stdout.splitlines() if "job daily_sales" in line)
    assert "CREATE" in row
    assert "Import the jobs from folder" in text  # the import's task, by its title
    name = cli.remote.workspace_name(ws)
    assert f"jobferry tasks show TASK -w {name} lists every object an import changed" in text
    found = cli.json("audit", "--object", "daily_sales_sql", workspace=ws)["imports"]
    assert [(i["objectKind"], i["action"]) for i in found] == [("script", "CREATE")]


def test_the_projects_own_entries_are_listed_with_project(cli: Cli) -> None:
    name = f"auditee_{uuid.uuid4().hex[:8]}"
    assert cli.remote.call("POST", "/users", {"name": name}).status_code == 200
    wide = {"COLUMNS": "200"}
    listed = cli("audit", "--project", "--object", name, env=wide)
    assert listed.exit_code == 0, listed.output
    assert "user.create" in listed.stdout
    assert f"user {name}" in listed.stdout
    assert "jobferry jobs show" not in listed.stdout  # a user has no imports to point at
    in_workspace = cli("audit", "--object", name, env=wide)
    assert "user.create" not in in_workspace.stdout
    nothing = cli("audit", "--project", "--object", f"{name}_none", env=wide)
    assert nothing.exit_code == 0, nothing.output
    assert "The audit log of the project has no entry that matches." in nothing.stdout
