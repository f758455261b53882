"""Safe package reading: a zip from anyone becomes parsed objects, or a refusal that says why.

The input is hostile until proven otherwise. Every refusal is a :class:`PackageError` whose
message names the entry (when there is one), the rule and the fix, and whose context carries
``entry`` and ``rule`` (the stable ids below). Nothing of the package is ever extracted to disk.

A read streams (:class:`PackageReader`): the central directory is walked once, a record at a
time (:mod:`.centraldir`), then the entries are read, checked and parsed one batch at a time and
handed out as objects, so a package of any size is read in the same memory. What spans entries
(a path twice, the manifest's listing, one object per kind and name) lives in the read's own
index (:mod:`.index`, a temporary SQLite file). Refusals that need the whole package (manifest
mismatches, an empty package) are raised when the objects run out, so a consumer must use the
objects only once the iteration ended without a refusal. :func:`read_package` reads a whole
package into a :class:`ReadPackage`, for offline tools and tests.

This module holds the order of the checks and the size caps; the rules it applies live beside
what they are about: entry names in :mod:`.paths`, JSON in :mod:`.documents`, the manifest in
:mod:`.manifest`, kinds, folders and layout detection in :mod:`.layout`, entry reads in
:mod:`.entries`, and the refusal itself in :mod:`.refusals`.

Size and shape (limits come from :class:`ReadLimits`):

* ``size.package`` — the zip file is larger than ``max_package_bytes`` (checked before opening).
* ``zip.invalid`` — not a zip, or damaged (bad CRC, broken deflate stream, encrypted entry,
  local header not matching the central directory…), or an entry compressed with anything
  but deflate (or stored).
* ``entries.count`` — more than ``max_entries`` entries; the count declared by the
  end-of-central-directory record is checked before the central directory is even parsed, and
  the records are counted again while it is walked.
* ``size.entry`` / ``size.total`` / ``ratio`` — header sizes are never trusted: each entry is
  inflated in chunks with a hard cap of ``max_entry_bytes``, a running total is kept against
  ``max_total_bytes``, and the bytes inflated so far are compared with the compressed size
  (``max_ratio``; entries under 64 KiB are exempt because small JSON compresses very well).

Names (checked for every entry, directories included, before any data is read): a name the
zip marks UTF-8 is read so; an unmarked one is UTF-8 composed to NFC when it decodes as UTF-8
(macOS writes names so, decomposed), else code page 437 (``centraldir.unmarked_name``).

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

Manifest (``manifest.json``, with ``manifest.entries`` from format 2, written by jobferry; real
DataArts exports have none):

* ``manifest.version`` — ``formatVersion`` must be an integer from 1 to the version this
  jobferry reads; a newer one is refused naming both versions.
* ``manifest.invalid`` — the listing is not ``{path, size, sha256}`` objects (a list in
  format 1, one JSON line each in format 2), lists a path twice, or (format 2) does not have the
  count ``manifest.json`` pins.
* ``manifest.hash`` / ``manifest.size`` on ``manifest.entries`` — the listing is not the one
  ``manifest.json`` pins (format 2); ``manifest.missing`` when it is absent.
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
  identical documents are kept once (the first in the zip), different ones are refused
  (``object.duplicate``, naming both entries).
* ``folder`` is the entry's parent folder unless that is ``jobs``, ``scripts``, ``resources`` or
  ``cdm_jobs``: in folder-per-job/task packages it is the job's matching identifier.
* The layout is ``single`` when every object sits directly in one of those four folders,
  ``batch`` when every object sits in a per-job folder (optionally under a leading ``jobs/``),
  otherwise ``mixed``.
* ``package.empty`` — no object at all, and no deletion either (a package whose manifest lists
  only what its source deleted, ``deleted``, is valid: "0 jobs changed, 1 deletion")."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from jobferry.domain.enums import KIND_ORDER
from jobferry.package.centraldir import ZipEntry, directory_entries, find_directory
from jobferry.package.documents import parse_json
from jobferry.package.entries import (
    drop_pages,
    mapped,
)
from jobferry.package.hashing import PackageHash, check_package_size
from jobferry.package.index import ReadIndex, Wanted
from jobferry.package.layout import MIXED, kind_of, path_parts, placement
from jobferry.package.listing import ManifestFiles, read_manifest
from jobferry.package.manifest import MAX_KEPT_PROBLEMS, deleted_objects, raise_problems
from jobferry.package.model import PackageObject, ReadLimits, ReadPackage
from jobferry.package.paths import checked_path, duplicate_path
from jobferry.package.readahead import ReadAhead
from jobferry.package.reading import BatchRead, EntryReading, Prepare, Wants, object_of
from jobferry.package.refusals import refuse, show, size_text

__all__ = ["PackageObject", "PackageReader", "ReadLimits", "ReadPackage", "read_package"]

# Objects of a whole read come out in the order an import writes them: what a job uses first.
_KIND_RANK: dict[str, int] = {str(kind): rank for kind, rank in KIND_ORDER.items()}
BATCH = 500
"""Entries read, checked and handed out together."""


def read_package(source: Path | bytes, limits: ReadLimits = ReadLimits()) -> ReadPackage:
    """Read and verify a whole package from a file or from bytes; raise :class:`PackageError`."""
    with PackageReader(source, limits) as reader:
        objects = list(reader.objects())
        return ReadPackage(
            layout=reader.layout,
            objects=tuple(sorted(objects, key=lambda o: (_KIND_RANK[o.kind], o.name, o.path))),
            manifest=reader.manifest,
            manifest_bytes=reader.manifest_bytes,
            signature=reader.signature,
            sha256=reader.sha256,
            size=reader.size,
            repeats=reader.repeats(),
        )


class PackageReader:
    """One streaming read of one package (a context manager).

    Entering opens the package, walks the central directory and reads the manifest while a
    thread hashes the file;
    :meth:`objects` then hands out every object once, kind by kind (what a job uses first), and
    raises at its end what only the whole package shows. ``workdir`` is where the read's index
    file goes (``None``: in memory, for offline tools and small packages).

    ``helper_from``: a package file of at least that many entries (its end record says how
    many, first thing) gets the helper process of :meth:`objects` started at once, so that it
    starts (most of a second when it is the process's first, which starts the forkserver)
    while the central directory is walked and the manifest read, not once the objects are
    wanted.
    """

    def __init__(
        self,
        source: Path | bytes,
        limits: ReadLimits = ReadLimits(),
        workdir: Path | None = None,
        helper_from: int | None = None,
    ) -> None:
        self._source = source
        self._helper_from = helper_from
        self._ahead: ReadAhead | None = None
        self._limits = limits
        self._workdir = workdir
        self._stack = ExitStack()
        self._buffer = memoryview(b"")
        self._reading = EntryReading(limits)
        self._objects = 0
        self._placements: set[str] = set()
        self._files = ManifestFiles()
        self.sha256 = ""
        self.size = 0
        self._hashing: PackageHash | None = None
        self.manifest: dict[str, Any] | None = None
        self.manifest_bytes: bytes | None = None
        self.signature: bytes | None = None
        self._problems: list[dict[str, str]] = []
        self._problem_count = 0
        self.index = ReadIndex(workdir)
        self._stack.callback(self.index.close)

    def __enter__(self) -> PackageReader:
        try:
            handle = self._open()
            self._buffer = self._stack.enter_context(mapped(handle))
            self._scan()
            if self._hashing is not None:
                self._hashed(*self._hashing.result())
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._buffer = memoryview(b"")
        self._stack.close()

    # -- opening -----------------------------------------------------------------------------------

    def _open(self) -> IO[bytes]:
        source = self._source
        if isinstance(source, bytes):
            check_package_size(len(source), self._limits)
            self.size, self.sha256 = len(source), hashlib.sha256(source).hexdigest()
            self._reading.size = self.size
            return io.BytesIO(source)
        try:
            check_package_size(source.stat().st_size, self._limits)
            handle = self._stack.enter_context(source.open("rb"))
        except OSError as exc:
            raise refuse(
                "zip.invalid",
                f"the file '{source.name}' cannot be opened ({exc.strerror or exc})",
                "check the path of the package",
            ) from exc
        self.size = os.fstat(handle.fileno()).st_size
        check_package_size(self.size, self._limits)
        self._reading.size = self.size
        hashing = PackageHash(handle.fileno(), self._limits)
        self._hashing = hashing
        self._stack.callback(hashing.stop)  # before the file closes (the stack unwinds in turn)
        return handle

    def _hashed(self, size: int, sha256: str) -> None:
        if size != self.size:
            raise refuse(
                "zip.invalid",
                f"the package file changed while it was read ({size_text(self.size)} when "
                f"opened, {size_text(size)} hashed)",
                "upload the package again and leave the file as it is while it is read",
            )
        self.sha256 = sha256

    # -- the central directory ---------------------------------------------------------------------

    def _scan(self) -> None:
        """Walk the central directory (names, counts, duplicates), then read the manifest."""
        directory = find_directory(self._buffer)
        self._check_count(directory.count)
        early = self._helper_from is not None and directory.count >= self._helper_from
        if early and isinstance(self._source, Path):
            self._ahead = self._stack.enter_context(ReadAhead(self._source, self._workdir))
        batch: list[ZipEntry] = []
        seq = 0
        for entry in directory_entries(self._buffer, directory):
            seq += 1
            if seq > self._limits.max_entries:
                self._check_count(seq)
            batch.append(entry)
            if len(batch) == BATCH:
                self._add_files(batch, seq - len(batch))
                batch = []
        self._add_files(batch, seq - len(batch))
        manifest = read_manifest(self._files, self.index, self._read, self._stream)
        self.manifest, self.manifest_bytes, self.signature = manifest
        drop_pages(self._buffer)
        if self.manifest is not None:
            self._problems += self._files.listing_problems(self.index, self.manifest)
            self._problem_count = len(self._problems)

    def _check_count(self, count: int) -> None:
        if count > self._limits.max_entries:
            raise refuse(
                "entries.count",
                f"the package has {count} entries, more than the "
                f"{self._limits.max_entries} allowed",
                "split the export into smaller packages",
                limit=self._limits.max_entries,
            )

    def _add_files(self, batch: Sequence[ZipEntry], first_seq: int) -> None:
        """Check a batch of entries' names in order and remember the files (never read yet)."""
        normals: list[str | None] = []
        failure: Exception | None = None
        for entry in batch:
            try:
                normals.append(checked_path(entry, self._limits.max_name_length))
            except Exception as exc:  # a refusal; duplicates before it are reported first
                failure = exc
                break
        known = self.index.known_paths([n for n in normals if n is not None])
        rows: list[tuple[int, str, str | None, ZipEntry]] = []
        for offset, (entry, normal) in enumerate(zip(batch, normals, strict=False)):
            if normal is None:
                continue
            first = known.get(normal)
            if first is not None:
                raise duplicate_path(entry.name, first)
            known[normal] = entry.name
            self._files.take(entry)
            rows.append((first_seq + offset + 1, normal, kind_of(entry.name), entry))
        if failure is not None:
            raise failure
        self.index.add_files(rows)

    # -- entries -----------------------------------------------------------------------------------

    def _read(self, entry: ZipEntry) -> bytes:
        """One entry's bytes within every cap (the running total included)."""
        return self._reading.read(self._buffer, entry)

    def _stream(self, entry: ZipEntry) -> Iterator[bytes]:
        """One entry's bytes a chunk at a time, within every cap."""
        return self._reading.stream(self._buffer, entry)

    def objects(
        self, prepare: Prepare | None = None, helper: bool = False, wanted: Wants = None
    ) -> Iterator[PackageObject]:
        """Every object once, kind by kind in the order an import writes them (scripts,
        resources, CDM jobs, jobs), each kind in zip order; raises at the end what the whole
        package shows.

        ``prepare``, a pure function of one object, is applied to every object as it is read
        and its answer handed out as the object's ``prepared``. With ``helper`` (a package read
        from a file) the entries are read, checked, parsed and prepared in a helper process a
        few batches ahead (:mod:`.readahead`): what the caller does with a batch then overlaps
        with reading the next ones, on another core. The helper prepares a share of each batch;
        the others come out with ``prepared`` ``None``, for the caller to derive what it needs
        itself. Objects, refusals and their order are the same either way; a helper's objects
        parse their document only when it is asked for. While ``wanted`` says the caller's last
        batch did not need what ``prepare`` gives, batches are read here, unprepared
        (:meth:`.ReadAhead.reads`)."""
        self._reading.verify_only = bool(self._problems)
        batches = self.index.wanted(self.manifest is not None, BATCH)
        with ExitStack() as stack:
            if helper and isinstance(self._source, Path):
                ahead, self._ahead = self._ahead, None  # a helper reads once
                if ahead is None:
                    ahead = stack.enter_context(ReadAhead(self._source, self._workdir))
                reads = ahead.reads(batches, self._reading, self._read_batch, prepare, wanted)
            else:
                reads = (self._read_batch(batch, prepare) for batch in batches)
            for read in reads:
                self._problem_count += len(read.problems)
                self._problems += read.problems[: max(0, MAX_KEPT_PROBLEMS - len(self._problems))]
                self._reading.total = read.total
                if read.objects is None:
                    self._reading.verify_only = True
                elif not self._reading.verify_only:
                    for _, obj in read.objects:
                        self._placements.add(placement(path_parts(obj.path)))
                    yield from self._deduplicated(read.objects)
        raise_problems(self._problems, self._problem_count)
        if self._objects == 0 and not deleted_objects(self.manifest):
            raise refuse(
                "package.empty",
                "the package holds no .job, .script, .resource or .cdmjob file, and its "
                "manifest lists no deletion",
                "export jobs from DataArts or jobferry and upload that zip",
            )

    def _read_batch(self, batch: list[Wanted], prepare: Prepare | None) -> BatchRead:
        read = self._reading.batch(self._buffer, batch, prepare)
        drop_pages(self._buffer)
        return read

    def _deduplicated(self, found: list[tuple[int, PackageObject]]) -> Iterator[PackageObject]:
        """The batch's objects not seen before; identical repeats are dropped, different ones
        refused."""
        by_kind: dict[str, list[str]] = {}
        for _, obj in found:
            by_kind.setdefault(obj.kind, []).append(obj.name)
        known = {kind: self.index.known_objects(kind, names) for kind, names in by_kind.items()}
        fresh: dict[tuple[str, str], tuple[int, PackageObject]] = {}
        firsts: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}  # read once a batch
        rows: list[tuple[str, str, int, str | None]] = []
        for seq, obj in found:
            key = (obj.kind, obj.name)
            first: tuple[int, PackageObject | None] | None = fresh.get(key)
            if first is None and obj.name in known[obj.kind]:
                first = known[obj.kind][obj.name], None  # read in an earlier batch
            if first is None:
                fresh[key] = seq, obj
                rows.append((obj.kind, obj.name, seq, obj.uid))
                continue
            if key not in firsts:
                firsts[key] = self._as_read(*first)
            first_path, first_document = firsts[key]
            if first_document != self._as_read(seq, obj)[1]:
                raise refuse(
                    "object.duplicate",
                    f"{obj.kind.replace('_', ' ')} '{show(obj.name)}' is also defined, "
                    f"differently, by '{show(first_path)}'",
                    "keep one definition (or rename one of them) and rebuild the package",
                    entry=obj.path,
                    entries=[first_path, obj.path],
                )
            self.index.add_repeat(obj.path, first_path)
        self.index.add_objects(rows)
        self._objects += len(rows)
        yield from (obj for _, obj in fresh.values())

    def _as_read(self, seq: int, obj: PackageObject | None) -> tuple[str, dict[str, Any]]:
        """(path, document) of an object as read: from the entry again when the object was
        read in an earlier batch (``None``) or prepared in a helper process (which kept only
        what it prepared)."""
        if obj is None or obj.source is None:
            obj = self._object_at(seq)
        return obj.path, obj.document

    def _object_at(self, seq: int) -> PackageObject:
        """The object read earlier as ``seq``, read again (only to compare a repeat)."""
        entry = self.index.file(seq)
        kind = kind_of(entry.name)
        assert kind is not None
        return object_of(entry.name, kind, parse_json(self._read(entry), entry.name))

    # -- after the objects -------------------------------------------------------------------------

    @property
    def layout(self) -> str:
        """``single``, ``batch`` or ``mixed`` (once the objects were read)."""
        if len(self._placements) == 1 and "other" not in self._placements:
            return next(iter(self._placements))
        return MIXED

    def repeats(self) -> dict[str, str]:
        """Repeated entry path → the path of the object kept for it (once the objects were
        read)."""
        return self.index.repeats()

    def definitions(self) -> int:
        """How many definitions the package holds at most (known before reading them)."""
        return self.index.count_definitions(self.manifest is not None)

    def present(self, kind: str, names: Sequence[str]) -> set[str]:
        """Which of ``names`` the package holds as ``kind`` (among the objects read so far)."""
        return set(self.index.known_objects(kind, names))

    def listed_uids(self, uids: Sequence[str]) -> set[str]:
        """Which of these stable identifiers the manifest lists (read yet or not)."""
        return self.index.listed_object_ids(uids)

    def present_uids(self, kind: str, uids: Sequence[str]) -> set[str]:
        """Which of these stable identifiers the package's objects of ``kind`` carry (among
        the objects read so far)."""
        return self.index.known_uids(kind, uids)
