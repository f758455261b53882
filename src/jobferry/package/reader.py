"""Safe package reading: a zip from anyone becomes parsed objects, or a refusal that says why.

The input is hostile until proven otherwise. Every refusal is a :class:`PackageError` whose
message names the entry (when there is one), the rule and the fix, and whose context carries
``entry`` and ``rule`` (the stable ids below). Nothing is ever written to disk.

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

import codecs
import hashlib
import io
import re
import stat
import struct
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import orjson

from jobferry.errors import PackageError
from jobferry.package.entries import mapped, read_plain
from jobferry.package.layout import EXTENSIONS, FOLDERS
from jobferry.package.manifest import FORMAT_VERSION, MANIFEST_NAME, SIGNATURE_NAME

KIND_ORDER = {"script": 0, "resource": 1, "cdm_job": 2, "job": 3}
RATIO_EXEMPT_BYTES = 64 * 1024
MAX_LISTED_PROBLEMS = 10

_MIB = 1024 * 1024
_CHUNK = _MIB
_KIND_FOLDERS = frozenset(FOLDERS.values())
_SEPARATORS = re.compile(r"[\\/]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_WINDOWS_REPARSE_POINT = 0x400
_UNIX = 3

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR_SIZE = 20
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"

_T = TypeVar("_T")


@dataclass(frozen=True)
class ReadLimits:
    """How much a package may hold; every cap is a refusal, never a truncation."""

    max_package_bytes: int = 256 * _MIB
    """The zip file itself (compressed)."""
    max_total_bytes: int = 1024 * _MIB
    """The sum of the uncompressed sizes actually read."""
    max_entry_bytes: int = 64 * _MIB
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
        return cls(
            max_package_bytes=10 * _MIB, max_total_bytes=10 * _MIB, max_entry_bytes=10 * _MIB
        )


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

    def of_kind(self, kind: str) -> tuple[PackageObject, ...]:
        """The objects of one kind (``job``, ``script``, ``resource`` or ``cdm_job``)."""
        return tuple(o for o in self.objects if o.kind == kind)


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
        raise _refuse(
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
        raise _refuse(
            "size.package",
            f"the package file is {_bytes(size)}, more than the "
            f"{_bytes(limits.max_package_bytes)} allowed",
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
            raise _refuse(
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
        declared = _declared_entry_count(self._handle, self._size)
        if declared is not None:
            self._check_count(declared)

    def _check_count(self, count: int) -> None:
        if count > self._limits.max_entries:
            raise _refuse(
                "entries.count",
                f"the package has {count} entries, more than the "
                f"{self._limits.max_entries} allowed",
                "split the export into smaller packages",
                limit=self._limits.max_entries,
            )

    def _read_archive(self, archive: zipfile.ZipFile) -> ReadPackage:
        infos = archive.infolist()
        self._check_count(len(infos))
        files = _checked_files(infos, self._limits)
        by_name = {info.filename: info for info in files}

        manifest: dict[str, Any] | None = None
        manifest_bytes: bytes | None = None
        listed: dict[str, tuple[int, str]] = {}
        if MANIFEST_NAME in by_name:
            manifest_bytes = self._inflate(archive, by_name[MANIFEST_NAME])
            manifest = _parse_json(manifest_bytes, MANIFEST_NAME)
            _check_version(manifest)
            listed = _listed_entries(manifest)
        signature = None
        if SIGNATURE_NAME in by_name:
            signature = self._inflate(archive, by_name[SIGNATURE_NAME])
            if manifest is None:
                raise _refuse(
                    "manifest.missing",
                    "the package carries manifest.sig but no manifest.json; a signed package "
                    "was altered",
                    "export the package again from its source workspace",
                    entry=MANIFEST_NAME,
                )

        problems: list[dict[str, str]] = []
        wanted: list[zipfile.ZipInfo] = []
        for info in files:
            if info.filename in (MANIFEST_NAME, SIGNATURE_NAME):
                continue
            if manifest is None:
                if _kind(info.filename) is not None:
                    wanted.append(info)
            elif info.filename in listed:
                wanted.append(info)
            else:
                problems.append(
                    _problem(info.filename, "manifest.unlisted", "not listed in manifest.json")
                )
        problems += [
            _problem(path, "manifest.missing", "listed in manifest.json but not in the zip")
            for path in listed
            if path not in by_name
        ]

        contents = {info.filename: self._inflate(archive, info) for info in wanted}
        if manifest is not None:
            problems += _mismatches(contents, listed)
            _raise_problems(problems)

        objects = [
            _object(path, kind, _parse_json(contents[path], path))
            for path in sorted(contents)
            if (kind := _kind(path)) is not None
        ]
        kept = _deduplicated(objects)
        if not kept:
            raise _refuse(
                "package.empty",
                "the package holds no .job, .script, .resource or .cdmjob file",
                "export jobs from DataArts or jobferry and upload that zip",
            )
        return ReadPackage(
            layout=_layout(objects),
            objects=tuple(sorted(kept, key=lambda o: (KIND_ORDER[o.kind], o.name, o.path))),
            manifest=manifest,
            manifest_bytes=manifest_bytes,
            signature=signature,
            sha256=self._digest,
            size=self._size,
        )

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
                    raise _refuse(
                        "size.entry",
                        f"it unpacks to more than {_bytes(limits.max_entry_bytes)}",
                        "split the export; no single definition needs that much",
                        entry=name,
                        limit=limits.max_entry_bytes,
                    )
                if self._total + size > limits.max_total_bytes:
                    raise _refuse(
                        "size.total",
                        f"with it the package unpacks to more than "
                        f"{_bytes(limits.max_total_bytes)}",
                        "split the export into smaller packages",
                        entry=name,
                        limit=limits.max_total_bytes,
                    )
                if size > RATIO_EXEMPT_BYTES and size > limits.max_ratio * compressed:
                    raise _refuse(
                        "ratio",
                        f"it inflates to more than {limits.max_ratio} times its compressed size "
                        f"({_bytes(compressed)}), as a zip bomb does",
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
        raise _refuse(
            "zip.invalid",
            f"it cannot be unpacked ({exc})",
            "the zip is damaged or uses encryption or a compression jobferry does not read; "
            "export it again",
            entry=entry,
        ) from exc


def _declared_entry_count(handle: IO[bytes], size: int) -> int | None:
    """The entry count the end-of-central-directory record declares (zip64 aware), if found."""
    tail_size = min(size, _EOCD.size + 0xFFFF)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = tail.rfind(_EOCD_SIGNATURE, 0, len(tail) - _EOCD.size + len(_EOCD_SIGNATURE))
    if at < 0:
        return None
    count: int = _EOCD.unpack_from(tail, at)[4]
    zip64_at = at - _ZIP64_LOCATOR_SIZE - _ZIP64_EOCD.size
    if (
        count == 0xFFFF
        and zip64_at >= 0
        and tail[at - _ZIP64_LOCATOR_SIZE :].startswith(_ZIP64_LOCATOR_SIGNATURE)
        and tail[zip64_at:].startswith(_ZIP64_EOCD_SIGNATURE)
    ):
        count = _ZIP64_EOCD.unpack_from(tail, zip64_at)[7]
    return count


def _checked_files(infos: list[zipfile.ZipInfo], limits: ReadLimits) -> list[zipfile.ZipInfo]:
    """Apply the name rules to every entry; the files (not directories) that pass, in order."""
    seen: dict[str, str] = {}
    files: list[zipfile.ZipInfo] = []
    for info in infos:
        name = info.filename
        raw = info.orig_filename
        if not raw.isprintable() and any(unicodedata.category(c) == "Cc" for c in raw):
            raise _refuse(
                "name.invalid",
                "the name holds NUL or control characters",
                "rename the file; entry names are plain paths",
                entry=raw,
            )
        if len(name) > limits.max_name_length:
            raise _refuse(
                "name.length",
                f"the name is {len(name)} characters long, more than the "
                f"{limits.max_name_length} allowed",
                "use shorter job, script and folder names",
                entry=name,
                limit=limits.max_name_length,
            )
        if name.startswith(("/", "\\")) or _DRIVE.match(name):
            raise _refuse(
                "path.absolute",
                "the path is absolute",
                "rebuild the zip with paths relative to its root",
                entry=name,
            )
        segments = _SEPARATORS.split(name)
        if ".." in segments:
            raise _refuse(
                "path.traversal",
                "the path climbs out of the package through '..'",
                "rebuild the zip with paths relative to its root",
                entry=name,
            )
        mode = info.external_attr >> 16
        reparse = info.create_system != _UNIX and info.external_attr & _WINDOWS_REPARSE_POINT
        if stat.S_ISLNK(mode) or reparse:
            raise _refuse(
                "path.link",
                "the entry is a symbolic link",
                "put the file itself in the zip, not a link to it",
                entry=name,
            )
        parts = [s for s in segments if s not in ("", ".")]
        if name.endswith(("/", "\\")) or not parts:
            continue
        normal = "/".join(parts)
        if normal in seen:
            raise _refuse(
                "path.duplicate",
                f"the path appears twice in the zip (also as '{_show(seen[normal])}')",
                "rebuild the zip with each file once",
                entry=name,
            )
        seen[normal] = name
        files.append(info)
    return files


def _kind(path: str) -> str | None:
    lowered = path.lower()
    for kind, extension in EXTENSIONS.items():
        if lowered.endswith(extension):
            return kind
    return None


def _parts(path: str) -> list[str]:
    return [s for s in _SEPARATORS.split(path) if s not in ("", ".")]


def _parse_json(data: bytes, entry: str) -> dict[str, Any]:
    """One UTF-8 JSON object (a BOM is allowed), key order preserved."""
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        # orjson refuses any invalid UTF-8 itself; the decode below only runs on a refusal,
        # to say which byte is wrong.
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise _refuse(
                "json.utf8",
                f"byte {bad.start} is not valid UTF-8 ({bad.reason})",
                "save the file as UTF-8",
                entry=entry,
            ) from bad
        raise _refuse(
            "json.invalid",
            f"it is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            "fix the JSON or export the object again",
            entry=entry,
            line=exc.lineno,
            column=exc.colno,
        ) from exc
    if not isinstance(value, dict):
        raise _refuse(
            "json.object",
            f"it holds a JSON {_json_type(value)}, not an object",
            "each file holds one JSON object: the create request body of the object",
            entry=entry,
        )
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _check_version(manifest: dict[str, Any]) -> None:
    version = manifest.get("formatVersion")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _refuse(
            "manifest.version",
            f"formatVersion is {_show(repr(version))}, not a package format version "
            f"(this jobferry reads 1 to {FORMAT_VERSION})",
            "export the package again with jobferry",
            entry=MANIFEST_NAME,
            supported=FORMAT_VERSION,
        )
    if version > FORMAT_VERSION:
        raise _refuse(
            "manifest.version",
            f"package format {version} is newer than this jobferry reads ({FORMAT_VERSION})",
            "upgrade jobferry",
            entry=MANIFEST_NAME,
            version=version,
            supported=FORMAT_VERSION,
        )


def _listed_entries(manifest: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """path → (size, sha256) of every entry the manifest lists."""
    entries = manifest.get("entries")
    if not isinstance(entries, list):
        raise _refuse(
            "manifest.invalid",
            '"entries" is not a list',
            "export the package again with jobferry",
            entry=MANIFEST_NAME,
        )
    listed: dict[str, tuple[int, str]] = {}
    for index, item in enumerate(entries):
        path = item.get("path") if isinstance(item, dict) else None
        size = item.get("size") if isinstance(item, dict) else None
        sha256 = item.get("sha256") if isinstance(item, dict) else None
        if (
            not isinstance(path, str)
            or not isinstance(size, int)
            or isinstance(size, bool)
            or not isinstance(sha256, str)
        ):
            raise _refuse(
                "manifest.invalid",
                f"entries[{index}] needs a string path, an integer size and a string sha256",
                "export the package again with jobferry",
                entry=MANIFEST_NAME,
            )
        if path in listed:
            raise _refuse(
                "manifest.invalid",
                f"entries[{index}] lists '{_show(path)}' a second time",
                "export the package again with jobferry",
                entry=MANIFEST_NAME,
            )
        if path not in (MANIFEST_NAME, SIGNATURE_NAME):
            listed[path] = (size, sha256.lower())
    return listed


def _mismatches(
    contents: dict[str, bytes], listed: dict[str, tuple[int, str]]
) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []
    for path, data in contents.items():
        size, expected = listed[path]
        if len(data) != size:
            problems.append(
                _problem(
                    path,
                    "manifest.size",
                    f"{len(data)} bytes where manifest.json lists {size}",
                )
            )
            continue
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            problems.append(
                _problem(
                    path,
                    "manifest.hash",
                    f"sha256 {actual[:12]}… where manifest.json lists {expected[:12]}…",
                )
            )
    return problems


def _problem(entry: str, rule: str, message: str) -> dict[str, str]:
    return {"entry": _show(entry), "rule": rule, "message": message}


def _raise_problems(problems: list[dict[str, str]]) -> None:
    if not problems:
        return
    problems.sort(key=lambda p: (p["entry"], p["rule"]))
    rules = {p["rule"] for p in problems}
    rule = rules.pop() if len(rules) == 1 else "manifest.mismatch"
    shown = "; ".join(f"'{p['entry']}': {p['message']}" for p in problems[:MAX_LISTED_PROBLEMS])
    more = len(problems) - MAX_LISTED_PROBLEMS
    if more > 0:
        shown += f"; and {more} more"
    count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
    raise _refuse(
        rule,
        f"manifest.json does not match the package ({count}: {shown})",
        "the package was changed after export; export it again from its source workspace",
        entry=problems[0]["entry"],
        problems=problems,
    )


def _object(path: str, kind: str, document: dict[str, Any]) -> PackageObject:
    parts = _parts(path)
    stem = parts[-1][: -len(EXTENSIONS[kind])]
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        if kind == "job" or not stem.strip():
            raise _refuse(
                "object.name",
                f'the {kind.replace("_", " ")} has no "name" string',
                'add the object\'s "name" to the file',
                entry=path,
            )
        name = stem
    if kind == "script" and "database" not in document and "currentDatabase" in document:
        document["database"] = document["currentDatabase"]
    folder = parts[-2] if len(parts) >= 2 and parts[-2] not in _KIND_FOLDERS else None
    return PackageObject(kind=kind, name=name, path=path, document=document, folder=folder)


def _deduplicated(objects: list[PackageObject]) -> list[PackageObject]:
    """One object per (kind, name); identical repeats dropped, different ones refused."""
    found: dict[tuple[str, str], PackageObject] = {}
    for obj in objects:
        first = found.setdefault((obj.kind, obj.name), obj)
        if first is not obj and first.document != obj.document:
            raise _refuse(
                "object.duplicate",
                f"{obj.kind.replace('_', ' ')} '{_show(obj.name)}' is also defined, "
                f"differently, by '{_show(first.path)}'",
                "keep one definition (or rename one of them) and rebuild the package",
                entry=obj.path,
                entries=[first.path, obj.path],
            )
    return list(found.values())


def _layout(objects: list[PackageObject]) -> str:
    placements = {_placement(_parts(o.path)) for o in objects}
    if placements == {"single"}:
        return "single"
    if placements == {"batch"}:
        return "batch"
    return "mixed"


def _placement(parts: list[str]) -> str:
    if len(parts) >= 2 and parts[-2] in _KIND_FOLDERS:
        return "single"
    if len(parts) == 2 or (len(parts) == 3 and parts[0] == FOLDERS["job"]):
        return "batch"
    return "other"


def _refuse(
    rule: str, problem: str, fix: str, entry: str | None = None, **context: Any
) -> PackageError:
    """The refusal: where, what (with the rule id) and what to do."""
    shown = None if entry is None else _show(entry)
    where = "the package" if shown is None else f"package entry '{shown}'"
    return PackageError(
        f"Cannot read {where}: {problem}; {fix} (rule {rule}).",
        entry=shown,
        rule=rule,
        **context,
    )


def _show(text: str) -> str:
    """A name fit for a message: control characters escaped, very long names shortened."""
    shown = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= 200 else f"{shown[:150]}…{shown[-40:]}"


def _bytes(size: int) -> str:
    if size >= _MIB:
        return f"{size / _MIB:.1f} MiB"
    if size >= 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size} bytes"
