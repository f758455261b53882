"""A zip's central directory, read one record at a time straight from the package's bytes.

``zipfile`` parses the whole directory into ``ZipInfo`` objects before anything else: about
550 bytes and 130 µs an entry, so 110 MB for the 200,000 entries of a 100,000-job workspace.
Here the directory is located (:func:`find_directory`) and walked (:func:`directory_entries`)
as compact :class:`ZipEntry` tuples, one at a time, so reading a package costs the same memory
at any size.

What is read, and what is refused (``zip.invalid``), follows ``zipfile``: the end record is
found at the file's end or within the 64 KiB a comment may take; zip64 end records and zip64
extra fields are honoured; data prepended to the archive (self-extracting stubs) shifts every
offset alike; names are UTF-8 when the entry says so, else code page 437; a name is cut at a
NUL as ``zipfile`` does (the rules in :mod:`.paths` see the whole ``raw_name``).
"""

from __future__ import annotations

import struct
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from jobferry.package.refusals import refuse

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_CENTRAL_SIGNATURE = b"PK\x01\x02"
_MAX_COMMENT = 0xFFFF
_UTF8_NAME = 0x800
_ZIP64_EXTRA = 0x0001
_EXTRA_HEADER = struct.Struct("<2H")
_U32_MAX, _U16_MAX = 0xFFFF_FFFF, 0xFFFF


class ZipEntry(NamedTuple):
    """One central directory record, as the reader needs it."""

    name: str
    """The entry name, decoded and cut at a NUL (``zipfile``'s ``filename``)."""
    raw_name: str
    """The whole decoded name (``zipfile``'s ``orig_filename``)."""
    header_offset: int
    """Where the entry's local header starts in the file."""
    compress_size: int
    file_size: int
    crc: int
    method: int
    flags: int
    external_attr: int
    create_system: int


@dataclass(frozen=True)
class Directory:
    """Where the central directory is and what its end record declares."""

    start: int
    """Offset of the first record in the file."""
    size: int
    count: int
    """Entries the end record declares (a zip64 count when there is one)."""
    concat: int
    """Bytes prepended to the archive; every local header offset moves by this much."""


def _not_a_zip(reason: str) -> Exception:
    return refuse(
        "zip.invalid",
        f"the file is not a readable zip archive ({reason})",
        "upload the .zip exported by DataArts or jobferry, unmodified",
    )


def find_directory(buffer: memoryview) -> Directory:
    """Locate the central directory from the end record (zip64 aware)."""
    size = len(buffer)
    if size < _EOCD.size:
        raise _not_a_zip("File is not a zip file")
    at = size - _EOCD.size
    if bytes(buffer[at : at + 4]) != _EOCD_SIGNATURE or _comment_length(buffer, at) != 0:
        window_start = max(0, size - _EOCD.size - _MAX_COMMENT)
        tail = bytes(buffer[window_start:])
        found = tail.rfind(_EOCD_SIGNATURE)
        if found < 0 or found + _EOCD.size > len(tail):
            raise _not_a_zip("File is not a zip file")
        at = window_start + found
    fields = _EOCD.unpack_from(buffer, at)
    count, dir_size, dir_offset = fields[4], fields[5], fields[6]
    end_of_records = at
    locator_at = at - _ZIP64_LOCATOR.size
    if locator_at >= 0 and bytes(buffer[locator_at : locator_at + 4]) == _ZIP64_LOCATOR_SIGNATURE:
        record_at = locator_at - _ZIP64_EOCD.size
        if record_at < 0 or bytes(buffer[record_at : record_at + 4]) != _ZIP64_EOCD_SIGNATURE:
            raise _not_a_zip("Corrupt zip64 end of central directory record")
        record = _ZIP64_EOCD.unpack_from(buffer, record_at)
        count, dir_size, dir_offset = record[7], record[8], record[9]
        end_of_records = record_at
    concat = end_of_records - dir_size - dir_offset
    start = dir_offset + concat
    if concat < 0 or start < 0 or start + dir_size > size:
        raise _not_a_zip("Bad offset for central directory")
    return Directory(start=start, size=dir_size, count=count, concat=concat)


def _comment_length(buffer: memoryview, at: int) -> int:
    return int(_EOCD.unpack_from(buffer, at)[7])


