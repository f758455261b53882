"""Reading a package's entries, in order and within the caps: what one read of a batch of
entries finds (:class:`EntryReading`, :class:`BatchRead`), and the object an entry holds.

The reader (:mod:`.reader`) reads with it in its own process, or a helper process does with a
copy of its own (:mod:`.readahead`): the rules and their order are the same either way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from jobferry.domain.enums import ObjectKind
from jobferry.package.centraldir import ZipEntry
from jobferry.package.documents import parse_json
from jobferry.package.entries import (
    DEFLATED,
    Caps,
    inflate_chunks,
    read_capped,
    read_plain,
    within_caps,
)
from jobferry.package.index import Listed, Wanted
from jobferry.package.layout import EXTENSIONS, job_folder, kind_of, path_parts
from jobferry.package.manifest import mismatch
from jobferry.package.model import PackageObject, ReadLimits, normalised
from jobferry.package.refusals import refuse


def object_of(
    path: str,
    kind: str,
    document: dict[str, Any],
    uid: str | None = None,
    stored: tuple[bytes, bytes] | None = None,
) -> PackageObject:
    """The object an entry's parsed document is, or the refusal of a job without a name."""
    parts = path_parts(path)
    stem = parts[-1][: -len(EXTENSIONS[kind])]
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        if kind == ObjectKind.JOB or not stem.strip():
            raise refuse(
                "object.name",
                f'the {kind.replace("_", " ")} has no "name" string',
                'add the object\'s "name" to the file',
                entry=path,
            )
        name = stem
    folder = job_folder(parts)
    return PackageObject(kind, name, path, normalised(kind, document), folder, uid, stored=stored)


Prepare = Callable[[PackageObject], Any]
"""A pure function of one object read (it may change the object's document, its own copy)."""

Wants = Callable[[], bool] | None
"""Asked before each batch of a read: whether the batches are worth preparing ahead (what the
reader's caller did with the last one needed what preparing gives); ``None``: always."""


class BatchRead(NamedTuple):
    """What reading one batch of entries found."""

    objects: list[tuple[int, PackageObject]] | None
    """(sequence, object) of the batch, in reading order; ``None`` once an entry did not match the
    manifest (the rest is then only checked, to report every mismatch together)."""
    problems: list[dict[str, str]]
    """The batch's mismatches with the manifest."""
    total: int
    """Bytes read from the package so far, this batch included."""


@dataclass
class EntryReading:
    """Reading the entries of one package in order, within its caps: the running total of
    bytes read, and whether only verifying is left (after a mismatch with the manifest).
    A helper process reads with a copy of its own (:mod:`.readahead`)."""

    limits: ReadLimits
    size: int = 0
    """Of the package file (no entry can be larger)."""
    total: int = 0
    verify_only: bool = False

    def _caps(self) -> Caps:
        limits = self.limits
        return Caps(limits.max_entry_bytes, limits.max_total_bytes, self.total, limits.max_ratio)

    def read(self, buffer: memoryview, entry: ZipEntry) -> bytes:
        """One entry's bytes within every cap (the running total included)."""
        return self._read(buffer, entry, deflated=False)[0]

    def _read(
        self, buffer: memoryview, entry: ZipEntry, deflated: bool
    ) -> tuple[bytes, bytes | None]:
        """One entry's bytes within every cap, and (with ``deflated``, for a plain deflated
        entry) the raw deflate stream the zip holds them as."""
        caps = self._caps()
        plain = None
        if within_caps(entry, caps, self.size):
            # Within every cap as declared: read it directly when it is exactly as declared;
            # otherwise in chunks, which finds what is wrong.
            plain = read_plain(buffer, entry)
        stream = None
        if plain is None:
            data = read_capped(buffer, entry, caps, self.size)
        else:
            data = plain[0]
            if deflated and entry.method == DEFLATED:
                stream = bytes(plain[1])
        self.total += len(data)
        return data, stream

    def stream(self, buffer: memoryview, entry: ZipEntry) -> Iterator[bytes]:
        """One entry's bytes a chunk at a time, within every cap."""
        for chunk in inflate_chunks(buffer, entry, self._caps(), self.size):
            self.total += len(chunk)
            yield chunk

    def batch(
        self,
        buffer: memoryview,
        batch: list[Wanted],
        prepare: Prepare | None,
        keep_bytes: bool = False,
        share: float = 1.0,
    ) -> BatchRead:
        """Read, check and parse a batch of entries, and prepare its objects (only the first
        ``share`` of the batch: the rest is left for the consumer to prepare). A prepared
        object, and every object with ``keep_bytes`` (to be sent to another process), holds its
        entry's JSON rather than the parsed document, and parses it only if asked for; an
        object both prepared and sent holds neither (what was prepared is what is used)."""
        found: list[tuple[int, PackageObject]] = []
        problems: list[dict[str, str]] = []
        to_prepare = math.ceil(len(batch) * share) if prepare is not None else 0
        for seq, entry, listed in batch:
            to_be_prepared = prepare is not None and len(found) < to_prepare
            keep_stream = _keeps_stream(to_be_prepared, keep_bytes, listed)
            read = self._verified(buffer, entry, listed, keep_stream, problems)
            kind = kind_of(entry.name)
            if read is None or self.verify_only or kind is None:
                continue
            data, stream = read
            uid = listed[2] if listed is not None else None
            stored = None if stream is None else (data, stream)
            obj = object_of(entry.name, kind, parse_json(data, entry.name), uid, stored)
            done = prepare(obj) if prepare is not None and to_be_prepared else None
            if done is not None or keep_bytes:
                obj = _handed_out(obj, data, done, keep_bytes)
            found.append((seq, obj))
        objects = None if self.verify_only else found
        return BatchRead(objects, problems, self.total)

    def _verified(
        self,
        buffer: memoryview,
        entry: ZipEntry,
        listed: Listed | None,
        deflated: bool,
        problems: list[dict[str, str]],
    ) -> tuple[bytes, bytes | None] | None:
        """One entry as :meth:`_read` reads it, checked against the manifest's listing;
        ``None`` when it does not match (the problem added, the rest of the read verify-only)."""
        data, stream = self._read(buffer, entry, deflated)
        if listed is not None:
            wrong = mismatch(entry.name, data, listed[:2])
            if wrong is not None:
                problems.append(wrong)
                self.verify_only = True
                return None
        return data, stream


def _keeps_stream(prepared: bool, sent: bool, listed: Listed | None) -> bool:
    """Whether to keep an entry's deflate stream, what the import's ledger stores of an object
    it writes: for an object prepared here, and for an identified one sent on unprepared (its
    consumer packs it)."""
    return prepared or (sent and listed is not None and listed[2] is not None)


def _handed_out(obj: PackageObject, data: bytes, done: Any, keep_bytes: bool) -> PackageObject:
    """The object a batch hands out once it was prepared (``done``) or is to be sent.

    Preparing may change the document it is given: the object handed out parses its own from
    the entry's bytes if anyone asks (a repeat is compared with it). One both prepared and sent
    holds neither; one not prepared keeps the entry's deflate stream it was read with."""
    source = None if done is not None and keep_bytes else data
    stored = obj.stored if done is None else None
    return PackageObject(obj.kind, obj.name, obj.path, source, obj.folder, obj.uid, done, stored)
