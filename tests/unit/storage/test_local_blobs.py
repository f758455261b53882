"""The local package store: a file put in is not copied when it need not be, reads in place,
and a stored file read while it is removed stays readable to the end."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from jobferry.errors import ObsPathError
from jobferry.storage.blobs import LocalBlobStore


def test_a_file_put_in_is_a_second_name_for_it(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "packages")
    source = tmp_path / "scratch.zip"
    source.write_bytes(b"PK package")

    location = store.put("ws/upload.zip", source)
    source.unlink()  # the caller's scratch file goes; the stored one stays

    stored = store.local(location)
    assert stored is not None
    assert stored.read_bytes() == b"PK package"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stored.stat().st_nlink == 1


def test_put_links_rather_than_copies_on_one_file_system(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "packages")
    source = tmp_path / "scratch.zip"
    source.write_bytes(b"PK package")
    stored = store.local(store.put("ws/upload.zip", source))
    assert stored is not None
    assert os.path.samefile(source, stored)


def test_put_copies_where_it_cannot_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(*_: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_links)
    store = LocalBlobStore(tmp_path / "packages")
    source = tmp_path / "scratch.zip"
    source.write_bytes(b"PK package")
    stored = store.local(store.put("ws/upload.zip", source))
    assert stored is not None
    assert stored.read_bytes() == b"PK package"
    assert not os.path.samefile(source, stored)


def test_a_stored_file_removed_while_read_stays_readable(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "packages")
    source = tmp_path / "scratch.zip"
    source.write_bytes(b"PK" * 1000)
    location = store.put("ws/upload.zip", source)
    stored = store.local(location)
    assert stored is not None
    with stored.open("rb") as handle:
        store.remove(location)
        assert handle.read() == b"PK" * 1000
    assert not stored.exists()


def test_a_location_outside_the_store_is_refused(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "packages")
    with pytest.raises(ObsPathError, match="escapes the package store"):
        store.local("../../etc/passwd")
