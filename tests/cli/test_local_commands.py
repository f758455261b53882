"""Local commands on the server's database: admin (users, keys, workspaces, roles), db, serve."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from jobferry import __version__
from jobferry.cli import serve, terminal
from jobferry.services.accounts.service import AccountService
from jobferry.services.container import Services
from jobferry.services.context import now_ms
from jobferry.settings import Settings
from jobferry.storage import lockouts as lockouts_repo
from jobferry.storage.schema import head_revision
from support.busy import short_busy_wait, write_lock_held
from support.cli import invoke
from support.clients import ADMIN_AK


@pytest.fixture
def local_env(settings: Settings, services: Services) -> dict[str, str | None]:
    """The JOBFERRY_* settings of a migrated, bootstrapped database (as the server has them)."""
    return {
        "JOBFERRY_DATA_DIR": str(settings.data_dir),
        "JOBFERRY_DATABASE_URL": settings.resolved_database_url(),
        "JOBFERRY_PROJECT_ID": None,
    }


def admin(env: dict[str, str | None], *args: str, code: int = 0) -> Any:
    """``jobferry admin <args> --json`` → the parsed answer."""
    result = invoke(["admin", *args, "--json"], env=env)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_create_user_credentials_and_role(
    local_env: dict[str, str | None], services: Services, settings: Settings
) -> None:
    ws = admin(local_env, "create-workspace", "prod")
    user = admin(local_env, "create-user", "carol")
    assert user["name"] == "carol"
    assert user["projectAdmin"] is False
    issued = admin(local_env, "create-credentials", "carol")
    assert services.accounts.secret_for(issued["accessKey"]) == issued["secretKey"]
    admin(local_env, "set-role", "carol", "prod", "developer")
    users = {u["name"]: u for u in admin(local_env, "users")["users"]}
    assert users["carol"]["roles"] == [
        {"workspaceId": ws["id"], "workspace": "prod", "role": "developer"}
    ]
    assert users["carol"]["accessKeys"] == [issued["accessKey"]]
    actor = services.accounts.actor_for(issued["accessKey"])
    assert services.accounts.scope(actor, settings.project_id or "", ws["id"]).role == "developer"
    admin(local_env, "remove-role", "carol", ws["id"])
    admin(local_env, "revoke-credentials", "carol", issued["accessKey"])
    # Another process's revocation: read storage, not this process's 2-second cache.
    fresh = AccountService(services.db, services.accounts.box)
    assert fresh.secret_for(issued["accessKey"]) is None


def test_remove_user_asks_first_then_removes_them_with_their_keys(
    local_env: dict[str, str | None], services: Services
) -> None:
    admin(local_env, "create-user", "carol")
    issued = admin(local_env, "create-credentials", "carol")
    unasked = invoke(["admin", "remove-user", "carol"], env=local_env)
    assert unasked.exit_code == 2
    assert "pass --yes to remove the user without asking" in unasked.stderr
    assert "carol" in [u["name"] for u in admin(local_env, "users")["users"]]

    removed = admin(local_env, "remove-user", "carol", "--yes")

    assert (removed["user"], removed["accessKeys"]) == ("carol", [issued["accessKey"]])
    fresh = AccountService(services.db, services.accounts.box)
    assert fresh.secret_for(issued["accessKey"]) is None
    last = invoke(["admin", "remove-user", "admin", "--yes"], env=local_env)
    assert last.exit_code == 1
    assert "DLF.3051" in last.stderr
    assert "last admin" in last.stderr
    assert "jobferry admin set-project-admin USER" in last.stderr  # the CLI's own fix
    assert "/users" not in last.stderr
    made = admin(local_env, "set-project-admin", "admin")
    assert made == {"name": "admin", "projectAdmin": True}
    admin(local_env, "create-user", "dora")
    said = invoke(["admin", "set-project-admin", "dora"], env=local_env)
    assert "User 'dora' is a project admin now." in said.stdout
    admin(local_env, "remove-user", "admin", "--yes")  # dora is one: admin is not the last
    off = invoke(["admin", "set-project-admin", "dora", "--off"], env=local_env)
    assert off.exit_code == 1
    assert "last admin" in off.stderr
    assert "jobferry admin set-project-admin USER" in off.stderr
    admin(local_env, "create-user", "eve", "--project-admin")
    assert admin(local_env, "set-project-admin", "dora", "--off")["projectAdmin"] is False
    human = invoke(["admin", "remove-user", "dora", "--yes"], env=local_env)
    assert human.exit_code == 0, human.stderr
    assert "User 'dora' removed: 0 access key(s), roles in none" in human.stdout


def test_workspaces_lists_default_and_new_ones(local_env: dict[str, str | None]) -> None:
    admin(local_env, "create-workspace", "staging")
    names = [w["name"] for w in admin(local_env, "workspaces")["workspaces"]]
    assert names == ["default", "staging"]
    human = invoke(["admin", "workspaces"], env=local_env)
    assert "staging" in human.stdout


def test_admin_changes_are_audited_as_local_admin(
    local_env: dict[str, str | None], services: Services
) -> None:
    ws = admin(local_env, "create-workspace", "audited")
    actor = services.accounts.local_operator(None)
    scope = services.accounts.scope(actor, actor.project_id, ws["id"])
    entries = services.audit.list_entries(scope, 50, 0).entries
    assert [(e.action, e.actor) for e in entries] == [("workspace.create", "local-admin")]


def test_admin_refusals_show_the_code_and_exit_1(local_env: dict[str, str | None]) -> None:
    admin(local_env, "create-user", "erin")
    again = invoke(["admin", "create-user", "erin"], env=local_env)
    assert again.exit_code == 1
    assert "DLF.9010" in again.stderr
    nobody = admin(local_env, "create-credentials", "nobody", code=1)
    assert nobody["error"]["code"] == "DLF.9003"
    unknown_ws = invoke(["admin", "set-role", "erin", "nowhere", "viewer"], env=local_env)
    assert unknown_ws.exit_code == 2
    assert "create-workspace" in unknown_ws.stderr
    bad_role = invoke(["admin", "set-role", "erin", "default", "boss"], env=local_env)
    assert bad_role.exit_code == 2


def test_set_role_in_a_production_side_is_refused_not_said_to_be_missing(
    local_env: dict[str, str | None], services: Services
) -> None:
    """A production side is not listed, but it exists: a role there is refused (DLF.9070,
    give it in the development workspace), by its id or its name, not called unknown."""
    boss = services.accounts.local_operator(None)
    ent = services.accounts.create_workspace(boss, boss.project_id, "ent")
    scope = services.accounts.scope(boss, boss.project_id, ent)
    services.releases.update_workspace(scope, {"name": "ent", "mode": "1"})
    side = services.accounts.scope(boss, boss.project_id, ent).workspace
    assert side.production_id is not None
    name = services.accounts.scope(boss, boss.project_id, side.production_id).workspace.name
    for named in (side.production_id, name):
        refused = admin(local_env, "set-role", "admin", named, "viewer", code=1)
        assert refused["error"]["code"] == "DLF.9070", refused
        taken = admin(local_env, "remove-role", "admin", named, code=1)
        assert taken["error"]["code"] == "DLF.9070", taken


def test_remove_role_a_user_does_not_hold_says_what_to_do(
    local_env: dict[str, str | None],
) -> None:
    admin(local_env, "create-user", "erin")
    result = invoke(["admin", "remove-role", "erin", "default"], env=local_env)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    said = " ".join(result.stderr.split())
    assert "User 'erin' has no role in workspace 'default'" in said
    assert "nothing was changed" in said
    assert "users are listed with their roles" in said


def test_set_password_asks_on_standard_error(
    local_env: dict[str, str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The password questions go to standard error: --json's standard output stays one
    document."""
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)
    typed = "a typed password 1\n"
    result = invoke(["admin", "set-password", "admin", "--json"], env=local_env, input=typed * 2)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert json.loads(result.stdout)["user"] == "admin"
    assert "New password" in result.stderr


