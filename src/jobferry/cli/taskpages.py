"""``jobferry tasks list --page K``: the K-th page of a workspace's tasks, newest first, on a
server that counts ``offset`` in rows (jobferry's default) or in pages
(``JOBFERRY_OFFSET_MODE=page``, as the DataArts docs word it).

The server does not say which it counts. Page 1 is the same either way (offset 0); for a later
page the command first asks the newest three tasks, then two tasks from offset 1: counted in
rows, those start with the second of the three, counted in pages (of two) with the third. A
task started between the two asks shifts the list by one and matches neither: the two are
asked again (as ``jobs.walk`` copes with both modes by what the server answers).
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


def task_page(client: Getter, query: dict[str, Any], limit: int, page: int) -> dict[str, Any]:
    """The ``page``-th page (from 1) of ``limit`` tasks matching ``query``, newest first: the
    list call's answer (``total`` counts every matching task)."""
    if page == 1 or limit == 1:  # both modes read offset page - 1 alike here
        return mapping(client.get(PATH, limit=limit, offset=page - 1, **query))
    offset = (page - 1) * limit if counts_rows(client, query) else page - 1
    return mapping(client.get(PATH, limit=limit, offset=offset, **query))


def counts_rows(client: Getter, query: dict[str, Any]) -> bool:
    """Whether the server counts ``offset`` in rows (else in pages of ``limit``)."""
    for _ in range(TRIES):
        head = _ids(client.get(PATH, limit=3, offset=0, **query))
        if len(head) < 3:  # too few to tell, and too few for it to matter: any page past 1
            return True  # of 2 or more is empty either way
        second = _ids(client.get(PATH, limit=2, offset=1, **query))[:1]
        if second == head[1:2]:
            return True
        if second == head[2:3]:
            return False
    return True


def _ids(answer: Any) -> list[str]:
    tasks = mapping(answer).get("tasks")
    return (
        [str(t.get("id")) for t in tasks if isinstance(t, dict)] if isinstance(tasks, list) else []
    )
