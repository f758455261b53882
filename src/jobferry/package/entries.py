"""Reading plain zip entries straight from the package's bytes.

A package holds tens of thousands of small entries. ``zipfile`` opens each one through a file
object, a header re-read and a buffered stream: more time than inflating it. For the entries a
well-formed package consists of (stored or deflated, not encrypted, local header agreeing with
the central directory) this module slices the data out of a memory map and inflates it in one
call. It accepts an entry only when the result is exactly what ``zipfile`` would have returned:
the declared size, the end of the deflate stream and the central directory's CRC-32. For
anything else it answers ``None`` and the reader goes through ``zipfile``, which then says what
is wrong; so the refusals, and what is accepted, do not depend on which way an entry was read.

:func:`declared_entry_count` reads the entry count from the end-of-central-directory record, so
a package with too many entries is refused before ``zipfile`` parses its central directory.
"""

from __future__ import annotations

import io
import mmap
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_NAME_LENGTH, _EXTRA_LENGTH, _FLAGS = 10, 11, 3
_UTF8_NAME = 0x800
# Encrypted, compressed patched data, strong encryption: zipfile refuses these; so do we.
_UNSUPPORTED_FLAGS = 0x1 | 0x20 | 0x40

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR_SIZE = 20
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"


@contextmanager
def mapped(handle: IO[bytes]) -> Iterator[memoryview | None]:
    """The whole package as a read-only buffer (a memory map of a file), or ``None``."""
    if isinstance(handle, io.BytesIO):
        view = handle.getbuffer()
        try:
            yield view
        finally:
            view.release()
        return
    try:
        mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, AttributeError):  # empty file, a pipe, no descriptor
        yield None
        return
    view = memoryview(mapping)
    try:
        yield view
    finally:
        view.release()
        mapping.close()


def read_plain(buffer: memoryview, info: zipfile.ZipInfo) -> bytes | None:
    """The entry's bytes, or ``None`` when it is not a plain entry read exactly as declared."""
    if info.flag_bits & _UNSUPPORTED_FLAGS or info.compress_type not in (
        zipfile.ZIP_STORED,
        zipfile.ZIP_DEFLATED,
    ):
        return None
    data_at = _data_offset(buffer, info)
    if data_at is None or data_at + info.compress_size > len(buffer):
        return None
    data = _decoded(buffer[data_at : data_at + info.compress_size], info)
    if data is None or zlib.crc32(data) != info.CRC:
        return None
    return data


def _data_offset(buffer: memoryview, info: zipfile.ZipInfo) -> int | None:
    """Where the entry's data starts, when its local header is there and names it."""
    start = info.header_offset
    if start < 0 or start + _LOCAL_HEADER.size > len(buffer):
        return None
    header = _LOCAL_HEADER.unpack_from(buffer, start)
    if header[0] != _LOCAL_SIGNATURE:
        return None
    name_at = start + _LOCAL_HEADER.size
    raw_name = bytes(buffer[name_at : name_at + header[_NAME_LENGTH]])
    try:
        name = raw_name.decode("utf-8" if header[_FLAGS] & _UTF8_NAME else "cp437")
    except UnicodeDecodeError:
        return None
    if name != info.orig_filename:
        return None
    return int(name_at + header[_NAME_LENGTH] + header[_EXTRA_LENGTH])


def _decoded(stored: memoryview, info: zipfile.ZipInfo) -> bytes | None:
    """The entry's stored bytes as the file they hold, when that has the declared size."""
    if info.compress_type == zipfile.ZIP_STORED:
        return bytes(stored) if info.compress_size == info.file_size else None
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        data = inflater.decompress(stored, info.file_size + 1)
    except zlib.error:
        return None
    return data if len(data) == info.file_size and inflater.eof else None


def declared_entry_count(handle: IO[bytes], size: int) -> int | None:
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
