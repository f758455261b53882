"""Folders of jobs, scripts and resources: their ``directory`` paths read as a tree.

A definition's ``directory`` is stored as sent (``/etl/daily``, ``/etl/daily/``, ``etl//daily``
are kept apart in storage), so every reading of a folder goes through :func:`folder_of`: the
path's non-empty segments joined by ``/`` under a leading ``/``. One folder's listing is read
from the workspace's stored directories and how many objects each holds (one grouped query):
:func:`open_folder` folds them into the folder's sub-folders (with how many objects each holds,
theirs included) and the stored spellings of the folder itself, whose objects are listed
directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def segments(path: str) -> tuple[str, ...]:
    """The names along a folder path (``/a//b/`` → ``("a", "b")``)."""
    return tuple(part for part in path.split("/") if part)


def folder_of(path: str) -> str:
    """The folder a stored ``directory`` names, spelled one way (``/a/b``; ``/`` for the root)."""
    return "/" + "/".join(segments(path))


def crumbs(folder: str) -> list[tuple[str, str]]:
    """(name, path) of every folder from the root down to ``folder`` (the root is ``/``)."""
    parts = segments(folder)
    return [("/", "/")] + [(parts[i], "/" + "/".join(parts[: i + 1])) for i in range(len(parts))]


def within(folder: str, path: str) -> bool:
    """Whether the folder ``path`` is ``folder`` or lies under it (both spelled by folder_of)."""
    return folder == "/" or path == folder or path.startswith(folder + "/")


@dataclass(frozen=True)
class SubFolder:
    """A folder one level down, with how many objects it holds (its sub-folders' included)."""

    name: str
    path: str
    count: int


@dataclass(frozen=True)
class OpenFolder:
    """One folder read from the stored directories: what a listing of it shows."""

    path: str
    folders: list[SubFolder]
    own: list[str]
    """The stored spellings of this folder: its own objects are those with these directories."""
    own_count: int
    count: int
    """Objects in the folder, its sub-folders' included."""


def open_folder(folder: str, counts: Iterable[tuple[str, int]]) -> OpenFolder:
    """``folder``'s sub-folders and own directories from (stored directory, objects) pairs."""
    path = folder_of(folder)
    depth = len(segments(path))
    children: dict[str, int] = {}
    own: list[str] = []
    own_count = 0
    for directory, count in counts:
        parts = segments(directory)
        if not within(path, "/" + "/".join(parts)):
            continue
        if len(parts) == depth:
            own.append(directory)
            own_count += count
        else:
            children[parts[depth]] = children.get(parts[depth], 0) + count
    prefix = path.rstrip("/")
    folders = [
        SubFolder(name, f"{prefix}/{name}", children[name])
        for name in sorted(children, key=lambda n: (n.casefold(), n))
    ]
    total = own_count + sum(children.values())
    return OpenFolder(path, folders, sorted(own), own_count, total)
