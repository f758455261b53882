"""How the package reader refuses: one :class:`PackageError` that says where, what and what to do.

Every refusal names the entry (when there is one), the rule id (``zip.invalid``,
``path.traversal``, ``manifest.hash`` …, listed in :mod:`jobferry.package.reader`) and the fix.
"""

from __future__ import annotations

from typing import Any

from jobferry.errors import PackageError

MIB = 1024 * 1024


def refuse(
    rule: str, problem: str, fix: str, entry: str | None = None, **context: Any
) -> PackageError:
    """The refusal: where, what (with the rule id) and what to do."""
    shown = None if entry is None else show(entry)
    where = "the package" if shown is None else f"package entry '{shown}'"
    return PackageError(
        f"Cannot read {where}: {problem}; {fix} (rule {rule}).",
        entry=shown,
        rule=rule,
        **context,
    )


def show(text: str) -> str:
    """A name fit for a message: control characters escaped, very long names shortened."""
    shown = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= 200 else f"{shown[:150]}…{shown[-40:]}"


def size_text(size: int) -> str:
    """A size for a message: bytes, KiB or MiB."""
    if size >= MIB:
        return f"{size / MIB:.1f} MiB"
    if size >= 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size} bytes"
