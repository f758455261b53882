"""A setting the server cannot use stops ``serve``, ``db upgrade`` and ``admin`` with one line
per problem (the variable, its value, the rule, the fix) and exit 1, never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support.cli import invoke

LINE = (
    "JOBFERRY_DOWNLOAD_TTL_SECONDS=30: must be a whole number, 60 or more; change it, or unset "
    "it for the default (259200)."
)


def _env(folder: Path, **bad: str) -> dict[str, str | None]:
    return {
        "JOBFERRY_DATA_DIR": str(folder / "data"),
        "JOBFERRY_DATABASE_URL": f"sqlite:///{folder / 'jobferry.db'}",
        # the test run's own knobs (make test-fast sets them), not the server's settings
        "JOBFERRY_FUZZ_AT_MOST": None,
        "JOBFERRY_FUZZ_EXAMPLES": None,
        **{f"JOBFERRY_{name.upper()}": value for name, value in bad.items()},
    }


@pytest.mark.parametrize(
    "command_line", [["serve", "--port", "0"], ["db", "upgrade"], ["admin", "users"]]
)
def test_a_bad_setting_is_one_line_and_exit_1(tmp_path: Path, command_line: list[str]) -> None:
    result = invoke(command_line, env=_env(tmp_path, download_ttl_seconds="30"))

    assert result.exit_code == 1, result.output
    assert " ".join(result.stderr.split()) == f"error DLF.3051: {LINE}"
    assert "Traceback" not in result.output
    assert "pydantic" not in result.output
    assert not (tmp_path / "jobferry.db").exists()  # refused before anything was opened


def test_every_bad_setting_is_listed_and_json_carries_them(tmp_path: Path) -> None:
    env = _env(tmp_path, download_ttl_seconds="30", workers="two")

    result = invoke(["--json", "db", "upgrade"], env=env)

    assert result.exit_code == 1, result.output
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "DLF.3051"
    assert error["message"].splitlines()[0] == "2 settings are not valid:"
    assert error["settings"] == [
        "JOBFERRY_WORKERS=two: must be a whole number, 1 to 64; change it, or unset it for the "
        "default (1).",
        LINE,
    ]


def test_a_log_level_is_one_of_four_in_any_case(tmp_path: Path) -> None:
    # It was read only once the server had bootstrapped the database: a traceback then.
    refused = invoke(["serve", "--port", "0"], env=_env(tmp_path, log_level="verbose"))
    assert refused.exit_code == 1, refused.output
    assert "JOBFERRY_LOG_LEVEL=verbose: must be one of 'debug', 'info', 'warning', 'error'" in (
        refused.stderr
    )
    assert not (tmp_path / "jobferry.db").exists()  # refused before anything was opened
    taken = invoke(["db", "upgrade"], env=_env(tmp_path, log_level="WARNING"))
    assert taken.exit_code == 0, taken.output


@pytest.mark.parametrize("command_line", [["db", "upgrade"], ["admin", "users"]])
def test_a_database_that_cannot_be_reached_or_read_is_one_line(
    tmp_path: Path, command_line: list[str]
) -> None:
    unreachable = {"JOBFERRY_DATABASE_URL": "postgresql://jobferry:pw@127.0.0.1:1/nowhere"}
    result = invoke(command_line, env={**_env(tmp_path), **unreachable})
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error DLF.9503: The database is not available: check ")
    assert "The database said: " in result.stderr  # on the server machine: the reason too
    assert "check JOBFERRY_DATABASE_URL (host, port, database, user)" in result.stderr
    assert "Traceback" not in result.output
    assert "pw" not in result.output.replace("password", "")  # the URL's password stays out

    for url in ("foo", "postgresql://u@127.0.0.1:abc/db"):
        bad = invoke(command_line, env={**_env(tmp_path), "JOBFERRY_DATABASE_URL": url})
        assert bad.exit_code == 1, bad.output
        assert "JOBFERRY_DATABASE_URL is not a database URL that can be read" in bad.stderr
        assert "Traceback" not in bad.output


def test_a_data_folder_that_cannot_be_made_names_the_setting(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    env = {"JOBFERRY_DATA_DIR": str(tmp_path / "a-file" / "data"), "JOBFERRY_DATABASE_URL": None}
    result = invoke(["db", "upgrade"], env=env)
    assert result.exit_code == 1, result.output
    assert "error DLF.9503: The folder of the SQLite database" in result.stderr
    assert "set JOBFERRY_DATA_DIR" in result.stderr


def test_serve_options_out_of_range_are_usage_errors_naming_the_option(tmp_path: Path) -> None:
    result = invoke(["serve", "--port", "70000"], env=_env(tmp_path))

    assert result.exit_code == 2, result.output
    assert "--port" in result.output
    assert "Traceback" not in result.output


def test_a_misspelt_setting_is_named_with_the_one_it_was_meant_to_be() -> None:
    from jobferry.cli.serve import unknown_variables
    from jobferry.settings import Settings

    environ = {
        "JOBFERRY_PORT_X": "1",
        "JOBFERRY_PORT": "8000",
        "JOBFERRY_ENDPOINT": "http://x",  # the CLI's own
        "JOBFERRY_TEST_POSTGRES_URL": "postgresql://",  # the suite's
        "JOBFERRY_SOMETHING_ELSE_ENTIRELY": "1",
        "PATH": "/bin",
    }
    assert unknown_variables(environ, Settings.model_fields) == [
        "JOBFERRY_PORT_X is not a jobferry setting and is ignored (did you mean JOBFERRY_PORT?).",
        "JOBFERRY_SOMETHING_ELSE_ENTIRELY is not a jobferry setting and is ignored.",
    ]


def test_a_misspelt_setting_is_warned_of_beside_a_refused_one(tmp_path: Path) -> None:
    # the warning came only once every setting was valid: the operator fixing the refused one
    # learnt of the misspelt one at the next start
    env = {**_env(tmp_path, download_ttl_seconds="30"), "JOBFERRY_AUDIT_DAY": "365"}

    result = invoke(["serve", "--port", "0"], env=env)

    assert result.exit_code == 1, result.output
    said = " ".join(result.stderr.split())
    assert "JOBFERRY_AUDIT_DAY is not a jobferry setting and is ignored" in said
    assert "(did you mean JOBFERRY_AUDIT_DAYS?)" in said
    assert f"error DLF.3051: {LINE}" in said
