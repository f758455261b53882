"""env, profiles and keys: a target workspace set up from the terminal, secrets never echoed."""

from __future__ import annotations

import json
from pathlib import Path

from jobferry.cli.output import epoch_ms
from support.cli import Cli, member, register
from support.exporting import seed

SECRET = "pw-9f3c1d"


def test_env_put_takes_secrets_from_a_file_stdin_or_a_variable_and_never_echoes_them(
    cli: Cli, tmp_path: Path
) -> None:
    secret_file = tmp_path / "dws.pw"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    put = cli(
        "env", "put", "connection", "dws_prod", "--type", "DWS",
        "--config", "host=10.0.0.9", "--config", "port=8000",
        "--secret", f"password=@{secret_file}", "--secret", "token=-",
        input=SECRET + "-token\n",
    )  # fmt: skip
    assert put.exit_code == 0, put.output
    assert "Saved connection 'dws_prod'" in put.stdout
    assert "secrets set: password, token" in put.stdout
    assert SECRET not in put.output
    stored = cli.remote.call("GET", "/environment/connection/dws_prod", workspace=cli.workspace)
    assert stored.json()["config"] == {"host": "10.0.0.9", "port": "8000"}
    assert stored.json()["secrets"] == {"password": "set", "token": "set"}
    shown = cli("env", "show", "connection", "dws_prod")
    assert shown.exit_code == 0, shown.output
    assert "10.0.0.9" in shown.stdout
    assert "password (set)" in shown.stdout
    assert SECRET not in shown.output
    listed = cli.json("env", "list", "connection")
    assert [o["name"] for o in listed["objects"]] == ["dws_prod"]
    # a secret from an environment variable; without --secret the stored ones are kept
    env_put = cli.json(
        "env", "put", "dli_queue", "q_prod", "--type", "DLI", "--secret", "key=env:JF_TEST_KEY",
        env={"JF_TEST_KEY": "from-env"},
    )  # fmt: skip
    assert env_put["secrets"] == {"key": "set"}
    every = cli("env", "list")  # no kind: every kind, with a kind column
    assert every.exit_code == 0, every.output
    rows = [line.split("│") for line in every.stdout.splitlines() if "│" in line]
    assert [(r[0].strip(), r[1].strip()) for r in rows] == [
        ("connection", "dws_prod"),
        ("dli_queue", "q_prod"),
    ]
    kept = cli.json("env", "put", "connection", "dws_prod", "--type", "DWS")
    assert kept["secrets"] == {"password": "set", "token": "set"}
    assert cli.json("env", "delete", "connection", "dws_prod")["deleted"]["name"] == "dws_prod"
    assert cli.json("env", "list", "connection")["objects"] == []


def test_a_secret_on_the_command_line_is_refused_and_nothing_is_saved(cli: Cli) -> None:
    result = cli("env", "put", "connection", "dws_prod", "--type", "DWS", "--secret", "password=pw")
    assert result.exit_code == 2
    assert "shell's history" in result.stderr
    assert "password=@FILE" in result.stderr
    assert "pw" not in result.stderr.replace("password", "")
    missing = cli("env", "put", "connection", "dws_prod", "--secret", "password=env:JF_UNSET_X")
    assert missing.exit_code == 2
    absent = cli.remote.call("GET", "/environment/connection", workspace=cli.workspace)
    assert absent.json()["objects"] == []


def test_a_connection_secret_given_as_a_setting_is_refused_and_one_in_a_file_kept_secret(
    cli: Cli, tmp_path: Path
) -> None:
    typed = cli(
        "env", "put", "connection", "dws_prod", "--type", "DWS", "--config", f"pwd={SECRET}"
    )
    assert typed.exit_code == 2
    assert "shell's history" in typed.stderr
    assert "--secret pwd=@FILE" in typed.stderr
    assert SECRET not in typed.output
    absent = cli.remote.call("GET", "/environment/connection", workspace=cli.workspace)
    assert absent.json()["objects"] == []
    # In a file nothing stays in the history: the server keeps it as a secret all the same.
    document = tmp_path / "dws.json"
    document.write_text(json.dumps({"type": "DWS", "config": {"password": SECRET}}))
    put = cli.json("env", "put", "connection", "dws_prod", "--from-file", str(document))
    assert put["secrets"] == {"password": "set"}
    assert SECRET not in json.dumps(put)
    shown = cli("env", "show", "connection", "dws_prod")
    assert SECRET not in shown.output
    assert "password (set)" in shown.stdout


