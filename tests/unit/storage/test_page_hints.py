"""A page of a long list continues where a recent page of the same list ended
(``storage.pagehints``): the same rows and total as the plain ``OFFSET`` query, whatever was
written between two pages, by this process or another. Real databases, SQLite and PostgreSQL.

On PostgreSQL the change token is the cluster's: other test processes writing anywhere in it
move it, and a page is then read the plain way (rightly). What must show that a hint was used
is therefore tried until a quiet moment (``TRIES``, ``PAUSE`` apart, as ``test_changes`` does);
what must hold of every answer is asserted on every try."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

import pytest

from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.storage import jobs as job_repo
from jobferry.storage import resources as resource_repo
from jobferry.storage import scripts as script_repo
from jobferry.storage.pagehints import ENDS, QUERIES, PageHints, Resume
from jobferry.storage.tx import Tx
from support.builders import make_job, make_resource, make_script
from support.console import admin_scope
from unit.storage.test_changes import PAUSE, TRIES, other_process

JOBS = 45
LIMIT = 7


@pytest.fixture
def scope(services: Services) -> Scope:
    scope = admin_scope(services)
    for i in range(JOBS):
        services.jobs.create(scope, make_job(f"job_{i:02}"))
    return scope


def listed(services: Services, scope: Scope, offset: int, limit: int = LIMIT) -> Any:
    """The service's page (as ``list_jobs`` answers it): total and names."""
    total, jobs = services.jobs.list_jobs(
        scope, job_type=None, job_name=None, tags=None, limit=limit, offset=offset
    )
    return total, [job.name for job in jobs]


def plain(services: Services, scope: Scope, offset: int, limit: int = LIMIT) -> Any:
    """The same page read the plain way (a transaction with no hints): skip, then count."""
    with services.db.transaction(readonly=True) as tx:
        total, rows = job_repo.list_jobs(
            Tx(tx.conn),
            scope.workspace.id,
            process_type="BATCH",
            name_contains=None,
            tags=[],
            limit=limit,
            offset=offset,
        )
    return total, [row.name for row in rows]


