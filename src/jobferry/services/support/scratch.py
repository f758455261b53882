"""The scratch folder: packages being written or fetched, and import working sets, kept on
disk while a task needs them rather than in memory.

Each server process writes in a folder of its own, ``tmp/proc-<host>-<pid>`` in the data
folder, so that what a process killed mid-task left (``kill -9``, out of memory) can be told
from what a live sibling is using: a process starting removes the folders of the processes of
its machine that no longer run (:func:`sweep_scratch`). Kept plans (``tmp/kept-plans``) are
shared by every process and outlive them; they are not scratch of one process.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from jobferry.settings import Settings

log = logging.getLogger("jobferry.scratch")

PROCESS_PREFIX = "proc-"
LOOSE = ("tmp*.zip", "plan-*.workset", "read-*.index", "read-ahead-*")
"""What a jobferry before per-process folders left directly in ``tmp``."""


def scratch_root(settings: Settings) -> Path:
    """``tmp`` in the data folder: every process's scratch folder, and the kept plans."""
    return settings.data_dir / "tmp"


def scratch_folder(settings: Settings) -> Path:
    """Where this process's temporary files go (made when first written)."""
    return scratch_root(settings) / _process_folder(os.getpid())


def _host() -> str:
    return "".join(c if c.isalnum() or c in "._" else "_" for c in socket.gethostname())


def _process_folder(pid: int) -> str:
    # The host too: a data folder on a shared file system is seen by other machines' pids.
    return f"{PROCESS_PREFIX}{_host()}-{pid}"


def new_zip(folder: Path) -> Path:
    """A new empty ``.zip`` file in ``folder`` (made if need be); the caller removes it."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, suffix=".zip")
    os.close(fd)
    return Path(name)


def running(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (on Windows, where a signal 0 is not a
    question, every process is taken to run: nothing is swept)."""
    if sys.platform == "win32":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _left_by_a_stopped_process(entry: Path) -> bool:
    prefix = f"{PROCESS_PREFIX}{_host()}-"
    pid = entry.name.removeprefix(prefix)
    if not entry.name.startswith(prefix) or not pid.isdigit() or not entry.is_dir():
        return False
    return int(pid) != os.getpid() and not running(int(pid))


def _loose_leftover(entry: Path, started: float) -> bool:
    try:
        older = entry.stat().st_mtime < started
    except FileNotFoundError:
        return False
    return older and any(entry.match(pattern) for pattern in LOOSE)


def remove_own_scratch(settings: Settings) -> None:
    """Remove this process's scratch folder as it stops cleanly, its tasks and requests ended:
    what is left is an empty folder, which the next start would otherwise sweep and log as the
    leftover of a stopped process, as if this one had been killed."""
    shutil.rmtree(scratch_folder(settings), ignore_errors=True)


def sweep_scratch(settings: Settings, started: float) -> list[str]:
    """Remove what processes that stopped left in the scratch folder, as this process starts:
    the folder of each process of this machine that no longer runs, and the temporary files
    an earlier jobferry (one folder for every process) left loose in ``tmp`` before
    ``started`` (a time, in seconds since the epoch). A live process's folder and the kept
    plans stay. Returns the names removed."""
    root = scratch_root(settings)
    if not root.is_dir():
        return []
    removed = []
    for entry in sorted(root.iterdir()):
        if not (_left_by_a_stopped_process(entry) or _loose_leftover(entry, started)):
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry.name)
    if removed:
        log.info(
            "removed %d leftover(s) of stopped processes from %s: %s",
            len(removed),
            root,
            ", ".join(removed),
        )
    return removed
