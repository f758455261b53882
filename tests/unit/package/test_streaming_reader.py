"""The streaming reader: objects handed out once in zip order, its index on disk and gone after,
and the format-2 listing held to what manifest.json pins."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import zipfile
from pathlib import Path

import pytest

from jobferry.domain.enums import KIND_ORDER, ObjectKind
from jobferry.errors import PackageError
from jobferry.package.index import CLOSER
from jobferry.package.reader import PackageReader, read_package
from support.builders import make_job
from support.packages import write_package


def entries_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def rezip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return out.getvalue()


def repinned(entries: dict[str, bytes], listing: bytes, count: int | None = None) -> bytes:
    """The package with ``listing`` as manifest.entries and manifest.json pinning it."""
    manifest = json.loads(entries["manifest.json"])
    lines = listing.count(b"\n")
    manifest["entries"].update(
        size=len(listing),
        sha256=hashlib.sha256(listing).hexdigest(),
        count=lines if count is None else count,
    )
    changed = {**entries, "manifest.entries": listing}
    changed["manifest.json"] = json.dumps(manifest).encode()
    return rezip(changed)


def refusal(data: bytes) -> PackageError:
    with pytest.raises(PackageError) as caught:
        read_package(data)
    return caught.value


def open_in(folder: Path) -> list[str]:
    """What this process holds open in ``folder`` (once every index closing is over)."""
    for thread in threading.enumerate():
        if thread.name == CLOSER:
            thread.join()
    inside = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # the listing's own descriptor, gone already
            continue
        if target.startswith(f"{folder}/"):
            inside.append(target)
    return inside


def test_objects_stream_kind_by_kind_and_the_index_file_is_gone_after(tmp_path: Path) -> None:
    package = write_package(tmp_path / "p.zip", [make_job("b_job"), make_job("a_job")])
    work = tmp_path / "work"
    with zipfile.ZipFile(package) as zf:
        in_zip = [name for name in zf.namelist() if not name.startswith("manifest.")]
    assert in_zip[0].startswith("jobs/"), "the zip holds its jobs first"

    with PackageReader(package, workdir=work) as reader:
        assert reader.definitions() == 7
        assert not list(work.iterdir()), "the read's index has no name"
        (index,) = open_in(work)
        assert index.endswith(".index (deleted)"), "the index is a file in the work folder"
        objects = list(reader.objects())
        assert reader.present("job", ["a_job", "c_job"]) == {"a_job"}
        assert reader.layout == "single"

    # What a job uses comes before it (scripts, resources, then jobs), each kind in zip order.
    ranks = [KIND_ORDER[ObjectKind(o.kind)] for o in objects]
    assert ranks == sorted(ranks)
    assert {o.kind for o in objects} == {"script", "resource", "job"}
    for kind in ("script", "resource", "job"):
        paths = [o.path for o in objects if o.kind == kind]
        assert paths == [name for name in in_zip if name in paths]
    assert [o.path for o in objects if o.kind == "job"] == ["jobs/a_job.job", "jobs/b_job.job"]
    assert not list(work.iterdir())
    assert not open_in(work), "the index's file is given back"


def test_a_refused_read_leaves_no_index_behind(tmp_path: Path) -> None:
    package = tmp_path / "p.zip"
    package.write_bytes(rezip({"jobs/x.job": b"[1]"}))
    work = tmp_path / "work"

    with pytest.raises(PackageError), PackageReader(package, workdir=work) as reader:
        list(reader.objects())

    assert not list(work.iterdir())
    assert not open_in(work)


def test_a_listing_line_that_is_not_an_entry_is_refused_naming_the_line(tmp_path: Path) -> None:
    entries = entries_of(write_package(tmp_path / "p.zip").read_bytes())
    lines = entries["manifest.entries"].splitlines(keepends=True)
    listing = b"".join([*lines[:2], b'{"path": 7}\n', *lines[2:]])

    error = refusal(repinned(entries, listing))

    assert error.context["rule"] == "manifest.invalid"
    assert error.context["entry"] == "manifest.entries"
    assert "line 3" in error.message


def test_a_path_listed_twice_is_refused(tmp_path: Path) -> None:
    entries = entries_of(write_package(tmp_path / "p.zip").read_bytes())
    lines = entries["manifest.entries"].splitlines(keepends=True)

    error = refusal(repinned(entries, b"".join([*lines, lines[0]])))

    assert error.context["rule"] == "manifest.invalid"
    assert "a second time" in error.message


def test_a_listing_of_another_count_than_pinned_is_refused(tmp_path: Path) -> None:
    entries = entries_of(write_package(tmp_path / "p.zip").read_bytes())

    error = refusal(repinned(entries, entries["manifest.entries"], count=99))

    assert error.context["rule"] == "manifest.invalid"
    assert "pins 99" in error.message


def test_a_package_without_the_listing_its_manifest_pins_is_refused(tmp_path: Path) -> None:
    entries = entries_of(write_package(tmp_path / "p.zip").read_bytes())
    del entries["manifest.entries"]

    error = refusal(rezip(entries))

    assert (error.context["rule"], error.context["entry"]) == (
        "manifest.missing",
        "manifest.entries",
    )


def test_every_flipped_byte_of_the_listing_is_refused(tmp_path: Path) -> None:
    entries = entries_of(write_package(tmp_path / "p.zip").read_bytes())
    listing = entries["manifest.entries"]
    rules = set()
    for index in range(0, len(listing), 7):
        flipped = bytearray(listing)
        flipped[index] ^= 0x01
        error = refusal(rezip({**entries, "manifest.entries": bytes(flipped)}))
        rules.add(error.context["rule"])
    assert rules <= {"manifest.hash", "manifest.invalid", "manifest.size"}


def test_an_index_closes_in_place_when_no_thread_can_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = write_package(tmp_path / "p.zip", [make_job("a_job")])
    work = tmp_path / "work"

    def refused(self: threading.Thread) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    with PackageReader(package, workdir=work) as reader:
        list(reader.objects())
        monkeypatch.setattr(threading.Thread, "start", refused)

    assert not open_in(work)
