"""``jobferry tasks list --page K``: the K-th page of a workspace's tasks, newest first, on a
server that counts ``offset`` in rows (jobferry's default) or in pages
(``JOBFERRY_OFFSET_MODE=page``, as the DataArts docs word it).

The server does not say which it counts. Page 1 is the same either way (offset 0); for a later
page the command first asks the newest three tasks, then two tasks from offset 1: counted in
rows, those start with the second of the three, counted in pages (of two) with the third. A
task started between the two asks shifts the list by one and matches neither: the two are
asked again (as ``jobs.walk`` copes with both modes by what the server answers).
``routes history --page K`` reads a route's promotions the same way (``path``, ``key``).
"""

from __future__ import annotations

from typing import Any, Protocol

from jobferry.cli.output import mapping

PATH = "/system-tasks"
TRIES = 3


class Getter(Protocol):
    """What the page needs of the API client: a ``GET`` with query parameters."""

    def get(self, path: str, **query: Any) -> Any:
        """The answer of ``GET path?query``."""


def task_page(
    client: Getter,
    query: dict[str, Any],
    limit: int,
    page: int,
    listed: tuple[str, str] = (PATH, "tasks"),
) -> dict[str, Any]:
    """The ``page``-th page (from 1) of ``limit`` tasks matching ``query``, newest first: the
    list call's answer (``total`` counts every matching task); ``listed``: the list call's
    path and the key of its rows, for another list paged the same way."""
    path = listed[0]
    if page == 1 or limit == 1:  # both modes read offset page - 1 alike here
        return mapping(client.get(path, limit=limit, offset=page - 1, **query))
    offset = (page - 1) * limit if counts_rows(client, query, listed) else page - 1
    return mapping(client.get(path, limit=limit, offset=offset, **query))


def counts_rows(
    client: Getter, query: dict[str, Any], listed: tuple[str, str] = (PATH, "tasks")
) -> bool:
    """Whether the server counts ``offset`` in rows (else in pages of ``limit``)."""
    path, key = listed
    for _ in range(TRIES):
        head = _ids(client.get(path, limit=3, offset=0, **query), key)
        if len(head) < 3:  # too few to tell, and too few for it to matter: any page past 1
            return True  # of 2 or more is empty either way
        second = _ids(client.get(path, limit=2, offset=1, **query), key)[:1]
        if second == head[1:2]:
            return True
        if second == head[2:3]:
            return False
    return True


def _ids(answer: Any, key: str) -> list[str]:
    rows = mapping(answer).get(key)
    return [str(t.get("id")) for t in rows if isinstance(t, dict)] if isinstance(rows, list) else []


def page_note(noun: str, total: int, shown: int, at: tuple[int, int], command: str) -> str:
    """Under a list's table: which rows the page holds of how many, and the command of the
    next page ("" when one page holds them all)."""
    page, limit = at
    if not shown:
        return f"Page {page} is past the end: {total} in all." if page > 1 and total else ""
    if total <= shown:
        return ""
    first = (page - 1) * limit + 1
    said = f"{noun} {first}-{first + shown - 1} of {total}, newest first"
    if first + shown - 1 < total:
        said += f"; the next page: jobferry {command} --page {page + 1}"
    return said + "."
