"""Contexts: file sections, environment overrides, credentials from variables, and the older
"contexts" spellings still read with a notice."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from jobferry.cli.config import ConfigError, default_config_path, load_context
from support.cli import invoke

CONFIG = """
default_context = "test"

[contexts.test]
endpoint = "http://127.0.0.1:8000/"
project_id = "p-test"
workspace = "ws-test"
ak_env = "TEST_AK"
sk_env = "TEST_SK"

[contexts.prod]
endpoint = "https://dayu-dlf.eu-west-101.myhuaweicloud.eu"
project_id = "p-prod"
ak = "PRODAK"
sk = "prod-secret"
verify_tls = false
upload = "obs"
obs_bucket = "releases"
obs_endpoint = "https://obs.eu-west-101.myhuaweicloud.eu"
region = "eu-west-101"
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_default_context_reads_credentials_from_variables(config: Path) -> None:
    context = load_context(config, None, {"TEST_AK": "ak1", "TEST_SK": "sk1"})
    assert context.name == "test"
    assert context.endpoint == "http://127.0.0.1:8000"
    assert (context.ak, context.sk, context.workspace) == ("ak1", "sk1", "ws-test")
    assert context.missing == ()
    assert context.upload == "jobferry"


def test_named_context_with_obs_upload(config: Path) -> None:
    context = load_context(config, "prod", {})
    assert context.verify_tls is False
    assert context.obs is not None
    assert context.obs.bucket == "releases"
    assert context.obs.region == "eu-west-101"
    assert (context.obs.access_key, context.obs.secret_key) == ("PRODAK", "prod-secret")


def test_environment_overrides_field_by_field(config: Path) -> None:
    env = {
        "JOBFERRY_CONTEXT": "prod",
        "JOBFERRY_WORKSPACE": "ws-override",
        "JOBFERRY_SK": "other-secret",
        "JOBFERRY_VERIFY_TLS": "true",
    }
    context = load_context(config, None, env)
    assert context.name == "prod"
    assert context.workspace == "ws-override"
    assert (context.ak, context.sk) == ("PRODAK", "other-secret")
    assert context.verify_tls is True
    assert context.with_workspace("ws-cli").workspace == "ws-cli"


def test_unset_credential_variable_is_named(config: Path) -> None:
    with pytest.raises(ConfigError, match=r"\$TEST_AK, which is not set"):
        load_context(config, None, {})


