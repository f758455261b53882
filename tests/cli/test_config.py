"""Connection profiles: file sections, environment overrides, credentials from variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.cli.config import ConfigError, default_config_path, load_profile

CONFIG = """
default_profile = "test"

[profiles.test]
endpoint = "http://127.0.0.1:8000/"
project_id = "p-test"
workspace = "ws-test"
ak_env = "TEST_AK"
sk_env = "TEST_SK"

[profiles.prod]
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


def test_default_profile_reads_credentials_from_variables(config: Path) -> None:
    profile = load_profile(config, None, {"TEST_AK": "ak1", "TEST_SK": "sk1"})
    assert profile.name == "test"
    assert profile.endpoint == "http://127.0.0.1:8000"
    assert (profile.ak, profile.sk, profile.workspace) == ("ak1", "sk1", "ws-test")
    assert profile.missing == ()
    assert profile.upload == "jobferry"


def test_named_profile_with_obs_upload(config: Path) -> None:
    profile = load_profile(config, "prod", {})
    assert profile.verify_tls is False
    assert profile.obs is not None
    assert profile.obs.bucket == "releases"
    assert profile.obs.region == "eu-west-101"
    assert (profile.obs.access_key, profile.obs.secret_key) == ("PRODAK", "prod-secret")


def test_environment_overrides_field_by_field(config: Path) -> None:
    env = {
        "JOBFERRY_PROFILE": "prod",
        "JOBFERRY_WORKSPACE": "ws-override",
        "JOBFERRY_SK": "other-secret",
        "JOBFERRY_VERIFY_TLS": "true",
    }
    profile = load_profile(config, None, env)
    assert profile.name == "prod"
    assert profile.workspace == "ws-override"
    assert (profile.ak, profile.sk) == ("PRODAK", "other-secret")
    assert profile.verify_tls is True
    assert profile.with_workspace("ws-cli").workspace == "ws-cli"


def test_unset_credential_variable_is_named(config: Path) -> None:
    with pytest.raises(ConfigError, match=r"\$TEST_AK, which is not set"):
        load_profile(config, None, {})


def test_unknown_profile_and_unknown_keys_are_refused(config: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Profile 'staging' is not in"):
        load_profile(config, "staging", {})
    typo = tmp_path / "typo.toml"
    typo.write_text('[profiles.default]\nendpiont = "http://x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key"):
        load_profile(typo, None, {})


def test_obs_upload_needs_a_bucket(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[profiles.default]\nupload = "obs"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="obs_bucket"):
        load_profile(path, None, {})


def test_invalid_toml_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[profiles.default\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_profile(path, None, {})


def test_no_file_means_environment_only(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path), "JOBFERRY_ENDPOINT": "http://h:1"}
    profile = load_profile(None, None, env)
    assert profile.source == "environment"
    assert profile.endpoint == "http://h:1"
    assert "project_id" in profile.missing
    with pytest.raises(ConfigError, match="has no project_id"):
        profile.require_remote()


def test_default_config_path_follows_xdg_and_jobferry_config(tmp_path: Path) -> None:
    assert default_config_path({"XDG_CONFIG_HOME": "/x"}) == Path("/x/jobferry/config.toml")
    assert default_config_path({"JOBFERRY_CONFIG": str(tmp_path / "c.toml")}) == tmp_path / "c.toml"
