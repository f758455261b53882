"""Every item of a DataArts list call, its pages asked side by side (``jobs list``).

A list call answers ``total`` and one page of items under a key; ``offset`` counts rows on
jobferry but pages on a server with ``JOBFERRY_OFFSET_MODE=page`` (as the DataArts docs word
it). The walk reads the first page and page 1: when page 1 starts with an item the first page
already had, the server counts rows. Knowing the mode and the total, it asks every page left at
once, ``PAGES_AT_ONCE`` at a time, and keeps them in the server's order; then, one page after
another, whatever the list grew by meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

PAGE_SIZE = 100
"""Items asked for a page (DataArts' maximum ``limit``)."""
PAGES_AT_ONCE = 4
"""Pages asked at once: enough to keep a server's two cores busy while this process reads the
answers, few enough to leave its thread pool to the other users."""

Item = dict[str, Any]


class Getter(Protocol):
    """What the walk needs of the API client: a ``GET`` with query parameters."""

    def get(self, path: str, **query: Any) -> Any:
        """The decoded answer."""


@dataclass
class Collected:
    """The items walked so far, in order, each name once, and the ``total`` the latest page
    said."""

    items: list[Item] = field(default_factory=list)
    seen: set[object] = field(default_factory=set)
    total: int = 0

    @property
    def short(self) -> bool:
        """Whether the list counts more items than were walked."""
        return len(self.items) < self.total

    def add(self, page: list[Item]) -> int:
        """Append the items of ``page`` not seen yet; how many that was."""
        fresh = [item for item in page if item.get("name") not in self.seen]
        self.items.extend(fresh)
        self.seen.update(item.get("name") for item in fresh)
        return len(fresh)


def walk(client: Getter, path: str, key: str, query: dict[str, Any]) -> tuple[int, list[Item]]:
    """Every item of the list call ``path`` (``total`` and a list under ``key``, items with a
    unique ``name``) with ``query``: the total the first page said, and the items in order."""
    query = {**query, "limit": PAGE_SIZE}
    got = Collected()
    totals: list[int] = []  # each page's, in the order asked

    def ask(offset: int) -> list[Item]:
        answer = client.get(path, offset=offset, **query)
        totals.append(int(answer.get("total", 0)))
        return list(answer.get(key, []))

    step = got.add(ask(0))
    got.total = totals[0]
    if step == 0 or not got.short:
        return got.total, got.items
    second = ask(1)
    by_rows = bool(second) and second[0].get("name") in got.seen
    got.add(second)
    # rows: every step-th row from the second page on; pages: page 2 to the last
    offsets = range(step, got.total, step) if by_rows else range(2, -(-got.total // step))
    for page in side_by_side(ask, offsets):
        got.add(page)
    got.total = totals[-1]
    next_page = len(got.items) if by_rows else max(offsets, default=1) + 1
    _rest(ask, got, totals, by_rows, next_page)
    return got.total, got.items


def _rest(
    ask: Callable[[int], list[Item]],
    got: Collected,
    totals: list[int],
    by_rows: bool,
    offset: int,
) -> None:
    """The pages after those asked at once, one after another, until the list is whole or a
    page brings nothing new (items added or moved while it was walked)."""
    while got.short:
        fresh = got.add(ask(offset))
        got.total = totals[-1]
        if not fresh:
            return
        offset = len(got.items) if by_rows else offset + 1


def side_by_side(ask: Callable[[int], list[Item]], offsets: range) -> list[list[Item]]:
    """The pages at ``offsets``, ``PAGES_AT_ONCE`` in flight at a time, in order."""
    if len(offsets) <= 1:
        return [ask(offset) for offset in offsets]
    with ThreadPoolExecutor(max_workers=min(PAGES_AT_ONCE, len(offsets))) as pool:
        return list(pool.map(ask, offsets))