def test_unknown_context_and_unknown_keys_are_refused(config: Path, tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"Context 'staging' \(--context\) is not in .* \(contexts there: prod, test\); add "
        r"a \[contexts.staging\] table or pick another\.",
    ):
        load_context(config, "staging", {})
    typo = tmp_path / "typo.toml"
    typo.write_text('[contexts.default]\nendpiont = "http://x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key"):
        load_context(typo, None, {})


def test_a_default_context_naming_no_context_is_refused(tmp_path: Path) -> None:
    """The file's own default names a context it lacks: a slip in the file, said, not a
    silent fall back to the environment alone."""
    path = tmp_path / "c.toml"
    path.write_text('default_context = "stagin"\n[contexts.staging]\n', encoding="utf-8")
    with pytest.raises(
        ConfigError,
        match=r"Context 'stagin' \(default_context\) is not in .* \(contexts there: staging\); "
        r"add a \[contexts.stagin\] table or set it to one of them\.",
    ):
        load_context(path, None, {})
    with pytest.raises(ConfigError, match=r"Context 'qa' \(JOBFERRY_CONTEXT\) is not in"):
        load_context(path, None, {"JOBFERRY_CONTEXT": "qa"})
    assert load_context(path, "staging", {}).name == "staging"  # the option still wins


def test_obs_upload_needs_a_bucket(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[contexts.default]\nupload = "obs"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="obs_bucket"):
        load_context(path, None, {})


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[contexts.default\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_context(path, None, {})


def test_no_file_means_environment_only(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path), "JOBFERRY_ENDPOINT": "http://h:1"}
    context = load_context(None, None, env)
    assert context.source == "environment"
    assert context.endpoint == "http://h:1"
    assert "project_id" in context.missing
    with pytest.raises(ConfigError, match="has no project_id"):
        context.require_remote()


def test_default_config_path_follows_xdg_and_jobferry_config(tmp_path: Path) -> None:
    assert default_config_path({"XDG_CONFIG_HOME": "/x"}) == Path("/x/jobferry/config.toml")
    assert default_config_path({"JOBFERRY_CONFIG": str(tmp_path / "c.toml")}) == tmp_path / "c.toml"


def test_profiles_tables_and_variable_still_work_with_a_notice(tmp_path: Path) -> None:
    old = tmp_path / "old.toml"
    old.write_text(
        CONFIG.replace("contexts.", "profiles.").replace("default_context", "default_profile")
    )
    context = load_context(old, None, {"TEST_AK": "ak1", "TEST_SK": "sk1"})
    assert context.name == "test"
    assert context.endpoint == "http://127.0.0.1:8000"
    assert len(context.notices) == 1
    assert "rename [profiles.…] to [contexts.…]" in context.notices[0]
    chosen = load_context(old, None, {"JOBFERRY_PROFILE": "prod"})
    assert chosen.name == "prod"
    assert any("set JOBFERRY_CONTEXT instead" in n for n in chosen.notices)
    assert load_context(old, "prod", {}).name == "prod"


def test_a_file_with_both_tables_is_refused(tmp_path: Path) -> None:
    both = tmp_path / "both.toml"
    both.write_text('[contexts.a]\nendpoint = "http://a"\n[profiles.b]\nendpoint = "http://b"\n')
    with pytest.raises(ConfigError, match="both \\[contexts"):
        load_context(both, None, {})


def test_config_show_names_the_context_and_hides_the_secret(config: Path) -> None:
    env = {"TEST_AK": "ak1", "TEST_SK": "sk-hidden-1"}
    shown = invoke(["--config", str(config), "--context", "prod", "config", "show", "--json"], env)
    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.stdout)
    assert (view["context"], view["projectId"], view["secretKey"]) == ("prod", "p-prod", "set")
    human = invoke(["--config", str(config), "config", "show"], env)
    assert human.exit_code == 0, human.output
    assert "test" in human.stdout
    assert re.search(r"^missing: +none$", human.stdout, re.M), human.stdout
    bare = config.with_name("bare.toml")
    bare.write_text('[contexts.default]\nendpoint = "http://127.0.0.1:8000"\nproject_id = "p"\n')
    lacking = invoke(["--config", str(bare), "config", "show"])
    assert lacking.exit_code == 0, lacking.output
    assert re.search(r"^missing: +access key \(ak\), secret key \(sk\)$", lacking.stdout, re.M)
    assert "[" not in lacking.stdout
    assert "sk-hidden-1" not in human.output
    assert "prod-secret" not in human.output


def _server_credentials(data: Path) -> Path:
    """The credentials file exactly as ``jobferry serve`` writes it on a first start."""
    from jobferry.server import write_credentials_file
    from jobferry.services.accounts.service import IssuedCredential

    return write_credentials_file(data, "p-first", IssuedCredential("AK-FIRST", "SK-FIRST"))


def test_config_init_writes_a_context_from_the_servers_credentials(tmp_path: Path) -> None:
    credentials = _server_credentials(tmp_path / "data")
    config = tmp_path / "cfg" / "config.toml"
    made = invoke(["--config", str(config), "config", "init", "--from", str(credentials)])
    assert made.exit_code == 0, made.output
    assert "SK-FIRST" not in made.output
    assert config.stat().st_mode & 0o777 == 0o600
    context = load_context(config, None, {})
    assert (context.name, context.endpoint, context.project_id, context.workspace) == (
        "default",
        "http://127.0.0.1:8000",
        "p-first",
        "default",
    )
    assert (context.ak, context.sk, context.missing) == ("AK-FIRST", "SK-FIRST", ())


