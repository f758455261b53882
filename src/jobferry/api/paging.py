"""The query parameters of list calls, as dependencies: a page (``limit``, ``offset``, each a
:data:`PageNumber`) and the filters that follow it; and :data:`Int` and :data:`OptionalInt`,
the type of every other integer query parameter of the API.

Each dependency is an ``async def`` that only builds its value: FastAPI runs a plain ``def``
dependency (or a class used as one) on the thread pool, a hop per list call for nothing.

No ``from __future__ import annotations`` here: FastAPI reads these classes' and functions'
annotations as objects (a dataclass's generated ``__init__`` has no module to look names up
in, and ``named_page`` builds its annotation from its argument).
"""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import WithJsonSchema

from jobferry.domain.bounds import INT64_MAX, INT64_MIN

Int = Annotated[int, Query(ge=INT64_MIN, le=INT64_MAX)]
"""An integer query parameter: one past what the database stores is refused (``DLF.3051``,
naming it) before any route reads it (``domain/bounds.py``)."""
OptionalInt = Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)]
"""An optional :data:`Int`."""
FromVersion = Annotated[int | None, Query(alias="from", ge=INT64_MIN, le=INT64_MAX)]
"""A comparison's ``from``: a submitted version (unset: the one before ``to``)."""
ToVersion = Annotated[int | None, Query(alias="to", ge=INT64_MIN, le=INT64_MAX)]
"""A comparison's ``to``: a submitted version (unset: the development state)."""
ShownVersion = Annotated[int | None, Query(ge=INT64_MIN, le=INT64_MAX)]
"""show_script's ``version`` (extension): a submitted version (unset: the development state)."""
PageNumber = Annotated[str | None, WithJsonSchema({"type": "integer"}), Query()]
"""``limit`` or ``offset`` of a list call, an integer on the wire: passed on as the text given
(``services.support.paging`` reads it), so that ``1.5``, a blank value or twenty digits are
refused as a number out of the list's range is, in its words and with its code."""


@dataclass(frozen=True)
class Paging:
    """The ``limit`` and ``offset`` query parameters of a list call, as DataArts clients send
    them (``services.paging`` checks and reads them)."""

    limit: str | None = None
    offset: str | None = None


async def _paging(limit: PageNumber = None, offset: PageNumber = None) -> Paging:
    return Paging(limit, offset)


PagingDep = Annotated[Paging, Depends(_paging)]


@dataclass(frozen=True)
class JobsQuery(Paging):
    """list_jobs' query: a page of jobs, filtered by type, name and tags."""

    job_type: str | None = None
    job_name: str | None = None
    tags: str | None = None


async def _jobs_query(
    limit: PageNumber = None,
    offset: PageNumber = None,
    job_type: Annotated[str | None, Query(alias="jobType")] = None,
    job_name: Annotated[str | None, Query(alias="jobName")] = None,
    tags: str | None = None,
) -> JobsQuery:
    return JobsQuery(limit, offset, job_type, job_name, tags)


JobsQueryDep = Annotated[JobsQuery, Depends(_jobs_query)]


@dataclass(frozen=True)
class TasksQuery(Paging):
    """The system task list's query: a page of tasks, filtered by kind, status and when they
    started (``since`` included, ``until`` excluded: epoch ms)."""

    kind: str | None = None
    status: str | None = None
    since: int | None = None
    until: int | None = None


async def _tasks_query(
    limit: PageNumber = None,
    offset: PageNumber = None,
    kind: str | None = None,
    status: str | None = None,
    since: OptionalInt = None,
    until: OptionalInt = None,
) -> TasksQuery:
    return TasksQuery(limit, offset, kind, status, since, until)


TasksQueryDep = Annotated[TasksQuery, Depends(_tasks_query)]


@dataclass(frozen=True)
class NamedPage(Paging):
    """A page of a DataArts object list, filtered by name."""

    name: str | None = None


def named_page(name_parameter: str) -> Any:
    """The dependency reading ``limit``, ``offset`` and the name filter called
    ``name_parameter`` (in that order, as the DataArts list calls document them)."""

    async def query(
        limit: PageNumber = None,
        offset: PageNumber = None,
        name: Annotated[str | None, Query(alias=name_parameter)] = None,
    ) -> NamedPage:
        return NamedPage(limit, offset, name)

    return Depends(query)
