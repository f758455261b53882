"""Documents the commands read from a file (a profile, a policy): JSON or YAML, checked with
the server's own parser before anything is sent, and refused in the same words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from jobferry.cli.exits import CliUsageError
from jobferry.cli.files import file_bytes
from jobferry.domain.profile import load_profile_text
from jobferry.domain.shapes import DocumentError

T = TypeVar("T")


def read_document(path: Path, what: str, parse: Callable[[object], T]) -> T:
    """The document of file ``path`` (a ``what``: profile, policy) parsed by ``parse``;
    refused (usage) when the file cannot be read, is not JSON or YAML, or does not parse."""
    data = file_bytes(path, what)
    try:
        return parse(load_profile_text(data))
    except DocumentError as exc:
        raise CliUsageError(f"{what.capitalize()} {path} cannot be used: {exc}.") from exc
    except ValueError as exc:
        raise CliUsageError(
            f"{what.capitalize()} {path} is not valid JSON or YAML: {exc}."
        ) from exc
