"""Whether a person is at the terminal: a command that asks before it acts asks only a person,
and refuses otherwise (``--yes`` answers for them). Callers ask through this module, so that
one stand-in answers for every command (the tests' ``monkeypatch``)."""

from __future__ import annotations

import sys


def stdin_is_terminal() -> bool:
    """Whether a person can answer a confirmation prompt."""
    return sys.stdin.isatty()