def directory_entries(buffer: memoryview, directory: Directory) -> Iterator[ZipEntry]:
    """Every record of the central directory, in order."""
    at, end = directory.start, directory.start + directory.size
    while at < end:
        if at + _CENTRAL.size > end:
            raise _not_a_zip("Truncated central directory")
        record = _CENTRAL.unpack_from(buffer, at)
        if record[0] != _CENTRAL_SIGNATURE:
            raise _not_a_zip("Bad magic number for central directory")
        name_length, extra_length, comment_length = record[12], record[13], record[14]
        name_at = at + _CENTRAL.size
        extra_at = name_at + name_length
        at = extra_at + extra_length + comment_length
        if at > end:
            raise _not_a_zip("Truncated central directory")
        flags = record[5]
        raw_name = _decode(bytes(buffer[name_at:extra_at]), flags)
        sizes = _zip64_sizes(
            bytes(buffer[extra_at : extra_at + extra_length]),
            record[11],
            record[10],
            record[18],
        )
        file_size, compress_size, header_offset = sizes
        yield ZipEntry(
            name=raw_name.split("\x00", 1)[0],
            raw_name=raw_name,
            header_offset=header_offset + directory.concat,
            compress_size=compress_size,
            file_size=file_size,
            crc=record[9],
            method=record[6],
            flags=flags,
            external_attr=record[17],
            create_system=record[2],
        )


def _decode(raw: bytes, flags: int) -> str:
    if flags & _UTF8_NAME:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise refuse(
                "name.invalid",
                "an entry name is marked UTF-8 but is not",
                "rebuild the zip with plain UTF-8 entry names",
            ) from exc
    return unmarked_name(raw)


def unmarked_name(raw: bytes) -> str:
    """An entry name the zip does not mark as UTF-8. macOS (Finder's *Compress*, ``ditto``)
    writes UTF-8 without the mark, decomposed as its file system lists names (NFD): a name that
    is UTF-8 is read so, composed (NFC) as typed elsewhere, which a name in code page 437 with
    letters beyond ASCII almost never is. A Chinese-language Windows (its own *Compressed
    (zipped) folder*) writes its code page, GBK, without the mark: a name that reads as GBK
    with only wide characters (Chinese, full-width forms) past ASCII is read so. Any other
    name is read in code page 437, as the zip format says (``zipfile`` reads every unmarked
    name so)."""
    if raw.isascii():
        return raw.decode("ascii")
    try:
        return unicodedata.normalize("NFC", raw.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    return _chinese_windows(raw) or raw.decode("cp437")


def _chinese_windows(raw: bytes) -> str | None:
    """``raw`` read as GBK when every character it gives past ASCII is a wide one: code page
    437's letters (``é`` is 0x82) rarely pair into GBK's two bytes, and never into wide
    characters only."""
    try:
        text = raw.decode("gbk")
    except UnicodeDecodeError:
        return None
    wide = all(c.isascii() or unicodedata.east_asian_width(c) in ("W", "F") for c in text)
    return text if wide else None


def _zip64_sizes(
    extra: bytes, file_size: int, compress_size: int, header_offset: int
) -> tuple[int, int, int]:
    """The sizes and offset, with the values a zip64 extra field carries for saturated ones."""
    at = 0
    while at + _EXTRA_HEADER.size <= len(extra):
        kind, length = _EXTRA_HEADER.unpack_from(extra, at)
        body_at = at + _EXTRA_HEADER.size
        if body_at + length > len(extra):
            raise _not_a_zip(f"Corrupt extra field {kind:04x} (size={length})")
        if kind == _ZIP64_EXTRA:
            body = extra[body_at : body_at + length]
            values: list[int] = []
            wanted = [file_size == _U32_MAX, compress_size == _U32_MAX, header_offset == _U32_MAX]
            for index, needed in enumerate(wanted):
                if not needed:
                    continue
                start = 8 * len(values)
                if start + 8 > len(body):
                    field = ("File size", "Compress size", "Header offset")[index]
                    raise _not_a_zip(f"Corrupt zip64 extra field. {field} not found.")
                values.append(int.from_bytes(body[start : start + 8], "little"))
            taken = iter(values)
            if wanted[0]:
                file_size = next(taken)
            if wanted[1]:
                compress_size = next(taken)
            if wanted[2]:
                header_offset = next(taken)
        at = body_at + length
    return file_size, compress_size, header_offset
