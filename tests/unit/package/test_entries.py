"""Entry reading: exactly zipfile's bytes for plain entries, ``None`` from the direct path for
anything else, which the capped path then refuses as zipfile would.

Every refusal case is also checked against zipfile and the whole reader, which must refuse what
zipfile refuses (the direct path never decides that an entry is bad, it only declines to read it).
"""

from __future__ import annotations

import io
import mmap
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from jobferry.errors import PackageError
from jobferry.package.centraldir import ZipEntry, directory_entries, find_directory
from jobferry.package.entries import mapped, read_plain
from jobferry.package.reader import read_package

DOCUMENT = b'{"name": "job_a", "nodes": []}' * 20


def make_zip(data: bytes = DOCUMENT, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        zf.writestr("jobs/job_a.job", data)
    return buf.getvalue()


def first_entry(buffer: memoryview) -> ZipEntry:
    return next(directory_entries(buffer, find_directory(buffer)))


def read_direct(package: bytes) -> bytes | None:
    with mapped(io.BytesIO(package)) as buffer:
        plain = read_plain(buffer, first_entry(buffer))
        return None if plain is None else plain[0]


def patch(package: bytes, offset_of: Callable[[bytes], int], value: bytes) -> bytes:
    at = offset_of(package)
    return package[:at] + value + package[at + len(value) :]


def local_header(package: bytes) -> int:
    return package.index(b"PK\x03\x04")


def central_header(package: bytes) -> int:
    return package.index(b"PK\x01\x02")


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_plain_entries_read_as_zipfile_reads_them(compression: int) -> None:
    package = make_zip(compression=compression)
    assert read_direct(package) == DOCUMENT


def test_an_empty_entry_reads_as_empty() -> None:
    assert read_direct(make_zip(b"")) == b""


def test_a_file_is_read_through_a_memory_map(tmp_path: Path) -> None:
    path = tmp_path / "p.zip"
    path.write_bytes(make_zip())
    with path.open("rb") as handle, mapped(handle) as buffer:
        assert isinstance(buffer.obj, mmap.mmap)
        plain = read_plain(buffer, first_entry(buffer))
        assert plain is not None
        assert plain[0] == DOCUMENT


def test_an_empty_file_maps_to_no_bytes(tmp_path: Path) -> None:
    path = tmp_path / "empty.zip"
    path.write_bytes(b"")
    with path.open("rb") as handle, mapped(handle) as buffer:
        assert len(buffer) == 0


def _bad_crc(package: bytes) -> bytes:
    # The CRC-32 in the central directory (offset 16 of the central header).
    return patch(package, lambda p: central_header(p) + 16, b"\x00\x00\x00\x00")


def _local_name(package: bytes) -> bytes:
    return patch(package, lambda p: local_header(p) + 30, b"x")


def _local_magic(package: bytes) -> bytes:
    return patch(package, local_header, b"PK\x09\x09")


def _short_size(package: bytes) -> bytes:
    # Uncompressed size in the central directory (offset 24) one byte short: the stream is
    # longer than declared.
    at = central_header(package) + 24
    (size,) = struct.unpack_from("<L", package, at)
    return package[:at] + struct.pack("<L", size - 1) + package[at + 4 :]


def _encrypted(package: bytes) -> bytes:
    at = central_header(package) + 8
    (flags,) = struct.unpack_from("<H", package, at)
    return package[:at] + struct.pack("<H", flags | 0x1) + package[at + 2 :]


def _broken_stream(package: bytes) -> bytes:
    data_at = local_header(package) + 30 + len("jobs/job_a.job")
    return package[:data_at] + b"\xff\xff\xff" + package[data_at + 3 :]


def test_a_broken_deflate_stream_says_zlibs_error_once() -> None:
    with pytest.raises(PackageError) as refused:
        read_package(_broken_stream(make_zip()))
    said = refused.value.message
    assert "it cannot be unpacked (Error -3 while decompressing data: " in said
    assert said.count("Error -3 while decompressing data") == 1, said


@pytest.mark.parametrize(
    "damage",
    [_bad_crc, _local_name, _local_magic, _short_size, _encrypted, _broken_stream],
    ids=["crc", "local-name", "local-magic", "longer-than-declared", "encrypted", "stream"],
)
def test_anything_unusual_is_left_to_zipfile(damage: Callable[[bytes], bytes]) -> None:
    package = damage(make_zip())
    assert read_direct(package) is None
    # zipfile refuses each of these, and the reader reports that refusal.
    with (
        zipfile.ZipFile(io.BytesIO(package)) as zf,
        pytest.raises((zipfile.BadZipFile, RuntimeError, zlib.error)),
    ):
        zf.read(zf.infolist()[0])
    with pytest.raises(PackageError) as refused:
        read_package(package)
    assert refused.value.context["rule"] == "zip.invalid"
    assert refused.value.context["entry"] == "jobs/job_a.job"


def test_a_truncated_package_is_left_to_zipfile() -> None:
    package = make_zip()
    with mapped(io.BytesIO(package)) as buffer:
        entry = first_entry(buffer)
    cut = package[: local_header(package) + 40]
    with mapped(io.BytesIO(cut)) as buffer:
        assert read_plain(buffer, entry) is None


def test_deflate_round_trip_of_random_sizes() -> None:
    for size in (1, 100, 4095, 4096, 65537, 300_000):
        data = bytes((i * 7919) % 251 for i in range(size))
        assert read_direct(make_zip(data)) == data
        assert read_direct(make_zip(data, zipfile.ZIP_STORED)) == data


def test_a_plain_deflated_entry_comes_with_the_stream_it_was_inflated_from() -> None:
    with mapped(io.BytesIO(make_zip())) as buffer:
        plain = read_plain(buffer, first_entry(buffer))
        assert plain is not None
        data, stream = plain[0], bytes(plain[1])
    assert data == DOCUMENT
    assert zlib.decompress(stream, -zlib.MAX_WBITS) == DOCUMENT
