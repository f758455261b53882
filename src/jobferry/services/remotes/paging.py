"""How the remote client walks a paged DataArts list call: ``PAGE`` rows at a time, ``offset``
in rows (jobferry) or in page numbers (DataArts' documented meaning), found from the answers
and remembered (:class:`PagingModes`), so that a later walk asks every page at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Protocol

PAGE = 100
"""Rows per page of a list call (DataArts' maximum ``limit``)."""
PAGES_IN_FLIGHT = 16
"""Pages of one list call asked at once once the paging mode is known."""
WALKS = 3
"""Walks of one list call at most, while the list shrinks as it is walked
(:func:`walk_list`)."""

Page = list[dict[str, Any]]
Ask = Callable[[int], tuple[Page, object]]
"""One page of a list call at an offset: its items and the ``total`` it says."""


class Held(Protocol):
    """What is known of a remote's objects without a call (its shadow's last read of them): what
    a push's reads choose between each name's list and every page by."""

    def count(self, kind: str) -> int:
        """How many objects of ``kind`` (``job``, ``script``, ``resource``) it holds."""
        ...

    def holding(self, kind: str, names: set[str]) -> set[str]:
        """Those of ``names`` it holds as objects of ``kind``."""
        ...


class PagingModes:
    """What the walks of list calls learned of each endpoint: whether its ``offset`` counts
    pages (``True``) or rows (``False``), by endpoint and call. Kept by the remotes service for
    the life of the process, so that a walk of a list call already walked there asks the pages
    after the first all at once, in the mode learned, instead of finding the mode again from
    two pages one after the other. A remembered mode is only a guess: what it fetched is used
    only if it :func:`fits` the list's ``total``, and the walk finds the mode again otherwise."""

    def __init__(self) -> None:
        self._modes: dict[tuple[str, str], bool] = {}
        self._lock = threading.Lock()

    def get(self, endpoint: str, call: str) -> bool | None:
        """The mode learned for ``call`` at ``endpoint`` (``None``: not known yet)."""
        with self._lock:
            return self._modes.get((endpoint, call))

    def learn(self, endpoint: str, call: str, pages: bool) -> None:
        """Remember the mode a walk found."""
        with self._lock:
            self._modes[(endpoint, call)] = pages


def offsets_after_first(total: int, pages: bool) -> range:
    """The offsets of the pages after the first of a list of ``total`` rows, in one mode."""
    if pages:
        return range(1, -(-total // PAGE))
    return range(PAGE, total, PAGE)


def fits(pages: list[Page], total: int) -> bool:
    """Whether the pages of a list asked at once (the first, then one per offset of
    :func:`offsets_after_first`) hold exactly the ``total`` rows the list counts: each page
    full but the last, no row twice. Asked in the wrong mode they cannot: page numbers read as
    rows repeat the first page's rows, rows read as page numbers run past the end."""
    sizes = [len(page) for page in pages]
    expected = [min(PAGE, total - PAGE * n) for n in range(len(pages))]
    return sizes == expected and len({item_key(i) for page in pages for i in page}) == total


@dataclass
class Walk:
    """Where the walk of a paged list call is: what it has seen, the next ``offset`` (rows, or
    page numbers once ``pages``), the ``total`` the last page said, whether the paging mode is
    ``known`` (a fresh page past the first in rows, or any in page numbers)."""

    seen: set[str] = field(default_factory=set)
    offset: int = 0
    pages: bool = False
    total: object = None
    known: bool = False
    learned: bool | None = None
    """The mode once the walk knows it (``pages``), else ``None``."""

    @property
    def done(self) -> bool:
        """Whether every item the remote counts was seen."""
        return isinstance(self.total, int) and len(self.seen) >= self.total

    def fresh(self, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The items of ``page`` not seen yet (now seen)."""
        out = []
        for item in page:
            key = item_key(item)
            if key not in self.seen:
                self.seen.add(key)
                out.append(item)
        return out

    def next_page(self) -> None:
        """After a fresh page: the next offset, and whether the mode is known now."""
        self.known = isinstance(self.total, int) and (self.pages or self.offset > 0)
        if self.known:
            self.learned = self.pages
        self.offset = self.offset + 1 if self.pages else len(self.seen)

    def left(self) -> range:
        """The offsets of the pages left before ``total``."""
        if not isinstance(self.total, int):
            return range(0)
        if self.pages:
            return range(self.offset, -(-self.total // PAGE))
        return range(self.offset, self.total, PAGE)


def short(total: object, seen: int) -> bool:
    """Whether a list call's ``total`` says more items remain than were seen."""
    return isinstance(total, int) and seen < total


def item_key(item: dict[str, Any]) -> str:
    """What tells two listed items apart (a resource by id, anything else by name)."""
    return str(item.get("id") or item.get("resourceId") or item.get("name"))


def walk_list(ask: Ask, modes: PagingModes, key: tuple[str, str]) -> Iterator[dict[str, Any]]:
    """Every item of a paged list call (``ask``: one page at an offset; ``key``: its endpoint
    and call), each once. A walk during which the list shrank (a page said a smaller
    ``total`` than one asked before it) is walked again, at most :data:`WALKS` times in all:
    a row deleted before the walk's place moves every row after it up one, and the row that
    moved past the border of a page already asked would be missed (a refresh would take it
    as deleted in the remote)."""
    totals: list[object] = []

    def asking(offset: int) -> tuple[Page, object]:
        page, total = ask(offset)
        totals.append(total)
        return page, total

    given: set[str] = set()
    for _ in range(WALKS):
        totals.clear()
        for item in _walk_once(asking, modes, key):
            if item_key(item) not in given:
                given.add(item_key(item))
                yield item
        if not shrank(totals):
            return


def shrank(totals: list[object]) -> bool:
    """Whether a list's ``total``, as its pages said it in the order they answered, went down
    during a walk."""
    counted = [total for total in totals if isinstance(total, int)]
    return any(later < earlier for earlier, later in pairwise(counted))


def _walk_once(ask: Ask, modes: PagingModes, key: tuple[str, str]) -> Iterator[dict[str, Any]]:
    """One walk of a paged list call. The first page says the list's ``total``; when the
    endpoint's paging mode was learned before, every page after the first is asked at once in
    that mode and taken if they :func:`fits` the total. Otherwise the mode is found
    (:func:`_walk`) and learned."""
    first, total = ask(0)
    pages = modes.get(*key)
    if pages is not None and isinstance(total, int):
        rest = at_once(ask, offsets_after_first(total, pages))
        if fits([first, *rest], total):
            for page in (first, *rest):
                yield from page
            return
    walk = Walk(total=total)
    yield from _walk(ask, walk, first)
    if walk.learned is not None:
        modes.learn(*key, walk.learned)


def _walk(ask: Ask, walk: Walk, first: Page) -> Iterator[dict[str, Any]]:
    """The items of a list call whose paging mode is not known, from its ``first`` page on.
    ``offset`` counts rows on jobferry and (the docs say) pages on DataArts: rows are asked
    first, and an empty page before ``total`` switches to page numbers. Once two pages have
    said which it is, the pages left before ``total`` are asked side by side; then the walk
    goes on one page after another until the remote has nothing new (rows that moved
    meanwhile)."""
    page: Page | None = first
    while True:
        if walk.known:
            walk.known = False
            ahead = _ahead(ask, walk)
            if ahead is not None:
                yield from ahead
                if walk.done:
                    return
                continue
        if page is None:
            page, walk.total = ask(walk.offset)
        fresh = walk.fresh(page)
        if not fresh:
            if walk.pages or page or not short(walk.total, len(walk.seen)):
                return
            walk.pages, walk.offset, page = True, len(walk.seen) // PAGE, None
            continue
        page = None
        yield from fresh
        walk.next_page()  # before the end too: a walk its second page ends learns the mode
        if walk.done:
            return


def _ahead(ask: Ask, walk: Walk) -> list[dict[str, Any]] | None:
    """The fresh items of the pages left before the walk's ``total``, asked side by side, the
    walk's offset moved past them (``None``: no page is left)."""
    ahead = at_once(ask, walk.left())
    if not ahead:
        return None
    fresh = walk.fresh([item for page in ahead for item in page])
    walk.offset = walk.offset + len(ahead) if walk.pages else len(walk.seen)
    return fresh


def at_once(ask: Ask, offsets: range) -> list[Page]:
    """The pages at ``offsets``, asked side by side (``PAGES_IN_FLIGHT`` at a time), in
    order."""
    if not offsets:
        return []
    with ThreadPoolExecutor(max_workers=min(PAGES_IN_FLIGHT, len(offsets))) as pool:
        return [page for page, _ in pool.map(ask, offsets)]
