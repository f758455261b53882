"""The paging query parameters of list calls: ``limit`` and ``offset``, and for the DataArts
object lists a name filter after them."""

# No ``from __future__ import annotations``: ``named_page`` builds its dependency's annotation
# from its argument, which FastAPI must see as an object, not as a name to look up.

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query


@dataclass(frozen=True)
class Paging:
    """The ``limit`` and ``offset`` query parameters of a list call (as a dependency; the
    services read them, as DataArts does, by the workspace's offset mode)."""

    limit: int | None = None
    offset: int | None = None


PagingDep = Annotated[Paging, Depends()]


@dataclass(frozen=True)
class NamedPage:
    """A page of a DataArts object list and its name filter."""

    limit: int | None
    offset: int | None
    name: str | None


def named_page(name_parameter: str) -> Any:
    """The dependency reading ``limit``, ``offset`` and the name filter called
    ``name_parameter`` (in that order, as the DataArts list calls document them)."""

    def query(
        limit: int | None = None,
        offset: int | None = None,
        name: Annotated[str | None, Query(alias=name_parameter)] = None,
    ) -> NamedPage:
        return NamedPage(limit, offset, name)

    return Depends(query)
