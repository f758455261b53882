"""Generated stories of the release ledger's pages for
``tests/api/test_generated_ledger_pages.py``, and the model of what docs/api.md promises of
them: an enterprise workspace releases one to four packages, then reads the ledger with drawn
``limit`` and ``offset`` (either absent, both valid).

The promises: without ``limit`` and ``offset`` every entry, newest first, and ``offset`` 0;
with either, a page of ``limit`` entries (100 when absent) from the newest, ``offset`` counting
rows, or pages under ``JOBFERRY_OFFSET_MODE=page``, and answered as asked (0 when absent),
whatever the mode; ``total`` every entry; ``production`` the same on every page.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

LONG_PAGE = 100
"""The ledger's page when a call gives an ``offset`` but no ``limit``."""


@dataclass(frozen=True)
class Ask:
    """One read of the ledger: ``limit`` and ``offset`` as the query gives them (``None``:
    absent)."""

    limit: int | None
    offset: int | None

    def query(self) -> dict[str, str]:
        given = {"limit": self.limit, "offset": self.offset}
        return {key: str(value) for key, value in given.items() if value is not None}

    def expected(self, newest_first: list[str], by_page: bool) -> tuple[list[str], int]:
        """The package names of the entries answered, and the ``offset`` answered."""
        if self.limit is None and self.offset is None:
            return newest_first, 0
        rows = LONG_PAGE if self.limit is None else self.limit
        start = self.offset or 0
        skip = start * rows if by_page else start
        return newest_first[skip : skip + rows], start


@dataclass(frozen=True)
class LedgerStory:
    releases: int
    asks: tuple[Ask, ...]


@st.composite
def ledger_page_stories(draw: st.DrawFn) -> LedgerStory:
    """A number of releases, then reads of drawn pages."""
    releases = draw(st.integers(1, 4))
    limits = st.one_of(st.none(), st.integers(1, 5))
    offsets = st.one_of(st.none(), st.integers(0, 5))
    asks = draw(st.lists(st.builds(Ask, limits, offsets), min_size=1, max_size=6))
    return LedgerStory(releases, tuple(asks))
