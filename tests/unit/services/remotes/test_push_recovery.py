"""A push whose process died midway (``PushService.recover`` in ``services/remotes/push.py``),
at the service level: the stand-in kills the push as it sends a write (:class:`Killed`, which
nothing in jobferry catches, as nothing catches kill -9), leaving its journal open; recovery
then undoes every write journalled, newest first, and fails the task saying so."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.domain.enums import TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.request import parse_import_request
from jobferry.storage import remotes_journal as journal_repo
from support.planning import import_package, upload
from support.pushes import SECOND, first_package, second_package
from support.standin import DataArtsStandin, Fault, Killed, held, remote_shadow


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


@pytest.fixture
def shadow(services: Services, standin: DataArtsStandin, tmp_path: Path) -> Scope:
    scope = remote_shadow(services, standin)
    import_package(services, scope, first_package(tmp_path))
    standin.workspace.jobs["daily_sales"].status = "SCHEDULING"
    return scope


def _killed_push(services: Services, shadow: Scope, tmp_path: Path) -> str:
    """Start the second push and let it die; its task id."""
    body = {"path": upload(services, shadow, second_package(tmp_path)), **SECOND}
    prepared = services.imports.prepare(
        shadow, parse_import_request({"sameNamePolicy": "OVERWRITE", **body})
    )
    with pytest.raises(Killed):
        services.imports.run(prepared)
    return prepared.task_id


@pytest.mark.parametrize("at", [1, 3, 6])
def test_a_push_killed_midway_is_undone_by_recovery(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path, at: int
) -> None:
    before = held(standin)
    standin.reset()
    standin.faults[at] = Fault.KILL
    task_id = _killed_push(services, shadow, tmp_path)
    assert len(standin.writes()) >= at - 1
    with services.db.transaction(readonly=True) as tx:
        push = journal_repo.get_push(tx, task_id)
    assert push is not None
    assert push.state == "pushing"
    assert services.pushes.recover() == [task_id]
    assert held(standin) == before
    task = services.tasks.show(shadow, task_id)
    assert task.status == TaskStatus.FAILED
    assert "stopped when its server process did" in task.message
    assert services.pushes.recover() == []  # finished once
    assert standin.refused() == []
