"""jobferry's own zip reading and writing agree with zipfile, byte for byte, at any size.

The central directory is walked record by record (never held whole) and entries are written
with their directory records spooled: both must see and produce exactly what zipfile does,
zip64 end records (past 65,535 entries) and archives with data in front included.
"""

from __future__ import annotations

import functools
import io
import random
import zipfile

import pytest

from jobferry.errors import PackageError
from jobferry.package.centraldir import directory_entries, find_directory
from jobferry.package.entries import mapped
from jobferry.package.zipwriter import ZipWriter, deflated

FIXED = (1980, 1, 1, 0, 0, 0)


def by_zipfile(entries: list[tuple[str, bytes]], comment: bytes = b"") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            zf.writestr(info, data, compresslevel=6)
        zf.comment = comment
    return out.getvalue()


def by_jobferry(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    writer = ZipWriter(out, FIXED)
    for name, data in entries:
        writer.add(name, deflated(data, 6))
    writer.close()
    return out.getvalue()


ZIP64_COUNT = 65_600
"""Just past the 65,535 entries a plain end record can count."""


@functools.cache
def sample(count: int, seed: int = 1) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    return [
        (f"jobs/ü_{i:06d}.job" if i % 7 == 0 else f"jobs/j_{i:06d}.job", rng.randbytes(i % 300))
        for i in range(count)
    ]


@pytest.mark.parametrize("count", [0, 1, 40], ids=["empty", "one", "some"])
def test_the_writer_writes_what_zipfile_writes(count: int) -> None:
    entries = sample(count)

    assert by_jobferry(entries) == by_zipfile(entries)


def test_past_65535_entries_both_sides_read_the_writers_zip64_records_alike() -> None:
    data = by_jobferry(sample(ZIP64_COUNT))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        expected = [
            (i.filename, i.header_offset, i.compress_size, i.file_size, i.CRC, i.flag_bits)
            for i in zf.infolist()
        ]

    with mapped(io.BytesIO(data)) as buffer:
        directory = find_directory(buffer)
        seen = [
            (e.name, e.header_offset, e.compress_size, e.file_size, e.crc, e.flags)
            for e in directory_entries(buffer, directory)
        ]

    assert directory.count == ZIP64_COUNT
    assert seen == expected


def test_a_comment_and_data_in_front_of_the_archive_move_nothing() -> None:
    plain = by_zipfile(sample(5), comment=b"made by hand")
    data = b"#!/bin/sh\nexit 0\n" + plain
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        expected = [(i.filename, i.header_offset) for i in zf.infolist()]

    with mapped(io.BytesIO(data)) as buffer:
        directory = find_directory(buffer)
        seen = [(e.name, e.header_offset) for e in directory_entries(buffer, directory)]

    assert directory.concat == len(b"#!/bin/sh\nexit 0\n")
    assert seen == expected


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d[:-10],
        lambda d: d.replace(b"PK\x01\x02", b"PK\x09\x09", 1),
    ],
    ids=["cut-end-record", "bad-directory-magic"],
)
def test_a_damaged_directory_is_refused_as_not_a_zip(damage: object) -> None:
    data = damage(by_zipfile(sample(3)))  # type: ignore[operator]
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(io.BytesIO(data)).infolist()

    with pytest.raises(PackageError) as refused, mapped(io.BytesIO(data)) as buffer:
        list(directory_entries(buffer, find_directory(buffer)))

    assert refused.value.context["rule"] == "zip.invalid"
