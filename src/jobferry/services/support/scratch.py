"""The scratch folder: packages being written or fetched, and import working sets, kept on
disk while a task needs them rather than in memory."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from jobferry.settings import Settings


def scratch_folder(settings: Settings) -> Path:
    """Where temporary files go: ``tmp`` in the data folder."""
    return settings.data_dir / "tmp"


def new_zip(folder: Path) -> Path:
    """A new empty ``.zip`` file in ``folder`` (made if need be); the caller removes it."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, suffix=".zip")
    os.close(fd)
    return Path(name)
