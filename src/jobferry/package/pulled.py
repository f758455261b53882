"""What ``jobferry pull`` last wrote into a folder, kept in it, and the edits a pull would lose.

A pull keeps ``.jobferry-pull.json`` at the folder's root (a hidden file, which ``apply -f``
skips): each definition file it wrote or found written already, by its path relative to the
folder, with the SHA-256 of its bytes. The next pull compares the folder with that record
before it writes anything. A definition file added, changed or removed since (under ``jobs/``,
``scripts/``, ``resources/``) is an edit the pull would lose when the pull writes it over with
other bytes, removes it, or writes it again: that pull is refused, naming each such file, and
writes nothing (``--force`` writes anyway). An edit the pull would not touch (a file removed
whose object the workspace no longer has) or one the workspace holds already (a file applied
since, which the pull writes as the workspace holds it, however the file was laid out) is no
loss. A folder without a record (never pulled, or pulled by a jobferry before this one) is
written as before, and gets one.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from collections.abc import Mapping, Set
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import orjson

from jobferry.package.folder import file_bytes, json_document

RECORD = ".jobferry-pull.json"
"""The record's file, at the folder's root."""
FORMAT = 1


class Edit(StrEnum):
    """How a definition file differs from what the last pull left."""

    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


@dataclass(frozen=True)
class LocalEdit:
    """A definition file edited since the last pull, which the next would lose."""

    path: str
    """Relative to the folder, ``/``-separated."""
    edit: Edit


def digest(data: bytes) -> str:
    """The hex SHA-256 the record keeps of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def read_record(root: Path) -> dict[str, str] | None:
    """What the last pull wrote into ``root`` (path → SHA-256); ``None`` when there is no
    record, or none this jobferry can read (then the folder is written as one never pulled)."""
    try:
        data = orjson.loads((root / RECORD).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or data.get("format") != FORMAT:
        return None
    return {str(path): str(value) for path, value in files.items()}


def write_record(root: Path, hashes: Mapping[str, str]) -> None:
    """Keep ``hashes`` (path → SHA-256 of what a pull left) as the folder's record, replaced in
    one step (a hidden temporary file beside it)."""
    document = {"format": FORMAT, "files": dict(sorted(hashes.items()))}
    temporary = root / f"{RECORD}.tmp"
    temporary.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
    os.replace(temporary, root / RECORD)


def lost_edits(
    root: Path, record: Mapping[str, str], present: Set[str], files: Mapping[str, bytes]
) -> list[LocalEdit]:
    """The edits since the pull ``record`` remembers that writing ``files`` (path → bytes, what
    this pull writes) would lose: ``present`` are the folder's definition files now."""
    lost: list[LocalEdit] = []
    for path in sorted(present):
        data = (root / path).read_bytes()
        if record.get(path) == digest(data) or _as_written(data) == files.get(path):
            continue
        lost.append(LocalEdit(path, Edit.CHANGED if path in record else Edit.ADDED))
    lost.extend(LocalEdit(p, Edit.REMOVED) for p in sorted(set(record) - present) if p in files)
    return lost


def _as_written(data: bytes) -> bytes | None:
    """A definition file's bytes as a pull writes its definition (keys sorted, the server's
    fields left out): what an edit applied since, however it was laid out, is pulled back as
    (``None``: not a definition)."""
    try:
        document = json_document(data)
    except orjson.JSONDecodeError:
        return None
    return file_bytes(document) + b"\n" if isinstance(document, dict) else None


def in_the_way(root: Path, files: Mapping[str, bytes]) -> list[str]:
    """What stands where ``files`` (path → bytes) are to be written: a folder of their path that
    is a file (``jobs`` a file), or a folder where a file goes (``jobs/a.json/``); relative to
    ``root``, each once."""
    folders: set[str] = set()
    for path in files:  # plain strings: a workspace's folder holds thousands of files
        parent = posixpath.dirname(path)
        while parent and parent not in folders:  # its own parents are in already
            folders.add(parent)
            parent = posixpath.dirname(parent)
    found = {
        f
        for f in folders
        if os.path.exists(os.path.join(root, f)) and not os.path.isdir(os.path.join(root, f))
    }
    found.update(path for path in files if os.path.isdir(os.path.join(root, path)))
    return sorted(found)
