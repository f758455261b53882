"""Deterministic package writing: the same entries always give the same bytes, at any size.

Entries must be added in ascending path order (the writer refuses anything else, which is what
makes the output reproducible while streaming); every entry gets the same fixed timestamp and
permissions. Each batch's listing lines are deflated as they come (on a thread of their own
when the writer has a pool) into a spool file; on :meth:`PackageWriter.close` the listing is
written as ``manifest.entries``, then
``manifest.json`` (package format 2, pinning the listing by size and sha256), then
``manifest.sig`` when a signer is given (it signs the ``manifest.json`` bytes). Memory does not
grow with the package: nothing but counts is kept per entry.

:meth:`PackageWriter.add_many` deflates a batch's large entries (:data:`POOLED_BYTES` and up)
on a small thread pool (``zlib`` and ``hashlib`` release the GIL while they work) and the small
ones on the calling thread meanwhile, then writes them in order.
"""

from __future__ import annotations

import hashlib
import tempfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, NamedTuple

from jobferry.package.manifest import (
    ENTRIES_NAME,
    MANIFEST_NAME,
    SIGNATURE_NAME,
    Listing,
    ManifestEntry,
    ManifestHeader,
    entry_line,
    render_manifest,
)
from jobferry.package.zipwriter import DEFLATED, Compressed, ZipWriter, deflated

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
COMPRESS_LEVEL = 6
POOLED_BYTES = 4096
"""The size from which an entry is deflated on the writer's pool. Below it, handing the entry
to a thread costs more than deflating it: 4,200 entries of ~700 bytes took 0.29 s on a pool of
two and 0.13 s on the calling thread; at 4 KB the two cost the same, at 16 KB the pool took
0.62 s against 1.04 s (2 cores)."""
_RESERVED = (MANIFEST_NAME, SIGNATURE_NAME, ENTRIES_NAME)


class NewEntry(NamedTuple):
    """One object to write: where, what, and its bytes."""

    path: str
    kind: str
    name: str
    object_id: str
    data: bytes


class PackedEntry(NamedTuple):
    """One object to write, its bytes deflated already (:func:`packed`)."""

    path: str
    kind: str
    name: str
    object_id: str
    compressed: Compressed
    sha256: str


def packed(entry: NewEntry) -> PackedEntry:
    """``entry`` deflated as the writer deflates it, with its sha256: the same bytes in the
    package whoever deflates it."""
    compressed, sha256 = _packed(entry.data)
    return PackedEntry(entry.path, entry.kind, entry.name, entry.object_id, compressed, sha256)


@dataclass(frozen=True)
class WrittenPackage:
    """What was written."""

    entries: int
    """Objects written (the manifest's own files not counted)."""
    with_manifest: bool
    deletions: int = 0
    """Deletions the manifest lists (``deleted``)."""
    kinds: tuple[tuple[str, int], ...] = ()
    """Objects written of each kind, by kind."""

    def of(self, kind: str) -> int:
        """How many objects of ``kind`` were written."""
        return dict(self.kinds).get(kind, 0)


def _packed(data: bytes) -> tuple[Compressed, str]:
    """An entry deflated, and its sha256 (both release the GIL on their thread)."""
    return deflated(data, COMPRESS_LEVEL), hashlib.sha256(data).hexdigest()


def _pooled(entry: NewEntry) -> bool:
    """Whether the entry is deflated on the writer's pool (a large one)."""
    return len(entry.data) >= POOLED_BYTES


def check_order(last: str | None, path: str) -> str:
    """``path``, when an entry there may follow one at ``last`` (paths ascend, and the
    manifest's own files are the writer's)."""
    if last is not None and path <= last:
        raise ValueError(
            f"package entries must be added in ascending path order without duplicates: "
            f"'{path}' came after '{last}'"
        )
    if path in _RESERVED:
        raise ValueError(f"{path} is written by the writer itself")
    return path


