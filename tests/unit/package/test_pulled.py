"""The record a pull keeps in its folder, and the edits since that a pull would lose."""

from __future__ import annotations

import json
from pathlib import Path

from jobferry.package.folder import file_bytes
from jobferry.package.pulled import (
    RECORD,
    Edit,
    LocalEdit,
    digest,
    in_the_way,
    lost_edits,
    read_record,
    write_record,
)
from support.builders import make_job


def _pulled(root: Path, *names: str) -> dict[str, bytes]:
    """``names`` written as a pull writes them, recorded; what the pull wrote."""
    files = {f"jobs/{n}.json": file_bytes(make_job(n)) + b"\n" for n in names}
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    write_record(root, {path: digest(data) for path, data in files.items()})
    return files


def _present(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in (root / "jobs").glob("*.json")}


def test_a_folder_never_pulled_has_no_record_and_one_written_is_read_back(tmp_path: Path) -> None:
    assert read_record(tmp_path) is None
    write_record(tmp_path, {"jobs/a.json": "00"})
    assert read_record(tmp_path) == {"jobs/a.json": "00"}
    assert json.loads((tmp_path / RECORD).read_text(encoding="utf-8"))["format"] == 1
    (tmp_path / RECORD).write_text("not json", encoding="utf-8")
    assert read_record(tmp_path) is None  # unreadable: written as a folder never pulled


def test_a_folder_as_pulled_loses_nothing_whatever_the_workspace_holds_now(tmp_path: Path) -> None:
    files = _pulled(tmp_path, "a", "b")
    record = read_record(tmp_path)
    assert record is not None
    changed = {"jobs/a.json": file_bytes(make_job("a", directory="/moved")) + b"\n"}
    assert lost_edits(tmp_path, record, _present(tmp_path), changed) == []
    assert lost_edits(tmp_path, record, _present(tmp_path), files) == []


def test_edits_the_pull_would_write_over_remove_or_write_again_are_named(tmp_path: Path) -> None:
    files = _pulled(tmp_path, "a", "b", "c")
    record = read_record(tmp_path)
    assert record is not None
    edited = make_job("a", directory="/edited")
    (tmp_path / "jobs" / "a.json").write_text(json.dumps(edited), encoding="utf-8")
    (tmp_path / "jobs" / "new.json").write_text(json.dumps(make_job("new")), encoding="utf-8")
    (tmp_path / "jobs" / "b.json").unlink()
    lost = lost_edits(tmp_path, record, _present(tmp_path), files)
    assert lost == [
        LocalEdit("jobs/a.json", Edit.CHANGED),
        LocalEdit("jobs/new.json", Edit.ADDED),
        LocalEdit("jobs/b.json", Edit.REMOVED),
    ]
    # b gone from the workspace too: its removal loses nothing
    gone = {p: d for p, d in files.items() if p != "jobs/b.json"}
    assert LocalEdit("jobs/b.json", Edit.REMOVED) not in lost_edits(
        tmp_path, record, _present(tmp_path), gone
    )


def test_an_edit_applied_since_is_no_loss_however_its_file_was_laid_out(tmp_path: Path) -> None:
    """The workspace holds what the file says (applied since): the pull writes it back in its
    own layout (keys sorted, two-space indent), which loses nothing, a byte order mark too."""
    _pulled(tmp_path, "a")
    record = read_record(tmp_path)
    assert record is not None
    edited = make_job("a", directory="/edited")
    text = json.dumps(edited, indent=4).encode()
    (tmp_path / "jobs" / "a.json").write_bytes(b"\xef\xbb\xbf" + text)
    applied = {"jobs/a.json": file_bytes(edited) + b"\n"}
    assert lost_edits(tmp_path, record, _present(tmp_path), applied) == []
    (tmp_path / "jobs" / "a.json").write_text("{nope", encoding="utf-8")
    assert lost_edits(tmp_path, record, _present(tmp_path), applied) == [
        LocalEdit("jobs/a.json", Edit.CHANGED)
    ]


def test_a_file_where_a_folder_goes_or_a_folder_where_a_file_goes_is_in_the_way(
    tmp_path: Path,
) -> None:
    files = {"jobs/a.json": b"{}\n", "scripts/s.json": b"{}\n", "resources/r.json": b"{}\n"}
    assert in_the_way(tmp_path, files) == []
    (tmp_path / "jobs").write_text("a file", encoding="utf-8")
    (tmp_path / "scripts" / "s.json").mkdir(parents=True)
    assert in_the_way(tmp_path, files) == ["jobs", "scripts/s.json"]
