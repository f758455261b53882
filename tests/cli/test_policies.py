"""policies: a workspace's and a route's rules saved from a file as versions, read back, and
a plan that breaks them refused with the rule named."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from support.cli import Cli


def test_policies_put_show_history_and_list(cli: Cli, tmp_path: Path) -> None:
    policy = tmp_path / "prod.yaml"
    policy.write_text("description: careful\nmaxDeletions: 5\n", encoding="utf-8")
    saved = cli.json("policies", "put", "-f", str(policy))
    assert (saved["version"], saved["holder"]["kind"]) == (1, "workspace")
    policy.write_text("description: stricter\nmaxDeletions: 1\nowners: [ops]\n", encoding="utf-8")
    said = cli("policies", "put", "-f", str(policy))
    assert said.exit_code == 0, said.output
    assert "version 2" in said.stdout
    shown = cli("policies", "show")
    assert shown.exit_code == 0, shown.output
    assert '"owners"' in shown.stdout
    older = cli.json("policies", "show", "--version", "1")
    assert older["document"] == {"description": "careful", "maxDeletions": 5}
    history = cli("policies", "history")
    assert history.exit_code == 0, history.output
    assert "stricter" in history.stdout
    assert "careful" in history.stdout
    listed = cli.json("policies", "list")["policies"]
    assert [(p["holder"]["kind"], p["version"]) for p in listed] == [("workspace", 2)]
    policy.write_text("# no rules for now\n", encoding="utf-8")
    lifted = cli.json("policies", "put", "-f", str(policy))
    assert (lifted["version"], lifted["document"]) == (3, {})


def test_a_bad_policy_file_is_refused_before_anything_is_sent(cli: Cli, tmp_path: Path) -> None:
    policy = tmp_path / "typo.json"
    policy.write_text(json.dumps({"maxDeletion": 3}), encoding="utf-8")
    result = cli("policies", "put", "-f", str(policy))
    assert result.exit_code == 2
    assert "typo.json" in result.stderr
    assert "maxDeletion" in result.stderr
    assert cli.json("policies", "list")["policies"] == []


def test_a_policy_of_no_route_is_refused_with_the_cli_fix(cli: Cli, tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("maxDeletions: 1\n", encoding="utf-8")
    result = cli("policies", "put", "-f", str(policy), "--route", "nowhere-route")
    assert result.exit_code == 1
    assert "no route 'nowhere-route'" in result.stderr
    assert "jobferry routes list" in result.stderr
    missing = cli("policies", "show", "--route", "nowhere-route")
    assert missing.exit_code == 1


def test_a_plan_in_a_freeze_window_names_the_rule(cli: Cli, package: Path, tmp_path: Path) -> None:
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    now = datetime.now(UTC)
    window = {
        "from": (now - timedelta(hours=2)).isoformat(timespec="seconds"),
        "to": (now + timedelta(hours=2)).isoformat(timespec="seconds"),
    }
    policy = tmp_path / "freeze.json"
    policy.write_text(json.dumps({"freeze": [window]}), encoding="utf-8")
    assert cli.json("policies", "put", "-f", str(policy), workspace=prod)["version"] == 1
    planned = cli("plan", str(package), workspace=prod)
    assert planned.exit_code == 3, planned.output
    assert "breaks the freeze window of the policy of workspace" in planned.output
    assert "apply it after the freeze window" in planned.output


def test_a_policy_put_on_a_production_side_says_it_saved_its_workspaces(
    cli: Cli, tmp_path: Path
) -> None:
    """A production side keeps its development workspace's policy (docs/api.md): a put there
    saves that one, and says so rather than naming the production side as the holder."""
    name = cli.remote.workspace_name(cli.workspace)
    switched = cli.remote.call(
        "PUT", f"/{cli.server.project_id}/workspace/{cli.workspace}", {"name": name, "mode": "1"}
    )
    assert switched.status_code == 200, switched.text
    policy = tmp_path / "p.yaml"
    policy.write_text("maxDeletions: 2\n", encoding="utf-8")
    said = cli("policies", "put", "-f", str(policy), "-w", f"{name} (production)")
    assert said.exit_code == 0, said.output
    assert f"Saved the policy of workspace '{name}', which its production side " in said.stdout
    assert said.stdout.rstrip().endswith("keeps, version 1."), said.stdout
    assert cli.json("policies", "show")["document"] == {"maxDeletions": 2}
