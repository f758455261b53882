"""A document the command line reads from a file (a profile, a policy) is refused before
anything is sent, in the same words for each: unreadable, not JSON or YAML, or not usable by
the server's own parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.cli.documents import read_document
from jobferry.cli.exits import CliUsageError
from jobferry.domain.policies import parse_policy
from jobferry.domain.profile import parse_profile


def test_a_usable_document_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("maxDeletions: 3\n", encoding="utf-8")
    assert read_document(path, "policy", parse_policy).max_deletions == 3


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (None, "Cannot read profile"),
        ("{not: [json", "Profile {path} is not valid JSON or YAML"),
        ("renamed: {}\n", "Profile {path} cannot be used: unknown key(s) renamed"),
    ],
)
def test_a_document_is_refused_naming_the_file_and_why(
    tmp_path: Path, text: str | None, said: str
) -> None:
    path = tmp_path / "dev.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(CliUsageError) as refused:
        read_document(path, "profile", parse_profile)
    assert said.format(path=path) in str(refused.value)
