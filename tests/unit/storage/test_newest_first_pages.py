"""The audit log and the task list, newest first by time then id, continue a page where a
recent page of the same list ended (``storage.pagehints``, two keys descending): the same
rows and total as the plain ``OFFSET`` query, also where many rows share one moment (their
ids, not their times, then decide), and whatever is written between two pages, by this
process or another. Real databases, SQLite and PostgreSQL (see ``test_page_hints`` for why a
hint's use is tried until a quiet moment there)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from jobferry.domain.enums import TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.storage import audit as audit_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.tasks import TaskRecord
from jobferry.storage.tx import Tx
from support.console import admin_scope
from unit.storage.test_changes import other_process
from unit.storage.test_page_hints import Resumes, until_resumed

ROWS = 46
LIMIT = 5
MOMENT = 1_764_000_000_000


def moments(count: int) -> list[int]:
    """Times of ``count`` rows, three to a moment, in an order unlike the one they are
    written in (ids, numbered as rows are written, then decide among a moment's rows)."""
    times = [MOMENT + (n // 3) * 1000 for n in range(count)]
    random.Random(7).shuffle(times)
    return times


@pytest.fixture
def scope(services: Services) -> Scope:
    scope = admin_scope(services)
    rows = [
        audit_repo.AuditRow(
            scope.actor.project_id,
            scope.workspace.id,
            "admin",
            "job.update",
            "job",
            f"j{n}",
            None,
            at,
        )
        for n, at in enumerate(moments(ROWS))
    ]
    with services.db.transaction() as tx:
        audit_repo.append_many(tx, rows)
        for n, at in enumerate(moments(ROWS)):
            task_repo.insert_task(tx, task(scope, f"{random.Random(n).getrandbits(128):032x}", at))
    return scope


def task(scope: Scope, task_id: str, at: int) -> TaskRecord:
    return TaskRecord(
        id=task_id,
        project_id=scope.actor.project_id,
        workspace_id=scope.workspace.id,
        kind="import",
        name="import",
        status=TaskStatus.SUCCESSFUL,
        message="Done",
        progress=100,
        request="{}",
        result=None,
        subtasks=None,
        created_by="admin",
        start_time=at,
        end_time=at + 10,
        last_update=at + 10,
        owner=None,
    )


def audit_page(services: Services, scope: Scope, offset: int) -> Any:
    """The service's page of the audit log (as ``GET …/audit`` answers it): total and ids."""
    found = services.audit.list_entries(scope, LIMIT, offset)
    return found.total, [entry.id for entry in found.entries]


def plain_audit(services: Services, scope: Scope, offset: int) -> Any:
    """The same page read the plain way (a transaction with no hints): skip, then count."""
    with services.db.transaction(readonly=True) as tx:
        total, rows = audit_repo.list_entries(
            Tx(tx.conn), scope.actor.project_id, scope.workspace.id, limit=LIMIT, offset=offset
        )
    return total, [entry_id for entry_id, _ in rows]


def task_page(services: Services, scope: Scope, offset: int) -> Any:
    listed = services.tasks.list_tasks(scope, limit=LIMIT, offset=offset)
    return listed.total, [t.id for t in listed.tasks]


def plain_tasks(services: Services, scope: Scope, offset: int) -> Any:
    with services.db.transaction(readonly=True) as tx:
        total, tasks = task_repo.list_tasks(
            Tx(tx.conn), scope.workspace.id, kind=None, status=None, limit=LIMIT, offset=offset
        )
    return total, [t.id for t in tasks]


LISTS = {"audit": (audit_page, plain_audit), "tasks": (task_page, plain_tasks)}


def walk(services: Services, scope: Scope, kind: str) -> list[Any]:
    """Every row, a page after another from offset 0 (offset += rows received), each page
    checked against the plain read."""
    listed, plain = LISTS[kind]
    seen: list[Any] = []
    while True:
        page = listed(services, scope, len(seen))
        assert page == plain(services, scope, len(seen))
        if not page[1]:
            return seen
        seen += page[1]


@pytest.mark.parametrize("kind", LISTS)
def test_a_newest_first_walk_continues_each_page_where_the_last_ended_ties_and_all(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    plain = LISTS[kind][1]
    everything = plain(services, scope, 0)[0]
    expected = [row for at in range(0, everything, LIMIT) for row in plain(services, scope, at)[1]]
    assert len(set(expected)) == everything >= ROWS
    resumes = Resumes(services, monkeypatch)
    until_resumed(resumes, lambda: _walked(services, scope, kind, expected))
    if services.db.dialect == "sqlite":  # no other process writes to this file
        resumes.count = 0
        _walked(services, scope, kind, expected)
        assert resumes.count == -(-everything // LIMIT)  # every page after the first, the end


def _walked(services: Services, scope: Scope, kind: str, expected: list[Any]) -> None:
    assert walk(services, scope, kind) == expected


def _first_pages(services: Services, scope: Scope, kind: str) -> None:
    listed, plain = LISTS[kind]
    for offset in (0, LIMIT, 2 * LIMIT):
        assert listed(services, scope, offset) == plain(services, scope, offset)


@pytest.mark.parametrize("kind", LISTS)
def test_a_row_written_between_two_pages_is_in_the_next_one(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    listed, plain = LISTS[kind]
    resumes = Resumes(services, monkeypatch)
    until_resumed(resumes, lambda: _first_pages(services, scope, kind))
    before = plain(services, scope, 3 * LIMIT)
    middle = MOMENT + (ROWS // 6) * 1000  # a moment of the rows the next pages hold
    with services.db.transaction() as tx:
        if kind == "audit":
            row = audit_repo.AuditRow(
                scope.actor.project_id,
                scope.workspace.id,
                "admin",
                "job.delete",
                "job",
                "x",
                None,
                middle,
            )
            audit_repo.append(tx, row)
        else:
            task_repo.insert_task(tx, task(scope, "f" * 32, middle))
    page = listed(services, scope, 3 * LIMIT)
    assert page == plain(services, scope, 3 * LIMIT)
    assert page[0] == before[0] + 1


@pytest.mark.parametrize("kind", LISTS)
def test_a_row_moved_by_another_process_is_where_the_plain_query_puts_it(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    listed, plain = LISTS[kind]
    resumes = Resumes(services, monkeypatch)
    until_resumed(resumes, lambda: _first_pages(services, scope, kind))
    newest = plain(services, scope, 0)[1][0]
    sql = (
        f"UPDATE audit_log SET at = {MOMENT - 5} WHERE id = {newest}"
        if kind == "audit"
        else f"UPDATE system_tasks SET start_time = {MOMENT - 5} WHERE id = '{newest}'"
    )
    other_process(services.settings.resolved_database_url(), sql)
    page = listed(services, scope, 3 * LIMIT)
    assert page == plain(services, scope, 3 * LIMIT)
    assert newest not in page[1]
    last = listed(services, scope, page[0] - 1)
    assert last == plain(services, scope, page[0] - 1)
    assert last[1] == [newest]
