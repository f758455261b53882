"""``jobferry users keys add FILE.pub --name LABEL``: a label the server would refuse, or a key
file that is not there, is a usage error saying so before anything is sent (no server here:
the command must not reach one)."""

from __future__ import annotations

from pathlib import Path

from jobferry.package.keys import generate_key_pair
from support.cli import invoke


def test_a_label_past_128_characters_is_a_usage_error_naming_name() -> None:
    key = generate_key_pair().public_key
    # no context configured: a command that got as far as the server would be refused otherwise
    result = invoke(["users", "keys", "add", key, "--name", "x" * 129])
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert "--name is 129 characters long; give a label of at most 128." in said
    assert result.stdout == ""


def test_a_key_file_that_is_not_there_is_said_to_be_missing(tmp_path: Path) -> None:
    # it was read as the key's text, and refused as "not a public key"
    missing = tmp_path / "laptop.pub"
    result = invoke(["users", "keys", "add", str(missing)])
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert f"There is no file {missing}: give the FILE.pub jobferry users keys new wrote" in said
    bad = invoke(["users", "keys", "add", "ed25519:xyz"])
    assert bad.exit_code == 2, bad.output
    assert "is not a public key" in bad.stderr
