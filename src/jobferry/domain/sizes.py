"""Byte counts in words, as the CLI and the console show them."""

from __future__ import annotations


def size_in_words(n: int) -> str:
    """``n`` bytes for people: 512 B, 12.3 KiB, 4.0 MiB (GiB is the largest unit)."""
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
