"""Reading plain zip entries straight from the package's bytes.

A package holds tens of thousands of small entries. ``zipfile`` opens each one through a file
object, a header re-read and a buffered stream: more time than inflating it. For the entries a
well-formed package consists of (stored or deflated, not encrypted, local header agreeing with
the central directory) this module slices the data out of a memory map and inflates it in one
call. It accepts an entry only when the result is exactly what ``zipfile`` would have returned:
the declared size, the end of the deflate stream and the central directory's CRC-32. For
anything else it answers ``None`` and the reader goes through ``zipfile``, which then says what
is wrong; so the refusals, and what is accepted, do not depend on which way an entry was read.
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
    data_at = name_at + header[_NAME_LENGTH] + header[_EXTRA_LENGTH]
    end = data_at + info.compress_size
    if end > len(buffer):
        return None
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            return None
        data = bytes(buffer[data_at:end])
    else:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            data = inflater.decompress(buffer[data_at:end], info.file_size + 1)
        except zlib.error:
            return None
        if len(data) != info.file_size or not inflater.eof:
            return None
    if zlib.crc32(data) != info.CRC:
        return None
    return data
