"""The OBS key a local package is uploaded to (``cli/obs.py``): stable for the same bytes, a
zip's name with no white space, whatever the upload is called."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.cli.config import ObsTarget
from jobferry.cli.obs import object_key

TARGET = ObsTarget("bucket", None, "packages/", None, None, None)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("pkg.zip", "packages/pkg-"),
        ("folder examples", "packages/folder-examples-"),  # apply -f's package of a folder
        ("folder release v1.2", "packages/folder-release-v1.2-"),
        ("daily_sales.job", "packages/daily_sales.job-"),  # apply -f of one file
    ],
)
def test_the_key_is_the_upload_s_name_without_white_space_ending_in_zip(
    tmp_path: Path, name: str, key: str
) -> None:
    package = tmp_path / name
    package.write_bytes(b"PK\x05\x06" + bytes(18))
    made = object_key(TARGET, package)
    assert made.startswith(key)
    assert made.endswith(".zip")
    assert " " not in made
    assert len(made) == len(key) + 16 + len(".zip")
    assert object_key(TARGET, package) == made  # the same bytes, the same key