def test_profiles_put_list_show_check_and_delete(cli: Cli, package: Path, tmp_path: Path) -> None:
    prod = cli.remote.new_workspace("prod", "dws_prod")
    profile = tmp_path / "prod.yaml"
    profile.write_text(
        "description: production\nrenames:\n  connection: {dws_conn: dws_prod}\n",
        encoding="utf-8",
    )
    saved = cli.json("profiles", "put", "prod", "-f", str(profile), workspace=prod)
    assert saved["version"] == 1
    assert cli.json("profiles", "list", workspace=prod)["profiles"][0]["name"] == "prod"
    shown = cli("profiles", "show", "prod", workspace=prod)
    assert shown.exit_code == 0, shown.output
    assert "dws_prod" in shown.stdout
    # ssh_conn is neither mapped nor in prod: not enough (exit 3), with the fix
    wide = {"COLUMNS": "250"}  # whole cells, whatever the terminal running the suite
    check = cli("profiles", "check", "prod", str(package), workspace=prod, env=wide)
    assert check.exit_code == 3, check.output
    assert "ssh_conn" in check.stdout
    assert "is not enough" in check.stdout
    # the fix in this command line's terms, not the API's (PUT /environment/…, resources [...])
    assert "jobferry env put connection ssh_conn" in check.stdout
    assert "PUT /" not in check.stdout
    assert '"replace"' not in check.stdout
    register(cli.remote, prod, "ssh_conn")
    enough = cli.json("profiles", "check", "prod", str(package), workspace=prod)
    assert enough["complete"] is True
    assert cli.json("profiles", "delete", "prod", workspace=prod)["deleted"] == "prod"
    assert cli.json("profiles", "list", workspace=prod)["profiles"] == []


def test_a_bad_profile_file_is_refused_before_anything_is_sent(cli: Cli, tmp_path: Path) -> None:
    profile = tmp_path / "typo.json"
    profile.write_text(json.dumps({"rename": {"connection": {"a": "b"}}}), encoding="utf-8")
    result = cli("profiles", "put", "prod", "-f", str(profile))
    assert result.exit_code == 2
    assert "typo.json" in result.stderr
    assert cli.json("profiles", "list")["profiles"] == []


def test_a_target_owned_path_naming_no_field_is_refused_before_anything_is_sent(
    cli: Cli, tmp_path: Path
) -> None:
    profile = tmp_path / "owned.yaml"
    profile.write_text("targetOwned:\n  - schedule.cron.expresion\n", encoding="utf-8")
    result = cli("profiles", "put", "prod", "-f", str(profile))
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert (
        "targetOwned[0]: 'schedule.cron.expresion' names no field: schedule.cron has no field "
        "'expresion' (did you mean expression?)" in said
    )
    assert cli.json("profiles", "list")["profiles"] == []


