"""A level of a push's calls sent (``services/remotes/sending.py``): every call is journalled
``pending`` before it is sent, a window at a time, so a long level has at most two windows
unended in the journal; outcomes are written down in few transactions; once a call fails, the
calls not yet sent are never sent and are journalled as taking no effect."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from jobferry.errors import RemoteError
from jobferry.services.container import Services
from jobferry.services.remotes.journal import Journal
from jobferry.services.remotes.sending import NOT_SENT, PushFailed, send_level
from jobferry.services.remotes.writes import Step
from support.console import admin_scope


class Watching:
    """``make``: checks at each call what the journal holds, then answers (or fails as told)."""

    def __init__(self, journal: Journal, fail: set[str] | None = None, pause: float = 0) -> None:
        self.journal, self.fail, self.pause = journal, fail or set(), pause
        self.lock = threading.Lock()
        self.made: list[str] = []
        self.unended: list[int] = []
        self.journalled_first = True

    def make(self, step: Step) -> str | None:
        calls = self.journal.calls()
        with self.lock:
            self.made.append(step.name)
            self.journalled_first &= any(
                c.name == step.name and c.state == "pending" for c in calls
            )
            self.unended.append(sum(c.state == "pending" for c in calls))
        time.sleep(self.pause)
        if step.name in self.fail:
            raise RemoteError("no such connection", remote_status=400)
        return None


def _journal(services: Services) -> Journal:
    scope = admin_scope(services)
    journal = Journal(services.db, "push-task")
    journal.start(scope.actor.project_id, scope.workspace.id, "prod", "worker")
    return journal


def _level(n: int) -> list[Step]:
    return [Step("job", f"job_{i:02d}", "update_job", {"name": f"job_{i}"}) for i in range(n)]


def test_each_call_is_journalled_before_it_is_sent_two_windows_at_most(
    services: Services,
) -> None:
    journal = _journal(services)
    writes = Watching(journal)
    transactions: list[str] = []
    pending, marks = journal.pending, journal.marks
    journal.pending = lambda steps: (transactions.append("pending"), pending(steps))[1]  # type: ignore[method-assign]
    journal.marks = lambda outcomes: (transactions.append("marks"), marks(outcomes))[1]  # type: ignore[method-assign]
    level = _level(40)
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert send_level(pool, level, journal, writes, 4) == [s.title() for s in level]
    assert sorted(writes.made) == [s.name for s in level]
    assert writes.journalled_first
    assert max(writes.unended) <= 8
    assert transactions.count("pending") == 10  # 40 calls, 4 a window
    assert len(transactions) < 40
    assert [(c.name, c.state) for c in journal.calls()] == [(s.name, "done") for s in level]


def test_after_a_failed_call_the_calls_not_yet_sent_are_not_sent(services: Services) -> None:
    journal = _journal(services)
    writes = Watching(journal, fail={"job_00"}, pause=0.2)
    level = _level(10)
    # one call at a time, 4 journalled a window: the others wait while job_00 fails
    with ThreadPoolExecutor(max_workers=1) as pool, pytest.raises(PushFailed) as failed:
        send_level(pool, level, journal, writes, 4)
    assert failed.value.step.name == "job_00"
    assert len(writes.made) < 8
    states = {c.name: (c.state, c.note) for c in journal.calls()}
    assert states["job_00"] == ("refused", "no such connection")
    unsent = set(states) - set(writes.made)
    assert unsent
    for name in unsent:
        assert states[name] == ("refused", NOT_SENT)
    assert all(state != "pending" for state, _ in states.values())
