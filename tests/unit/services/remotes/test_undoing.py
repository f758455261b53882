"""The undo's calls a chunk at a time (``services/remotes/undoing.py``): what a chunk's undo
needs of the remote read in bulk before it writes, a level's calls undone together; at the
service level against the DataArts stand-in, a push of many updates that fails on its last
call (a deletion after them: the updates were read back) and is undone."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx2
import orjson
import pytest

from jobferry.domain.enums import TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope, now_ms
from jobferry.services.remotes.undoing import CHUNK, chunks, groups
from jobferry.storage import remotes_journal as journal_repo
from jobferry.storage.remotes_journal import CallRecord
from support.builders import make_job
from support.planning import (
    import_package,
    jobs_with_dependencies,
    run_import,
    uid_of,
    upload,
    write_objects,
)
from support.shadows import shadow_fixture
from support.standin import DataArtsStandin, Fault, held

JOBS = [f"job_{n:02d}" for n in range(31)]
"""The first push's jobs; the second updates all but the last and deletes the last."""
UPDATED = JOBS[:-1]


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


shadow = shadow_fixture()


def _pushed(services: Services, shadow: Scope, tmp_path: Path) -> None:
    """The first push: :data:`JOBS` with their scripts and resource."""
    objects = jobs_with_dependencies(*(make_job(name) for name in JOBS))
    import_package(services, shadow, write_objects(tmp_path / "first.zip", objects))


