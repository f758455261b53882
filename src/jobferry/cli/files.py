"""Files the commands read from the user's disk (keys, approvals, profiles, names), refused
in one wording when they cannot be read: which file, and the system's reason."""

from __future__ import annotations

from pathlib import Path

from jobferry.cli.exits import CliUsageError


def file_bytes(path: Path, what: str = "") -> bytes:
    """The bytes of ``path`` (``~`` expanded); refused (usage) naming the file, as ``what``
    calls it when given ("profile", "the names file"), when it cannot be read."""
    try:
        return path.expanduser().read_bytes()
    except OSError as exc:
        named = f"{what} {path}" if what else str(path)
        raise CliUsageError(f"Cannot read {named}: {exc.strerror or exc}.") from exc


def file_text(path: Path, what: str = "") -> str:
    """The text of ``path`` (UTF-8), refused as :func:`file_bytes` refuses, and when it is not
    UTF-8 text."""
    data = file_bytes(path, what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        named = f"{what} {path}" if what else str(path)
        raise CliUsageError(f"{named} is not UTF-8 text: {exc}.") from exc
