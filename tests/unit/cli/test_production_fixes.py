"""A refusal of a change on an enterprise workspace's production side names the release
commands that make it instead (``cli/remedies.py``), each whole: followed as printed, its
placeholders filled in (a package's name, its approvers, the id ``releases create`` prints),
the command line takes it, rather than refusing it for a missing argument."""

from __future__ import annotations

import shlex
from typing import Any

import pytest

from jobferry.cli.remedies import REMEDIES
from jobferry.domain.remedies import Remedy
from support.cli import whole_command

ROOT: Any = whole_command()
WHERE = " -w 'dev (production)'"
CREATE = "jobferry releases create NAME --all --approver USER -w 'dev (production)'"
DEPLOY = "jobferry releases deploy ID -w 'dev (production)'"
FILLED = {"NAME": "nightly", "USER": "alice", "ID": "12"}


def _refusal(command: str) -> str | None:
    """What the command line says of ``command`` as typed (None: it takes it)."""
    words = [FILLED.get(word, word) for word in shlex.split(command)[1:]]
    found: Any = ROOT
    while hasattr(found, "commands") and words and words[0] in found.commands:
        found = found.commands[words.pop(0)]
    try:
        found.make_context("jobferry", words)
    except Exception as exc:  # click's UsageError (Typer's own copy of click)
        return str(exc)
    return None


@pytest.mark.parametrize("remedy", [Remedy.RELEASE_FROM_DEVELOPMENT, Remedy.START_IN_PRODUCTION])
def test_a_production_sides_refusal_names_release_commands_whole(remedy: Remedy) -> None:
    said = REMEDIES[remedy]({"job_name": "daily_sales", "workspace": "dev"}, WHERE)
    assert CREATE in said, said
    assert DEPLOY in said, said
    assert _refusal(CREATE) is None
    assert _refusal(DEPLOY) is None


def test_the_release_commands_named_need_every_part_named() -> None:
    assert _refusal("jobferry releases deploy -w 'dev (production)'") is not None
    assert _refusal("jobferry releases create -w 'dev (production)'") is not None
