"""Whether a person is at the terminal: a command that asks before it acts asks only a person,
and refuses otherwise (``--yes`` answers for them). Callers ask through this module, so that
one stand-in answers for every command (the tests' ``monkeypatch``)."""

from __future__ import annotations

import sys

from jobferry.cli.exits import CliUsageError


def stdin_is_terminal() -> bool:
    """Whether a person can answer a confirmation prompt."""
    return sys.stdin.isatty()


def require_person(command: str, act: str, *, instead: str = "") -> None:
    """Refuse ``command``, which would ask for confirmation, when no person is there to answer
    (``act``: what ``--yes`` lets it do without asking; ``instead``: another way, said after)."""
    if not stdin_is_terminal():
        raise CliUsageError(
            f"{command} asks for confirmation, but standard input is not a terminal; pass "
            f"--yes to {act} without asking{instead}."
        )
