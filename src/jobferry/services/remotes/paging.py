"""How the remote client walks a paged DataArts list call: ``PAGE`` rows at a time, ``offset``
in rows (jobferry) or in page numbers (DataArts' documented meaning), found from the answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PAGE = 100
"""Rows per page of a list call (DataArts' maximum ``limit``)."""
PAGES_IN_FLIGHT = 8
"""Pages of one list call asked at once once the paging mode is known."""


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
