"""``jobferry users keys new FILE``: a pair is written whole or not at all (no server here: the
command sends nothing)."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import pytest

from support.cli import invoke


def test_a_pair_is_written_with_the_private_key_for_its_owner_only(tmp_path: Path) -> None:
    key = tmp_path / "laptop"
    result = invoke(["users", "keys", "new", str(key)])
    assert result.exit_code == 0, result.output
    assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert key.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "laptop.pub").read_text(encoding="utf-8").startswith("ed25519:")


def test_a_public_key_that_cannot_be_written_leaves_no_private_key_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a full disk, once the private key is written: it used to stay, half a pair
    real = os.open

    def full(path: Any, flags: int, mode: int = 0o777) -> int:
        if str(path).endswith(".pub"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, flags, mode)

    monkeypatch.setattr(os, "open", full)
    key = tmp_path / "laptop"
    result = invoke(["users", "keys", "new", str(key)])
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert f"Cannot write {key}.pub: No space left on device; no key was written." in said
    assert list(tmp_path.iterdir()) == []
