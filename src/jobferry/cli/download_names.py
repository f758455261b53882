"""Where a download is written: in the folder the user chose (or the file they named), under the
name the endpoint sent, of which only the last part counts. The CLI writes where the user said,
never where an endpoint's name points (``../``, a drive, ``\\`` separators); and what was
written (:class:`Downloaded`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO
from urllib.parse import unquote


@dataclass(frozen=True)
class Downloaded:
    """A file the endpoint sent back, now on disk."""

    path: Path
    size: int
    sha256: str
    file_name: str | None
    """The name from ``Content-Disposition``, when the endpoint gave one."""


def plain_file_name(name: str | None) -> str | None:
    """A file name the endpoint sent, as one to write in the chosen folder: its last part only,
    whichever separator it uses (``/``, ``\\``, a drive), never ``.`` or ``..``; ``None`` when
    nothing of it is left."""
    last = PureWindowsPath(PurePosixPath(name or "").name).name
    return last if last not in ("", ".", "..") else None


def attachment_name(disposition: str) -> str | None:
    """The file name of a ``Content-Disposition`` header (``filename*`` first), made plain."""
    for item in disposition.split(";"):
        key, _, value = item.strip().partition("=")
        if key.lower() == "filename*" and "''" in value:
            return plain_file_name(unquote(value.split("''", 1)[1]))
    for item in disposition.split(";"):
        key, _, value = item.strip().partition("=")
        if key.lower() == "filename":
            return plain_file_name(unquote(value.strip('"')))
    return None


def download_path(target: Path | None, sent: str | None, default_name: str) -> Path:
    """The file to write: ``target`` itself when it names a file, else a file in it (or in the
    current folder) named as sent, else as ``default_name`` (an answer's ``fileName``) made
    plain, else ``package.zip``."""
    if target is not None and not target.is_dir():
        return target
    name = sent or plain_file_name(default_name) or "package.zip"
    return (target or Path.cwd()) / name


@contextmanager
def temporary_beside(final: Path) -> Iterator[tuple[IO[bytes], Path]]:
    """A hidden temporary file beside ``final`` (its handle and path) that a download is written
    to, then moved onto ``final`` whole; removed if still there when done."""
    fd, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
    temp = Path(name)
    handle = os.fdopen(fd, "wb")
    try:
        yield handle, temp
    finally:
        handle.close()
        temp.unlink(missing_ok=True)
