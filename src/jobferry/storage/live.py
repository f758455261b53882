"""Progress a task says from inside its own write transaction, on SQLite: one small file per
task in a folder beside the database file, which every server process of the machine reads
(an SQLite database serves one machine).

On SQLite the work's transaction holds the database's one write lock, so its progress cannot go
into the task's row until it ends (a write would wait for that lock: for ever); PostgreSQL
takes it beside the transaction, in the row. A file is written whole and then renamed into
place, so a reader sees the last progress or the one before, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import orjson
from sqlalchemy.engine import make_url

SAFE_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")


@dataclass(frozen=True)
class Said:
    """What a task said last from inside its transaction, and when (epoch ms)."""

    progress: int
    message: str
    at: int


@dataclass(frozen=True)
class LiveProgress:
    """The progress files of one SQLite database's tasks (``folder``)."""

    folder: Path

    @classmethod
    def of(cls, url: str) -> LiveProgress | None:
        """The progress files of the SQLite database at ``url``, beside it; ``None`` for
        another database, or one in memory (one process: nobody else to tell)."""
        parsed = make_url(url)
        database = parsed.database
        if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
            return None
        if parsed.query.get("uri") or database.startswith("file:"):
            return None
        return cls(Path(f"{database}-progress"))

    def write(self, task_id: str, said: Said) -> None:
        """Keep what task ``task_id`` said (best effort: a full disk only leaves it out)."""
        if not SAFE_ID.fullmatch(task_id):
            return
        body = {"progress": said.progress, "message": said.message, "at": said.at}
        part = self.folder / f".{task_id}.{uuid.uuid4().hex}"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            part.write_bytes(orjson.dumps(body))
            os.replace(part, self._file(task_id))
        except OSError:
            part.unlink(missing_ok=True)

    def read(self, task_id: str) -> Said | None:
        """What task ``task_id`` said last, if it said anything (and it can be read)."""
        if not SAFE_ID.fullmatch(task_id):
            return None
        try:
            body = orjson.loads(self._file(task_id).read_bytes())
            return Said(int(body["progress"]), str(body["message"]), int(body["at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def drop(self, task_id: str) -> None:
        """Forget what task ``task_id`` said (it ended)."""
        if SAFE_ID.fullmatch(task_id):
            with contextlib.suppress(OSError):
                self._file(task_id).unlink(missing_ok=True)

    def _file(self, task_id: str) -> Path:
        return self.folder / f"{task_id}.json"
