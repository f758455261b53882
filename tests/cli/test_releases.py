"""``jobferry releases``: a developer packages the pending items of an enterprise workspace
naming a deployer, the deployer deploys it, and another package is cancelled — each command a
thin call of the release API against a real server."""

from __future__ import annotations

import re
import shlex
import uuid
from pathlib import Path
from typing import Any

import pytest

from jobferry.cli import terminal
from jobferry.cli.client import ApiClient
from jobferry.storage import Database
from jobferry.storage.importing import plans as plan_repo
from support.builders import make_job
from support.cli import Cli
from support.cli_releases import as_user as _as
from support.cli_releases import submit as _submit
from support.cli_releases import table_cell
from support.releases import studio_person


def test_pending_items_are_packaged_deployed_and_cancelled(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws, suffix = cli.workspace, uuid.uuid4().hex[:6]
    for name in ("dws_conn", "ssh_conn"):
        body = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
        cli.remote.call("PUT", f"/environment/connection/{name}", body, workspace=ws)
    ws_name = cli.remote.workspace_name(ws)
    switched = cli.remote.call(
        "PUT", f"/{cli.server.project_id}/workspace/{ws}", {"name": ws_name, "mode": "1"}
    )
    assert switched.status_code == 200, switched.text
    dev = studio_person(cli.server, ws, f"dev_{suffix}", "developer")
    dep = studio_person(cli.server, ws, f"dep_{suffix}", "deployer")
    developer = _as(cli, "dev", dev.ak, dev.sk, tmp_path)
    deployer = _as(cli, "dep", dep.ak, dep.sk, tmp_path)
    _submit(cli, "rel_a")

    listed = developer("releases", "pending")
    assert listed.exit_code == 0, listed.output
    assert "rel_a" in listed.stdout
    assert "add" in listed.stdout
    wide = developer("releases", "pending", env={"COLUMNS": "250"}).stdout
    assert table_cell(wide, "rel_a ", 5) == "none"  # not in production yet, not 'version 0'
    # refusals in the CLI's words: no release call or field named
    long = developer("releases", "create", "x" * 300, "--all", "--approver", f"dep_{suffix}")
    assert long.exit_code != 0
    assert "the package's name has 300 characters; a name has at most 256" in long.stderr
    assert "jobferry releases create NAME" in long.stderr
    assert "package_name" not in long.stderr
    for unknown_id in ("999", str(10**23)):
        unknown = developer("releases", "show", unknown_id)
        assert unknown.exit_code == 1, (unknown.stdout, unknown.stderr)
        assert "DLF.0810" in unknown.stderr
        assert f"Release package '{unknown_id}' does not exist" in unknown.stderr
        assert "jobferry releases list lists the workspace's release packages" in unknown.stderr
        assert "list_factory" not in unknown.stderr
    not_an_id = developer("releases", "show", "first")
    assert not_an_id.exit_code == 2
    assert "'first' is not a release package id" in not_an_id.stderr
    made = developer.json("releases", "create", "first", "--all", "--approver", f"dep_{suffix}")
    package = made["release_package_id"]
    assert developer.json("releases", "pending")["total"] == 0

    # A change of production asks first: refused with no terminal, cancelled on "no".
    unasked = deployer("releases", "deploy", package)
    assert unasked.exit_code == 2, unasked.output
    assert "pass --yes to go on without asking" in " ".join(unasked.stderr.split())
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    declined = deployer("releases", "deploy", package, input="n\n")
    assert declined.exit_code == 1, declined.output
    assert f"Release package {package} into the production of" in declined.stderr
    assert "Cancelled; nothing changed." in declined.stdout
    assert deployer.json("releases", "show", package)["release_package"]["deploy_status"] != 2
    deployed = deployer("releases", "deploy", package, "--yes")
    assert deployed.exit_code == 0, (deployed.stdout, deployed.stderr)
    assert "Released package" in deployed.stdout
    shown = deployer.json("releases", "show", package)
    assert shown["release_package"]["deploy_status"] == 2
    human = deployer("releases", "show", package)
    assert "released" in human.stdout
    assert "started" in human.stdout
    # Run again (a pipeline's step retried), there is nothing left to do: said, exit 0.
    again = deployer("releases", "deploy", package, "--yes")
    assert again.exit_code == 0, (again.stdout, again.stderr)
    said = " ".join(again.stdout.split())
    task = shown["release_package"]["asy_task_id"]
    assert said.startswith(f"Nothing to do: package {package} was released already (")
    assert said.endswith(f" by dep_{suffix}, task {task}).")
    answer = deployer.json("releases", "deploy", package, "--yes")
    assert (answer["deploy"], answer["releasedBefore"]["asy_task_id"]) == (None, task)

    _submit(cli, "rel_b")
    made_again = developer("releases", "create", "second", "--all", "--approver", f"dep_{suffix}")
    assert made_again.exit_code == 0, made_again.output
    second_id = re.findall(r"Created release package (\d+) ", made_again.stdout)[0]
    # the command it names acts in this workspace, wherever the next person's context points
    assert f"jobferry releases deploy {second_id} -w {ws_name}." in made_again.stdout
    cancelled = deployer("releases", "cancel", second_id)
    assert cancelled.exit_code == 0, cancelled.output
    assert developer.json("releases", "pending")["total"] == 3
    table = deployer("releases", "list")
    assert "cancelled" in table.stdout
    assert "released" in table.stdout
    # A page at a time, filtered by name: the note names the next page's command.
    newest = " ".join(deployer("releases", "list", "--limit", "1").stdout.split())
    assert "Packages 1-1 of 2, newest first; the next page: jobferry releases list --limit 1" in (
        newest
    )
    older = deployer("releases", "list", "--limit", "1", "--page", "2").stdout
    assert f"{package} " in older
    named = deployer.json("releases", "list", "--name", "seco", "--since", "1h")
    assert [p["package_name"] for p in named["data"]] == ["second"]
    refused = deployer("releases", "cancel", package)
    assert refused.exit_code == 1
    assert "DLF.20990" in refused.stderr


def test_a_package_refused_for_a_changed_production_is_planned_again(
    cli: Cli, tmp_path: Path
) -> None:
    ws = cli.workspace
    suffix, developer, deployer = _enterprise(cli, tmp_path)
    _submit(cli, "plan_a")

    def package_of(version: str) -> str:
        job = make_job("plan_a", description=version)
        changed = cli.remote.call("PUT", "/jobs/plan_a", job, workspace=ws)
        assert changed.status_code == 204, changed.text
        made = developer.json("releases", "create", version, "--all", "--approver", f"dep_{suffix}")
        return str(made["release_package_id"])

    made = developer.json("releases", "create", "v1", "--all", "--approver", f"dep_{suffix}")
    assert deployer("releases", "deploy", made["release_package_id"], "--yes").exit_code == 0
    package = package_of("v2")
    assert deployer("releases", "deploy", package_of("v3"), "--yes").exit_code == 0

    plan_before = deployer.json("releases", "show", package)["release_package"]["plan_id"]
    refused = deployer("releases", "deploy", package, "--yes")
    assert refused.exit_code == 3
    assert "DLF.9042" in refused.stderr
    assert f"jobferry releases plan {package}" in refused.stderr

    planned = deployer("releases", "plan", package)
    assert planned.exit_code == 0, (planned.stdout, planned.stderr)
    assert f"jobferry releases deploy {package}" in planned.stdout + planned.stderr
    answer = deployer.json("releases", "plan", package)
    assert answer["release_package"]["plan_id"] not in (None, plan_before)
    deployed = deployer("releases", "deploy", package, "--yes")
    assert deployed.exit_code == 0, (deployed.stdout, deployed.stderr)
    assert "Released package" in deployed.stdout
    assert deployer("releases", "plan", "4242").exit_code == 1


def test_a_deploy_after_a_job_stopped_in_production_is_refused_saying_plan_it_again(
    cli: Cli, tmp_path: Path
) -> None:
    ws = cli.workspace
    suffix, developer, deployer = _enterprise(cli, tmp_path)
    _submit(cli, "stop_a")
    made = developer.json("releases", "create", "v1", "--all", "--approver", f"dep_{suffix}")
    assert deployer("releases", "deploy", made["release_package_id"], "--yes").exit_code == 0
    changed = cli.remote.call(
        "PUT", "/jobs/stop_a", make_job("stop_a", description="v2"), workspace=ws
    )
    assert changed.status_code == 204, changed.text
    made = developer.json("releases", "create", "v2", "--all", "--approver", f"dep_{suffix}")
    package = str(made["release_package_id"])
    listed = cli.remote.call("GET", "/workspaces").json()["workspaces"]
    production = next(w for w in listed if w["id"] == ws)["productionWorkspaceId"]
    stopped = cli.remote.call("POST", "/jobs/stop_a/stop", workspace=production)
    assert stopped.status_code in (200, 204), stopped.text

    failed = deployer("releases", "deploy", package, "--yes")
    assert failed.exit_code == 3, (failed.stdout, failed.stderr)  # as any DLF.9042
    said = " ".join(failed.stderr.split())
    assert f"Production changed since release package '{package}' was planned" in said
    assert "job 'stop_a' there was stopped by hand" in said
    assert f"jobferry releases plan {package}" in said
    assert "POST" not in said
    shown = deployer.json("releases", "show", package)["release_package"]
    assert shown["asy_task_id"] is None  # refused before any task


def test_a_failed_deploy_is_said_as_a_failed_attempt_with_its_task(
    cli: Cli, tmp_path: Path
) -> None:
    suffix, developer, deployer = _enterprise(cli, tmp_path)
    _submit(cli, "fail_a")
    made = developer.json("releases", "create", "doomed", "--all", "--approver", f"dep_{suffix}")
    package = str(made["release_package_id"])
    plan_id = deployer.json("releases", "show", package)["release_package"]["plan_id"]
    assert cli.server.database_url is not None
    db = Database(cli.server.database_url)
    try:
        with db.transaction() as tx:  # its kept plan expired, as the sweep does: it fails
            plan_repo.delete_plan(tx, plan_id)
    finally:
        db.dispose()

    failed = deployer("releases", "deploy", package, "--yes")
    assert failed.exit_code == 1, (failed.stdout, failed.stderr)
    task_id = deployer.json("releases", "show", package)["release_package"]["asy_task_id"]
    assert deployer("releases", "plan", package).exit_code == 0
    shown = deployer("releases", "show", package).stdout
    assert "waiting for approval" in shown
    assert "deployed by" not in shown
    assert re.search(r"deployed:\s+not yet", shown)
    assert f"by dep_{suffix} (task {task_id})" in shown
    assert re.search(r"last deploy:\s+failed: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by", shown)
    listed = deployer("releases", "list").stdout
    assert table_cell(listed, "doomed", 6) == f"dep_{suffix} (failed)"


def _enterprise(cli: Cli, tmp_path: Path) -> tuple[str, Cli, Cli]:
    """The CLI's workspace in enterprise mode with its connections, and a developer and a
    deployer of it (their names end with the suffix answered) as CLIs of their own."""
    ws, suffix = cli.workspace, uuid.uuid4().hex[:6]
    for name in ("dws_conn", "ssh_conn"):
        body = {"type": "DWS", "config": {}, "secrets": {"password": "pw"}}
        cli.remote.call("PUT", f"/environment/connection/{name}", body, workspace=ws)
    mode = {"name": cli.remote.workspace_name(ws), "mode": "1"}
    assert cli.remote.call("PUT", f"/{cli.server.project_id}/workspace/{ws}", mode)
    dev = studio_person(cli.server, ws, f"dev_{suffix}", "developer")
    dep = studio_person(cli.server, ws, f"dep_{suffix}", "deployer")
    developer = _as(cli, "dev", dev.ak, dev.sk, tmp_path)
    return suffix, developer, _as(cli, "dep", dep.ak, dep.sk, tmp_path)


def test_ctrl_c_while_deploy_waits_says_the_release_goes_on_and_how_to_follow_it(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suffix, developer, deployer = _enterprise(cli, tmp_path)
    _submit(cli, "ctrl_c_a")
    made = developer.json("releases", "create", "pressed", "--all", "--approver", f"dep_{suffix}")
    real = ApiClient.wait_task

    def pressed(self: ApiClient, task_id: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        real(self, task_id, *args, **kwargs)  # the release ends on the server meanwhile
        raise KeyboardInterrupt

    monkeypatch.setattr(ApiClient, "wait_task", pressed)
    result = deployer("releases", "deploy", str(made["release_package_id"]), "--yes")
    monkeypatch.undo()
    assert result.exit_code == 130, (result.stdout, result.stderr)
    text = " ".join(result.stderr.split())
    assert "Traceback" not in text
    task_id = text.split("Stopped following release task ", 1)[1].split(";", 1)[0]
    assert "; the release goes on in the server. Follow it to its end with: " in text
    follow = text.split("Follow it to its end with: ", 1)[1]
    assert f"tasks show {task_id} --wait" in follow
    assert deployer.json(*shlex.split(follow)[1:])["status"] == "SUCCESSFUL"


def test_the_production_side_is_named_by_its_name_in_release_and_other_commands(
    cli: Cli, tmp_path: Path
) -> None:
    suffix, developer, deployer = _enterprise(cli, tmp_path)
    _submit(cli, "named_a")
    production = f"{cli.remote.workspace_name(cli.workspace)} (production)"
    # A release command given the production side acts on its enterprise workspace.
    made = developer.json(
        "releases", "create", "named", "--all", "--approver", f"dep_{suffix}", workspace=production
    )
    package = str(made["release_package_id"])
    listed = deployer.json("releases", "list", workspace=production)
    assert package in [str(p["package_id"]) for p in listed["data"]]
    known = cli.remote.call("GET", "/workspaces").json()["workspaces"]
    production_id = next(w for w in known if w["id"] == cli.workspace)["productionWorkspaceId"]
    by_id = deployer.json("releases", "show", package, workspace=production_id)
    assert str(by_id["release_package"]["package_id"]) == package  # its id stands for it too
    deployed = deployer("releases", "deploy", package, "--yes", workspace=production)
    assert deployed.exit_code == 0, (deployed.stdout, deployed.stderr)
    # Any other command takes its name too, and acts in production.
    jobs = cli.json("jobs", "list", workspace=production)
    assert [j["name"] for j in jobs["jobs"]] == ["named_a"]
    stopped = cli("jobs", "stop", "named_a", workspace=production)
    assert stopped.exit_code == 0, (stopped.stdout, stopped.stderr)

    unknown = deployer("releases", "list", workspace=production.replace("production", "prod"))
    assert unknown.exit_code == 2, (unknown.stdout, unknown.stderr)
    said = " ".join(unknown.stderr.split())
    assert "is not one of your workspaces" in said
    assert production in said
    assert "a production side is named after its workspace with ' (production)'" in said


def test_workspaces_list_and_settings_name_the_production_side_by_its_name(
    cli: Cli, tmp_path: Path
) -> None:
    _enterprise(cli, tmp_path)
    name = cli.remote.workspace_name(cli.workspace)
    production = f"{name} (production)"
    known = cli.remote.call("GET", "/workspaces").json()["workspaces"]
    production_id = next(w for w in known if w["id"] == cli.workspace)["productionWorkspaceId"]
    listed = cli("workspaces", "list", env={"COLUMNS": "250"}).stdout
    row = next(line for line in listed.splitlines() if line.startswith(production_id))
    assert production in row
    assert f"production of {name}" in row
    shown = " ".join(cli("workspaces", "settings", name, env={"COLUMNS": "250"}).stdout.split())
    assert f"mode: enterprise (production side {production} ({production_id}))" in shown
    side = cli("workspaces", "settings", production, env={"COLUMNS": "250"})
    assert side.exit_code == 0, (side.stdout, side.stderr)
    said = " ".join(side.stdout.split())
    assert f"workspace: {production} ({production_id})" in said
    assert f"mode: production side of enterprise workspace {name} ({cli.workspace})" in said
    assert "None" not in said


def test_releases_create_all_with_nothing_pending_is_nothing_to_do_exit_0(
    cli: Cli, tmp_path: Path
) -> None:
    # A pipeline's "package whatever is pending" step: nothing pending is no failure, and
    # --json says so in a field rather than only in words.
    suffix, developer, _ = _enterprise(cli, tmp_path)
    empty = developer("releases", "create", "nothing", "--all", "--approver", f"dep_{suffix}")
    assert empty.exit_code == 0, (empty.stdout, empty.stderr)
    said = " ".join(empty.stdout.split())
    assert said.startswith("Nothing to do: nothing waits for a release in")
    assert "no pending item to package" in said
    assert "jobferry releases pending lists them" in said
    assert "no pending item is named" not in said
    assert said.endswith("Nothing was created.")
    answer = developer.json("releases", "create", "nothing", "--all", "--approver", f"dep_{suffix}")
    assert answer == {"release_package_id": None, "items": 0, "nothingPending": True}
    assert developer.json("releases", "list")["total"] == 0


def test_a_release_failed_by_a_policy_rule_says_what_to_change_and_how_to_go_on(
    cli: Cli, tmp_path: Path
) -> None:
    suffix, developer, deployer = _enterprise(cli, tmp_path)
    _submit(cli, "guarded_a")
    made = developer.json("releases", "create", "guarded", "--all", "--approver", f"dep_{suffix}")
    package = str(made["release_package_id"])
    policy = {"protectedConnections": ["dws_conn"]}  # saved after the plan: the import checks it
    saved = cli.remote.call("PUT", "/policies/workspace", policy, workspace=cli.workspace)
    assert saved.status_code == 200, saved.text

    failed = deployer("releases", "deploy", package, "--yes")
    assert failed.exit_code == 1, (failed.stdout, failed.stderr)
    said = " ".join((failed.stdout + failed.stderr).split())
    assert "breaks the protected connections of the policy" in said
    w = f"-w {cli.remote.workspace_name(cli.workspace)}"
    assert (
        "dws_conn. To release it: change the objects named in development so they keep the "
        "protected connections; submit what you changed, package the pending items anew with "
        f"jobferry releases create {w} and cancel this one (jobferry releases cancel {package} "
        f"{w}); or have an admin change the policy (jobferry policies put -f FILE {w}) and "
        f"deploy it again (jobferry releases deploy {package} {w})."
    ) in said
    assert "change the plan" not in said
