"""Files the command line reads from the user's disk are refused before anything is sent, each
naming the file (and the option that gave it) and why: missing, not text, not what the option
takes. ``jobferry releases verify`` names the file that failed, not the other one."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobferry.cli.app import app
from jobferry.cli.exits import CliUsageError
from jobferry.cli.files import file_bytes, file_text
from jobferry.cli.verdict import keys_from_file, listed_keys
from jobferry.package.keys import generate_key_pair


def _refusal(call: object) -> str:
    with pytest.raises(CliUsageError) as refused:
        call()  # type: ignore[operator]
    return str(refused.value)


def test_a_missing_file_is_refused_naming_it_and_the_reason(tmp_path: Path) -> None:
    missing = tmp_path / "gone.pem"
    said = _refusal(lambda: file_bytes(missing))
    assert said == f"Cannot read {missing}: No such file or directory."
    said = _refusal(lambda: file_text(missing, "the names file"))
    assert said == f"Cannot read the names file {missing}: No such file or directory."


def test_a_file_that_is_not_text_is_refused(tmp_path: Path) -> None:
    binary = tmp_path / "names.txt"
    binary.write_bytes(b"\xff\xfe\x00")
    assert file_bytes(binary) == b"\xff\xfe\x00"
    assert f"{binary} is not UTF-8 text" in _refusal(lambda: file_text(binary))


def test_a_home_relative_path_is_read_from_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "key.pub").write_text("ed25519:x\n", encoding="utf-8")
    assert file_text(Path("~/key.pub")) == "ed25519:x\n"


def test_trusted_keys_are_read_a_line_each_or_as_the_key_list_prints_them(
    tmp_path: Path,
) -> None:
    first, second = generate_key_pair().public_key, generate_key_pair().public_key
    lines = tmp_path / "trusted.txt"
    lines.write_text(f"# ours\n{first}\n\n{second}  # theirs\n", encoding="utf-8")
    listed = tmp_path / "trusted.json"
    listed.write_text(f'{{"keys": [{{"publicKey": "{first}"}}]}}', encoding="utf-8")
    assert keys_from_file(lines, "--key") == [first, second]
    assert keys_from_file(listed, "--trusted-keys") == [first]


def test_a_saved_key_list_gives_no_key_it_marks_distrusted(tmp_path: Path) -> None:
    trusted, distrusted = generate_key_pair().public_key, generate_key_pair().public_key
    listed = tmp_path / "keys.json"  # as keys list --distrusted --json prints it
    listed.write_text(
        f'{{"keys": [{{"publicKey": "{trusted}", "distrusted": false}}, '
        f'{{"publicKey": "{distrusted}", "distrusted": true}}]}}',
        encoding="utf-8",
    )
    assert keys_from_file(listed, "--trusted-keys") == [trusted]
    assert listed_keys(listed, "--trusted-keys") == ([trusted], [distrusted])


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (None, "Cannot read the --key file {path}: No such file or directory."),
        ('{"keys": [{"name": "x"}]}', "--key {path} is not a list of public keys"),
        ('{"keys": "abc"}', "--key {path} is not a list of public keys"),
        ("ed25519:nope\n", "--key {path}: the public key is not 'ed25519:'"),
        ('{"keys": [', "--key {path}: "),
    ],
)
def test_a_trusted_keys_file_of_anything_else_is_refused_naming_the_option(
    tmp_path: Path, text: str | None, said: str
) -> None:
    path = tmp_path / "trusted"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    assert said.format(path=path) in _refusal(lambda: keys_from_file(path, "--key"))


def test_releases_verify_names_the_approvals_file_it_cannot_read_not_the_keys_file(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "trusted.txt"
    keys.write_text(generate_key_pair().public_key + "\n", encoding="utf-8")
    missing = tmp_path / "approvals.json"
    result = CliRunner().invoke(app, ["releases", "verify", str(missing), "--key", str(keys)])
    assert result.exit_code == 2
    assert f"Cannot read {missing}: No such file or directory." in result.output
    assert str(keys) not in result.output

    missing.write_text("not json", encoding="utf-8")
    result = CliRunner().invoke(app, ["releases", "verify", str(missing), "--key", str(keys)])
    assert result.exit_code == 2
    assert f"{missing} is not an approvals file (not JSON" in result.output
