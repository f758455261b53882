"""What a package read yields: its limits, its objects, and a whole package read at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from jobferry.domain.enums import ObjectKind
from jobferry.package.documents import parse_json
from jobferry.package.refusals import MIB


@dataclass(frozen=True)
class ReadLimits:
    """How much a package may hold; every cap is a refusal, never a truncation.

    A read streams, so memory does not bound a package: these caps are what a hostile zip
    may cost in disk and time. They allow a 100,000-job workspace (200,000 entries, about
    100 MB zipped) several times over."""

    max_package_bytes: int = 1024 * MIB
    """The zip file itself (compressed)."""
    max_total_bytes: int = 8 * 1024 * MIB
    """The sum of the uncompressed sizes actually read."""
    max_entry_bytes: int = 64 * MIB
    """One entry, uncompressed."""
    max_entries: int = 2_000_000
    """Entries in the central directory, directories included."""
    max_ratio: int = 200
    """Uncompressed over compressed size of one entry (entries under 64 KiB are exempt)."""
    max_name_length: int = 512
    """Characters in one entry name."""

    @classmethod
    def dataarts(cls) -> ReadLimits:
        """DataArts' own import limits: 10 MB compressed and 10 MB uncompressed in total."""
        return cls(max_package_bytes=10 * MIB, max_total_bytes=10 * MIB, max_entry_bytes=10 * MIB)


@dataclass(frozen=True)
class PackageObject:
    """One job, script, resource or CDM job definition found in a package."""

    kind: str
    """``job``, ``script``, ``resource`` or ``cdm_job`` (from the file extension)."""
    name: str
    """The document's ``name``, or the file stem for scripts, resources and CDM jobs."""
    path: str
    """The entry path in the zip."""
    source: dict[str, Any] | bytes | None
    """The parsed document, or the entry's JSON (read and checked in a helper process, and
    parsed here only if someone asks for :attr:`document`), or ``None`` for an object the
    helper prepared: what was prepared from it is all its reader's caller uses, so its bytes
    do not make the trip (the reader reads the entry again to compare a repeat)."""
    folder: str | None
    """The parent folder in folder-per-job/task layouts (the job's matching identifier)."""
    uid: str | None = None
    """The object's stable identifier in its source workspace (format-2 manifests list it;
    ``None`` without one: the object is matched by name)."""
    prepared: Any = None
    """What the reader's caller prepared from the object as it was read (see
    :meth:`~jobferry.package.reader.PackageReader.objects`)."""
    stored: tuple[bytes, bytes] | None = None
    """The entry's bytes and the raw deflate stream the zip holds them as, given to the
    preparation only (a deflated entry): what the import's ledger keeps of an object written
    exactly as the package held it, instead of compressing the same bytes again."""

    @cached_property
    def document(self) -> dict[str, Any]:
        """The parsed JSON, key order preserved (scripts: ``currentDatabase`` copied to
        ``database`` when that is absent)."""
        if isinstance(self.source, dict):
            return self.source
        if self.source is None:
            raise LookupError(f"{self.path}: only what was prepared from it was kept")
        return normalised(self.kind, parse_json(self.source, self.path))


def normalised(kind: str, document: dict[str, Any]) -> dict[str, Any]:
    """A document as the reader hands it out: a script's ``currentDatabase`` (as the console
    exports it) copied to ``database`` when that is absent."""
    if kind == ObjectKind.SCRIPT and "database" not in document and "currentDatabase" in document:
        document["database"] = document["currentDatabase"]
    return document


@dataclass(frozen=True)
class ReadPackage:
    """A whole package that passed every rule (:func:`read_package`)."""

    layout: str
    """``single``, ``batch`` or ``mixed``."""
    objects: tuple[PackageObject, ...]
    """Deduplicated, ordered scripts, resources, CDM jobs, then jobs; by name within a kind."""
    manifest: dict[str, Any] | None
    manifest_bytes: bytes | None
    signature: bytes | None
    """The contents of ``manifest.sig``, not verified here."""
    sha256: str
    """Of the whole zip file."""
    size: int
    """Of the whole zip file, in bytes."""
    repeats: dict[str, str] = field(default_factory=dict)
    """Entries dropped as identical repeats (batch exports repeat shared scripts in every job
    folder): repeated entry path → the path of the object kept for it."""

    def of_kind(self, kind: str) -> tuple[PackageObject, ...]:
        """The objects of one kind (``job``, ``script``, ``resource`` or ``cdm_job``)."""
        return tuple(o for o in self.objects if o.kind == kind)
