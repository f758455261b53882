"""What a stopped ``jobferry serve`` leaves in its data folder: on SQLite, the database file
alone. Its write-ahead log and shared-memory file (``jobferry.db-wal``, ``jobferry.db-shm``)
go once the server's connections are closed, as SQLite removes them with its last connection;
only a server killed leaves them (docs/operations.md, *Backup and restore*)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobferry import server
from jobferry.settings import Settings

pytestmark = pytest.mark.databases("sqlite")


def test_a_stopped_server_leaves_no_write_ahead_log_beside_its_database(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = settings.model_copy(update={"data_dir": tmp_path / "served", "database_url": None})
    server.migrate(own)
    startup = server.build(own)  # bootstraps the project: writes through the pool
    database = own.data_dir / "jobferry.db"
    seen: dict[str, bool] = {}

    def served(app: Any, **options: Any) -> None:  # uvicorn.run, returning as after a stop
        seen["log while serving"] = Path(f"{database}-wal").exists()

    monkeypatch.setattr(server.uvicorn, "run", served)
    monkeypatch.setattr(server, "log_config", lambda level: None)
    server.serve(startup, own)
    assert seen == {"log while serving": True}
    assert database.exists()
    assert not Path(f"{database}-wal").exists()
    assert not Path(f"{database}-shm").exists()
