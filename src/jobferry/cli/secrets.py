"""Secrets given to the CLI: from a file (``@FILE``), standard input (``-``) or an environment
variable (``env:NAME``), never on the command line itself, where they would stay in the shell's
history. ``jobferry env put --secret KEY=SOURCE`` and ``jobferry remotes add --secret-key
SOURCE`` read them here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from jobferry.cli.exits import CliUsageError

SOURCES = "@FILE, - (standard input) or env:VARIABLE"


def secret_value(source: str, option: str, stdin_used: list[bool]) -> str:
    """The secret ``source`` names; ``option`` is how the option was written (for messages),
    ``stdin_used`` records that standard input was read (it can be read once)."""
    if source == "-":
        if stdin_used:
            raise CliUsageError("Only one secret can read standard input (-).")
        stdin_used.append(True)
        return sys.stdin.read().rstrip("\r\n")
    if source.startswith("@"):
        file = Path(source[1:]).expanduser()
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CliUsageError(f"{option}: cannot read {file}: {exc.strerror or exc}.") from exc
        try:
            return data.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError:  # its bytes are the secret's: none of them is said
            raise CliUsageError(
                f"{option}: {file} is not UTF-8 text; save the secret as UTF-8 text."
            ) from None
    if source.startswith("env:"):
        variable = source[4:]
        value = os.environ.get(variable)
        if not value:
            raise CliUsageError(
                f"{option}=env:{variable}: the variable {variable} is not set; export it first."
            )
        return value
    raise CliUsageError(
        f"{option} gives the secret on the command line, where it stays in the shell's "
        f"history; give it as {SOURCES}."
    )