def test_db_rotate_secret_key_encrypts_the_secrets_under_the_first_key_and_says_what_next(
    local_env: dict[str, str | None], settings: Settings
) -> None:
    old = (settings.data_dir / "secret.key").read_text().strip()
    alone = invoke(["db", "rotate-secret-key"], env=local_env)
    assert alone.exit_code == 1
    assert "holds one key" in alone.stderr
    assert "DLF.3051" in alone.stderr

    new = Fernet.generate_key().decode()
    both = {**local_env, "JOBFERRY_SECRET_KEY": f"{new},{old}"}
    done = invoke(["db", "rotate-secret-key"], env=both)
    assert done.exit_code == 0, done.stderr
    assert "the secret keys of access keys: 1 encrypted again, 0 under the new key already" in (
        done.stdout
    )
    assert "Remove the old key" in done.stdout
    again = invoke(["db", "rotate-secret-key", "--json"], env=both)
    assert json.loads(again.stdout)["encrypted"] == 0
    # the new key alone now serves the database's local commands; the old alone is refused
    users = invoke(["admin", "users", "--json"], env={**local_env, "JOBFERRY_SECRET_KEY": new})
    assert users.exit_code == 0, users.stderr
    refused = invoke(["admin", "users"], env={**local_env, "JOBFERRY_SECRET_KEY": old})
    assert refused.exit_code == 1
    assert "DLF.9510" in refused.stderr


