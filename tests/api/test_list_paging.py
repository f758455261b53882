"""A client reading a whole list through ``list_jobs``' ``offset`` (as the SDKs and the
Terraform provider do) gets, page after page, exactly the bytes the plain ``OFFSET`` query
gives at that moment, while another client writes between its pages: a page that continues
where the one before it ended (``storage.pagehints``) answers nothing else. In-process, on
SQLite and PostgreSQL, on either offset mode."""

from __future__ import annotations

import time
from collections.abc import Hashable

import pytest

from jobferry.api.presenters.definitions import job_result
from jobferry.api.wire import json_list
from jobferry.services.container import Services
from jobferry.services.definitions.records import JobSummary
from jobferry.settings import OffsetMode
from jobferry.storage import jobs as job_repo
from jobferry.storage.pagehints import Resume
from jobferry.storage.tx import Tx
from support.builders import make_job
from support.clients import SignedClient
from support.console import admin_scope
from unit.storage.test_changes import PAUSE, TRIES

LIMIT = 6


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
    resumed = []
    hints = services.db.page_hints
    resume = hints.resume

    def counted(key: Hashable, token: Hashable, offset: int) -> Resume | None:
        found = resume(key, token, offset)
        resumed.append(found is not None and found.last is not None)
        return found

    monkeypatch.setattr(hints, "resume", counted)
    for round_ in range(TRIES):  # until a quiet moment on PostgreSQL (test_changes)
        assert walk_while_writing(api, services, round_) >= 40 - LIMIT
        if any(resumed):
            return
        time.sleep(PAUSE)
    raise AssertionError("no page continued from where the one before it ended")