def test_config_init_in_words_and_a_try_it_command_that_reads_the_file_it_wrote(
    tmp_path: Path,
) -> None:
    credentials = _server_credentials(tmp_path / "data")
    config = tmp_path / "elsewhere.toml"  # not the default file: the command must name it
    made = invoke(["--config", str(config), "config", "init", "--from", str(credentials)])
    assert made.exit_code == 0, made.output
    assert re.search(r"^project id: +p-first$", made.stdout, re.M), made.stdout
    assert re.search(r"^access key: +AK-FIRST$", made.stdout, re.M), made.stdout
    assert "projectId" not in made.stdout
    assert "accessKey" not in made.stdout
    tried = made.stdout.strip().splitlines()[-1]
    assert tried == f"Try it: jobferry --config {config} --context default config show"
    shown = invoke(tried.split()[3:])  # as printed, nothing else
    assert shown.exit_code == 0, shown.output
    assert re.search(r"^config file: +" + re.escape(str(config)), shown.stdout, re.M)
    assert re.search(r"^secret key: +set$", shown.stdout, re.M), shown.stdout


def test_config_init_keeps_what_the_file_holds_and_never_overwrites(tmp_path: Path) -> None:
    credentials = _server_credentials(tmp_path / "data")
    config = tmp_path / "config.toml"
    config.write_text('default_context = "test"\n\n[contexts.test]\nendpoint = "http://t"\n')
    args = ["--config", str(config), "config", "init", "--from", str(credentials)]
    made = invoke([*args, "--name", "local", "-w", "prod"])
    assert made.exit_code == 0, made.output
    assert load_context(config, None, {}).endpoint == "http://t"  # the default is unchanged
    local = load_context(config, "local", {})
    assert (local.project_id, local.workspace, local.ak) == ("p-first", "prod", "AK-FIRST")
    again = invoke([*args, "--name", "local"])
    assert again.exit_code == 2
    assert "Context 'local' already exists" in again.output
    assert "--name" in again.output


def test_config_init_replace_takes_a_restarted_servers_new_keys_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    """The quickstart again from an empty data folder: a new project and new keys, and the
    context of the first run still in the file."""
    from jobferry.server import write_credentials_file
    from jobferry.services.accounts.service import IssuedCredential

    config = tmp_path / "config.toml"
    kept = '# mine\n[contexts.test]\nendpoint = "http://t"  # a comment\nproject_id = "p-t"\n'
    config.write_text(kept)
    args = ["--config", str(config), "config", "init", "--from"]
    first = _server_credentials(tmp_path / "first")
    assert invoke([*args, str(first)]).exit_code == 0
    second = write_credentials_file(tmp_path / "second", "p-2", IssuedCredential("AK-2", "SK-2"))
    refused = invoke([*args, str(second)])
    assert refused.exit_code == 2
    assert "replace it with --replace" in refused.output

    replaced = invoke([*args, str(second), "--replace"])

    assert replaced.exit_code == 0, replaced.output
    assert "Replaced the context 'default'" in replaced.stdout
    context = load_context(config, None, {})
    assert (context.name, context.project_id, context.ak, context.sk) == (
        "default",
        "p-2",
        "AK-2",
        "SK-2",
    )
    text = config.read_text()
    assert kept in text  # the other context as written, its comments too
    assert "p-first" not in text
    assert text.count("[contexts.") == 2
    assert config.stat().st_mode & 0o777 == 0o600


