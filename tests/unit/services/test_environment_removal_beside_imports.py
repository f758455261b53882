"""An environment object's removal beside an import whose jobs use it, over a real database
(SQLite and PostgreSQL): the two go one after the other, whichever starts first. The removal
that counts the object's users while the import has found it there but not committed waits
for the import and is refused (its job uses it); the import that looks for the object while
the removal has counted none but not committed waits for it and finds the object gone (a
``missing_reference``, nothing imported). Never a job imported naming an object removed.

On PostgreSQL, the removal counted users without seeing the import's jobs, and the import had
read the object there: both went, and the imported job named a connection no longer
registered. (A job saved through the API may name an unregistered object, the review's
caution, so a save beside a removal is a save after it: nothing to order there.)"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.enums import ProblemReason, TaskStatus
from jobferry.errors import InUseError, JobNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.environment import objects as objects_module
from jobferry.services.importing.local import LocalReader
from jobferry.services.taskviews import Task
from support.interleaving import held_at, second_waits
from support.packages import write_package
from support.planning import run_import, upload, workspace

REMOVALS: dict[str, Callable[[Services, Scope], None]] = {
    "environment": lambda services, scope: services.environment.delete(
        scope, "connection", "dws_conn"
    ),
    "connections": lambda services, scope: services.connections.delete(scope, "dws_conn"),
}
"""The calls that remove a connection: the environment objects' and DataArts' connections'."""


def _connections(services: Services, scope: Scope) -> list[str]:
    return [o.name for o in services.environment.list_objects(scope, "connection")]


def _imported(services: Services, scope: Scope) -> bool:
    """Whether the workspace holds job daily_sales, the package's."""
    try:
        services.jobs.show(scope, "daily_sales")
    except JobNotFoundError:
        return False
    return True


def _apply_finding_connections(reader: LocalReader, wanted: dict[tuple[str, str], Any]) -> bool:
    """The apply's look-up of the connections its objects name (a plan's reader, which does
    not hold them for its import, reads them too)."""
    return reader._lock and any(kind == "connection" for kind, _ in wanted)


@pytest.fixture
def prod(services: Services, tmp_path: Path) -> tuple[Scope, str]:
    """A workspace holding connections dws_conn and ssh_conn, and the upload of a package of
    job daily_sales, which uses both."""
    scope = workspace(services, "prod")
    return scope, upload(services, scope, write_package(tmp_path / "daily.zip"))


@pytest.mark.parametrize("removal", sorted(REMOVALS))
def test_a_removal_counting_users_while_an_import_uses_the_object_waits_and_is_refused(
    services: Services, prod: tuple[Scope, str], monkeypatch: pytest.MonkeyPatch, removal: str
) -> None:
    scope, path = prod
    hold = held_at(monkeypatch, LocalReader, "existing", _apply_finding_connections)
    refused: list[InUseError] = []

    def remove() -> None:
        try:
            REMOVALS[removal](services, scope)
        except InUseError as exc:
            refused.append(exc)

    with ThreadPoolExecutor(1) as pool:
        importing = pool.submit(run_import, services, scope, path)
        waited = second_waits(importing, hold, remove)
        task: Task = importing.result()

    assert waited  # the removal waited for the import it would have counted too early
    assert task.status is TaskStatus.SUCCESSFUL
    assert [exc.context["jobs"] for exc in refused] == [["daily_sales"]]
    assert _connections(services, scope) == ["dws_conn", "ssh_conn"]
    assert _imported(services, scope)


def test_an_import_looking_for_an_object_being_removed_waits_and_finds_it_gone(
    services: Services, prod: tuple[Scope, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scope, path = prod
    hold = held_at(monkeypatch, objects_module, "users_of")  # counted none, not yet removed
    imported: list[Task] = []

    with ThreadPoolExecutor(1) as pool:
        removing = pool.submit(REMOVALS["environment"], services, scope)
        waited = second_waits(
            removing, hold, lambda: imported.append(run_import(services, scope, path))
        )

    assert waited  # the import waited for the removal, then found the connection gone
    (task,) = imported
    assert task.status is TaskStatus.FAILED
    assert task.result is not None
    problems = {(p["reason"], p["kind"], p["name"]) for p in task.result["problems"]}
    assert problems == {(ProblemReason.MISSING_REFERENCE, "connection", "dws_conn")}
    assert _connections(services, scope) == ["ssh_conn"]
    assert not _imported(services, scope)
