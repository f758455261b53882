"""Where each object goes in a package.

* ``single`` — DataArts' single-job export (``DLF_<job>.zip``), also used for multi-job
  extension exports: ``jobs/<job>.job``, ``scripts/<name>.script``,
  ``resources/<name>.resource``, ``cdm_jobs/<name>.cdmjob``; shared dependencies once.
* ``batch`` — DataArts' batch export (``jobs.zip``): one folder per job under ``jobs/``,
  ``jobs/<job>/<job>.job`` with that job's dependencies beside it
  (``jobs/<job>/<name>.script`` …), as DESIGN §4 specifies.

Reading goes the other way: the kind comes from the extension, the layout from where the objects
sit (:func:`detect_layout`; a package that mixes both, or nests deeper, is ``mixed``), and in
folder-per-job/task packages the parent folder is the job's matching identifier
(:func:`job_folder`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

from jobferry.domain.enums import ObjectKind

EXTENSIONS: dict[str, str] = {
    ObjectKind.JOB: ".job",
    ObjectKind.SCRIPT: ".script",
    ObjectKind.RESOURCE: ".resource",
    ObjectKind.CDM_JOB: ".cdmjob",
}
FOLDERS: dict[str, str] = {
    ObjectKind.JOB: "jobs",
    ObjectKind.SCRIPT: "scripts",
    ObjectKind.RESOURCE: "resources",
    ObjectKind.CDM_JOB: "cdm_jobs",
}
KIND_FOLDERS = frozenset(FOLDERS.values())
SEPARATORS = re.compile(r"[\\/]")
"""Entry name separators: ``\\`` counts as ``/`` when reading."""
MIXED = "mixed"
"""The detected layout of a package that is neither all single nor all batch."""


class Layout(StrEnum):
    """The two layouts jobferry writes."""

    SINGLE = "single"
    BATCH = "batch"


def entry_path(layout: Layout, kind: str, name: str, job: str | None = None) -> str:
    """The path of an object in a package; ``job`` is the owning job folder for batch."""
    file_name = f"{name}{EXTENSIONS[kind]}"
    if layout is Layout.BATCH:
        folder = name if kind == ObjectKind.JOB else job
        assert folder is not None, "batch entries of dependencies need their job"
        return f"jobs/{folder}/{file_name}"
    return f"{FOLDERS[kind]}/{file_name}"


def kind_of(path: str) -> str | None:
    """The kind of object an entry holds, from its extension (any case); ``None`` if none."""
    lowered = path.lower()
    for kind, extension in EXTENSIONS.items():
        if lowered.endswith(extension):
            return str(kind)
    return None


def path_parts(path: str) -> list[str]:
    """The segments of an entry path (``\\`` or ``/``), without ``.`` and empty ones."""
    return [s for s in SEPARATORS.split(path) if s not in ("", ".")]


def job_folder(parts: list[str]) -> str | None:
    """The parent folder of an object unless it is a kind's folder (``jobs``, ``scripts`` …)."""
    return parts[-2] if len(parts) >= 2 and parts[-2] not in KIND_FOLDERS else None


def detect_layout(paths: Iterable[str]) -> str:
    """``single`` when every object sits directly in its kind's folder, ``batch`` when every
    object sits in a per-job folder (optionally under a leading ``jobs/``), else ``mixed``."""
    placements = {placement(path_parts(path)) for path in paths}
    if placements == {"single"}:
        return Layout.SINGLE.value
    if placements == {"batch"}:
        return Layout.BATCH.value
    return MIXED


def placement(parts: list[str]) -> str:
    """Where one object sits: ``single`` (in its kind's folder), ``batch`` (in a job's folder)
    or ``other``."""
    if len(parts) >= 2 and parts[-2] in KIND_FOLDERS:
        return "single"
    if len(parts) == 2 or (len(parts) == 3 and parts[0] == FOLDERS[ObjectKind.JOB]):
        return "batch"
    return "other"
