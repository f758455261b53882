"""The file a download is written to stays in the folder the user chose, whatever name the
endpoint sends (``Content-Disposition``, or the ``fileName`` of an export's answer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.cli.download_names import attachment_name, download_path, plain_file_name


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("wsa_workspace_20261128.zip", "wsa_workspace_20261128.zip"),
        ("../../.bashrc", ".bashrc"),
        ("/etc/cron.d/x.zip", "x.zip"),
        ("..\\\\..\\\\evil.zip", "evil.zip"),
        ("C:\\\\Users\\\\me\\\\evil.zip", "evil.zip"),
        ("C:evil.zip", "evil.zip"),
        ("销售_20261128.zip", "销售_20261128.zip"),
    ],
)
def test_only_the_last_part_of_a_sent_name_is_kept(sent: str, kept: str) -> None:
    assert plain_file_name(sent) == kept


@pytest.mark.parametrize("sent", ["", ".", "..", "a/..", "a\\\\..", "/", None])
def test_a_name_that_leaves_no_file_name_is_none(sent: str | None) -> None:
    assert plain_file_name(sent) is None


def test_a_content_disposition_name_is_made_plain_too() -> None:
    assert attachment_name('attachment; filename="../../x.zip"') == "x.zip"
    assert attachment_name("attachment; filename*=UTF-8''..%2F..%2F%E9%94%80.zip") == "销.zip"
    assert attachment_name('attachment; filename=".."') is None


def test_a_download_lands_in_the_chosen_folder_or_file(tmp_path: Path) -> None:
    assert download_path(tmp_path, "a.zip", "b.zip") == tmp_path / "a.zip"
    assert download_path(tmp_path, None, "../../b.zip") == tmp_path / "b.zip"
    assert download_path(tmp_path, None, "..") == tmp_path / "package.zip"
    assert download_path(tmp_path / "out.zip", "a.zip", "b.zip") == tmp_path / "out.zip"