def test_admin_beside_an_import_s_write_lock_says_the_database_is_busy_and_exits_1(
    local_env: dict[str, str | None], services: Services
) -> None:
    url = str(local_env["JOBFERRY_DATABASE_URL"])
    with short_busy_wait(services.db), write_lock_held(url):
        human = invoke(["admin", "create-user", "erin"], env=local_env)
        machine = admin(local_env, "create-user", "erin", code=1)
    assert human.exit_code == 1
    assert human.stderr.startswith("error DLF.9504: The database is busy with another write")
    assert "Try again in 1 s or once that import ends" in human.stderr
    assert "Traceback" not in human.stderr
    assert "Internal error" not in human.stderr
    assert machine["error"]["code"] == "DLF.9504"
    assert machine["error"]["retry_after"] == 1
    assert "erin" not in [user["name"] for user in admin(local_env, "users")["users"]]


def test_admin_names_an_unknown_project(local_env: dict[str, str | None]) -> None:
    result = invoke(["admin", "--project-id", "f" * 32, "users"], env=local_env)
    assert result.exit_code == 1
    assert "does not exist in this database" in result.stderr


def _unmigrated_env(folder: Any) -> dict[str, str | None]:
    """The settings of a data folder and a SQLite file in ``folder`` that nothing has migrated."""
    return {
        "JOBFERRY_DATA_DIR": str(folder / "data"),
        "JOBFERRY_DATABASE_URL": f"sqlite:///{folder / 'jobferry.db'}",
    }


def test_db_upgrade_and_admin_on_a_fresh_database(tmp_path: Any) -> None:
    env = _unmigrated_env(tmp_path)
    before = invoke(["admin", "users"], env=env)
    assert before.exit_code == 1
    assert "DLF.9503" in before.stderr
    upgraded = invoke(["db", "upgrade"], env=env)
    assert upgraded.exit_code == 0, upgraded.output
    assert "database created at revision" in upgraded.stdout
    empty = invoke(["admin", "users"], env=env)
    assert empty.exit_code == 1
    assert "start the server once" in empty.stderr


def test_serve_refuses_a_database_that_is_not_migrated(tmp_path: Any) -> None:
    env = _unmigrated_env(tmp_path)
    result = invoke(["serve", "--port", "0"], env=env)
    assert result.exit_code == 1
    assert "DLF.9503" in result.stderr
    assert "jobferry db upgrade" in result.stderr


