"""A signed release file (``package/releasefile.py``): written from a package file and read
back into a file of its own, streamed both ways; a package past the cap, an entry too many or
a file that is not one are refused saying what is wrong."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from jobferry.package.releasefile import APPROVALS, HEAD, PACKAGE, read_release, write_release

APPROVED = {"format": "jobferry-approvals/1", "planHash": "ab" * 32}


def _written(tmp_path: Path, package: bytes) -> Path:
    source = tmp_path / "package.zip"
    source.write_bytes(package)
    out = tmp_path / "release.zip"
    with out.open("wb") as stream:
        write_release(stream, source, APPROVED)
    return out


def test_a_release_is_read_back_into_a_file_of_its_own_with_its_sha256(tmp_path: Path) -> None:
    package = os.urandom(3 * 1024 * 1024 + 17)  # a few chunks, not a whole number of them
    release = read_release(_written(tmp_path, package), tmp_path / "taken.zip", 10**9)
    assert release.package.read_bytes() == package
    assert release.package_sha256 == hashlib.sha256(package).hexdigest()
    assert release.approvals == APPROVED


def test_a_package_past_the_cap_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"its package\.zip holds more than 1000 bytes"):
        read_release(_written(tmp_path, b"x" * 1001), tmp_path / "taken.zip", 1000)


def test_a_file_with_another_entry_is_refused(tmp_path: Path) -> None:
    odd = tmp_path / "odd.zip"
    with zipfile.ZipFile(odd, "w") as archive:
        for name in (HEAD, PACKAGE, APPROVALS, "extra.txt"):
            archive.writestr(name, b"{}")
    with pytest.raises(ValueError, match=r"extra\.txt"):
        read_release(odd, tmp_path / "taken.zip", 1000)


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    odd = tmp_path / "odd.zip"
    odd.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a signed release file"):
        read_release(odd, tmp_path / "taken.zip", 1000)
