"""A full store is a clear refusal (507 DLF.9507 naming the store and what was written), never
an internal error; nothing half-written is kept or listed; freeing space is all it takes.

The stores are filled for real: each test mounts a small tmpfs over one folder of the data
folder (root only; where mounting is not allowed the test is skipped, and
``test_full_disk_injected.py`` raises the same ``ENOSPC`` at the write boundaries instead).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from jobferry.services.container import Services
from support.clients import SignedClient, assert_error, wait_task
from support.exporting import entries, seed
from support.importing import post_package, run_import
from support.packages import bulk_package


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite beside (not in) the data folder: only the mounted folder fills."""
    return f"sqlite:///{tmp_path / 'jobferry.db'}"


@contextmanager
def tmpfs(folder: Path, size: str = "4m") -> Iterator[Path]:
    """``folder`` on a file system of its own of ``size``."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path) -> Path:
    """Write a file into ``folder`` until its file system has no byte left; the file."""
    filler = folder / "filler"
    block = b"\0" * 65536
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(block)
        except OSError:
            pass
        try:  # the last partial block
            while True:
                out.write(b"\0" * 512)
        except OSError:
            pass
    return filler


def files_in(folder: Path) -> list[str]:
    """Every file under ``folder`` but the filler."""
    return sorted(p.name for p in folder.rglob("*") if p.is_file() and p.name != "filler")


@pytest.fixture
def scratch(services: Services) -> Iterator[Path]:
    with tmpfs(services.settings.data_dir / "tmp") as folder:
        yield folder


def test_an_upload_into_a_full_scratch_folder_is_refused_and_works_once_space_is_freed(
    api: SignedClient, scratch: Path
) -> None:
    filler = fill(scratch)
    package = os.urandom(200_000)
    refused = post_package(api, package)
    assert_error(refused, "DLF.9507", "The scratch folder is full", "'pkg.zip'", status=507)
    assert refused.json()["store"] == "scratch"
    assert "tmp folder of JOBFERRY_DATA_DIR" in refused.json()["error_msg"]
    assert files_in(scratch) == []
    assert files_in(api_uploads(api)) == []

    filler.unlink()
    kept = post_package(api, package)
    assert kept.status_code == 200, kept.text
    assert kept.json()["size"] == len(package)
    assert files_in(scratch) == []


def api_uploads(api: SignedClient) -> Path:
    services: Services = api.client.app.state.services
    return services.settings.data_dir / "uploads"


def test_an_upload_into_a_full_upload_store_keeps_nothing(
    api: SignedClient, services: Services
) -> None:
    with tmpfs(services.settings.data_dir / "uploads") as uploads:
        filler = fill(uploads)
        refused = post_package(api, os.urandom(100_000))
        assert_error(refused, "DLF.9507", "The upload store is full", status=507)
        assert refused.json()["writing"] == "the uploaded package 'pkg.zip' (100000 bytes)"
        assert files_in(uploads) == []  # the copy cut short is gone
        filler.unlink()
        assert post_package(api, os.urandom(100_000)).status_code == 200


def test_an_export_into_a_full_scratch_folder_fails_with_the_store_named_and_lists_nothing(
    api: SignedClient, scratch: Path
) -> None:
    seed(api)
    filler = fill(scratch)
    started = api.call("POST", "/exports", {"mode": "workspace"})
    task = wait_task(api, started.json()["taskId"])
    assert task["status"] == "FAILED", task
    assert "The scratch folder is full" in task["message"], task
    assert f"export task {task['id']}" in task["message"]
    assert api.call("GET", "/downloads").json()["total"] == 0
    assert files_in(scratch) == []

    filler.unlink()
    again = wait_task(api, api.call("POST", "/exports", {"mode": "workspace"}).json()["taskId"])
    assert again["status"] == "SUCCESSFUL", again


def test_an_import_with_a_full_scratch_folder_fails_with_the_store_named(
    api: SignedClient, scratch: Path
) -> None:
    seed(api)  # the connection the jobs use
    response = post_package(api, bulk_package(20))
    assert response.status_code == 200, response.text
    path = response.json()["path"]
    filler = fill(scratch)
    task = run_import(api, {"path": path, "sameNamePolicy": "OVERWRITE"})
    assert task["status"] == "FAILED", task
    assert "The scratch folder is full" in task["message"], task
    assert files_in(scratch) == []

    filler.unlink()
    again = run_import(api, {"path": path, "sameNamePolicy": "OVERWRITE"})
    assert again["status"] == "SUCCESSFUL", again


def test_a_listed_package_downloads_while_the_scratch_folder_is_full(
    api: SignedClient, scratch: Path
) -> None:
    seed(api)
    task = wait_task(api, api.call("POST", "/exports", {"mode": "workspace"}).json()["taskId"])
    assert task["status"] == "SUCCESSFUL", task
    fill(scratch)
    download = api.call("GET", f"/downloads/{task['result']['downloadId']}/content")
    assert download.status_code == 200, download.text
    assert int(download.headers["content-length"]) == task["result"]["size"]
    assert "jobs/daily_sales.job" in entries(download.content)