def test_serve_on_an_empty_data_folder_refuses_and_leaves_it_empty(tmp_path: Path) -> None:
    """SQLite makes a database file on connect: the refusal of a database nothing migrated is
    said before anything connects, so the folder stays empty (no ``jobferry.db``), and a data
    folder that is not there is not made; so do the admin commands given the file's URL."""
    data = tmp_path / "data"
    data.mkdir()
    absent = tmp_path / "absent"
    runs = [
        (["serve", "--port", "0"], {"JOBFERRY_DATA_DIR": str(data), "JOBFERRY_DATABASE_URL": None}),
        (["serve", "--port", "0"], {"JOBFERRY_DATA_DIR": str(absent)}),
        (
            ["admin", "users"],
            {
                "JOBFERRY_DATA_DIR": str(absent),
                "JOBFERRY_DATABASE_URL": f"sqlite:///{absent / 'jobferry.db'}",
            },
        ),
    ]
    for command_line, env in runs:
        result = invoke(command_line, env={"JOBFERRY_DATABASE_URL": None, **env})

        assert result.exit_code == 1, (result.stdout, result.stderr)
        assert list(data.iterdir()) == []
        assert not absent.exists()
        said = " ".join(result.stderr.split())
        assert "DLF.9503" in said
        assert "There is no jobferry database at" in said
        assert "run 'jobferry db upgrade' first, with the same settings: it creates" in said
        assert "serving at" not in result.stdout


def test_a_database_url_naming_a_folder_is_refused_as_one(tmp_path: Path) -> None:
    """JOBFERRY_DATABASE_URL naming a folder (the data folder, not its file): refused saying
    so and naming a file in it, by db upgrade and serve alike, not as SQLite's "unable to open
    database file" with a fix to check that the folder exists and may be written, which it
    does and may."""
    folder = tmp_path / "data"
    folder.mkdir()
    env = {"JOBFERRY_DATA_DIR": str(folder), "JOBFERRY_DATABASE_URL": f"sqlite:///{folder}"}
    for command_line in (["db", "upgrade"], ["serve", "--port", "0"]):
        result = invoke(command_line, env=env)

        assert result.exit_code == 1, (result.stdout, result.stderr)
        said = " ".join(result.stderr.split())
        assert f"The SQLite database {folder} (JOBFERRY_DATABASE_URL, else" in said
        assert "is a folder, not a database file; nothing was opened." in said
        assert f"Name a file in it (sqlite:///{folder / 'jobferry.db'})" in said
        assert list(folder.iterdir()) == []


