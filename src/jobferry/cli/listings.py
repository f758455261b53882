"""What a list command prints of every item it walked (``jobs list``, ``scripts list``,
``resources list``): a table of the items, then their count; with ``--json``, the total and
the items as the server lists them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobferry.cli.output import Output


@dataclass(frozen=True)
class Listing:
    """A list command: the call and its items' key (``scripts``), its name filter's query
    parameter, and the table it prints (its columns, and an item's cells)."""

    key: str
    name_filter: str
    columns: tuple[str, ...]
    cells: Callable[[dict[str, Any]], tuple[Any, ...]]


def show_listed(out: Output, listing: Listing, total: int, items: list[dict[str, Any]]) -> None:
    """The walked ``items`` of ``listing`` as a table and their count (``--json``: the
    ``total`` and the items)."""
    key = listing.key
    if out.json_mode:
        out.emit({"total": total, key: items})
        return
    out.table(listing.columns, [listing.cells(item) for item in items])
    out.note(f"{total} {key[:-1]}(s)")