class PackageWriter:
    """Streams entries into a zip file object (written sequentially)."""

    def __init__(
        self,
        fileobj: IO[bytes],
        header: ManifestHeader | None,
        signer: Callable[[bytes], bytes] | None = None,
        *,
        threads: int = 0,
    ) -> None:
        self._zip = ZipWriter(fileobj, FIXED_DATE_TIME)
        self._header = header
        self._signer = signer
        self._listing = tempfile.SpooledTemporaryFile(max_size=1 << 20)  # noqa: SIM115
        self._listing_digest = hashlib.sha256()
        self._listing_deflater = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        self._listing_size = self._listing_crc = 0
        self._count = 0
        self._kinds: Counter[str] = Counter()
        self._last_path: str | None = None
        self._pool = ThreadPoolExecutor(threads, "jobferry-zip") if threads > 1 else None
        # One thread, so the listing's parts are deflated in order, beside the next batch.
        self._listing_pool = ThreadPoolExecutor(1, "jobferry-listing") if self._pool else None
        self._listing_parts: list[Future[None]] = []

    def add(self, path: str, kind: str, name: str, object_id: str, data: bytes) -> None:
        """Add one entry; paths must arrive in strictly ascending order."""
        self.add_many([NewEntry(path, kind, name, object_id, data)])

    def add_many(self, entries: Sequence[NewEntry | PackedEntry]) -> None:
        """Add entries whose paths ascend (and follow every path added before); those not
        deflated yet are deflated here."""
        for entry in entries:
            self._last_path = check_order(self._last_path, entry.path)
        lines = []
        for entry, (compressed, sha256) in zip(entries, self._deflated(entries), strict=True):
            self._zip.add(entry.path, compressed)
            listed = ManifestEntry(
                entry.path, entry.kind, entry.name, entry.object_id, compressed.size, sha256
            )
            lines.append(entry_line(listed))
            self._count += 1
            self._kinds[entry.kind] += 1
        part = b"".join(lines)
        self._listing_digest.update(part)
        if self._listing_pool is not None:
            self._listing_parts.append(self._listing_pool.submit(self._deflate_listing, part))
        else:
            self._deflate_listing(part)

    def _deflated(
        self, entries: Sequence[NewEntry | PackedEntry]
    ) -> Iterator[tuple[Compressed, str]]:
        """Each entry deflated, with its sha256, in order: the large ones on the pool (if
        any) while the small ones are deflated here."""
        pool = self._pool
        large = [e.data for e in entries if isinstance(e, NewEntry) and _pooled(e)] if pool else []
        done = iter(pool.map(_packed, large) if pool and large else ())
        for entry in entries:
            if isinstance(entry, PackedEntry):
                yield entry.compressed, entry.sha256
            elif pool and _pooled(entry):
                yield next(done)
            else:
                yield _packed(entry.data)

    def _deflate_listing(self, part: bytes) -> None:
        """Deflate the next part of ``manifest.entries`` into the spool."""
        self._listing_size += len(part)
        self._listing_crc = zlib.crc32(part, self._listing_crc)
        self._listing.write(self._listing_deflater.compress(part))

    def close(self, header: ManifestHeader | None = None) -> WrittenPackage:
        """Write the manifest's files (if any) and finish the zip; ``header`` (what the
        manifest says beside the entries) may be given only now, once they are written."""
        if self._pool is not None:
            self._pool.shutdown()
        if self._listing_pool is not None:
            self._listing_pool.shutdown()
            for done in self._listing_parts:
                done.result()  # raises what deflating a part raised
        header = header or self._header
        if header is not None:
            listing = self._write_listing()
            manifest = render_manifest(header, listing)
            self._zip.add(MANIFEST_NAME, deflated(manifest, COMPRESS_LEVEL))
            if self._signer is not None:
                self._zip.add(SIGNATURE_NAME, deflated(self._signer(manifest), COMPRESS_LEVEL))
        self._listing.close()
        self._zip.close()
        deletions = len(header.deleted) if header is not None else 0
        kinds = tuple(sorted(self._kinds.items()))
        return WrittenPackage(self._count, header is not None, deletions, kinds)

    def _write_listing(self) -> Listing:
        """``manifest.entries``, deflated already but for the end of its stream."""
        self._listing.write(self._listing_deflater.flush())
        size, crc = self._listing_size, self._listing_crc
        self._zip.add_spooled(ENTRIES_NAME, self._listing, Compressed(b"", size, crc, DEFLATED))
        return Listing(self._count, size, self._listing_digest.hexdigest())
