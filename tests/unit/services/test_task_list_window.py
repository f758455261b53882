"""The task list within a window of time: a workspace promoted into every day for months holds
thousands of tasks; "what ran last night" is the tasks started since a moment and before
another, newest first, counted."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from jobferry.domain.enums import TaskKind
from jobferry.errors import InvalidRequestError
from jobferry.services.container import Services
from jobferry.storage import tables
from support.console import admin_scope

DAY = 86_400_000


def _started(services: Services, title: str, at: int) -> str:
    scope = admin_scope(services)
    task_id = services.tasks.create(scope, TaskKind.IMPORT, title, {})
    with services.db.transaction() as tx:
        t = tables.system_tasks
        tx.conn.execute(sa.update(t).where(t.c.id == task_id).values(start_time=at))
    return task_id


def test_only_the_tasks_started_within_the_window_are_listed_and_counted(
    services: Services,
) -> None:
    scope = admin_scope(services)
    old, mid, new = (_started(services, f"day {d}", d * DAY) for d in (1, 2, 3))

    since = services.tasks.list_tasks(scope, window=(2 * DAY, None))
    assert [t.id for t in since.tasks] == [new, mid]
    assert since.total == 2
    between = services.tasks.list_tasks(scope, window=(DAY, 3 * DAY))
    assert [t.id for t in between.tasks] == [mid, old]
    before = services.tasks.list_tasks(scope, window=(None, 2 * DAY))
    assert [t.id for t in before.tasks] == [old]


def test_a_window_that_ends_before_it_starts_is_refused_naming_since(
    services: Services,
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        services.tasks.list_tasks(admin_scope(services), window=(2 * DAY, DAY))
    assert refused.value.context["parameter"] == "since"
