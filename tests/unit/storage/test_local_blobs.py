"""The local package store: a file put in or checked out to be read is not copied when it need
not be, and a package checked out stays whole when the store removes it; one it lost is
refused as the S3 store refuses it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from jobferry.errors import ObsPathError, ObsReadError
from jobferry.storage.blobs import LocalBlobStore


def test_a_file_put_in_is_a_second_name_for_it(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "packages")
    source = tmp_path / "scratch.zip"
    source.write_bytes(b"PK package")

    location = store.put("ws/upload.zip", source)
    source.unlink()  # the caller's scratch file goes; the stored one stays

    stored = tmp_path / "packages" / location
    assert stored.read_bytes() == b"PK package"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stored.stat().st_nlink == 1


def test_put_links_rather_than_copies_on_one_file_system(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "packages")
    source = tmp_path / "scratch.zip"
    source.write_bytes(b"PK package")
    location = store.put("ws/upload.zip", source)
    stored = tmp_path / "packages" / location
    assert os.path.samefile(source, stored)
    out = tmp_path / "out.zip"
    out.write_bytes(b"")
    store.checkout(location, out)
    assert os.path.samefile(out, stored)


def test_put_copies_where_it_cannot_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*_: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    store = LocalBlobStore(tmp_path / "packages")
    source = tmp_path / "scratch.zip"
    source.write_bytes(b"PK package")
    location = store.put("ws/upload.zip", source)
    stored = tmp_path / "packages" / location
    assert stored.read_bytes() == b"PK package"
    assert not os.path.samefile(source, stored)
    out = tmp_path / "out.zip"
    out.write_bytes(b"")  # a placeholder the checkout replaces
    store.checkout(location, out)
    assert out.read_bytes() == b"PK package"
    assert not os.path.samefile(out, stored)


def test_a_checked_out_package_stays_whole_when_the_store_removes_it(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "packages")
    source = tmp_path / "scratch.zip"
    source.write_bytes(b"PK" * 1000)
    location = store.put("ws/upload.zip", source)
    source.unlink()
    out = tmp_path / "reading.zip"
    out.write_bytes(b"")  # the scratch file made for it, replaced

    store.checkout(location, out)
    store.remove(location)

    assert out.read_bytes() == b"PK" * 1000
    assert not (tmp_path / "packages" / location).exists()
    assert not (tmp_path / "reading.zip.link").exists()


def test_a_location_outside_the_store_is_refused(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "packages")
    with pytest.raises(ObsPathError, match="escapes the package store"):
        store.checkout("../../etc/passwd", tmp_path / "out.zip")


def test_a_file_the_store_lost_is_refused_as_the_s3_store_refuses_it(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "uploads", "the upload store")
    source = tmp_path / "scratch.zip"
    source.write_bytes(b"PK package")
    location = store.put("ws/upload.zip", source)
    (tmp_path / "uploads" / location).unlink()  # a backup of the store older than the database

    for reading in (
        lambda: store.read(location),
        lambda: store.fetch(location, tmp_path / "out.zip"),
        lambda: store.checkout(location, tmp_path / "out.zip"),
    ):
        with pytest.raises(ObsReadError, match=r"^The upload store no longer holds this package\."):
            reading()
    assert not (tmp_path / "out.zip").exists()
    store.remove(location)  # missing is fine


def test_a_target_folder_missing_is_not_said_to_be_a_package_the_store_lost(
    tmp_path: Path,
) -> None:
    store = LocalBlobStore(tmp_path / "packages")
    source = tmp_path / "scratch.zip"
    source.write_bytes(b"PK package")
    location = store.put("ws/p.zip", source)

    with pytest.raises(FileNotFoundError):
        store.fetch(location, tmp_path / "gone" / "out.zip")
