"""``jobs list`` walks every page of a list call, its pages asked side by side: every item
once, in the server's order, whether ``offset`` counts rows or pages."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from jobferry.cli import listwalk
from jobferry.cli.listwalk import walk


class Listing:
    """A list call over ``names`` (sorted), paged as a server with ``offset`` in rows or in
    pages answers it; counts the calls in flight at once, and may grow after its first page."""

    def __init__(self, count: int, *, pages: bool, limit_cap: int = 100) -> None:
        self.names = [f"job_{i:05d}" for i in range(count)]
        self.pages, self.limit_cap = pages, limit_cap
        self.offsets: list[int] = []
        self.grow_by = 0
        self.in_flight = self.most_in_flight = 0
        self._lock = threading.Lock()
        self.side_by_side = threading.Event()
        """Set once two calls were in flight at once; ``wait_for_company`` calls wait for it."""
        self.wait_for_company = False

    def get(self, path: str, **query: Any) -> dict[str, Any]:
        assert path == "/jobs"
        limit, offset = min(int(query["limit"]), self.limit_cap), int(query["offset"])
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.offsets.append(offset)
            if self.in_flight > 1:
                self.side_by_side.set()
        try:
            if self.wait_for_company and offset > 1:
                self.side_by_side.wait(timeout=5)
            start = offset * limit if self.pages else offset
            answer = {"total": len(self.names), "jobs": self._rows(start, limit)}
            if self.grow_by and offset == 0:
                self.names.extend(f"zz_{i:03d}" for i in range(self.grow_by))
                self.grow_by = 0
            return answer
        finally:
            with self._lock:
                self.in_flight -= 1

    def _rows(self, start: int, limit: int) -> list[dict[str, Any]]:
        return [{"name": name} for name in self.names[start : start + limit]]


@pytest.mark.parametrize("pages", [False, True], ids=["rows", "pages"])
@pytest.mark.parametrize("count", [0, 1, 100, 101, 250, 2_000, 2_050])
def test_every_job_once_in_order_on_both_offset_modes(pages: bool, count: int) -> None:
    listing = Listing(count, pages=pages)
    total, items = walk(listing, "/jobs", "jobs", {"jobName": None})
    assert total == count
    assert [item["name"] for item in items] == listing.names


@pytest.mark.parametrize("pages", [False, True], ids=["rows", "pages"])
def test_the_pages_after_the_first_two_are_asked_side_by_side(pages: bool) -> None:
    listing = Listing(3_000, pages=pages)
    listing.wait_for_company = True  # a page past page 1 answers once another is asked too
    _total, items = walk(listing, "/jobs", "jobs", {})
    assert [item["name"] for item in items] == listing.names
    assert listing.side_by_side.is_set()
    assert listing.most_in_flight <= listwalk.PAGES_AT_ONCE
    assert len(listing.offsets) == (30 if pages else 31), "a call a page (rows: page 1 too)"


@pytest.mark.parametrize("pages", [False, True], ids=["rows", "pages"])
def test_a_server_with_smaller_pages_is_walked_in_its_own_page_size(pages: bool) -> None:
    listing = Listing(1_234, pages=pages, limit_cap=50)
    _total, items = walk(listing, "/jobs", "jobs", {})
    assert [item["name"] for item in items] == listing.names


@pytest.mark.parametrize("pages", [False, True], ids=["rows", "pages"])
def test_jobs_added_while_walking_are_read_one_page_after_another(pages: bool) -> None:
    listing = Listing(1_000, pages=pages)
    listing.grow_by = 150
    total, items = walk(listing, "/jobs", "jobs", {})
    assert total == 1_150, "the total the last page said"
    assert [item["name"] for item in items] == listing.names, "the 150 added after it too"