def test_a_distrusted_key_is_remembered_and_the_packages_it_signs_are_refused(
    cli: Cli,
) -> None:
    public = cli.json("keys", "create")["publicKey"]
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    package = Path(cli.json("export", "daily_sales", "-o", "signed.zip")["file"])
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    name = cli.remote.workspace_name(prod)
    key_id = cli.json("keys", "trust", "test-env", public, workspace=prod)["keyId"]

    distrusted = cli("keys", "distrust", key_id, workspace=prod)

    assert distrusted.exit_code == 0, distrusted.output
    said = " ".join(distrusted.stdout.split())
    assert f"Key {key_id} is distrusted in workspace {name}" in said
    assert "packages it signs are refused there from now on" in said
    # in the workspace it was distrusted in: as printed, the context's own would trust it
    assert (
        f"jobferry keys trust NAME KEY -w {prod} (jobferry keys list --distrusted -w {prod} "
        "shows its KEY)" in said
    )
    repeated = cli.json("keys", "distrust", key_id, workspace=prod, code=1)["error"]
    assert (repeated["code"], repeated["distrusted_by"]) == ("DLF.9066", "admin")
    again = cli("keys", "distrust", key_id, workspace=prod)  # nothing changes, and it says so
    assert again.exit_code == 1, again.output
    assert f"Key {key_id} ('test-env') is already distrusted" in " ".join(again.stderr.split())
    assert "Nothing changed." in again.stderr
    assert cli.json("keys", "list", workspace=prod)["keys"] == []
    [marked] = cli.json("keys", "list", "--distrusted", workspace=prod)["keys"]
    assert (marked["keyId"], marked["distrusted"]) == (key_id, True)
    wide = {"COLUMNS": "300"}  # whole cells, whatever the terminal running the suite
    table = cli("keys", "list", "--distrusted", workspace=prod, env=wide)
    listed = " ".join(table.stdout.split())
    assert f"distrusted │ {epoch_ms(marked['distrustTime'])} │ admin" in listed
    # The workspace does not require signed packages, and the key is the project's own
    # signing key: the package is refused all the same, saying how to go on in commands.
    refused = cli("plan", str(package), workspace=prod)
    assert refused.exit_code == 1, refused.output
    told = " ".join(refused.stderr.split())
    assert f"signed by key {key_id} ('test-env'), which workspace '{name}' distrusts" in told
    assert f"jobferry keys trust NAME {public} -w {name}" in told
    imported = cli("import", str(package), "--yes", workspace=prod)
    assert imported.exit_code == 1, imported.output
    assert f"which workspace '{name}' distrusts" in " ".join(imported.stderr.split())
    assert cli.remote.call("GET", "/jobs/daily_sales", workspace=prod).status_code == 400
    cli.json("keys", "trust", "test-env", public, workspace=prod)  # trusted again
    assert [k["keyId"] for k in cli.json("keys", "list", workspace=prod)["keys"]] == [key_id]
    planned = cli.json("plan", str(package), workspace=prod, code=4)["plan"]
    assert planned["signature"]["state"] == "valid"


def test_keys_create_show_trust_list_distrust_delete(cli: Cli) -> None:
    created = cli.json("keys", "create")
    public = created["publicKey"]
    assert public.startswith("ed25519:")
    assert cli.json("keys", "show")["keyId"] == created["keyId"]
    # A second key replaces the first only when asked: targets trusting it refuse new packages.
    kept = cli("keys", "create")
    assert kept.exit_code == 2, kept.output
    assert f"has signing key {created['keyId']}" in " ".join(kept.stderr.split())
    assert "jobferry keys create --replace" in " ".join(kept.stderr.split())
    assert cli.json("keys", "show")["keyId"] == created["keyId"]
    replaced = cli("keys", "create", "--replace")
    assert replaced.exit_code == 0, replaced.output
    said = " ".join(replaced.output.split())
    assert f"It replaces key {created['keyId']}" in said
    assert f"if it leaked, distrust it there: jobferry keys distrust {created['keyId']}" in said
    created = cli.json("keys", "show")
    public = created["publicKey"]
    # the command to trust it names the key itself, not a placeholder to copy it into
    assert f"jobferry keys trust NAME '{public}' -w TARGET." in said
    prod = cli.remote.new_workspace("prod")
    trusted = cli.json("keys", "trust", "test-env", public, workspace=prod)
    assert trusted["keyId"] == created["keyId"]
    listed = cli("keys", "list", workspace=prod)
    assert listed.exit_code == 0, listed.output
    assert "test-env" in listed.stdout
    again = cli("keys", "trust", "test-env", public, workspace=prod)
    assert again.exit_code == 1
    assert "already trusted" in again.stderr
    cli.json("keys", "distrust", created["keyId"], workspace=prod)
    assert cli.json("keys", "list", workspace=prod)["keys"] == []
    assert len(cli.json("keys", "list", "--distrusted", workspace=prod)["keys"]) == 1
    cli.json("keys", "delete")
    gone = cli("keys", "show")
    assert gone.exit_code == 1
    assert "has no signing key" in gone.stderr


