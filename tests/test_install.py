"""The two installs: ``make run`` has every piece the server can use at run time (database
drivers, object storage) and no test or lint tools; a missing piece names both ways to get it."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest

from jobferry.errors import InvalidRequestError, ObsPathError
from jobferry.storage.blobs import ObjectStorage, S3Config
from jobferry.storage.database import normalise_url

ROOT = Path(__file__).resolve().parents[1]
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
EXTRAS: dict[str, list[str]] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
    "optional-dependencies"
]
TOOLS = {"test", "dev"}
"""The extras of the suite and the gates, which ``make run`` leaves out."""


def _run_extras() -> set[str]:
    found = re.search(r"^RUN_EXTRAS := (.*)$", MAKEFILE, re.MULTILINE)
    assert found, "the Makefile names no RUN_EXTRAS"
    assert "-e '.[$(RUN_EXTRAS)]'" in MAKEFILE, "make run's pip install leaves RUN_EXTRAS out"
    return {name.strip() for name in found.group(1).split(",")}


def test_make_run_installs_every_extra_the_server_uses_and_no_tools() -> None:
    assert _run_extras() == set(EXTRAS) - TOOLS


def test_postgresql_without_its_driver_names_both_installs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg raises ImportError

    with pytest.raises(InvalidRequestError) as refused:
        normalise_url("postgresql://jobferry@db:5432/jobferry")

    message = refused.value.message
    assert "'postgres' extra" in message
    assert "make run" in message
    assert ".venv/bin/pip install -e '.[postgres]'" in message
    assert "pip install 'jobferry[postgres]'" in message


def test_object_storage_without_its_client_names_both_installs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)

    with pytest.raises(ObsPathError) as refused:
        ObjectStorage(S3Config("http://127.0.0.1:9", "us-east-1", None, None))

    message = refused.value.message
    assert "Object storage (obs:// paths)" in message
    assert ".venv/bin/pip install -e '.[s3]'" in message
    assert "pip install 'jobferry[s3]'" in message
