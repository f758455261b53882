"""Each server process keeps its temporary files in a scratch folder of its own, and a process
starting removes what processes that stopped (``kill -9`` mid-import or mid-export) left there:
never a live sibling's files, nor the kept plans every process shares."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobferry.services.support.scratch import (
    new_zip,
    scratch_folder,
    scratch_root,
    sweep_scratch,
)
from jobferry.settings import Settings

HOST = "".join(c if c.isalnum() or c in "._" else "_" for c in socket.gethostname())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture
def sibling() -> Iterator[int]:
    """The pid of a live process (a sibling server process, as far as the sweep can tell)."""
    process = subprocess.Popen(["sleep", "60"])
    yield process.pid
    process.kill()
    process.wait()


def stopped_pid() -> int:
    """The pid of a process that ran and stopped (killed, as by ``kill -9``)."""
    process = subprocess.Popen(["sleep", "60"])
    process.kill()
    process.wait()
    return process.pid


def left_in(folder: Path) -> Path:
    folder.mkdir(parents=True)
    zipped = new_zip(folder)
    zipped.write_bytes(b"PK half an export")
    return zipped


def test_this_process_writes_its_temporary_files_in_a_folder_of_its_own(
    settings: Settings,
) -> None:
    made = new_zip(scratch_folder(settings))
    assert made.parent == scratch_root(settings) / f"proc-{HOST}-{os.getpid()}"


def test_a_start_removes_what_stopped_processes_left_and_nothing_a_live_one_uses(
    settings: Settings, sibling: int
) -> None:
    root = scratch_root(settings)
    dead = stopped_pid()
    left_by_dead = left_in(root / f"proc-{HOST}-{dead}")
    in_use = left_in(root / f"proc-{HOST}-{sibling}")
    own = left_in(scratch_folder(settings))
    other_machine = left_in(root / f"proc-elsewhere-{dead}")
    kept_plan = root / "kept-plans" / ("a" * 32) / "plan.db"
    kept_plan.parent.mkdir(parents=True)
    kept_plan.write_bytes(b"kept")
    loose_old = root / "tmpabc123.zip"
    loose_old.write_bytes(b"PK from an earlier version")
    os.utime(loose_old, (time.time() - 3600, time.time() - 3600))
    started = time.time() - 60
    loose_new = root / "tmpdef456.zip"
    loose_new.write_bytes(b"PK written since this process started")

    removed = sweep_scratch(settings, started)

    assert sorted(removed) == sorted([f"proc-{HOST}-{dead}", "tmpabc123.zip"])
    assert not left_by_dead.parent.exists()
    assert not loose_old.exists()
    for kept in (in_use, own, other_machine, kept_plan, loose_new):
        assert kept.exists(), kept


def test_a_sweep_of_a_data_folder_without_scratch_removes_nothing(settings: Settings) -> None:
    assert sweep_scratch(settings, time.time()) == []