def test_a_key_never_trusted_is_distrusted_by_its_public_key(cli: Cli) -> None:
    """The project's own signing key signs for prod unlisted; told it leaked, the admin
    distrusts it in prod by its public key, and prod refuses what it signed."""
    created = cli.json("keys", "create")
    seed(cli.remote, ("daily_sales",), workspace=cli.workspace)
    package = Path(cli.json("export", "daily_sales", "-o", "signed.zip")["file"])
    prod = cli.remote.new_workspace("prod", "dws_conn", "ssh_conn")
    name = cli.remote.workspace_name(prod)
    assert (
        cli.json("plan", str(package), workspace=prod, code=4)["plan"]["signature"]["state"]
        == "valid"
    )
    for wrong in ((), (created["keyId"], "--public-key", created["publicKey"])):
        refused = cli("keys", "distrust", *wrong, workspace=prod)
        assert refused.exit_code == 2, refused.output
        assert "keys distrust needs the key once" in " ".join(refused.stderr.split())

    key_file = Path("dev.pub")
    key_file.write_text(created["publicKey"] + "\n")
    distrusted = cli("keys", "distrust", "--file", str(key_file), "--name", "dev", workspace=prod)

    assert distrusted.exit_code == 0, distrusted.output
    said = " ".join(distrusted.stdout.split())
    assert f"Key {created['keyId']} is distrusted in workspace {name}" in said
    # the way back names the key, not "NAME KEY" to look up, and the workspace it was
    # distrusted in (as printed it would trust it in the context's own, not prod)
    assert f"trust it again with jobferry keys trust dev {created['publicKey']} -w {prod}." in said
    [marked] = cli.json("keys", "list", "--distrusted", workspace=prod)["keys"]
    assert (marked["keyId"], marked["name"], marked["distrusted"]) == (
        created["keyId"],
        "dev",
        True,
    )
    plan = cli("plan", str(package), workspace=prod)
    assert plan.exit_code == 1, plan.output
    told = " ".join(plan.stderr.split())
    assert f"signed by key {created['keyId']} ('dev'), which workspace '{name}' distrusts" in told
    again = cli.json(
        "keys", "distrust", "--public-key", created["publicKey"], workspace=prod, code=1
    )["error"]
    assert again["code"] == "DLF.9066"


def test_only_an_admin_reads_the_signing_key_as_docs_api_says(cli: Cli, tmp_path: Path) -> None:
    """docs/api.md: the signing key's calls are the admins' (the console's keys page too); a
    developer's ``keys create`` is refused for their role, not told to ``--replace`` a key."""
    cli.json("keys", "create")
    developer = member(cli, "developer", tmp_path / "developer.toml")
    for command in (("keys", "show"), ("keys", "create")):
        refused = developer(*command)
        assert refused.exit_code == 1, refused.output
        assert refused.stderr.startswith("error DLF.6888: "), refused.stderr
        assert "--replace" not in refused.stderr
    assert developer.json("keys", "list")["keys"] == []  # trusted keys: any role reads


def test_an_object_no_name_can_be_is_not_to_be_registered_under_that_name(cli: Cli) -> None:
    """``env show``/``env delete`` of a name that breaks the name rule: nothing is held under
    it, and the fix is not an ``env put`` of that name (which refuses it), but the rule and
    the workspace's objects of the kind."""
    for command in ("show", "delete"):
        refused = cli("env", command, "connection", "bad name!")
        assert refused.exit_code == 1, refused.output
        said = " ".join(refused.stderr.split())
        assert said.startswith("error DLF.9004: "), said
        assert "jobferry env put" not in said
        assert "contains ' ', '!', which is not allowed" in said
        assert "jobferry env list connection" in said


