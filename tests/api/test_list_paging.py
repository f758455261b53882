"""A client reading a whole list through ``list_jobs``' ``offset`` (as the SDKs and the
Terraform provider do) gets, page after page, exactly the bytes the plain ``OFFSET`` query
gives at that moment, while another client writes between its pages: a page that continues
where the one before it ended (``storage.pagehints``) answers nothing else. So does a client
reading the audit log or the task list, newest first. In-process, on SQLite and PostgreSQL,
on either offset mode."""

from __future__ import annotations

import itertools
import time

import pytest

from jobferry.api.presenters.definitions import job_result
from jobferry.api.wire import json_list
from jobferry.domain.enums import TaskStatus
from jobferry.services.container import Services
from jobferry.services.definitions.records import JobSummary
from jobferry.settings import OffsetMode
from jobferry.storage import jobs as job_repo
from jobferry.storage import tasks as task_repo
from jobferry.storage.tasks import TaskRecord
from jobferry.storage.tx import Tx
from support.builders import make_job
from support.clients import SignedClient
from support.console import admin_scope
from unit.storage.test_page_hints import Resumes, until_resumed

LIMIT = 6
WRITES = itertools.count(10_000)
"""Numbers of the rows the writer adds: each new, whatever walk or try adds it."""


def plain_answer(services: Services, workspace_id: str, skip: int) -> bytes:
    """The bytes ``list_jobs`` answers for the page at ``skip`` read the plain way (skip, then
    count: a transaction with no hints)."""
    with services.db.transaction(readonly=True) as tx:
        total, rows = job_repo.list_jobs(
            Tx(tx.conn),
            workspace_id,
            process_type="BATCH",
            name_contains=None,
            tags=[],
            limit=LIMIT,
            offset=skip,
        )
    return bytes(json_list("jobs", [job_result(JobSummary.of(r)) for r in rows], total).body)


def walk_while_writing(api: SignedClient, services: Services, round_: int) -> int:
    """Walk the list, the writer creating a job before the rows read after every other page
    and deleting one of those read after every third; each page compared with the plain
    answer. How many jobs the walk saw in all."""
    writer = SignedClient(api.client, api.ak, api.sk)
    workspace_id = admin_scope(services).workspace.id
    by_page = services.settings.offset_mode is OffsetMode.PAGE
    offset, seen, step = 0, 0, 0
    while True:
        answer = api.call("GET", "/jobs", query={"limit": LIMIT, "offset": offset})
        assert answer.status_code == 200, answer.text
        skip = offset * LIMIT if by_page else offset
        assert answer.content == plain_answer(services, workspace_id, skip)
        jobs = answer.json()["jobs"]
        if not jobs:
            return seen
        seen += len(jobs)
        offset += 1 if by_page else len(jobs)
        step += 1
        if step % 2:
            created = writer.call("POST", "/jobs", make_job(f"a_{round_}_{step:03}"))
            assert created.status_code == 204, created.text
        if step % 3 == 0:
            deleted = writer.call("DELETE", f"/jobs/{jobs[0]['name']}")
            assert deleted.status_code == 204, deleted.text


@pytest.mark.parametrize("settings", list(OffsetMode), indirect=True)
def test_a_whole_list_paged_while_another_client_writes_is_what_the_plain_query_gives(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(40):
        assert api.call("POST", "/jobs", make_job(f"job_{i:02}")).status_code == 204
    rounds = itertools.count()

    def walked() -> None:
        assert walk_while_writing(api, services, next(rounds)) >= 40 - LIMIT

    until_resumed(Resumes(services, monkeypatch), walked)


def plain_call(api: SignedClient, services: Services, path: str, offset: int) -> bytes:
    """The bytes ``path`` answers for the page at ``offset`` read the plain way: the same call
    with every transaction opened without hints (skip, then count)."""
    db = services.db
    seeking = db._seeking
    db._seeking = lambda readonly, seeking: (None, None)  # type: ignore[method-assign]
    try:
        answer = api.call("GET", path, query={"limit": LIMIT, "offset": offset})
    finally:
        db._seeking = seeking  # type: ignore[method-assign]
    assert answer.status_code == 200, answer.text
    return answer.content


def task_at(services: Services, n: int, at: int) -> TaskRecord:
    scope = admin_scope(services)
    return TaskRecord(
        id=f"{n:032x}",
        project_id=scope.actor.project_id,
        workspace_id=scope.workspace.id,
        kind="import",
        name=f"import {n}",
        status=TaskStatus.SUCCESSFUL,
        message="Done",
        progress=100,
        request="{}",
        result=None,
        subtasks=None,
        created_by="admin",
        start_time=at,
        end_time=at + 1,
        last_update=at + 1,
        owner=None,
    )


def newest_first_walk(api: SignedClient, services: Services, path: str, items: str) -> int:
    """Walk a newest-first list, a row written at the newest end after every other page (one
    more row before every row read) and one at the oldest end after every third; each page
    compared with the plain answer. How many rows the walk saw in all."""
    writer = SignedClient(api.client, api.ak, api.sk)
    by_page = services.settings.offset_mode is OffsetMode.PAGE
    offset, seen, step = 0, 0, 0
    while True:
        answer = api.call("GET", path, query={"limit": LIMIT, "offset": offset})
        assert answer.status_code == 200, answer.text
        assert answer.content == plain_call(api, services, path, offset)
        rows = answer.json()[items]
        if not rows:
            return seen
        seen += len(rows)
        offset += 1 if by_page else len(rows)
        step += 1
        if step % 2 and items == "entries":
            created = writer.call("POST", "/jobs", make_job(f"w_{next(WRITES)}"))
            assert created.status_code == 204, created.text
        elif step % 2 or step % 3 == 0:
            with services.db.transaction() as tx:
                at = int(time.time() * 1000) if step % 2 else 1_000
                task_repo.insert_task(tx, task_at(services, next(WRITES), at))


@pytest.mark.parametrize("settings", list(OffsetMode), indirect=True)
@pytest.mark.parametrize(("path", "items"), [("/audit", "entries"), ("/system-tasks", "tasks")])
def test_the_audit_log_and_task_list_paged_while_written_are_what_the_plain_query_gives(
    api: SignedClient, services: Services, monkeypatch: pytest.MonkeyPatch, path: str, items: str
) -> None:
    for i in range(30):
        if items == "entries":
            assert api.call("POST", "/jobs", make_job(f"job_{i:02}")).status_code == 204
    with services.db.transaction() as tx:
        for i in range(30 if items == "tasks" else 0):  # three to a moment: ids decide
            task_repo.insert_task(
                tx, task_at(services, (i * 7919) % 30, 1_764_000_000_000 + i // 3)
            )

    def walked() -> None:
        assert newest_first_walk(api, services, path, items) >= 30 - LIMIT

    until_resumed(Resumes(services, monkeypatch), walked)
