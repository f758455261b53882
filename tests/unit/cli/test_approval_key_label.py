"""``jobferry users keys add --name LABEL``: a label the server would refuse is a usage error
naming the option, before anything is sent (no server here: the command must not reach one)."""

from __future__ import annotations

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
