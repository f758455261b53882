"""The rules every entry name of a package passes before any data is read.

``name.invalid`` (NUL or control characters), ``name.length``, ``path.absolute``,
``path.traversal`` (a ``..`` segment; ``\\`` counts as a separator too), ``path.link``
(a symbolic link or a Windows reparse point) and ``path.duplicate`` (the same path twice after
treating ``\\`` as ``/`` and dropping ``.`` and empty segments).
"""

from __future__ import annotations

import re
import stat
import unicodedata
import zipfile

from jobferry.package.centraldir import ZipEntry
from jobferry.package.layout import SEPARATORS
from jobferry.package.refusals import refuse, show

_DRIVE = re.compile(r"^[A-Za-z]:")
_WINDOWS_REPARSE_POINT = 0x400
_UNIX = 3


def checked_path(entry: ZipEntry, max_name_length: int) -> str | None:
    """Apply the rules of one entry alone; its normal path (``\\`` as ``/``, without ``.`` and
    empty segments), or ``None`` for a directory. Duplicates are the reader's to find."""
    segments = _checked_segments(entry, max_name_length)
    parts = [s for s in segments if s not in ("", ".")]
    if entry.name.endswith(("/", "\\")) or not parts:
        return None
    return "/".join(parts)


def checked_files(infos: list[zipfile.ZipInfo], max_name_length: int) -> list[zipfile.ZipInfo]:
    """The name rules for a small zip opened with ``zipfile`` (the connection bundle): the
    files (not directories) that pass, in order."""
    seen: dict[str, str] = {}
    files: list[zipfile.ZipInfo] = []
    for info in infos:
        entry = ZipEntry(
            info.filename,
            info.orig_filename,
            info.header_offset,
            info.compress_size,
            info.file_size,
            info.CRC,
            info.compress_type,
            info.flag_bits,
            info.external_attr,
            info.create_system,
        )
        normal = checked_path(entry, max_name_length)
        if normal is None:
            continue
        if normal in seen:
            raise duplicate_path(info.filename, seen[normal])
        seen[normal] = info.filename
        files.append(info)
    return files


def duplicate_path(name: str, first: str) -> Exception:
    """The refusal of an entry whose normal path an earlier entry (``first``) has."""
    return refuse(
        "path.duplicate",
        f"the path appears twice in the zip (also as '{show(first)}')",
        "rebuild the zip with each file once",
        entry=name,
    )


def _checked_segments(info: ZipEntry, max_name_length: int) -> list[str]:
    """The entry name's segments, once the name passes every rule of one entry alone."""
    name = info.name
    raw = info.raw_name
    if not raw.isprintable() and any(unicodedata.category(c) == "Cc" for c in raw):
        raise refuse(
            "name.invalid",
            "the name holds NUL or control characters",
            "rename the file; entry names are plain paths",
            entry=raw,
        )
    if len(name) > max_name_length:
        raise refuse(
            "name.length",
            f"the name is {len(name)} characters long, more than the {max_name_length} allowed",
            "use shorter job, script and folder names",
            entry=name,
            limit=max_name_length,
        )
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise refuse(
            "path.absolute",
            "the path is absolute",
            "rebuild the zip with paths relative to its root",
            entry=name,
        )
    segments = SEPARATORS.split(name)
    if ".." in segments:
        raise refuse(
            "path.traversal",
            "the path climbs out of the package through '..'",
            "rebuild the zip with paths relative to its root",
            entry=name,
        )
    mode = info.external_attr >> 16
    reparse = info.create_system != _UNIX and info.external_attr & _WINDOWS_REPARSE_POINT
    if stat.S_ISLNK(mode) or reparse:
        raise refuse(
            "path.link",
            "the entry is a symbolic link",
            "put the file itself in the zip, not a link to it",
            entry=name,
        )
    return segments