def _fails_on_its_deletion(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> tuple[int, str]:
    """The second push: every job of :data:`UPDATED` edited (one level of calls, read back as
    it ends), then the last job deleted, which the remote refuses; the number of calls the
    remote had seen once it refused, and the task's message."""
    edited = [("job", n, make_job(n, logPath="obs://bucket/logs/edited")) for n in UPDATED]
    gone = (("job", uid_of("job", JOBS[-1]), JOBS[-1]),)
    package = write_objects(tmp_path / "second.zip", edited, deleted=gone)
    standin.reset()
    standin.faults[len(UPDATED) + 1] = Fault.REFUSE
    task = run_import(services, shadow, upload(services, shadow, package), propagateDeletes=True)
    assert task.status == TaskStatus.FAILED
    refused = next(n for n, seen in enumerate(standin.seen) if seen.status == 400)
    return refused + 1, task.message or ""


def test_the_undo_of_a_levels_updates_reads_them_in_bulk(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """Each update was read back (its level ended), so the undo checks each before putting it
    back: one read of them all, not two calls an object."""
    _pushed(services, shadow, tmp_path)
    before = held(standin)
    seen, message = _fails_on_its_deletion(services, standin, shadow, tmp_path)
    assert held(standin) == before
    assert f"Its {len(UPDATED)} change(s) in the remote were undone" in message, message
    undo = standin.seen[seen:]
    assert [s.call for s in undo if s.write] == ["update_job"] * len(UPDATED)
    reads = [s.call for s in undo if not s.write]
    assert len(reads) <= 4, reads  # the job lists (batch, real-time) and one export
    assert standin.refused() == []


def test_a_levels_calls_are_undone_in_flight_together(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    _pushed(services, shadow, tmp_path)
    before = held(standin)
    lock, puts, flying, most = threading.Lock(), [0], [0], [0]

    def handle(request: httpx2.Request) -> httpx2.Response:
        if request.method != "PUT":
            return standin.handle(request)
        with lock:
            puts[0] += 1
            undoing = puts[0] > len(UPDATED)  # the push's own updates came first
            flying[0] += 1
            most[0] = max(most[0], flying[0]) if undoing else most[0]
        try:
            time.sleep(0.01)
            return standin.handle(request)
        finally:
            with lock:
                flying[0] -= 1

    services.remotes.transport = httpx2.MockTransport(handle)
    _fails_on_its_deletion(services, standin, shadow, tmp_path)
    assert held(standin) == before
    assert most[0] > 1


def _call(
    seq: int, state: str, name: str, undo: dict[str, object], level: int | None
) -> CallRecord:
    body = {"body": None, "key": None, **({"level": level} if level is not None else {})}
    return CallRecord(
        "t",
        seq,
        "job",
        name,
        "update_job",
        state,
        orjson.dumps(body).decode(),
        orjson.dumps(undo).decode(),
        None,
        0,
    )


def test_a_chunk_holds_each_object_once_and_a_group_one_level() -> None:
    put = {"op": "update", "before": {}}
    calls = [  # newest first, as the undo goes
        _call(6, "done", "a", put, 2),
        _call(5, "done", "b", put, 2),
        _call(4, "refused", "c", put, 2),
        _call(3, "done", "d", {"op": "renamed", "to": "a"}, 1),
        _call(2, "pending", "e", put, 1),
        _call(1, "done", "f", put, None),
        _call(0, "done", "g", put, None),
    ]
    cut = list(chunks(calls))
    assert [[c.seq for c in chunk] for chunk in cut] == [[6, 5, 4], [3, 2, 1, 0]]
    assert [[c.seq for c in group] for group in groups(cut[0])] == [[6, 5], [4]]
    assert [[c.seq for c in group] for group in groups(cut[1])] == [[3, 2], [1], [0]]
    many = [_call(n, "done", f"j{n}", put, 1) for n in range(CHUNK + 1)]
    assert [len(chunk) for chunk in chunks(many)] == [CHUNK, 1]


def test_an_undo_cut_off_while_a_call_of_its_group_may_still_land_waits_for_it_to_land(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The remote goes out of reach in the middle of a level's undo: the newest put-back is
    answered 503 (it did nothing), the next one gets no answer (it may land yet). The undo
    left to the recovery is not tried again before that call can have landed, whichever of
    them the journal holds first."""
    _pushed(services, shadow, tmp_path)
    puts = [0]
    newest, unanswered = (f"/jobs/{UPDATED[n]}" for n in (-1, -2))

    def handle(request: httpx2.Request) -> httpx2.Response:
        if request.method == "PUT":
            puts[0] += 1
            if puts[0] > len(UPDATED) and request.url.path.endswith(newest):
                return httpx2.Response(503, json={"error_code": "DLF.0503", "error_msg": "Busy."})
            if puts[0] > len(UPDATED) and request.url.path.endswith(unanswered):
                raise httpx2.ReadTimeout("no answer in time", request=request)
        return standin.handle(request)

    services.remotes.transport = httpx2.MockTransport(handle)
    now = now_ms()
    pushes = services.pushes
    pushes.settle_ms, pushes.sleep, pushes.clock = 60_000, lambda _: None, lambda: now
    _, message = _fails_on_its_deletion(services, standin, shadow, tmp_path)
    assert "its undo waits for remote 'prod'" in message, message
    with services.db.transaction(readonly=True) as tx:
        (push,) = journal_repo.open_in_workspace(tx, shadow.workspace.id)
    assert push.state == "waiting"
    assert push.retry_at is not None
    assert push.retry_at >= now + pushes.settle_ms


def test_a_bulk_read_refused_for_one_object_costs_the_undo_of_that_object_only(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """A person deletes one of the jobs in DataArts between the undo's list of the jobs and
    its export of them, which the remote then refuses (the job does not exist): the others
    are read again each alone and undone, and that one is left and named as gone."""
    _pushed(services, shadow, tmp_path)
    gone, undoing, struck, lists = JOBS[5], [False], [False], [0]

    def handle(request: httpx2.Request) -> httpx2.Response:
        answer = standin.handle(request)
        undoing[0] |= request.method == "DELETE"  # the push's refused deletion
        lists[0] += undoing[0] and request.url.path.endswith("/jobs")
        if lists[0] == 2 and not struck[0]:  # both job types listed
            struck[0] = True
            del standin.workspace.jobs[gone]  # a person, just after the undo listed the jobs
        return answer

    services.remotes.transport = httpx2.MockTransport(handle)
    _, message = _fails_on_its_deletion(services, standin, shadow, tmp_path)
    assert struck[0]
    assert f"Its other {len(UPDATED) - 1} change(s) in the remote were undone" in message, message
    assert f"job '{gone}' is no longer in the remote" in message
    assert "could NOT be undone" not in message
    assert standin.refused() == []
