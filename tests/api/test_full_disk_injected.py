"""The full-store refusals where no tmpfs can be mounted (CI without root): ``ENOSPC`` and
SQLite's "database or disk is full" are raised at the write boundaries themselves, the copy
into the upload store and the package index of an import, through the real request path
(``test_full_disk.py`` fills real file systems)."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from jobferry.package import index as index_module
from jobferry.services.container import Services
from jobferry.storage import blobs
from support.clients import SignedClient, assert_error
from support.exporting import seed
from support.importing import post_package, run_import, upload
from support.packages import bulk_package


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jobferry.db'}"


def test_a_copy_cut_short_by_a_full_upload_store_is_refused_and_removed(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_link(source: Any, target: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    def half_copy(source: Path, target: Path) -> None:
        target.write_bytes(source.read_bytes()[:1000])  # what fitted
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(blobs.os, "link", no_link)
    monkeypatch.setattr(blobs.shutil, "copyfile", half_copy)
    refused = post_package(api, os.urandom(50_000))
    assert_error(refused, "DLF.9507", "The upload store is full", status=507)
    uploads = services.settings.data_dir / "uploads"
    assert [p for p in uploads.rglob("*") if p.is_file()] == []
    assert [p for p in (services.settings.data_dir / "tmp").rglob("*") if p.is_file()] == []


def test_a_full_package_index_fails_the_import_with_the_scratch_folder_named(
    api: SignedClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(api)
    path = upload(api, bulk_package(5))

    def full(self: Any, rows: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(index_module.ReadIndex, "add_files", full)
    task = run_import(api, {"path": path, "sameNamePolicy": "OVERWRITE"})
    assert task["status"] == "FAILED", task
    assert task["message"].startswith("The scratch folder is full"), task
    assert "Internal error" not in task["message"]