def test_config_init_refuses_a_root_context_other_than_the_one_it_writes(tmp_path: Path) -> None:
    """``jobferry --context prod config init --replace``: --context names the context read,
    and config init writes the one --name names ('default'); refused, naming --name, rather
    than replacing the default context's keys with the new server's."""
    first = _server_credentials(tmp_path / "first")
    config = tmp_path / "config.toml"
    assert invoke(["--config", str(config), "config", "init", "--from", str(first)]).exit_code == 0
    written = config.read_text()
    args = ["--config", str(config), "--context", "prod", "config", "init", "--from", str(first)]

    refused = invoke([*args, "--replace"])

    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert "--context prod names the context commands read; config init writes the" in said
    assert "jobferry config init --name prod …" in said
    assert config.read_text() == written
    made = invoke([*args, "--name", "prod"])  # the same name both ways: written
    assert made.exit_code == 0, made.output
    assert load_context(config, "prod", {}).project_id == load_context(config, None, {}).project_id


def test_config_init_replace_refuses_a_context_it_cannot_cut_out_cleanly(tmp_path: Path) -> None:
    credentials = _server_credentials(tmp_path / "data")
    config = tmp_path / "config.toml"
    dotted = 'contexts.default.endpoint = "http://old"\ncontexts.default.project_id = "p"\n'
    config.write_text(dotted)
    args = ["--config", str(config), "config", "init", "--from", str(credentials), "--replace"]

    refused = invoke(args)

    assert refused.exit_code == 2, refused.output
    assert "remove its [contexts.default] table by hand" in refused.output
    assert config.read_text() == dotted