def test_an_object_production_lacks_is_to_be_released_not_registered_there(cli: Cli) -> None:
    """A production side takes its objects from its development workspace at each release
    (``env put`` there is refused): an object it lacks is not to be registered there."""
    name = cli.remote.workspace_name(cli.workspace)
    switch = {"name": name, "mode": "1"}
    path = f"/{cli.server.project_id}/workspace/{cli.workspace}"
    assert cli.remote.call("PUT", path, switch).status_code == 200
    production = f"{name} (production)"
    missing = cli("env", "show", "connection", "dws_prod", workspace=production)
    assert missing.exit_code == 1, missing.output
    said = " ".join(missing.stderr.split())
    assert said.startswith("error DLF.9004: The connection 'dws_prod' is not registered"), said
    assert "jobferry env put" not in said
    assert "jobferry releases create" in said
    put = cli("env", "put", "connection", "dws_prod", "--type", "DWS", workspace=production)
    assert put.exit_code == 1, put.output  # what the old fix said to do
    assert put.stderr.startswith("error DLF.9070: "), put.stderr


def test_a_secret_file_that_is_not_text_is_refused_and_not_shown(cli: Cli, tmp_path: Path) -> None:
    """A secret from a file that is not UTF-8 text (a binary key, a UTF-16 file) is a usage
    error naming the option and the file, as one that cannot be read is: never a crash, and
    nothing of the file is printed."""
    secret_file = tmp_path / "dws.pw"
    secret_file.write_bytes(b"\xff\xfe" + SECRET.encode("utf-16-le"))
    put = cli(
        "env", "put", "connection", "dws_prod", "--type", "DWS",
        "--secret", f"password=@{secret_file}",
    )  # fmt: skip
    assert put.exit_code == 2, (put.output, put.exception)
    said = " ".join(put.stderr.split())
    assert said.startswith(f"error: --secret password: {secret_file} is not UTF-8 text"), said
    assert "0xff" not in said
    absent = cli.remote.call("GET", "/environment/connection", workspace=cli.workspace)
    assert absent.json()["objects"] == []


def test_a_from_file_that_is_not_there_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    """docs/cli.md, exit 2: a file argument that is not there."""
    missing = tmp_path / "dws.json"
    put = cli("env", "put", "connection", "dws_prod", "--from-file", str(missing))
    assert put.exit_code == 2, put.output
    assert str(missing) in put.stderr
    assert "--from-file" in put.stderr
    absent = cli.remote.call("GET", "/environment/connection", workspace=cli.workspace)
    assert absent.json()["objects"] == []


def test_a_key_to_trust_that_is_no_key_is_refused_in_a_whole_sentence(cli: Cli) -> None:
    refused = cli("keys", "trust", "test-env", "ed25519:not-a-key")
    assert refused.exit_code == 1, refused.output
    *refusal, last = refused.stderr.splitlines()  # the server's refusal, then its request id
    said = " ".join(" ".join(refusal).split())
    assert said.startswith("error DLF.3051: The public key is not usable: "), said
    assert said.endswith("copy the whole key as jobferry printed it."), said
    assert last.startswith("request id: "), refused.stderr
    assert cli.json("keys", "list")["keys"] == []


def test_a_put_without_a_type_names_one_of_its_kind(cli: Cli) -> None:
    """The hint names a type for the kind being put: a connection's type for a connection, and
    no connection type (DWS) for a queue, an agency or any other kind; nothing is saved."""
    said: dict[str, str] = {}
    for kind in ("connection", "dli_queue", "agency", "cdm_cluster"):
        result = cli("env", "put", kind, "x1", "--config", "region=cn-north-4")
        assert result.exit_code == 2, result.output
        said[kind] = " ".join(result.stderr.split())

    assert "connection 'x1' needs a type: pass --type (e.g. DWS or HIVE)" in said["connection"]
    assert "dli_queue 'x1' needs a type: pass --type (e.g. DLI) or put it" in said["dli_queue"]
    assert "pass --type (e.g. IAM)" in said["agency"]
    assert "pass --type (e.g. CDM)" in said["cdm_cluster"]
    assert not any("DWS" in line for kind, line in said.items() if kind != "connection")
    assert cli.json("env", "list")["objects"] == []