class Resumes:
    """Counts the pages that continued from a hint (after a noted row, not from the first)."""

    def __init__(self, services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        hints = services.db.page_hints
        resume = hints.resume

        def counted(key: Hashable, token: Hashable, offset: int) -> Resume | None:
            found = resume(key, token, offset)
            self.count += found is not None and found.last is not None
            return found

        monkeypatch.setattr(hints, "resume", counted)


def walk(services: Services, scope: Scope, limit: int = LIMIT) -> list[str]:
    """Every name, a page after another from offset 0 (offset += rows received, as the SDKs
    and the Terraform provider walk); each page checked against the plain read."""
    names: list[str] = []
    while True:
        page = listed(services, scope, len(names), limit)
        assert page == plain(services, scope, len(names), limit)
        if not page[1]:
            return names
        names += page[1]


def until_resumed(resumes: Resumes, run: Callable[[], None]) -> None:
    """Run ``run`` until a page of it continued from a hint (a quiet moment, on PostgreSQL)."""
    for _ in range(TRIES):
        run()
        if resumes.count:
            return
        time.sleep(PAUSE)
    raise AssertionError("no page continued from where the one before it ended")


def test_a_walk_continues_each_page_where_the_last_ended_with_the_plain_answers(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    resumes = Resumes(services, monkeypatch)
    expected = [f"job_{i:02}" for i in range(JOBS)]
    until_resumed(resumes, lambda: _walked(services, scope, expected))
    if services.db.dialect == "sqlite":  # no other process writes to this file
        resumes.count = 0
        _walked(services, scope, expected)
        assert resumes.count == -(-JOBS // LIMIT)  # every page after the first, and the end


def _walked(services: Services, scope: Scope, expected: list[str]) -> None:
    assert walk(services, scope) == expected


def test_a_page_asked_out_of_order_continues_from_the_nearest_end_before_it(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    resumes = Resumes(services, monkeypatch)

    def out_of_order() -> None:
        for offset in (0, 7, 30, 14, 44, 3, 50):  # as four pages asked at once arrive
            assert listed(services, scope, offset) == plain(services, scope, offset)

    until_resumed(resumes, out_of_order)


def test_a_write_between_two_pages_is_in_the_next_one(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    resumes = Resumes(services, monkeypatch)
    until_resumed(resumes, lambda: _first_pages(services, scope))
    services.jobs.create(scope, make_job("a_first"))  # before every row already read
    services.jobs.delete(scope, "job_30")
    assert listed(services, scope, 21) == plain(services, scope, 21)
    assert listed(services, scope, 21)[1][0] == "job_20"  # one row more before it
    assert listed(services, scope, 28) == (JOBS, [f"job_{i}" for i in (27, 28, 29, 31, 32, 33, 34)])


def _first_pages(services: Services, scope: Scope) -> None:
    for offset in (0, 7, 14):
        assert listed(services, scope, offset) == plain(services, scope, offset)


def test_a_write_committed_by_another_process_is_in_the_next_page(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    resumes = Resumes(services, monkeypatch)
    until_resumed(resumes, lambda: _first_pages(services, scope))
    other_process(
        services.settings.resolved_database_url(),
        "UPDATE jobs SET name = 'zz_last' WHERE name = 'job_03'",
    )
    page = listed(services, scope, 14)
    assert page == plain(services, scope, 14)
    assert page[1][0] == "job_15"
    assert listed(services, scope, 42) == (JOBS, ["job_43", "job_44", "zz_last"])


def test_pages_of_other_filters_and_workspaces_keep_their_own_places(
    services: Services, scope: Scope
) -> None:
    actor = scope.actor
    other = admin_scope(
        services, services.accounts.create_workspace(actor, actor.project_id, "ws2")
    )
    for i in range(10):
        services.jobs.create(other, make_job(f"other_{i}"))
    for offset in range(0, 50, 7):
        assert listed(services, scope, offset) == plain(services, scope, offset)
        assert listed(services, other, offset // 5) == plain(services, other, offset // 5)
        found = services.jobs.list_jobs(
            scope, job_type=None, job_name="_1", tags=None, limit=3, offset=offset // 7
        )
        names = [f"job_{i}" for i in range(10, 20)]
        assert (found[0], [j.name for j in found[1]]) == (10, names[offset // 7 : offset // 7 + 3])


def test_threads_walking_the_same_list_each_get_all_of_it(services: Services, scope: Scope) -> None:
    expected = [f"job_{i:02}" for i in range(JOBS)]
    got: list[list[str]] = []

    def one() -> None:
        got.append(walk(services, scope, limit=5))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == [expected] * 4


@pytest.mark.parametrize("kind", ["scripts", "resources"])
def test_scripts_and_resources_pages_continue_too(
    services: Services, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    scope = admin_scope(services)
    for i in range(25):
        if kind == "scripts":
            services.scripts.create(scope, make_script(f"s_{i:02}"))
        else:
            services.resources.create(scope, make_resource(f"r_{i:02}"))
    repo = script_repo.list_scripts if kind == "scripts" else resource_repo.list_resources
    resumes = Resumes(services, monkeypatch)

    def listed_kind(offset: int) -> Any:
        if kind == "scripts":
            return services.scripts.list_scripts(scope, script_name=None, limit=6, offset=offset)
        return services.resources.list_resources(scope, resource_name=None, limit=6, offset=offset)

    def pages() -> None:
        for offset in range(0, 30, 6):
            total, items = listed_kind(offset)
            with services.db.transaction(readonly=True) as tx:
                want = repo(
                    Tx(tx.conn), scope.workspace.id, name_contains=None, limit=6, offset=offset
                )
            assert (total, [i.name for i in items]) == (want[0], [r.name for r in want[1]])

    until_resumed(resumes, pages)


def test_hints_are_bounded_and_kept_per_state() -> None:
    hints = PageHints("sqlite", None)
    for query in range(QUERIES + 5):
        hints.note(query, "t1", 100, 10, f"k{query}")
    assert hints.resume(0, "t1", 10) is None, "the least recently used query went"
    assert hints.resume(QUERIES + 4, "t1", 12) == Resume(f"k{QUERIES + 4}", 2, 100)
    assert hints.resume(QUERIES + 4, "t2", 10) is None, "another state knows nothing"
    for end in range(1, ENDS + 3):
        hints.note("q", "t1", 100, end * 10, f"e{end}")
    assert hints.resume("q", "t1", 25) == Resume(None, 25, 100), "the oldest ends went"
    assert hints.resume("q", "t1", 45) == Resume("e4", 5, 100)
    hints.note("q", "t2", 99, 10, "n")
    assert hints.resume("q", "t1", 45) is None
    assert hints.resume("q", "t2", 45) == Resume("n", 35, 99)