def test_config_init_without_credentials_says_how_to_get_them(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    missing = invoke(["--config", str(config), "config", "init", "--from", str(tmp_path / "x")])
    assert missing.exit_code == 2
    assert "start the server once" in missing.output
    assert not config.exists()


def test_config_init_finds_the_credentials_in_the_servers_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --from, the credentials are read where ``serve`` wrote them: JOBFERRY_DATA_DIR
    when it is set (the server's data folder), else ./data."""
    monkeypatch.chdir(tmp_path)
    _server_credentials(tmp_path / "elsewhere")
    config = tmp_path / "config.toml"
    there = invoke(
        ["--config", str(config), "config", "init"],
        env={"JOBFERRY_DATA_DIR": str(tmp_path / "elsewhere")},
    )
    assert there.exit_code == 0, there.output
    assert load_context(config, None, {}).project_id == "p-first"
    _server_credentials(tmp_path / "data")
    here = invoke(["--config", str(config), "config", "init", "--name", "local"])
    assert here.exit_code == 0, here.output


def test_how_long_a_calls_answer_is_waited_for_is_a_context_setting(tmp_path: Path) -> None:
    """``timeout`` (seconds) in a context, or JOBFERRY_TIMEOUT over it; the client waits that
    long for an ordinary call's answer. Anything but a number of seconds up to a day is refused."""
    from jobferry.cli.client import TIMEOUT_SECONDS, ApiClient

    path = tmp_path / "config.toml"
    base = '[contexts.ci]\nendpoint = "http://e"\nproject_id = "p"\nak = "A"\nsk = "S"\n'
    path.write_text(base + "timeout = 600\n", encoding="utf-8")
    context = load_context(path, "ci", {})
    assert context.timeout == 600
    assert ApiClient(context).timeout == 600
    assert load_context(path, "ci", {"JOBFERRY_TIMEOUT": "30.5"}).timeout == 30.5
    path.write_text(base, encoding="utf-8")
    assert ApiClient(load_context(path, "ci", {})).timeout == TIMEOUT_SECONDS
    for bad in ("0", "-1", "ten", "100000"):
        with pytest.raises(ConfigError, match="JOBFERRY_TIMEOUT"):
            load_context(path, "ci", {"JOBFERRY_TIMEOUT": bad})
    path.write_text(base + 'timeout = "long"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="timeout='long' is not a number of seconds"):
        load_context(path, "ci", {})


def test_how_long_a_task_is_followed_is_a_context_setting(tmp_path: Path) -> None:
    """``wait_timeout`` (seconds) in a context, or JOBFERRY_WAIT_TIMEOUT over it, bounds how
    long a command follows a task; none given, or 0, follows it to its end. Anything but a
    number of seconds from 0 to a day is refused, naming where it was read."""
    from jobferry.cli.client import ApiClient

    path = tmp_path / "config.toml"
    base = '[contexts.ci]\nendpoint = "http://e"\nproject_id = "p"\nak = "A"\nsk = "S"\n'
    path.write_text(base + "wait_timeout = 1800\n", encoding="utf-8")
    assert ApiClient(load_context(path, "ci", {})).wait_timeout == 1800
    assert load_context(path, "ci", {"JOBFERRY_WAIT_TIMEOUT": "90"}).wait_timeout == 90
    assert load_context(path, "ci", {"JOBFERRY_WAIT_TIMEOUT": "0"}).wait_timeout is None
    path.write_text(base, encoding="utf-8")
    assert ApiClient(load_context(path, "ci", {})).wait_timeout is None
    for bad in ("-1", "ten", "100000"):
        with pytest.raises(ConfigError, match="JOBFERRY_WAIT_TIMEOUT"):
            load_context(path, "ci", {"JOBFERRY_WAIT_TIMEOUT": bad})
    path.write_text(base + 'wait_timeout = ["long"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="wait_timeout=\\['long'\\] is not a number"):
        load_context(path, "ci", {})


def test_credentials_are_read_from_files_a_pipeline_mounts(tmp_path: Path) -> None:
    """JOBFERRY_AK_FILE / JOBFERRY_SK_FILE, or ak_file / sk_file in a context, name files
    holding the keys (a CI system's secret file): read without their line end, under the
    variables themselves, over the context; one that cannot be read or is empty is refused
    naming where it was named, never its content."""
    (tmp_path / "ak").write_text("FILEAK\n", encoding="utf-8")
    (tmp_path / "sk").write_text("file-secret\n", encoding="utf-8")
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    path = tmp_path / "config.toml"
    base = '[contexts.ci]\nendpoint = "http://e"\nproject_id = "p"\n'
    path.write_text(base + f'ak = "A"\nsk_file = "{tmp_path / "sk"}"\n', encoding="utf-8")
    context = load_context(path, "ci", {})
    assert (context.ak, context.sk, context.missing) == ("A", "file-secret", ())
    (tmp_path / "bare.toml").write_text("", encoding="utf-8")
    files = {
        "JOBFERRY_CONFIG": str(tmp_path / "bare.toml"),
        "JOBFERRY_AK_FILE": str(tmp_path / "ak"),
        "JOBFERRY_SK_FILE": str(tmp_path / "sk"),
    }
    alone = load_context(None, None, files)
    assert (alone.ak, alone.sk, alone.missing) == (
        "FILEAK",
        "file-secret",
        ("endpoint", "project_id"),
    )
    both = load_context(None, None, {**files, "JOBFERRY_SK": "plain"})
    assert both.sk == "plain"
    for name in ("missing", "empty"):
        with pytest.raises(ConfigError, match=f"JOBFERRY_SK_FILE names .*{name}, which "):
            load_context(path, "ci", {"JOBFERRY_SK_FILE": str(tmp_path / name)})
    path.write_text(base + f'ak = "A"\nsk_file = "{tmp_path / "empty"}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"Context 'ci' \(.*\) sk_file names .*empty"):
        load_context(path, "ci", {})
    shown = invoke(["config", "show", "--json"], files)
    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.stdout)
    assert (view["accessKey"], view["secretKey"]) == ("FILEAK", "set")
    assert "file-secret" not in shown.output


def test_a_pipeline_gives_its_ca_bundle_by_environment(tmp_path: Path) -> None:
    """JOBFERRY_CA_BUNDLE (a server behind the company's own CA) over the context's
    ca_bundle, as every other field; the client verifies the server's certificate with it."""
    from jobferry.cli.client import ApiClient

    path = tmp_path / "config.toml"
    base = '[contexts.ci]\nendpoint = "https://e"\nproject_id = "p"\nak = "A"\nsk = "S"\n'
    path.write_text(base + 'ca_bundle = "file.pem"\n', encoding="utf-8")
    assert load_context(path, "ci", {}).ca_bundle == "file.pem"
    context = load_context(path, "ci", {"JOBFERRY_CA_BUNDLE": "/etc/ci/ca.pem"})
    assert context.ca_bundle == "/etc/ci/ca.pem"
    assert ApiClient(context)._session.verify == "/etc/ci/ca.pem"


def test_config_init_without_a_credentials_file_says_how_a_server_given_its_keys_is_reached(
    tmp_path: Path,
) -> None:
    """A server started with JOBFERRY_ADMIN_AK/SK writes no credentials file: the refusal told
    such an operator only to start the server once, which they had done."""
    config = tmp_path / "config.toml"
    missing = tmp_path / "data" / "admin-credentials.json"
    refused = invoke(["--config", str(config), "config", "init", "--from", str(missing)])
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())
    assert "start the server once (make run)" in said
    assert "JOBFERRY_ADMIN_AK" in said
    assert "JOBFERRY_PROJECT_ID, JOBFERRY_AK and JOBFERRY_SK" in said
    assert not config.exists()


@pytest.mark.parametrize(
    ("held", "said"),
    [
        ("contexts = 5\n", "'contexts' must be a table"),
        ('contexts = "abc"\n', "'contexts' must be a table"),
        ('contexts = "xdefaultx"\n', "'contexts' must be a table"),
        ('[profiles.old]\nendpoint = "http://o"\n', "rename them to [contexts.…]"),
    ],
)
def test_config_init_refuses_a_file_it_cannot_add_a_context_to(
    tmp_path: Path, held: str, said: str
) -> None:
    """A file whose ``contexts`` is no table, or that still has the older [profiles.…] tables:
    init crashed, refused a context as existing (a name inside a string), or appended a
    [contexts.…] table that made the file unreadable or refused by every later command."""
    credentials = _server_credentials(tmp_path / "data")
    config = tmp_path / "config.toml"
    config.write_text(held)
    refused = invoke(["--config", str(config), "config", "init", "--from", str(credentials)])
    assert refused.exit_code == 2, refused.output
    said_flat = " ".join(refused.output.split())
    assert said in said_flat
    assert str(config) in said_flat
    assert config.read_text() == held


def test_a_config_init_whose_write_fails_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk full halfway through the new text: the file was truncated first and left
    half-written (its other contexts lost, broken TOML); now the text is written whole beside
    it and put in its place, so a failed write changes nothing and leaves nothing behind."""
    import errno
    import os
    import types

    from jobferry.cli import contexts

    class Full:
        def __init__(self, fh: Any) -> None:
            self.fh = fh

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def write(self, text: str) -> int:
            self.fh.write(text[: len(text) // 2])
            self.fh.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

    full = types.SimpleNamespace(**vars(os))  # the module's own os alone
    full.fdopen = lambda *a, **k: Full(os.fdopen(*a, **k))
    monkeypatch.setattr(contexts, "os", full)
    credentials = _server_credentials(tmp_path / "data")
    config = tmp_path / "config.toml"
    held = '# mine\n[contexts.default]\nendpoint = "http://t"\nproject_id = "p-t"\n'
    config.write_text(held)
    for replace in ([], ["--replace"]):
        args = ["--config", str(config), "config", "init", "--from", str(credentials)]
        failed = invoke([*args, "--name", "local" if not replace else "default", *replace])
        assert failed.exit_code == 1, failed.output
        assert "No space left" in failed.output
        assert config.read_text() == held
        assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml", "data"]


def test_config_init_of_another_context_keeps_the_files_default_context(tmp_path: Path) -> None:
    """A file whose [contexts.default] is the one remote commands use (no default_context):
    adding another context wrote ``default_context`` naming the new one, so every remote
    command silently went to another endpoint. A file without either still gets the new
    context as its default."""
    credentials = _server_credentials(tmp_path / "data")
    config = tmp_path / "config.toml"
    held = '[contexts.default]\nendpoint = "http://mine"\nproject_id = "p-mine"\n'
    config.write_text(held)
    args = ["--config", str(config), "config", "init", "--from", str(credentials)]
    assert invoke([*args, "--name", "local"]).exit_code == 0
    assert load_context(config, None, {}).endpoint == "http://mine"
    assert load_context(config, "local", {}).project_id == "p-first"
    assert config.read_text().startswith(held)
    other = tmp_path / "other.toml"
    other.write_text('[contexts.test]\nendpoint = "http://t"\n')
    made = invoke(["--config", str(other), "config", "init", "--from", str(credentials)])
    assert made.exit_code == 0, made.output
    assert load_context(other, None, {}).name == "default"
    fresh = tmp_path / "fresh.toml"
    fresh_args = ["--config", str(fresh), "config", "init", "--from", str(credentials)]
    assert invoke([*fresh_args, "--name", "local"]).exit_code == 0
    assert load_context(fresh, None, {}).name == "local"


def test_a_config_file_named_from_home_is_the_one_init_writes_and_show_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``JOBFERRY_CONFIG="~/…"`` (quoted, so no shell expanded it) or ``--config=~/…``: remote
    commands read the file in the home folder, but ``config init`` wrote a ``~`` folder in the
    current one and ``config show`` named the path unexpanded."""
    credentials = _server_credentials(tmp_path / "data")
    home, here = tmp_path / "home", tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("HOME", str(home))
    env = {"JOBFERRY_CONFIG": "~/jf.toml"}
    made = invoke(["config", "init", "--from", str(credentials)], env)
    assert made.exit_code == 0, made.output
    assert list(here.iterdir()) == []
    assert load_context(None, None, env).project_id == "p-first"
    for given in (["--config=~/jf.toml"], []):
        shown = invoke([*given, "config", "show", "--json"], env)
        assert shown.exit_code == 0, shown.output
        view = json.loads(shown.stdout)
        assert (view["configFile"], view["projectId"]) == (str(home / "jf.toml"), "p-first")


@pytest.mark.parametrize(
    ("held", "fix"),
    [
        ("[contexts.default\n", "fix the file there"),
        ("contexts = 5\n", "fix it in the file, one [contexts.<name>] table per context"),
        ("contexts.default = 5\n", "fix it in the file (key = value lines)"),
        ("[contexts.default]\nendpoint = 5\n", 'fix it in the file: endpoint = "…"'),
        ("[contexts.default]\nverify_tls = 1\n", "verify_tls must be true or false; fix it"),
        ("default_context = 5\n", 'fix it: default_context = "NAME"'),
    ],
)
def test_a_config_file_refused_says_how_to_fix_it(tmp_path: Path, held: str, fix: str) -> None:
    """Each refusal of the file names the file, the rule and the fix: these named only the
    rule ("must be a string.")."""
    config = tmp_path / "config.toml"
    config.write_text(held)
    shown = invoke(["--config", str(config), "config", "show", "--json"])
    assert shown.exit_code == 2, shown.output
    error = json.loads(shown.stdout)["error"]
    assert error["code"] == "config"
    assert str(config) in error["message"]
    assert fix in error["message"]


def test_a_named_config_file_that_is_missing_says_how_to_make_one(tmp_path: Path) -> None:
    """Named by JOBFERRY_CONFIG, not --config: the refusal told to drop --config, which was
    not given; it names both, and config init, which writes one."""
    missing = str(tmp_path / "none.toml")
    shown = invoke(["config", "show"], {"JOBFERRY_CONFIG": missing})
    assert shown.exit_code == 2, shown.output
    said = " ".join(shown.output.split())
    assert f"Config file {missing} does not exist" in said
    assert "jobferry config init" in said
    assert "--config or JOBFERRY_CONFIG" in said


def test_config_init_refuses_an_empty_context_name(tmp_path: Path) -> None:
    """``--name ''`` wrote a [contexts.""] table (and ``default_context = ""``) that neither
    ``--context ''`` nor the default ever picks: the "Try it" command showed another context."""
    credentials = _server_credentials(tmp_path / "data")
    config = tmp_path / "config.toml"
    held = '[contexts.test]\nendpoint = "http://t"\n'
    config.write_text(held)
    args = ["--config", str(config), "config", "init", "--from", str(credentials), "--name", ""]
    refused = invoke([*args, "--json"])
    assert refused.exit_code == 2, refused.output
    error = json.loads(refused.stdout)["error"]
    assert error["code"] == "usage"
    assert "--name is empty" in error["message"]
    assert "--name default" in error["message"]
    assert config.read_text() == held


def test_a_credential_that_cannot_be_read_says_how_to_give_it(config: Path, tmp_path: Path) -> None:
    """A variable ``ak_env`` names that is not set, a key file that is empty or missing: the
    refusal named the rule alone."""
    with pytest.raises(ConfigError, match=r"\$TEST_AK, which is not set; set it \(or JOBFERRY_AK"):
        load_context(config, None, {})
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="which is empty; write the key into it"):
        load_context(config, "prod", {"JOBFERRY_SK_FILE": str(tmp_path / "empty")})
    with pytest.raises(ConfigError, match=r"cannot be read: .*; make it readable, or name"):
        load_context(config, "prod", {"JOBFERRY_SK_FILE": str(tmp_path / "none")})


def test_config_init_writes_through_a_link_to_the_config_file(tmp_path: Path) -> None:
    """A config file kept elsewhere (a dotfiles folder) and linked to: the new text goes into
    the file linked to, the link stays a link."""
    credentials = _server_credentials(tmp_path / "data")
    kept = tmp_path / "dotfiles" / "jobferry.toml"
    kept.parent.mkdir()
    kept.write_text('[contexts.test]\nendpoint = "http://t"\n')
    link = tmp_path / "config.toml"
    link.symlink_to(kept)
    made = invoke(["--config", str(link), "config", "init", "--from", str(credentials)])
    assert made.exit_code == 0, made.output
    assert link.is_symlink()
    assert load_context(kept, "default", {}).project_id == "p-first"
    assert sorted(p.name for p in kept.parent.iterdir()) == ["jobferry.toml"]


def test_an_endpoint_nothing_answers_says_how_to_point_the_context_at_the_server(
    tmp_path: Path,
) -> None:
    """A newcomer who kept the README's port while the server runs on another one: the first
    command that calls it names the context's file and the command that rewrites its endpoint
    (or, when JOBFERRY_ENDPOINT named it, that variable)."""
    credentials = _server_credentials(tmp_path / "data")
    config = tmp_path / "config.toml"
    made = invoke(
        [
            "--config",
            str(config),
            "config",
            "init",
            "--from",
            str(credentials),
            "--endpoint",
            "http://127.0.0.1:9",
        ]
    )
    assert made.exit_code == 0, made.output
    down = invoke(["--config", str(config), "jobs", "list"])
    assert down.exit_code == 1, down.output
    said = " ".join(down.stderr.split())
    assert "Cannot reach http://127.0.0.1:9 (ConnectionError)" in said, said
    assert "the URL it printed when it started" in said, said
    assert f"context 'default' of {config}" in said, said
    assert "jobferry config init --replace --endpoint URL" in said, said
    moved = invoke(
        ["--config", str(config), "jobs", "list"], env={"JOBFERRY_ENDPOINT": "http://127.0.0.1:9"}
    )
    said = " ".join(moved.stderr.split())
    assert "set JOBFERRY_ENDPOINT to the server's URL" in said, said
    assert "config init" not in said, said
