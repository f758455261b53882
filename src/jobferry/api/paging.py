"""The query parameters of list calls, as dependencies: a page (``limit``, ``offset``) and
the filters that follow it.

No ``from __future__ import annotations`` here: FastAPI reads these classes' and functions'
annotations as objects (a dataclass's generated ``__init__`` has no module to look names up
in, and ``named_page`` builds its annotation from its argument).
"""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query


@dataclass(frozen=True)
class Paging:
    """The ``limit`` and ``offset`` query parameters of a list call, as DataArts clients send
    them (``services.paging`` checks and reads them)."""

    limit: int | None = None
    offset: int | None = None


PagingDep = Annotated[Paging, Depends()]


@dataclass(frozen=True)
class JobsQuery(Paging):
    """list_jobs' query: a page of jobs, filtered by type, name and tags."""

    job_type: Annotated[str | None, Query(alias="jobType")] = None
    job_name: Annotated[str | None, Query(alias="jobName")] = None
    tags: str | None = None


JobsQueryDep = Annotated[JobsQuery, Depends()]


@dataclass(frozen=True)
class TasksQuery(Paging):
    """The system task list's query: a page of tasks, filtered by kind and status."""

    kind: str | None = None
    status: str | None = None


TasksQueryDep = Annotated[TasksQuery, Depends()]


@dataclass(frozen=True)
class NamedPage(Paging):
    """A page of a DataArts object list, filtered by name."""

    name: str | None = None


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
