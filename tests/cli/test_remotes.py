"""``jobferry remotes``: a second jobferry server behind the contract filter plays the remote;
the CLI adds it (the secret key never on the command line nor printed), tests it, refreshes its
shadow workspace, is refused a write into the shadow, and removes it."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from pathlib import Path

import pytest

from jobferry.cli import terminal
from support.builders import make_job
from support.cli import Cli, register
from support.exporting import seed
from support.gateway import Gateway
from support.remotes import remote_workspace
from support.server import ServerProcess, new_workspace

SECRET_HINT = "@FILE, - (standard input) or env:VARIABLE"


def test_a_remote_is_added_tested_refreshed_and_removed_from_the_cli(
    cli: Cli,
    gateway: Gateway,
    remote_server: ServerProcess,
    package: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = f"rm-{uuid.uuid4().hex[:8]}"
    ws = remote_workspace(remote_server)
    options = [
        "--endpoint", gateway.url, "--project-id", remote_server.project_id,
        "--workspace", ws, "--access-key", remote_server.ak,
    ]  # fmt: skip
    inline = cli("remotes", "add", name, *options, "--secret-key", remote_server.sk)
    assert inline.exit_code == 2
    assert "shell's history" in inline.stderr
    assert SECRET_HINT in inline.stderr
    assert remote_server.sk not in inline.stderr
    assert name not in [r["name"] for r in cli.json("remotes", "list")["remotes"]]
    unset = cli("remotes", "add", name, *options, "--secret-key", "env:JF_UNSET_REMOTE_SK")
    assert unset.exit_code == 2

    secret = tmp_path / "remote.sk"
    secret.write_text(remote_server.sk + "\n", encoding="utf-8")
    studio = ["--studio-endpoint", gateway.url + "/"]  # the Studio calls' host: here the same
    added = cli("remotes", "add", name, *options, *studio, "--secret-key", f"@{secret}")
    assert added.exit_code == 0, added.output
    assert f"jobferry remotes refresh {name}" in added.stdout
    monkeypatch.setenv("JF_REMOTE_SK", remote_server.sk)
    shown = cli("remotes", "show", name)
    assert shown.exit_code == 0, shown.output
    assert "never" in shown.stdout
    assert f"studio endpoint: {gateway.url}\n" in shown.stdout.replace("  ", " ")
    assert remote_server.sk not in added.stdout + shown.stdout

    tested = cli("remotes", "test", name)
    assert tested.exit_code == 0, tested.output
    assert "is reachable" in tested.stdout  # the verdict asked for: a result
    assert tested.stderr == ""
    refreshed = cli("remotes", "refresh", name)
    assert refreshed.exit_code == 0, refreshed.output
    # 2 jobs, a script, a resource and the connection dws_conn
    assert "created 5, updated 0, deleted 0, unchanged 0" in refreshed.stdout
    again = cli.json("remotes", "refresh", name)
    assert again["counts"]["job"]["unchanged"] == 2
    listed = cli.json("tasks", "list", "-w", name)["tasks"]
    ran = [(t["kind"], t["status"]) for t in listed if t["kind"] == "refresh"]
    assert ran == [("refresh", "SUCCESSFUL")] * 2  # each a task of the shadow, followed
    shown = cli("remotes", "show", name)
    assert "created 0, updated 0, deleted 0, unchanged 5" in shown.stdout

    refused = cli("jobs", "start", "daily_sales", "-w", name)
    assert refused.exit_code == 1
    assert f"is the shadow of remote '{name}'" in refused.stderr
    assert f"jobferry remotes refresh {name}" in refused.stderr
    listed = cli.json("jobs", "list", "-w", name)  # reads work on a shadow
    assert sorted(j["name"] for j in listed["jobs"]) == ["daily_sales", "weekly_sales"]
    planned = cli("plan", str(package), "-w", name)
    assert planned.exit_code in (0, 3, 4), planned.output  # a plan reads: it works on a shadow

    unasked = cli("remotes", "remove", name)  # no one at the terminal to answer
    assert unasked.exit_code == 2
    assert "pass --yes to remove it without asking" in " ".join(unasked.stderr.split())
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    declined = cli("remotes", "remove", name, input="n\n")
    assert declined.exit_code == 1
    assert f"Remove remote '{name}' at " in declined.stderr
    assert "Cancelled; nothing was removed." in declined.stdout
    assert cli("remotes", "show", name).exit_code == 0  # still there
    removed = cli("remotes", "remove", name, input="y\n")
    assert removed.exit_code == 0, removed.output
    gone = cli("remotes", "show", name)
    assert gone.exit_code == 1
    assert "DLF.9064" in gone.stderr
    assert gateway.refused() == []


def test_promote_apply_along_a_route_ending_in_a_shadow_pushes_to_the_remote(
    cli: Cli, gateway: Gateway, remote_server: ServerProcess, tmp_path: Path
) -> None:
    name = f"rp-{uuid.uuid4().hex[:8]}"
    ws = new_workspace(remote_server, f"prod_{uuid.uuid4().hex[:8]}", "dws_conn", "ssh_conn")
    secret = tmp_path / "remote.sk"
    secret.write_text(remote_server.sk, encoding="utf-8")
    added = cli(
        "remotes", "add", name, "--endpoint", gateway.url, "--project-id",
        remote_server.project_id, "--workspace", ws, "--access-key", remote_server.ak,
        "--secret-key", f"@{secret}",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    register(
        cli.remote,
        cli.json("remotes", "show", name)["shadowWorkspace"]["id"],
        "dws_conn",
        "ssh_conn",
    )
    assert cli("remotes", "refresh", name).exit_code == 0
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    route = f"to-{name}"
    made = cli("routes", "create", route, "--from", cli.workspace, "--to", name)
    assert made.exit_code == 0, made.output
    done = cli.json("promote", route, "--apply", "--yes")
    assert done["task"]["status"] == "SUCCESSFUL", done
    listed = remote_server.call("GET", "/jobs", workspace=ws).json()
    assert [job["name"] for job in listed["jobs"]] == ["daily_sales"]
    assert cli.json("promote", route)["promotion"] is None  # the shadow took the promotion
    assert gateway.refused() == []


def test_refresh_from_a_carried_dataarts_export_uploads_it_into_the_shadow_and_says_so(
    cli: Cli,
    gateway: Gateway,
    remote_server: ServerProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = f"rs-{uuid.uuid4().hex[:8]}"
    ws = remote_workspace(remote_server)
    monkeypatch.setenv("JF_REMOTE_SK", remote_server.sk)
    options = [
        "--endpoint", gateway.url, "--project-id", remote_server.project_id,
        "--workspace", ws, "--access-key", remote_server.ak, "--secret-key", "env:JF_REMOTE_SK",
    ]  # fmt: skip
    assert cli("remotes", "add", name, *options).exit_code == 0
    carried = tmp_path / "jobs.zip"
    with zipfile.ZipFile(carried, "w") as archive:
        archive.writestr("jobs/daily_sales/daily_sales.job", json.dumps(make_job("daily_sales")))
    refreshed = cli("remotes", "refresh", name, "--from", str(carried))
    assert refreshed.exit_code == 0, refreshed.output
    sha = hashlib.sha256(carried.read_bytes()).hexdigest()
    assert "created 1, updated 0, deleted 0, unchanged 0" in refreshed.stdout
    assert f"from snapshot jobs.zip (sha256 {sha}" in refreshed.stdout
    assert "Note: a DataArts batch export holds only" in refreshed.stdout
    assert gateway.seen == []  # the remote was not called
    shown = cli("remotes", "show", name)
    assert f"from snapshot jobs.zip (sha256 {sha})" in shown.stdout
    assert "a DataArts batch export holds only the scripts and resources" in shown.stdout
    listed = cli.json("jobs", "list", "-w", name)
    assert [j["name"] for j in listed["jobs"]] == ["daily_sales"]
    missing = cli("remotes", "refresh", name, "--from", str(tmp_path / "nothing.zip"))
    assert missing.exit_code == 2


def test_remotes_edit_rotates_the_secret_key_and_moves_the_endpoint_in_place(
    cli: Cli, gateway: Gateway, remote_server: ServerProcess, tmp_path: Path
) -> None:
    name = f"ed-{uuid.uuid4().hex[:8]}"
    ws = remote_workspace(remote_server)
    old = tmp_path / "old.sk"
    old.write_text("not-the-secret\n", encoding="utf-8")
    added = cli(
        "remotes", "add", name, "--endpoint", gateway.url + "/elsewhere",
        "--project-id", remote_server.project_id, "--workspace", ws,
        "--access-key", remote_server.ak, "--secret-key", f"@{old}",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    refused = cli("remotes", "test", name)
    assert refused.exit_code == 1
    assert refused.stdout.strip()  # the verdict (its credentials refused), on standard output
    assert refused.stderr == ""

    nothing = cli("remotes", "edit", name)
    assert nothing.exit_code == 2
    assert "Nothing to change: give --endpoint" in nothing.stderr
    alone = cli("remotes", "edit", name, "--access-key", "NEWAK")
    assert alone.exit_code == 2
    assert "give --secret-key too" in alone.stderr
    inline = cli("remotes", "edit", name, "--secret-key", remote_server.sk)
    assert inline.exit_code == 2
    assert remote_server.sk not in inline.stderr

    secret = tmp_path / "new.sk"
    secret.write_text(remote_server.sk + "\n", encoding="utf-8")
    edited = cli("remotes", "edit", name, "--endpoint", gateway.url, "--secret-key", f"@{secret}")
    assert edited.exit_code == 0, edited.output
    assert f"Changed remote '{name}' (endpoint, secret key)" in edited.stdout
    assert f"jobferry remotes test {name}" in edited.stdout
    assert remote_server.sk not in edited.stdout
    assert cli("remotes", "test", name).exit_code == 0
    shown = cli.json("remotes", "show", name)
    assert (shown["endpoint"], shown["shadowWorkspace"]["name"]) == (gateway.url, name)

    studio = cli.json("remotes", "edit", name, "--studio-endpoint", gateway.url + "/studio")
    assert studio["studioEndpoint"] == gateway.url + "/studio"
    default = cli.json("remotes", "edit", name, "--studio-endpoint", "default")
    assert default["studioEndpoint"] == gateway.url
    assert cli("remotes", "remove", name, "--yes").exit_code == 0


def test_losing_the_server_while_following_a_refresh_names_the_shadow_workspace(
    cli: Cli,
    gateway: Gateway,
    remote_server: ServerProcess,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from jobferry.cli.client import ApiClient, ConnectionProblemError

    name = f"lost-{uuid.uuid4().hex[:8]}"
    secret = tmp_path / "remote.sk"
    secret.write_text(remote_server.sk + "\n", encoding="utf-8")
    added = cli(
        "remotes", "add", name, "--endpoint", gateway.url,
        "--project-id", remote_server.project_id, "--workspace", remote_workspace(remote_server),
        "--access-key", remote_server.ak, "--secret-key", f"@{secret}",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    here = cli.remote.workspace_name(cli.workspace)  # named: the CLI knows it before the refresh
    followed: list[str] = []

    def gone(self: ApiClient, task_id: str, *args: object, **kwargs: object) -> object:
        followed.append(task_id)
        raise ConnectionProblemError("Cannot reach http://127.0.0.1:1 (ConnectionError).")

    monkeypatch.setattr(ApiClient, "wait_task", gone)
    lost = cli("remotes", "refresh", name, workspace=here)
    monkeypatch.undo()
    [task_id] = followed
    assert lost.exit_code == 1, lost.output
    text = " ".join(lost.stderr.split())
    follow = text.split("follow it with: ", 1)[1].split()
    assert follow[-4:] == [task_id, "--wait", "-w", name]  # the task is the shadow's
    task = cli.json(*follow[1:])
    assert task["kind"] == "refresh"
    assert cli("remotes", "remove", name, "--yes").exit_code == 0
