"""Reading a package's manifest: ``manifest.json``, its listing, and ``manifest.sig``.

The listing (format 1: inside ``manifest.json``; format 2: ``manifest.entries``, one JSON line
an entry, pinned by size and sha256) goes into the read's index as it is read, so it is never
held whole; what it lists and what the zip holds are then compared there
(:meth:`ManifestFiles.listing_problems`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jobferry.package.centraldir import ZipEntry
from jobferry.package.documents import parse_json
from jobferry.package.index import ReadIndex, batches
from jobferry.package.manifest import (
    ENTRIES_NAME,
    MANIFEST_NAME,
    MAX_KEPT_PROBLEMS,
    RESERVED_NAMES,
    SIGNATURE_NAME,
    Listed,
    check_version,
    listed_lines,
    listed_twice,
    listed_v1,
    listing_of,
    problem,
)
from jobferry.package.refusals import refuse

Reader = Callable[[ZipEntry], bytes]
Streamer = Callable[[ZipEntry], Iterator[bytes]]
_V1_RESERVED = (MANIFEST_NAME, SIGNATURE_NAME)


class ManifestFiles:
    """The manifest's own files, as the central directory shows them."""

    def __init__(self) -> None:
        self.found: dict[str, ZipEntry] = {}

    def take(self, entry: ZipEntry) -> None:
        """Note the entry if it is one of the manifest's files."""
        if entry.name in RESERVED_NAMES:
            self.found[entry.name] = entry

    def listing_problems(self, index: ReadIndex, manifest: dict[str, Any]) -> list[dict[str, str]]:
        """Files the manifest does not list, and listed files the zip does not have (the first
        of each, up to :data:`MAX_KEPT_PROBLEMS` in all)."""
        version = manifest.get("formatVersion")
        excluded = _V1_RESERVED if version == 1 else tuple(sorted(RESERVED_NAMES))
        unlisted, _ = index.unlisted(MAX_KEPT_PROBLEMS, excluded)
        problems = [
            problem(p, "manifest.unlisted", "not listed in manifest.json") for p in unlisted
        ]
        missing, _ = index.missing(MAX_KEPT_PROBLEMS - len(problems))
        problems += [
            problem(p, "manifest.missing", "listed in manifest.json but not in the zip")
            for p in missing
        ]
        return problems


def read_manifest(
    files: ManifestFiles, index: ReadIndex, read: Reader, stream: Streamer
) -> tuple[dict[str, Any] | None, bytes | None, bytes | None]:
    """The parsed manifest (version checked, listing in the index), its bytes, and the
    signature's bytes."""
    manifest: dict[str, Any] | None = None
    manifest_bytes: bytes | None = None
    found = files.found
    if MANIFEST_NAME in found:
        manifest_bytes = read(found[MANIFEST_NAME])
        manifest = parse_json(manifest_bytes, MANIFEST_NAME)
        check_version(manifest)
        if manifest["formatVersion"] == 1:
            rows = ((f"entries[{i}]", e) for i, e in listed_v1(manifest))
            _index_listing(index, rows, MANIFEST_NAME, _V1_RESERVED)
        else:
            _read_listing(manifest, found.get(ENTRIES_NAME), index, stream)
    signature = None
    if SIGNATURE_NAME in found:
        signature = read(found[SIGNATURE_NAME])
        if manifest is None:
            raise refuse(
                "manifest.missing",
                "the package carries manifest.sig but no manifest.json; a signed package "
                "was altered",
                "export the package again from its source workspace",
                entry=MANIFEST_NAME,
            )
    return manifest, manifest_bytes, signature


def _read_listing(
    manifest: dict[str, Any], entry: ZipEntry | None, index: ReadIndex, stream: Streamer
) -> None:
    """Format 2: ``manifest.entries`` into the index, checked against what manifest.json pins."""
    pinned = listing_of(manifest)
    if entry is None:
        raise refuse(
            "manifest.missing",
            "manifest.json lists the entries in manifest.entries, which the zip does not have",
            "export the package again from its source workspace",
            entry=ENTRIES_NAME,
        )
    digest, size = hashlib.sha256(), 0

    def chunks() -> Iterator[bytes]:
        nonlocal size
        for chunk in stream(entry):
            digest.update(chunk)
            size += len(chunk)
            yield chunk

    rows = ((f"line {n}", listed) for n, listed in listed_lines(chunks()))
    count = _index_listing(index, rows, ENTRIES_NAME, tuple(RESERVED_NAMES))
    fix = (
        "export it again from its source workspace and carry the new file unchanged (its "
        "sha256 is the one the export printed)"
    )
    if size != pinned.size:
        raise refuse(
            "manifest.size",
            f"it has {size} bytes where manifest.json pins {pinned.size}",
            fix,
            entry=ENTRIES_NAME,
        )
    if digest.hexdigest() != pinned.sha256:
        raise refuse(
            "manifest.hash",
            f"its sha256 is {digest.hexdigest()[:12]}… where manifest.json pins "
            f"{pinned.sha256[:12]}…",
            fix,
            entry=ENTRIES_NAME,
        )
    if count != pinned.entries:
        raise refuse(
            "manifest.invalid",
            f"it lists {count} entries where manifest.json pins {pinned.entries}",
            "export the package again with jobferry",
            entry=ENTRIES_NAME,
        )


def _index_listing(
    index: ReadIndex,
    rows: Iterable[tuple[str, Listed]],
    entry: str,
    reserved: tuple[str, ...],
) -> int:
    """Put listed (where, (path, size, sha256)) rows into the index in batches, refusing a
    path listed twice (the manifest's own ``reserved`` files are not kept); answers how many
    rows there were."""
    count = 0
    for batch in batches(rows):
        count += len(batch)
        known = index.known_listed([listed[0] for _, listed in batch])
        kept: list[Listed] = []
        for where, listed in batch:
            path = listed[0]
            if path in known:
                raise listed_twice(where, path, entry)
            known.add(path)
            if path not in reserved:
                kept.append(listed)
        index.add_listed(kept)
    return count
