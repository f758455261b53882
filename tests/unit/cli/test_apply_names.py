"""What ``jobferry apply -f`` calls the package it packs from a folder (its upload's name, the
task's title): the folder's name, and never more than a file name may hold."""

from __future__ import annotations

from pathlib import Path

from jobferry.cli.apply import package_name


def test_a_folder_is_named_folder_and_its_name(tmp_path: Path) -> None:
    root = tmp_path / "examples"
    root.mkdir()
    assert package_name(root) == "folder examples"


def test_a_long_folder_name_is_cut_to_what_a_file_name_holds(tmp_path: Path) -> None:
    """84 Chinese characters are 252 bytes, a folder name Linux and macOS take: the package is
    written under the name before it is uploaded, so "folder " and the name must fit 255
    bytes (cut at a character, as the server cuts an upload's name)."""
    root = tmp_path / ("数" * 84)
    root.mkdir()
    named = package_name(root)
    assert len(named.encode()) <= 255
    assert named.startswith("folder 数数")
    (tmp_path / named).write_bytes(b"")  # a name this machine's file system takes


def test_one_file_keeps_its_own_name(tmp_path: Path) -> None:
    file = tmp_path / "daily_sales.job"
    file.write_text("{}", encoding="utf-8")
    assert package_name(file) == "daily_sales.job"
