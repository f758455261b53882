"""What the optional blocks of a manifest (``route``: :mod:`.routeblock`, ``basis``:
:mod:`.basisblock`) share when they are read: the block's fields, epoch times and texts, and
the refusal of a block that is there but malformed."""

from __future__ import annotations

from typing import Any

from jobferry.errors import PackageError
from jobferry.package.refusals import refuse

MANIFEST_NAME = "manifest.json"


def block_fields(manifest: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """The fields of block ``key`` of a manifest: ``None`` when there is no such block, and
    no fields when it is not an object (its reader then refuses what it lacks)."""
    block = manifest.get(key) if isinstance(manifest, dict) else None
    if block is None:
        return None
    return block if isinstance(block, dict) else {}


def epoch(value: object) -> int | None:
    """``value`` when it is an epoch time in milliseconds (an int, not a bool, not negative)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def text(value: object) -> bool:
    """Whether ``value`` is text, and not empty (what a block's names and hashes are)."""
    return isinstance(value, str) and bool(value)


def malformed(key: str, needs: str) -> PackageError:
    """``manifest.invalid``: block ``key`` is there but not what it ``needs`` (both blocks are
    cut by ``promote --out``, so cutting the package again is the fix)."""
    return refuse(
        "manifest.invalid",
        f'"{key}" {needs}',
        "cut the package again with jobferry promote ROUTE --out FILE",
        entry=MANIFEST_NAME,
    )
