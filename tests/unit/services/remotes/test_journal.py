"""A push's level of calls in flight, journalled: every call's outcome is written down once it is
known (``done``, ``refused`` with what the remote said, ``failed`` when it may have taken
effect), the outcomes of calls that ended together in one transaction, and the level fails
with its first failing call once every call has ended."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from jobferry.errors import RemoteError
from jobferry.services.container import Services
from jobferry.services.remotes.journal import Journal
from jobferry.services.remotes.sending import PushFailed, send_level
from jobferry.services.remotes.writes import Step
from support.console import admin_scope

REFUSED = RemoteError("no such connection", remote_status=400)
LOST = RemoteError("bad gateway", remote_status=502)


class FakeWrites:
    """``make``: a call that ends when the test lets it (all at once), or fails as told."""

    def __init__(self, fail: dict[str, RemoteError]) -> None:
        self.fail = fail
        self.go = threading.Event()

    def make(self, step: Step) -> str | None:
        self.go.wait(5)
        if step.name in self.fail:
            raise self.fail[step.name]
        return None


def _journal(services: Services) -> Journal:
    scope = admin_scope(services)
    journal = Journal(services.db, "push-task")
    journal.start(scope.actor.project_id, scope.workspace.id, "prod", "worker")
    return journal


def _level(n: int) -> list[Step]:
    return [Step("job", f"job_{i}", "update_job", {"name": f"job_{i}"}) for i in range(n)]


def _run(journal: Journal, writes: FakeWrites, level: list[Step]) -> list[str]:
    with ThreadPoolExecutor(max_workers=len(level)) as pool:
        threading.Timer(0.2, writes.go.set).start()
        return send_level(pool, level, journal, writes, len(level))


def test_calls_that_end_together_are_journalled_in_one_transaction(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = _journal(services)
    written: list[list[tuple[int, str, str | None]]] = []
    marks = journal.marks
    monkeypatch.setattr(
        journal, "marks", lambda outcomes: (written.append(outcomes), marks(outcomes))
    )
    level = _level(8)
    assert _run(journal, FakeWrites({}), level) == [step.title() for step in level]
    assert sum(len(outcomes) for outcomes in written) == 8
    assert len(written) < 8  # they ended together: fewer transactions than calls
    assert [(c.name, c.state) for c in journal.calls()] == [(s.name, "done") for s in level]


def test_each_outcome_is_journalled_and_the_level_fails_with_its_first_failed_call(
    services: Services,
) -> None:
    journal = _journal(services)
    level = _level(4)
    with pytest.raises(PushFailed) as failed:
        _run(journal, FakeWrites({"job_2": LOST, "job_1": REFUSED}), level)
    assert (failed.value.step.name, failed.value.message) == ("job_1", "no such connection")
    assert [(c.name, c.state, c.note) for c in journal.calls()] == [
        ("job_0", "done", None),
        ("job_1", "refused", "no such connection"),
        ("job_2", "failed", "bad gateway"),
        ("job_3", "done", None),
    ]
