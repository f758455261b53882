"""What ``jobferry serve`` leaves in its data folder on SQLite: nothing when it refuses a
folder ``jobferry db upgrade`` has not made a database in, and, stopped, the database file
alone. Its write-ahead log and shared-memory file (``jobferry.db-wal``, ``jobferry.db-shm``)
go once the server's connections are closed, as SQLite removes them with its last connection;
only a server killed leaves them (docs/operations.md, *Backup and restore*)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jobferry import server
from jobferry.errors import StorageError
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

    def served(app: Any, **options: Any) -> None:
        """uvicorn.run: the app's lifespan, then what is left as uvicorn returns (on SIGTERM
        it ends the process by that signal then: nothing after ``uvicorn.run`` runs)."""
        with TestClient(app):
            seen["log while serving"] = Path(f"{database}-wal").exists()
        seen["log left"] = Path(f"{database}-wal").exists()
        seen["shm left"] = Path(f"{database}-shm").exists()

    monkeypatch.setattr(server.uvicorn, "run", served)
    monkeypatch.setattr(server, "log_config", lambda level: None)
    server.serve(startup, own)
    assert seen == {"log while serving": True, "log left": False, "shm left": False}
    assert database.exists()


def test_serve_before_the_database_was_made_refuses_and_creates_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "not-made"
    own = settings.model_copy(update={"data_dir": folder, "database_url": None})
    with pytest.raises(StorageError) as refused:
        server.build(own)
    assert refused.value.code == "DLF.9503"
    message = refused.value.message
    assert f"There is no jobferry database at {folder / 'jobferry.db'}" in message
    assert "run 'jobferry db upgrade' first, with the same settings" in message
    assert not folder.exists(), "no empty database (nor its folder) left behind"
