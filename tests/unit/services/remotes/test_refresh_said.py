"""How far a refresh says it got (``services/remotes/refresh_said.py``): the jobs read,
towards what the remote's lists say they hold (a first refresh has no other count), else what
the last refresh listed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from jobferry.domain.enums import TaskKind
from jobferry.services.container import Services
from jobferry.services.remotes.refresh_said import reading_progress
from support.builders import make_job
from support.console import admin_actor
from support.progress import said_by
from support.standin import DataArtsStandin


def _client(listed: int) -> Any:
    return SimpleNamespace(listed_total=lambda call: listed, calls=7)


def test_the_jobs_read_are_said_towards_the_listed_total_else_the_last_refresh() -> None:
    said: list[tuple[int, str, bool]] = []
    reading_progress(lambda *a: said.append(a), "prod", _client(400), 100)(100)
    assert said[-1] == (20, "Read 100 of 400 job(s) of remote 'prod' (7 calls).", True)
    reading_progress(lambda *a: said.append(a), "prod", _client(0), 50)(100)
    assert said[-1] == (80, "Read 100 job(s) of remote 'prod' (7 calls).", True)  # past it
    reading_progress(lambda *a: said.append(a), "prod", _client(0), 0)(3)
    assert said[-1] == (0, "Read 3 job(s) of remote 'prod' (7 calls).", True)


def test_a_first_refresh_says_how_far_it_read_towards_what_the_remote_lists(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No refresh before it to say how many jobs there are: the remote's list says (the first
    refresh of a large remote stood at 0 % for its minutes)."""
    standin = DataArtsStandin()
    for n in range(350):
        standin.workspace.put_job(make_job(f"job_{n:03d}"))
    ws = standin.add_workspace(standin.workspace_id)
    for connection, kind in (("dws_conn", "DWS"), ("ssh_conn", "SSH")):
        ws.put_connection(connection, kind, host="10.0.0.1", password="pw")
    services.remotes.transport = standin.transport()
    services.remotes.add(admin_actor(services), standin.spec("prod"))
    queued = services.refresh_tasks.start(admin_actor(services), "prod")
    said = said_by(services, monkeypatch, queued.task_id)

    claimed = services.tasks.claim((TaskKind.REFRESH,), look_first=False)
    assert claimed is not None
    services.refresh_tasks.run(claimed)

    reading = [(at, message) for at, message in said if message.startswith("Read ")]
    assert reading, said
    assert all(" of 350 job(s)" in message for _, message in reading)
    assert [at for at, _ in reading] == sorted(at for at, _ in reading)
    assert any(0 < at < 80 for at, _ in reading), reading
    assert reading[-1][0] == 80
