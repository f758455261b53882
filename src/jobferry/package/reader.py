"""Safe package reading: a zip from anyone becomes parsed objects, or a refusal that says why.

The input is hostile until proven otherwise. Every refusal is a :class:`PackageError` whose
message names the entry (when there is one), the rule and the fix, and whose context carries
``entry`` and ``rule`` (the stable ids below). Nothing is ever written to disk.

This module holds the order of the checks and the size caps; the rules it applies live beside
what they are about: entry names in :mod:`.paths`, JSON in :mod:`.documents`, the manifest in
:mod:`.manifest`, kinds, folders and layout detection in :mod:`.layout`, direct entry reads in
:mod:`.entries`, and the refusal itself in :mod:`.refusals`.

Size and shape (limits come from :class:`ReadLimits`):

* ``size.package`` — the zip file is larger than ``max_package_bytes`` (checked before opening).
* ``zip.invalid`` — not a zip, or damaged (bad CRC, broken deflate stream, encrypted entry,
  local header not matching the central directory…).
* ``entries.count`` — more than ``max_entries`` entries; the count declared by the
  end-of-central-directory record is checked before the central directory is even parsed, and
  the parsed count again after.
* ``size.entry`` / ``size.total`` / ``ratio`` — header sizes are never trusted: each entry is
  inflated in chunks with a hard cap of ``max_entry_bytes``, a running total is kept against
  ``max_total_bytes``, and the bytes inflated so far are compared with the compressed size
  (``max_ratio``; entries under 64 KiB are exempt because small JSON compresses very well).

Names (checked for every entry, directories included, before any data is read):

* ``name.invalid`` — NUL or other control characters, or bytes that do not decode.
* ``name.length`` — longer than ``max_name_length`` characters.
* ``path.absolute`` — starts with ``/`` or ``\\``, or with a drive such as ``C:``.
* ``path.traversal`` — a ``..`` segment (``\\`` counts as a separator too).
* ``path.link`` — a symbolic link (unix mode in the external attributes) or a Windows
  reparse point.
* ``path.duplicate`` — the same path twice (after treating ``\\`` as ``/`` and dropping ``.``
  and empty segments).

Content:

* Directories are skipped. Files other than ``*.job``, ``*.script``, ``*.resource``,
  ``*.cdmjob``, ``manifest.json`` and ``manifest.sig`` are ignored (never inflated) when there
  is no manifest, and refused (``manifest.unlisted``) when there is one.
* ``json.utf8`` / ``json.invalid`` / ``json.object`` — every JSON file is UTF-8 (a BOM is
  allowed), valid JSON (the message gives line and column) and one JSON object.

Manifest (``manifest.json``, written by jobferry; real DataArts exports have none):

* ``manifest.version`` — ``formatVersion`` must be an integer from 1 to the version this
  jobferry reads; a newer one is refused naming both versions.
* ``manifest.invalid`` — ``entries`` is not a list of ``{path, size, sha256}`` objects, or lists
  a path twice.
* ``manifest.hash`` / ``manifest.size`` / ``manifest.unlisted`` / ``manifest.missing`` — every
  listed entry exists with the listed size and sha256, every file is listed. All mismatches are
  collected and reported together (``problems``; the rule is ``manifest.mismatch`` when they
  are of different kinds).
* ``manifest.missing`` also refuses a ``manifest.sig`` without ``manifest.json``: removing the
  manifest must not turn a signed package into an unverified one. The signature itself is
  returned, not verified: that is the importer's job.

Objects:

* The kind comes from the extension; the name from the document's ``"name"`` (a non-empty
  string), else the file stem for scripts, resources and CDM jobs; a ``.job`` without a name
  is refused (``object.name``).
* Scripts exported by the console spell ``database`` as ``currentDatabase``: it is copied to
  ``database`` when that is absent (both keys are kept).
* The same kind and name twice (batch exports repeat shared scripts in every job folder):
  identical documents are kept once (the first by path), different ones are refused
  (``object.duplicate``, naming both entries).
* ``folder`` is the entry's parent folder unless that is ``jobs``, ``scripts``, ``resources`` or
  ``cdm_jobs``: in folder-per-job/task packages it is the job's matching identifier.
* The layout is ``single`` when every object sits directly in one of those four folders,
  ``batch`` when every object sits in a per-job folder (optionally under a leading ``jobs/``),
  otherwise ``mixed``.
* ``package.empty`` — no object at all.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from jobferry.domain.enums import KIND_ORDER
from jobferry.package.documents import parse_json
from jobferry.package.entries import declared_entry_count, mapped, read_plain
from jobferry.package.layout import EXTENSIONS, detect_layout, job_folder, kind_of, path_parts
from jobferry.package.manifest import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    check_version,
    listed_entries,
    mismatches,
    problem,
    raise_problems,
)
from jobferry.package.paths import checked_files
from jobferry.package.refusals import MIB, refuse, show, size_text

__all__ = ["PackageObject", "ReadLimits", "ReadPackage", "read_package"]

RATIO_EXEMPT_BYTES = 64 * 1024

# Objects come out in the order an import writes them: what a job uses first.
_KIND_RANK: dict[str, int] = {str(kind): rank for kind, rank in KIND_ORDER.items()}

_CHUNK = MIB

_T = TypeVar("_T")


@dataclass(frozen=True)
class ReadLimits:
    """How much a package may hold; every cap is a refusal, never a truncation."""

    max_package_bytes: int = 256 * MIB
    """The zip file itself (compressed)."""
    max_total_bytes: int = 1024 * MIB
    """The sum of the uncompressed sizes actually read."""
    max_entry_bytes: int = 64 * MIB
    """One entry, uncompressed."""
    max_entries: int = 50_000
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
    document: dict[str, Any]
    """The parsed JSON, key order preserved (scripts: ``currentDatabase`` copied to
    ``database`` when that is absent)."""
    folder: str | None
    """The parent folder in folder-per-job/task layouts (the job's matching identifier)."""


@dataclass(frozen=True)
class ReadPackage:
    """A package that passed every rule."""

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


def _selected(
    files: list[zipfile.ZipInfo], with_manifest: bool, listed: dict[str, tuple[int, str]]
) -> tuple[list[zipfile.ZipInfo], list[dict[str, str]]]:
    """The entries to read (definitions; with a manifest, what it lists) and the unlisted."""
    wanted: list[zipfile.ZipInfo] = []
    problems: list[dict[str, str]] = []
    for info in files:
        if info.filename in (MANIFEST_NAME, SIGNATURE_NAME):
            continue
        if not with_manifest:
            if kind_of(info.filename) is not None:
                wanted.append(info)
        elif info.filename in listed:
            wanted.append(info)
        else:
            problems.append(
                problem(info.filename, "manifest.unlisted", "not listed in manifest.json")
            )
    return wanted, problems


def read_package(source: Path | bytes, limits: ReadLimits = ReadLimits()) -> ReadPackage:
    """Read and verify a package from a file or from bytes; raise :class:`PackageError`."""
    if isinstance(source, bytes):
        _check_package_size(len(source), limits)
        digest = hashlib.sha256(source).hexdigest()
        return _Reader(io.BytesIO(source), len(source), digest, limits).read()
    try:
        _check_package_size(source.stat().st_size, limits)
        handle = source.open("rb")
    except OSError as exc:
        raise refuse(
            "zip.invalid",
            f"the file '{source.name}' cannot be opened ({exc.strerror or exc})",
            "check the path of the package",
        ) from exc
    with handle:
        size, digest = _hash_file(handle, limits)
        handle.seek(0)
        return _Reader(handle, size, digest, limits).read()


def _hash_file(handle: IO[bytes], limits: ReadLimits) -> tuple[int, str]:
    """Size and sha256 of an open file, refusing it if it grew past the cap since ``stat``."""
    hasher = hashlib.sha256()
    size = 0
    while chunk := handle.read(_CHUNK):
        size += len(chunk)
        _check_package_size(size, limits)
        hasher.update(chunk)
    return size, hasher.hexdigest()


def _check_package_size(size: int, limits: ReadLimits) -> None:
    if size > limits.max_package_bytes:
        raise refuse(
            "size.package",
            f"the package file is {size_text(size)}, more than the "
            f"{size_text(limits.max_package_bytes)} allowed",
            "split the export into smaller packages",
            limit=limits.max_package_bytes,
        )


class _Reader:
    """One read of one zip: the checks in order, with the running uncompressed total."""

    def __init__(self, handle: IO[bytes], size: int, digest: str, limits: ReadLimits) -> None:
        self._handle = handle
        self._size = size
        self._digest = digest
        self._limits = limits
        self._total = 0
        self._buffer: memoryview | None = None

    def read(self) -> ReadPackage:
        self._check_declared_count()
        try:
            archive = zipfile.ZipFile(self._handle)
        except Exception as exc:  # zipfile raises many types on hostile input
            raise refuse(
                "zip.invalid",
                f"the file is not a readable zip archive ({exc})",
                "upload the .zip exported by DataArts or jobferry, unmodified",
            ) from exc
        with archive, mapped(self._handle) as buffer:
            self._buffer = buffer
            try:
                return self._read_archive(archive)
            finally:
                self._buffer = None

    def _check_declared_count(self) -> None:
        declared = declared_entry_count(self._handle, self._size)
        if declared is not None:
            self._check_count(declared)

    def _check_count(self, count: int) -> None:
        if count > self._limits.max_entries:
            raise refuse(
                "entries.count",
                f"the package has {count} entries, more than the "
                f"{self._limits.max_entries} allowed",
                "split the export into smaller packages",
                limit=self._limits.max_entries,
            )

    def _read_archive(self, archive: zipfile.ZipFile) -> ReadPackage:
        infos = archive.infolist()
        self._check_count(len(infos))
        files = checked_files(infos, self._limits.max_name_length)
        by_name = {info.filename: info for info in files}

        manifest, manifest_bytes, signature = self._manifest(archive, by_name)
        listed = listed_entries(manifest) if manifest is not None else {}
        wanted, problems = _selected(files, manifest is not None, listed)
        problems += [
            problem(path, "manifest.missing", "listed in manifest.json but not in the zip")
            for path in listed
            if path not in by_name
        ]

        contents = {info.filename: self._inflate(archive, info) for info in wanted}
        if manifest is not None:
            problems += mismatches(contents, listed)
            raise_problems(problems)

        objects = [
            _object(path, kind, parse_json(contents[path], path))
            for path in sorted(contents)
            if (kind := kind_of(path)) is not None
        ]
        kept, repeats = _deduplicated(objects)
        if not kept:
            raise refuse(
                "package.empty",
                "the package holds no .job, .script, .resource or .cdmjob file",
                "export jobs from DataArts or jobferry and upload that zip",
            )
        return ReadPackage(
            layout=detect_layout(o.path for o in objects),
            objects=tuple(sorted(kept, key=lambda o: (_KIND_RANK[o.kind], o.name, o.path))),
            manifest=manifest,
            manifest_bytes=manifest_bytes,
            signature=signature,
            sha256=self._digest,
            size=self._size,
            repeats=repeats,
        )

    def _manifest(
        self, archive: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo]
    ) -> tuple[dict[str, Any] | None, bytes | None, bytes | None]:
        """The parsed manifest (version checked), its bytes, and the signature's bytes."""
        manifest: dict[str, Any] | None = None
        manifest_bytes: bytes | None = None
        if MANIFEST_NAME in by_name:
            manifest_bytes = self._inflate(archive, by_name[MANIFEST_NAME])
            manifest = parse_json(manifest_bytes, MANIFEST_NAME)
            check_version(manifest)
        signature = None
        if SIGNATURE_NAME in by_name:
            signature = self._inflate(archive, by_name[SIGNATURE_NAME])
            if manifest is None:
                raise refuse(
                    "manifest.missing",
                    "the package carries manifest.sig but no manifest.json; a signed package "
                    "was altered",
                    "export the package again from its source workspace",
                    entry=MANIFEST_NAME,
                )
        return manifest, manifest_bytes, signature

    def _inflate(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
        """The entry's bytes, capped while inflating: header sizes are never trusted."""
        limits = self._limits
        name = info.filename
        # A header may also lie about the compressed size; it cannot exceed the file itself.
        compressed = max(1, min(info.compress_size, self._size))
        declared = info.file_size
        if (
            self._buffer is not None
            and declared <= limits.max_entry_bytes
            and self._total + declared <= limits.max_total_bytes
            and (declared <= RATIO_EXEMPT_BYTES or declared <= limits.max_ratio * compressed)
        ):
            # Within every cap as declared: read it directly when it is exactly as declared
            # (package.entries); otherwise through zipfile below, which finds what is wrong.
            data = read_plain(self._buffer, info)
            if data is not None:
                self._total += len(data)
                return data
        chunks: list[bytes] = []
        size = 0
        stream = _zip_call(name, lambda: archive.open(info))
        with stream:
            while True:
                ask = min(_CHUNK, limits.max_entry_bytes + 1 - size)
                chunk = _read_chunk(stream, name, ask)
                if not chunk:
                    break
                size += len(chunk)
                if size > limits.max_entry_bytes:
                    raise refuse(
                        "size.entry",
                        f"it unpacks to more than {size_text(limits.max_entry_bytes)}",
                        "split the export; no single definition needs that much",
                        entry=name,
                        limit=limits.max_entry_bytes,
                    )
                if self._total + size > limits.max_total_bytes:
                    raise refuse(
                        "size.total",
                        f"with it the package unpacks to more than "
                        f"{size_text(limits.max_total_bytes)}",
                        "split the export into smaller packages",
                        entry=name,
                        limit=limits.max_total_bytes,
                    )
                if size > RATIO_EXEMPT_BYTES and size > limits.max_ratio * compressed:
                    raise refuse(
                        "ratio",
                        f"it inflates to more than {limits.max_ratio} times its compressed size "
                        f"({size_text(compressed)}), as a zip bomb does",
                        "export the package again; job definitions never compress that well",
                        entry=name,
                        limit=limits.max_ratio,
                    )
                chunks.append(chunk)
                if len(chunk) < ask:
                    break  # a read returns less than asked only at the entry's end
        self._total += size
        return b"".join(chunks)


def _read_chunk(stream: IO[bytes], entry: str, size: int) -> bytes:
    """Up to ``size`` more bytes of an open entry (empty at its end)."""
    return _zip_call(entry, lambda: stream.read(size))


def _zip_call(entry: str, call: Callable[[], _T]) -> _T:
    """Run one zipfile call on an entry, translating its failures into ``zip.invalid``."""
    try:
        return call()
    except Exception as exc:  # zipfile, zlib, bz2 and lzma raise many types on hostile input
        raise refuse(
            "zip.invalid",
            f"it cannot be unpacked ({exc})",
            "the zip is damaged or uses encryption or a compression jobferry does not read; "
            "export it again",
            entry=entry,
        ) from exc


def _object(path: str, kind: str, document: dict[str, Any]) -> PackageObject:
    parts = path_parts(path)
    stem = parts[-1][: -len(EXTENSIONS[kind])]
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        if kind == "job" or not stem.strip():
            raise refuse(
                "object.name",
                f'the {kind.replace("_", " ")} has no "name" string',
                'add the object\'s "name" to the file',
                entry=path,
            )
        name = stem
    if kind == "script" and "database" not in document and "currentDatabase" in document:
        document["database"] = document["currentDatabase"]
    folder = job_folder(parts)
    return PackageObject(kind=kind, name=name, path=path, document=document, folder=folder)


def _deduplicated(objects: list[PackageObject]) -> tuple[list[PackageObject], dict[str, str]]:
    """One object per (kind, name), and the identical repeats dropped (their path → the kept
    one's); different ones are refused."""
    found: dict[tuple[str, str], PackageObject] = {}
    repeats: dict[str, str] = {}
    for obj in objects:
        first = found.setdefault((obj.kind, obj.name), obj)
        if first is not obj and first.document == obj.document:
            repeats[obj.path] = first.path
        elif first is not obj:
            raise refuse(
                "object.duplicate",
                f"{obj.kind.replace('_', ' ')} '{show(obj.name)}' is also defined, "
                f"differently, by '{show(first.path)}'",
                "keep one definition (or rename one of them) and rebuild the package",
                entry=obj.path,
                entries=[first.path, obj.path],
            )
    return list(found.values()), repeats
