"""Reading one zip entry's bytes straight from the package, within the reader's caps.

A package holds tens of thousands of small entries. ``zipfile`` opens each one through a file
object, a header re-read and a buffered stream: more time than inflating it. Here an entry is
sliced out of the memory-mapped package and inflated in one call when it is plain (stored or
deflated, not encrypted, local header agreeing with the central directory, exactly the declared
size, CRC-32 right): :func:`read_plain`. Anything else, or anything past a cap as declared, goes
through :func:`read_capped`, which inflates in chunks and refuses by rule the moment a cap is
passed, and otherwise says what is wrong (``zip.invalid``) as ``zipfile`` would: encrypted,
unsupported method, damaged stream, bad CRC-32.

Only stored (0) and deflated (8) entries are read: what DataArts, jobferry and every zip tool
write by default. Other methods (bzip2, LZMA, deflate64…) are refused naming the method.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from jobferry.package.centraldir import ZipEntry, unmarked_name
from jobferry.package.refusals import MIB, refuse, size_text

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_NAME_LENGTH, _EXTRA_LENGTH, _FLAGS = 10, 11, 3
_UTF8_NAME = 0x800
_ENCRYPTED = 0x1
# Compressed patched data, strong encryption: zipfile refuses these; so do we.
_UNSUPPORTED_FLAGS = 0x20 | 0x40
STORED, DEFLATED = 0, 8
_METHODS = {12: "bzip2", 14: "LZMA", 9: "deflate64", 93: "Zstandard", 98: "PPMd"}
RATIO_EXEMPT_BYTES = 64 * 1024
_CHUNK = MIB


@dataclass(frozen=True)
class Caps:
    """What one entry may inflate to: its own cap, the package's total (of which ``used`` is
    taken already), and the ratio over its compressed size (entries under 64 KiB are exempt)."""

    entry_bytes: int
    total_bytes: int
    used: int
    ratio: int


def read_plain(buffer: memoryview, entry: ZipEntry) -> tuple[bytes, memoryview] | None:
    """The entry's bytes and the stored bytes they came from (for a deflated entry, a raw
    deflate stream that inflates to exactly them: the CRC-32 was checked), or ``None`` when it
    is not a plain entry read exactly as declared."""
    if entry.flags & (_ENCRYPTED | _UNSUPPORTED_FLAGS) or entry.method not in (STORED, DEFLATED):
        return None
    data_at = _data_offset(buffer, entry)
    if data_at is None or data_at + entry.compress_size > len(buffer):
        return None
    stored = buffer[data_at : data_at + entry.compress_size]
    data = _decoded(stored, entry)
    if data is None or zlib.crc32(data) != entry.crc:
        return None
    return data, stored


def within_caps(entry: ZipEntry, caps: Caps, file_size: int) -> bool:
    """Whether the entry, as its header declares it, passes every cap (the fast path's test)."""
    compressed = max(1, min(entry.compress_size, file_size))
    declared = entry.file_size
    return (
        declared <= caps.entry_bytes
        and caps.used + declared <= caps.total_bytes
        and (declared <= RATIO_EXEMPT_BYTES or declared <= caps.ratio * compressed)
    )


def _data_offset(buffer: memoryview, entry: ZipEntry) -> int | None:
    """Where the entry's data starts, when its local header is there and names it."""
    start = entry.header_offset
    if start < 0 or start + _LOCAL_HEADER.size > len(buffer):
        return None
    header = _LOCAL_HEADER.unpack_from(buffer, start)
    if header[0] != _LOCAL_SIGNATURE:
        return None
    name_at = start + _LOCAL_HEADER.size
    raw_name = bytes(buffer[name_at : name_at + header[_NAME_LENGTH]])
    try:
        name = raw_name.decode("utf-8") if header[_FLAGS] & _UTF8_NAME else unmarked_name(raw_name)
    except UnicodeDecodeError:
        return None
    if name != entry.raw_name:
        return None
    return int(name_at + header[_NAME_LENGTH] + header[_EXTRA_LENGTH])


def _decoded(stored: memoryview, entry: ZipEntry) -> bytes | None:
    """The entry's stored bytes as the file they hold, when that has the declared size."""
    if entry.method == STORED:
        return bytes(stored) if entry.compress_size == entry.file_size else None
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        data = inflater.decompress(stored, entry.file_size + 1)
    except zlib.error:
        return None
    return data if len(data) == entry.file_size and inflater.eof else None


def _damaged(entry: ZipEntry, reason: str) -> Exception:
    return refuse(
        "zip.invalid",
        f"it cannot be unpacked ({reason})",
        "the zip is damaged or uses encryption or a compression jobferry does not read; "
        "export it again",
        entry=entry.name,
    )


def _stored_slice(buffer: memoryview, entry: ZipEntry) -> memoryview:
    """The entry's compressed bytes, once its local header checks out (as zipfile checks)."""
    if entry.flags & _ENCRYPTED:
        raise _damaged(entry, "File is encrypted, password required for extraction")
    if entry.flags & _UNSUPPORTED_FLAGS:
        raise _damaged(entry, "compressed patched data or strong encryption is not supported")
    if entry.method not in (STORED, DEFLATED):
        method = _METHODS.get(entry.method, f"method {entry.method}")
        raise _damaged(entry, f"compression {method} is not supported; use deflate")
    start = entry.header_offset
    if start < 0 or start + _LOCAL_HEADER.size > len(buffer):
        raise _damaged(entry, "Truncated file header")
    header = _LOCAL_HEADER.unpack_from(buffer, start)
    if header[0] != _LOCAL_SIGNATURE:
        raise _damaged(entry, "Bad magic number for file header")
    data_at = _data_offset(buffer, entry)
    if data_at is None:
        raise _damaged(entry, "File name in directory and header differ")
    if data_at + entry.compress_size > len(buffer):
        raise _damaged(entry, "Truncated entry data")
    return buffer[data_at : data_at + entry.compress_size]


def read_capped(buffer: memoryview, entry: ZipEntry, caps: Caps, file_size: int) -> bytes:
    """The entry's bytes, inflated in chunks and refused by rule the moment a cap is passed.

    Header sizes are never trusted: inflating stops at the entry cap, at the package's total
    and at the ratio over the compressed size (which cannot exceed the file itself); like
    ``zipfile``, no more than the declared size is returned, and the CRC-32 of what was read
    must match."""
    return b"".join(inflate_chunks(buffer, entry, caps, file_size))


def inflate_chunks(
    buffer: memoryview, entry: ZipEntry, caps: Caps, file_size: int
) -> Iterator[bytes]:
    """The entry's bytes a chunk (at most 1 MiB) at a time, under the rules of
    :func:`read_capped`; the CRC-32 is checked before the last chunk is given."""
    stored = _stored_slice(buffer, entry)
    compressed = max(1, min(entry.compress_size, file_size))
    inflater = None if entry.method == STORED else zlib.decompressobj(-zlib.MAX_WBITS)
    size, crc, fed = 0, 0, 0
    pending = b""
    while size < entry.file_size:
        ask = min(_CHUNK, entry.file_size - size, caps.entry_bytes + 1 - size)
        if inflater is None:
            chunk = bytes(stored[size : size + ask])
        else:
            chunk, fed = _inflate_some(inflater, stored, fed, ask, entry)
        if not chunk:
            break
        size += len(chunk)
        _check_caps(entry, size, compressed, caps)
        crc = zlib.crc32(chunk, crc)
        if pending:
            yield pending
        pending = chunk
    if size < entry.file_size:
        raise _damaged(entry, "Compressed file ended before the end-of-stream marker was reached")
    if crc != entry.crc:
        raise _damaged(entry, f"Bad CRC-32 for file {entry.name!r}")
    if pending:
        yield pending


def _inflate_some(
    inflater: zlib._Decompress, stored: memoryview, fed: int, ask: int, entry: ZipEntry
) -> tuple[bytes, int]:
    """Up to ``ask`` more inflated bytes, feeding the stored bytes as needed."""
    out = b""
    try:
        if inflater.unconsumed_tail:
            out = inflater.decompress(inflater.unconsumed_tail, ask)
        while not out and fed < len(stored) and not inflater.eof:
            piece = stored[fed : fed + _CHUNK]
            fed += len(piece)
            out = inflater.decompress(piece, ask)
    except zlib.error as exc:
        raise _damaged(entry, str(exc)) from exc  # zlib's words: "Error -3 while …: …"
    return out, fed


def _check_caps(entry: ZipEntry, size: int, compressed: int, caps: Caps) -> None:
    if size > caps.entry_bytes:
        raise refuse(
            "size.entry",
            f"it unpacks to more than {size_text(caps.entry_bytes)}",
            "split the export; no single definition needs that much",
            entry=entry.name,
            limit=caps.entry_bytes,
        )
    if caps.used + size > caps.total_bytes:
        raise refuse(
            "size.total",
            f"with it the package unpacks to more than {size_text(caps.total_bytes)}",
            "split the export into smaller packages",
            entry=entry.name,
            limit=caps.total_bytes,
        )
    if size > RATIO_EXEMPT_BYTES and size > caps.ratio * compressed:
        raise refuse(
            "ratio",
            f"it inflates to more than {caps.ratio} times its compressed size "
            f"({size_text(compressed)}), as a zip bomb does",
            "export the package again; job definitions never compress that well",
            entry=entry.name,
            limit=caps.ratio,
        )


def drop_pages(buffer: memoryview) -> None:
    """Let go of the pages of a memory-mapped package read so far. They stay in the page cache
    and come back on the next touch; without this every page read stays in the process's
    resident set, and a 100,000-job package adds its whole size to it."""
    source = buffer.obj
    if isinstance(source, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        source.madvise(mmap.MADV_DONTNEED)


@contextmanager
def mapped(handle: IO[bytes]) -> Iterator[memoryview]:
    """The whole package as a read-only buffer: a memory map of a file, or the bytes given."""
    if isinstance(handle, io.BytesIO):
        view = handle.getbuffer()
        try:
            yield view
        finally:
            view.release()
        return
    try:
        mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # an empty file cannot be mapped, and is no zip either
        yield memoryview(b"")
        return
    view = memoryview(mapping)
    try:
        yield view
    finally:
        view.release()
        # A refusal raised while an entry was inflated (a cap, a damaged stream) holds a slice
        # of the map in its traceback, and a map cannot close while a slice of it lives: it
        # then closes when the refusal goes, and the refusal is what the caller sees.
        with contextlib.suppress(BufferError):
            mapping.close()
