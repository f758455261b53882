"""List paging as DataArts clients send it: ``limit`` 1–100 (default 10) and ``offset``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from jobferry.errors import InvalidRequestError
from jobferry.settings import OffsetMode
from jobferry.storage import Database

R = TypeVar("R")

MAX_OFFSET = 1_000_000_000


@dataclass(frozen=True)
class Page:
    """Rows to return and rows to skip."""

    limit: int
    skip: int


def page(limit: int | None, offset: int | None, mode: OffsetMode) -> Page:
    """Check limit/offset and turn them into rows to skip, per the configured offset mode."""
    limit = 10 if limit is None else limit
    offset = 0 if offset is None else offset
    if not 1 <= limit <= 100:
        raise InvalidRequestError(
            f"limit {limit} is out of range; pass a value from 1 to 100.", parameter="limit"
        )
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidRequestError(
            f"offset {offset} is out of range; pass a value from 0 to {MAX_OFFSET}.",
            parameter="offset",
        )
    skip = offset * limit if mode is OffsetMode.PAGE else offset
    return Page(limit, skip)


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
    with db.transaction(readonly=True) as tx:
        return lister(
            tx, workspace_id, name_contains=names, limit=p.limit, offset=p.skip, **filters
        )


def check_window(offset: int, limit: int, most: int) -> None:
    """Refuse a page of a long list (a plan's objects, a task's subtasks) that is not
    ``limit`` 1 to ``most`` rows from a non-negative ``offset``."""
    if not 1 <= limit <= most or offset < 0:
        raise InvalidRequestError(
            f"The request parameter is invalid: limit must be 1 to {most} and offset 0 or more.",
            parameter="limit",
        )


def name_filter(value: str | None, parameter: str) -> str | None:
    """A substring filter on names; NUL can be in no name, so it is refused, not passed on."""
    if value is not None and "\x00" in value:
        raise InvalidRequestError(
            f"{parameter} contains a NUL character, which no name can hold; remove it.",
            parameter=parameter,
        )
    return value or None
