"""List paging as DataArts clients send it: ``limit`` 1–100 (default 10) and ``offset``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from jobferry.errors import InvalidRequestError, JobferryError
from jobferry.settings import OffsetMode
from jobferry.storage import Database

R = TypeVar("R")

MAX_OFFSET = 1_000_000_000
LONG_PAGE = 100
"""The ``limit`` of jobferry's own long lists (a route's promotions, the release ledger) when a
call gives none: as many rows as a page may hold."""


@dataclass(frozen=True)
class Page:
    """Rows to return and rows to skip."""

    limit: int
    skip: int
    offset: int = 0
    """The ``offset`` as the call gave it (0 when absent), in the offset mode's unit: a list
    that answers its ``offset`` answers this, never ``skip``."""


Given = int | str | None
"""A paging parameter as the request gave it: a number, the query's text of one (checked by
:func:`whole`: an API's query parameters reach the lists as text, so that a value that is no
whole number, or one past any range, is refused with the list's own words), or absent."""


def whole(
    value: object,
    parameter: str,
    low: int,
    high: int,
    refuse: type[JobferryError] = InvalidRequestError,
) -> int | None:
    """``value`` (a number, or its digits as text) from ``low`` to ``high``, ``None`` when
    absent; anything else (blank text, ``1.5``, a number out of range, however long) is refused
    with ``refuse``, naming ``parameter`` and the range."""
    if value is None:
        return None
    number = _number(value)
    if number is None:
        shown = repr(value) if isinstance(value, str) else str(value)
        raise refuse(
            f"{parameter} must be a whole number from {low} to {high}, not {shown}.",
            parameter=parameter,
        )
    if not low <= number <= high:
        raise refuse(
            f"{parameter} {number} is out of range; pass a value from {low} to {high}.",
            parameter=parameter,
        )
    return number


def _number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    digits = value[1:] if value.startswith("-") else value
    return int(value) if digits.isascii() and digits.isdigit() else None


def page(limit: Given, offset: Given, mode: OffsetMode, default: int = 10) -> Page:
    """Check limit/offset and turn them into rows to skip, per the configured offset mode;
    ``default`` rows when ``limit`` is absent (DataArts' lists: 10)."""
    rows = whole(limit, "limit", 1, 100)
    rows = default if rows is None else rows
    start = whole(offset, "offset", 0, MAX_OFFSET) or 0
    skip = start * rows if mode is OffsetMode.PAGE else start
    return Page(rows, skip, start)


def read_page(
    db: Database,
    lister: Callable[..., tuple[int, list[R]]],
    workspace_id: str,
    names: str | None,
    p: Page,
    **filters: Any,
) -> tuple[int, list[R]]:
    """The page ``p`` of a workspace's objects whose names hold ``names`` (a repository's
    ``list_…`` reads it, with its other ``filters``), and how many match in all."""
    with db.transaction(readonly=True, seeking=True) as tx:
        return lister(
            tx, workspace_id, name_contains=names, limit=p.limit, offset=p.skip, **filters
        )


def window(limit: Given, offset: Given, most: int, default: int) -> Page:
    """A page of a long list (a plan's objects, a task's subtasks): ``limit`` 1 to ``most``
    rows (``default`` when absent) from ``offset`` rows, 0 to :data:`MAX_OFFSET`, each checked
    as :func:`page` checks a list's (``offset`` counts rows in either offset mode)."""
    rows = whole(limit, "limit", 1, most)
    return Page(default if rows is None else rows, whole(offset, "offset", 0, MAX_OFFSET) or 0)


def name_filter(value: str | None, parameter: str) -> str | None:
    """A substring filter on names; NUL can be in no name, so it is refused, not passed on."""
    if value is not None and "\x00" in value:
        raise InvalidRequestError(
            f"{parameter} contains a NUL character, which no name can hold; remove it.",
            parameter=parameter,
        )
    return value or None