def test_admin_commands_from_another_folder_refuse_and_create_no_database(
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "not-the-server"
    env: dict[str, str | None] = {
        "JOBFERRY_DATA_DIR": str(elsewhere),
        "JOBFERRY_DATABASE_URL": None,
        "JOBFERRY_PROJECT_ID": None,
    }

    result = invoke(["admin", "users", "--json"], env=env)

    assert result.exit_code == 1, (result.stdout, result.stderr)
    error = json.loads(result.stdout)["error"]
    assert "no jobferry database" in error["message"]
    assert "JOBFERRY_DATA_DIR" in error["message"]
    assert not elsewhere.exists()


def test_version_prints_the_package_version_and_its_schema() -> None:
    result = invoke(["--version"])

    assert result.exit_code == 0
    assert result.stdout.strip() == f"jobferry {__version__} (schema {head_revision()})"


def test_serve_on_a_taken_port_says_so_before_any_banner(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env: dict[str, str | None] = {
            "JOBFERRY_DATA_DIR": str(tmp_path / "data"),
            "JOBFERRY_DATABASE_URL": None,
            "JOBFERRY_HOST": "127.0.0.1",
        }

        result = invoke(["serve", "--port", str(port)], env=env)

    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
    offered = re.search(
        r"pass --port (\d+) \(or set JOBFERRY_PORT: JOBFERRY_PORT=\1 make run", result.stderr
    )
    assert offered, result.stderr
    with socket.socket() as probe:  # the port it offers was free when it said so
        probe.bind(("127.0.0.1", int(offered.group(1))))
    assert "serving at" not in result.stdout
    assert not (tmp_path / "data").exists()  # refused before the database was touched


def test_serve_on_a_taken_port_beside_a_server_of_the_same_sqlite_database_offers_no_port(
    tmp_path: Path,
) -> None:
    # `make run` twice in one checkout: the second must not be sent to another port of the
    # same SQLite file, which takes one server
    data = tmp_path / "data"
    data.mkdir()
    mark = os.open(data / "jobferry.db.serving", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(mark, fcntl.LOCK_SH)  # as a serving process holds it (storage/presence.py)
    try:
        with socket.socket() as holder:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            port = holder.getsockname()[1]
            env: dict[str, str | None] = {
                "JOBFERRY_DATA_DIR": str(data),
                "JOBFERRY_DATABASE_URL": None,
                "JOBFERRY_HOST": "127.0.0.1",
            }
            result = invoke(["serve", "--port", str(port)], env=env)
    finally:
        os.close(mark)

    assert result.exit_code == 1, (result.stdout, result.stderr)
    said = " ".join(result.stderr.split())
    assert f"Cannot listen on 127.0.0.1:{port}" in said
    assert f"A jobferry already serves this database ({data.resolve()}/jobferry.db)" in said
    assert "another server needs its own data folder (JOBFERRY_DATA_DIR)" in said
    assert "--port" not in said
    assert not (data / "jobferry.db").exists()  # refused before the database was touched


def test_the_banner_names_the_jobferry_that_was_started_when_the_shell_cannot_find_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started = tmp_path / ".venv" / "bin" / "jobferry"
    started.parent.mkdir(parents=True)
    started.write_text("")
    monkeypatch.setattr(sys, "argv", [str(started), "serve"])
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))

    assert serve._own_command() == str(started)

    monkeypatch.setenv("PATH", str(started.parent))
    started.chmod(0o755)
    assert serve._own_command() == "jobferry"


@pytest.mark.parametrize("asked", [["--workers", "2"], []])
def test_serve_refuses_several_processes_on_sqlite_naming_postgresql(
    tmp_path: Path, asked: list[str]
) -> None:
    env: dict[str, str | None] = {
        "JOBFERRY_DATA_DIR": str(tmp_path / "data"),
        "JOBFERRY_DATABASE_URL": None,
        "JOBFERRY_WORKERS": None if asked else "2",
    }

    result = invoke(["serve", "--port", "0", *asked], env=env)

    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "JOBFERRY_WORKERS=2" in result.stderr
    assert "PostgreSQL" in result.stderr
    assert "serving at" not in result.stdout
    assert not (tmp_path / "data").exists()  # refused before the database was touched


def _unlocks(services: Services) -> list[tuple[str, str]]:
    actor = services.accounts.local_operator(None)
    entries = services.audit.project_entries(actor, 50, 0).entries
    return [(e.action, e.actor) for e in entries if e.action == "credential.unlock"]


def test_unlock_key_lifts_an_access_keys_lockout(
    local_env: dict[str, str | None], services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    attempt = services.lockouts.attempt(now_ms())
    assert attempt.secret_for(ADMIN_AK) is not None
    for _ in range(services.lockouts.max_failures):
        attempt.failed()
    caplog.clear()  # the lock's own warning, a server's
    with caplog.at_level(logging.DEBUG, logger="jobferry"):
        assert admin(local_env, "unlock-key", ADMIN_AK) == {"unlocked": ADMIN_AK}
    # A local command has no server log: a warning there was a bare line under its answer.
    assert [r.getMessage() for r in caplog.records if r.name.startswith("jobferry")] == []
    assert services.lockouts.attempt(now_ms()).secret_for(ADMIN_AK) is not None
    assert _unlocks(services) == [("credential.unlock", "local-admin")]
    refused = admin(local_env, "unlock-key", "AKNOSUCHKEY", code=1)
    assert "No access key 'AKNOSUCHKEY'" in json.dumps(refused)


def test_unlock_key_of_a_key_not_locked_says_so_and_changes_nothing(
    local_env: dict[str, str | None], services: Services
) -> None:
    attempt = services.lockouts.attempt(now_ms())
    assert attempt.secret_for(ADMIN_AK) is not None
    attempt.failed()
    said = {"notLocked": ADMIN_AK, "failures": 1}
    assert admin(local_env, "unlock-key", ADMIN_AK) == said
    human = invoke(["admin", "unlock-key", ADMIN_AK], env=local_env)
    assert human.exit_code == 0, human.stderr
    assert f"Access key {ADMIN_AK} is not locked; nothing changed" in human.stdout
    assert "1 failed signature(s) in a row" in human.stdout
    assert _unlocks(services) == []
    with services.db.transaction(readonly=True) as tx:
        state = lockouts_repo.key_state(tx, ADMIN_AK)
    assert state is not None
    assert (state.failures, state.locked_until) == (1, None)
    # a lock that has run out is no lock either
    lapsed = services.lockouts.attempt(now_ms() - 10**9)
    assert lapsed.secret_for(ADMIN_AK) is not None
    for _ in range(services.lockouts.max_failures - 1):  # the one above counted
        lapsed.failed()
    assert admin(local_env, "unlock-key", ADMIN_AK) == {"notLocked": ADMIN_AK, "failures": 0}
    assert _unlocks(services) == []


def test_serve_on_a_host_that_is_no_address_names_the_host_setting(tmp_path: Path) -> None:
    env: dict[str, str | None] = {
        "JOBFERRY_DATA_DIR": str(tmp_path / "data"),
        "JOBFERRY_DATABASE_URL": None,
        "JOBFERRY_HOST": "not_a_host.invalid",
    }
    result = invoke(["serve", "--port", "8790"], env=env)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "Cannot listen on not_a_host.invalid:8790" in result.stderr
    assert "Pass --host (or set JOBFERRY_HOST)" in result.stderr
    assert "--port" not in result.stderr  # nothing holds the port: its fix is not this one
    assert not (tmp_path / "data").exists()


def test_the_banner_s_password_command_reaches_the_database_the_server_was_started_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A second server on a data folder of its own: the command the banner gives sets the
    password there, not in ./data; a database URL (it may hold a password) is not repeated."""
    monkeypatch.setattr(serve, "_own_command", lambda: "jobferry")
    monkeypatch.delenv("JOBFERRY_DATABASE_URL", raising=False)
    monkeypatch.delenv("JOBFERRY_DATA_DIR", raising=False)
    assert serve.password_hint() == "jobferry admin set-password USER"
    monkeypatch.setenv("JOBFERRY_DATA_DIR", "/srv/jobferry two")
    assert serve.password_hint() == (
        "JOBFERRY_DATA_DIR='/srv/jobferry two' jobferry admin set-password USER"
    )
    monkeypatch.setenv("JOBFERRY_DATABASE_URL", "postgresql://jf:secret@db/jf")
    hint = serve.password_hint()
    assert hint == (
        "jobferry admin set-password USER, with this server's JOBFERRY_DATABASE_URL set"
    )
    assert "secret" not in hint


def test_serve_refuses_a_second_server_of_a_served_sqlite_database_on_another_port(
    tmp_path: Path,
) -> None:
    """SQLite takes one server (as it takes one worker): a second serve of the same data
    folder on a free port is refused before it touches anything, naming what to do."""
    data = tmp_path / "data"
    data.mkdir()
    mark = os.open(data / "jobferry.db.serving", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(mark, fcntl.LOCK_SH)  # as a serving process holds it (storage/presence.py)
    env: dict[str, str | None] = {"JOBFERRY_DATA_DIR": str(data), "JOBFERRY_DATABASE_URL": None}
    try:
        result = invoke(["serve", "--host", "127.0.0.1", "--port", "0"], env=env)
    finally:
        os.close(mark)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    said = " ".join(result.stderr.split())
    assert f"A jobferry already serves this database ({data.resolve()}/jobferry.db)" in said
    assert "another server needs its own data folder (JOBFERRY_DATA_DIR)" in said
    assert "serving at" not in result.stdout
    assert not (data / "jobferry.db").exists()


def test_revoking_the_generated_admin_key_removes_the_credentials_file_holding_it(
    local_env: dict[str, str | None], settings: Settings
) -> None:
    """The guide has the admin's printed key pair replaced, then revoked: the data folder's
    admin-credentials.json, which ``config init`` reads, goes with it (kept, it would still
    write the revoked key into a context). A file holding another key stays."""
    held = settings.data_dir / "admin-credentials.json"
    issued = admin(local_env, "create-credentials", "admin")
    held.write_text(json.dumps({"projectId": "p", "accessKey": ADMIN_AK, "secretKey": "s"}))

    other = admin(local_env, "revoke-credentials", "admin", issued["accessKey"])
    assert other == {"user": "admin", "revoked": issued["accessKey"]}
    assert held.exists()

    result = invoke(["admin", "revoke-credentials", "admin", ADMIN_AK], env=local_env)
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert f"Access key {ADMIN_AK} revoked. Removed {held}, which held {ADMIN_AK}" in said
    assert not held.exists()


def test_removing_the_generated_admin_removes_the_credentials_file_holding_their_key(
    local_env: dict[str, str | None], settings: Settings
) -> None:
    """The generated admin's key goes with them when another project admin removes them (the
    guide's someone leaving): admin-credentials.json, which ``config init`` reads, goes too,
    as when the key alone is revoked; removing another user leaves it."""
    held = settings.data_dir / "admin-credentials.json"
    held.write_text(json.dumps({"projectId": "p", "accessKey": ADMIN_AK, "secretKey": "s"}))
    admin(local_env, "create-user", "dora", "--project-admin")
    admin(local_env, "create-user", "erin")
    admin(local_env, "create-credentials", "erin")
    assert "removedFile" not in admin(local_env, "remove-user", "erin", "--yes")
    assert held.exists()

    result = invoke(["admin", "remove-user", "admin", "--yes"], env=local_env)
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert f"Removed {held}, which held {ADMIN_AK}" in said
    assert not held.exists()


def test_remove_user_asks_naming_the_routes_and_packages_left_short_of_approvers(
    local_env: dict[str, str | None], services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the removal, the question names the route whose only approver goes and the
    waiting release package whose only approver goes, each with its fix; declined, the
    ``--json`` answer names them too; made, the answer says them again."""
    from jobferry.domain.enums import Role
    from support.console import admin_scope
    from support.releases import connected_team, make_package, person, submit_job

    prod = admin(local_env, "create-workspace", "prod")["id"]
    person(services, prod, "ada", Role.DEVELOPER)
    route = {
        "source": {"workspace": "default"},
        "target": {"workspace": "prod"},
        "approvals": {"required": 1, "approvers": ["ada"]},
    }
    services.routes.put(admin_scope(services), "to-prod", route)
    team = connected_team(services)
    services.release_approvals.set_rule(team.admin, {"requireApprovals": 1})
    submit_job(services, team.developer, "daily")
    package = make_package(services, team)
    deployer = team.deployer.actor.name
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: True)

    asked = invoke(["admin", "remove-user", "ada"], env=local_env, input="n\n")

    assert asked.exit_code == 1, asked.output
    question = " ".join(asked.stderr.split())
    assert "Remove user 'ada'?" in question
    assert "these are left with too few approvers" in question
    assert (
        "- route to-prod: without ada, 0 of its 1 approver(s) can approve where 1 are "
        "required; name approvers who can: jobferry routes edit to-prod --approvers A,B"
    ) in question
    assert "Cancelled; nothing was removed." in asked.stdout
    declined = invoke(["admin", "remove-user", deployer, "--json"], env=local_env, input="n\n")
    assert declined.exit_code == 1, declined.output
    short = {
        "id": str(package),
        "name": "p1",
        "workspace": "sales",
        "gone": [deployer],
        "approvers": 1,
        "required": 1,
    }
    answer = declined.stdout[declined.stdout.index("{") :]  # after the typed "n", echoed
    assert json.loads(answer) == {
        "removed": None,
        "routesLeftShort": [],
        "packagesLeftShort": [short],
    }
    assert f"cancel it with jobferry releases cancel {package} -w sales, then" in " ".join(
        declined.stderr.split()
    )
    assert {"ada", deployer} <= {u["name"] for u in admin(local_env, "users")["users"]}

    removed = invoke(["admin", "remove-user", deployer, "--yes"], env=local_env)
    assert removed.exit_code == 0, removed.stderr
    said = " ".join(removed.stdout.split())
    assert "Now these are left with too few approvers" in said
    assert (
        f"- release package {package} (p1) in workspace sales: without {deployer}, 0 of its 1 "
        f"approver(s) can approve where 1 are required; cancel it with jobferry releases "
        f"cancel {package} -w sales, then package its items again with jobferry releases "
        "create -w sales, naming approvers who can"
    ) in said
    assert admin(local_env, "remove-user", "ada", "--yes")["routesLeftShort"] == [
        {"route": "to-prod", "gone": ["ada"], "approvers": 1, "required": 1}
    ]
