"""Byte counts in words: the unit grows at 1,024 and stops at GiB."""

from __future__ import annotations

import pytest

from jobferry.domain.sizes import size_in_words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (12_595, "12.3 KiB"),
        (4 * 1024**2, "4.0 MiB"),
        (3 * 1024**3, "3.0 GiB"),
        (2048 * 1024**3, "2048.0 GiB"),
    ],
)
def test_size_in_words_names_the_largest_unit_below_1024(n: int, words: str) -> None:
    assert size_in_words(n) == words
