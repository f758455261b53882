"""Where a download is written: in the folder the user chose (or the file they named), under the
name the endpoint sent, of which only the last part counts. The CLI writes where the user said,
never where an endpoint's name points (``../``, a drive, ``\\`` separators)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import unquote


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
