"""A script's or resource's delete (or a resource's rename) beside an import whose job uses it,
over a real database (SQLite and PostgreSQL): the two go one after the other, whichever starts
first. The delete that counts the object's users while the import has found it there but not
committed waits for the import and is refused (its job uses it); the import that looks for the
object while the delete has counted none but not committed waits for it and finds the object
gone (a ``missing_reference``, nothing imported). Never a job imported naming a script or
resource deleted.

On PostgreSQL, the delete counted users without seeing the import's job, and the import had
read the object there: both went, and the imported job named a script (or resource) no longer
there. (A job saved through the API may name a missing script or resource, the review's
caution, so a save beside a delete is a save after it: nothing to order there.)"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.enums import ProblemReason, TaskStatus
from jobferry.errors import InUseError, JobNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions import resources as resources_module
from jobferry.services.definitions import scripts as scripts_module
from jobferry.services.importing.local import LocalReader
from jobferry.services.taskviews import Task
from support.builders import make_job, make_resource, make_script
from support.interleaving import held_at, second_waits
from support.planning import run_import, upload, workspace, write_objects


@dataclass(frozen=True)
class Prod:
    """A workspace holding the scripts and the resource job daily_sales uses, and the upload of
    a package of that job alone."""

    scope: Scope
    path: str
    resource_id: str


@dataclass(frozen=True)
class Removal:
    """A call that takes an object away, where it counts the jobs using it, and the object."""

    call: Callable[[Services, Prod], Any]
    counting: object
    kind: str
    name: str


REMOVALS = {
    "script delete": Removal(
        lambda services, prod: services.scripts.delete(prod.scope, "daily_sales_sh"),
        scripts_module,
        "script",
        "daily_sales_sh",
    ),
    "resource delete": Removal(
        lambda services, prod: services.resources.delete(prod.scope, prod.resource_id),
        resources_module,
        "resource",
        "udf_jar",
    ),
    "resource rename": Removal(
        lambda services, prod: services.resources.update(
            prod.scope, prod.resource_id, make_resource("udf_jar_v2")
        ),
        resources_module,
        "resource",
        "udf_jar",
    ),
}


def _held(services: Services, prod: Prod) -> set[tuple[str, str]]:
    """(kind, name) of the workspace's scripts and resources."""
    _, scripts = services.scripts.list_scripts(
        prod.scope, script_name=None, limit=None, offset=None
    )
    _, found = services.resources.list_resources(
        prod.scope, resource_name=None, limit=None, offset=None
    )
    return {("script", s.name) for s in scripts} | {("resource", r.name) for r in found}


def _imported(services: Services, scope: Scope) -> bool:
    """Whether the workspace holds job daily_sales, the package's."""
    try:
        services.jobs.show(scope, "daily_sales")
    except JobNotFoundError:
        return False
    return True


def _apply_finding_scripts(reader: LocalReader, wanted: dict[tuple[str, str], Any]) -> bool:
    """The apply's look-up of the scripts and resources its job names (a plan's reader, which
    does not hold them for its import, reads them too)."""
    return reader._lock and any(kind in ("script", "resource") for kind, _ in wanted)


BEFORE = {("script", "daily_sales_sql"), ("script", "daily_sales_sh"), ("resource", "udf_jar")}
"""What the workspace holds before: what its package's job uses."""


@pytest.fixture
def prod(services: Services, tmp_path: Path) -> Prod:
    scope = workspace(services, "prod")
    services.scripts.create(scope, make_script("daily_sales_sql"))
    services.scripts.create(scope, make_script("daily_sales_sh", type="Shell", content="echo"))
    resource_id = services.resources.create(scope, make_resource("udf_jar"))
    job = make_job("daily_sales")
    job["nodes"][1]["properties"].append({"name": "resourceName", "value": "udf_jar"})
    package = write_objects(tmp_path / "daily.zip", [("job", "daily_sales", job)])
    return Prod(scope, upload(services, scope, package), resource_id)


@pytest.mark.parametrize("removal", sorted(REMOVALS))
def test_a_delete_counting_users_while_an_import_uses_the_object_waits_and_is_refused(
    services: Services, prod: Prod, monkeypatch: pytest.MonkeyPatch, removal: str
) -> None:
    hold = held_at(monkeypatch, LocalReader, "existing", _apply_finding_scripts)
    refused: list[InUseError] = []

    def remove() -> None:
        try:
            REMOVALS[removal].call(services, prod)
        except InUseError as exc:
            refused.append(exc)

    with ThreadPoolExecutor(1) as pool:
        importing = pool.submit(run_import, services, prod.scope, prod.path)
        waited = second_waits(importing, hold, remove)
        task: Task = importing.result()

    assert waited  # the delete waited for the import it would have counted too early
    assert task.status is TaskStatus.SUCCESSFUL
    assert [exc.context["jobs"] for exc in refused] == [["daily_sales"]]
    assert _held(services, prod) == BEFORE
    assert _imported(services, prod.scope)


@pytest.mark.parametrize("removal", sorted(REMOVALS))
def test_an_import_looking_for_an_object_being_deleted_waits_and_finds_it_gone(
    services: Services, prod: Prod, monkeypatch: pytest.MonkeyPatch, removal: str
) -> None:
    gone = REMOVALS[removal]
    hold = held_at(monkeypatch, gone.counting, "users_of")  # counted none, not yet deleted
    imported: list[Task] = []

    with ThreadPoolExecutor(1) as pool:
        removing = pool.submit(gone.call, services, prod)
        waited = second_waits(
            removing, hold, lambda: imported.append(run_import(services, prod.scope, prod.path))
        )

    assert waited  # the import waited for the delete, then found the object gone
    (task,) = imported
    assert task.status is TaskStatus.FAILED
    assert task.result is not None
    problems = [(p["reason"], p["name"], p["reference"]) for p in task.result["problems"]]
    missing = {"kind": gone.kind, "name": gone.name}
    assert problems == [(ProblemReason.MISSING_REFERENCE, "daily_sales", missing)]
    assert (gone.kind, gone.name) not in _held(services, prod)
    assert not _imported(services, prod.scope)


def test_a_save_of_a_script_an_import_uses_does_not_wait_for_the_import(
    services: Services, prod: Prod, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A save keeps the script's name: on PostgreSQL it locks the row without its keys, which
    # the import's hold (that the script stays there under its name) does not stop.
    hold = held_at(monkeypatch, LocalReader, "existing", _apply_finding_scripts)
    saved = make_script("daily_sales_sh", type="Shell", content="echo saved")

    with ThreadPoolExecutor(1) as pool:
        importing = pool.submit(run_import, services, prod.scope, prod.path)
        waited = second_waits(
            importing, hold, lambda: services.scripts.update(prod.scope, "daily_sales_sh", saved)
        )
        task: Task = importing.result()

    # SQLite has one writer at a time: there the save waits for the import's transaction.
    assert waited is (services.db.dialect == "sqlite")
    assert task.status is TaskStatus.SUCCESSFUL
    assert services.scripts.show(prod.scope, "daily_sales_sh").document["content"] == "echo saved"
    assert _imported(services, prod.scope)
