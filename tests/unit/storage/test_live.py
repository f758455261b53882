"""The progress files a task writes from inside its transaction on SQLite
(``storage/live.py``): beside a database file only, whole or not at all, never outside their
folder."""

from __future__ import annotations

from pathlib import Path

from jobferry.storage.live import LiveProgress, Said


def test_only_an_sqlite_database_on_a_file_has_progress_files(tmp_path: Path) -> None:
    live = LiveProgress.of(f"sqlite:///{tmp_path}/jobferry.db")
    assert live == LiveProgress(tmp_path / "jobferry.db-progress")
    assert LiveProgress.of("sqlite://") is None
    assert LiveProgress.of("sqlite:///:memory:") is None
    assert LiveProgress.of("postgresql+psycopg://postgres@127.0.0.1:5432/test") is None


def test_what_a_task_said_last_is_read_back_until_it_is_dropped(tmp_path: Path) -> None:
    live = LiveProgress(tmp_path / "db-progress")
    assert live.read("t1") is None
    live.write("t1", Said(40, "Wrote 2 of 5 object(s).", 1000))
    live.write("t1", Said(62, "Wrote 4 of 5 object(s).", 2000))
    assert live.read("t1") == Said(62, "Wrote 4 of 5 object(s).", 2000)
    assert [p.name for p in live.folder.iterdir()] == ["t1.json"]  # no part left behind
    live.drop("t1")
    assert live.read("t1") is None
    live.drop("t1")  # twice: nothing to do


def test_a_damaged_file_reads_as_nothing_said_and_an_odd_id_touches_no_file(
    tmp_path: Path,
) -> None:
    live = LiveProgress(tmp_path / "db-progress")
    live.folder.mkdir()
    (live.folder / "t2.json").write_text('{"progress": 4', encoding="utf-8")
    assert live.read("t2") is None
    live.write("../escape", Said(1, "no", 1))
    assert not (tmp_path / "escape.json").exists()
    assert live.read("../t2") is None
