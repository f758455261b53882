"""Asking before rolling an import back (``RollbackService.preview``): the rollback's own checks
in a read-only transaction, answering what the rollback would undo (the same count, actions
and lines it then answers) or the refusal it would make (the same rule and conflicts), and
writing nothing either way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from jobferry.domain.enums import RollbackRule
from jobferry.errors import RollbackRefusedError, TaskNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.storage import tables
from support.builders import make_job
from support.planning import (
    import_package,
    jobs_package,
    jobs_with_dependencies,
    uid_of,
    workspace,
    write_objects,
)

DRIFT = "TAKE_PACKAGE"


def every_row(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to tell that nothing was written."""
    with services.db.transaction(readonly=True) as tx:
        return {
            table.name: sorted(map(tuple, tx.conn.execute(sa.select(table))), key=repr)
            for table in tables.metadata.sorted_tables
        }


@pytest.fixture
def scope(services: Services, tmp_path: Path) -> Scope:
    """A workspace where a_job was imported once, then edited in place."""
    scope = workspace(services, "prod")
    import_package(services, scope, jobs_package(tmp_path / "first.zip", "a_job"))
    services.jobs.update(scope, "a_job", make_job("a_job", description="before"))
    return scope


def test_the_preview_says_what_the_rollback_then_undoes_and_writes_nothing(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    objects = jobs_with_dependencies(make_job("a_job"), make_job("b_job"))
    objects[0] = ("job", "z_job", {**make_job("a_job"), "name": "z_job"})  # a_job renamed
    uids = {"z_job": uid_of("job", "a_job")}
    task = import_package(
        services, scope, write_objects(tmp_path / "2.zip", objects, uids=uids), onDrift=DRIFT
    )
    before = every_row(services)

    foreseen = services.rollback.preview(scope, task.id)

    assert every_row(services) == before
    done = services.rollback.rollback(scope, task.id)
    assert foreseen == done
    assert foreseen.actions["RENAMED"] == 1  # and b_job with what it uses DELETED
    assert {("b_job", "DELETED"), ("a_job", "RENAMED")} <= {
        (o["name"], o["action"]) for o in foreseen.objects
    }


def test_the_preview_refuses_objects_changed_since_as_the_rollback_does(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    task = import_package(
        services, scope, jobs_package(tmp_path / "2.zip", "a_job", "b_job", "c_job"), onDrift=DRIFT
    )
    services.jobs.update(scope, "b_job", make_job("b_job", description="edited since"))
    services.jobs.start(scope, "c_job")
    before = every_row(services)

    with pytest.raises(RollbackRefusedError) as previewed:
        services.rollback.preview(scope, task.id)

    assert every_row(services) == before
    with pytest.raises(RollbackRefusedError) as refused:
        services.rollback.rollback(scope, task.id)
    assert previewed.value.context == refused.value.context
    assert previewed.value.context["rule"] == RollbackRule.CHANGED
    assert previewed.value.context["conflicts"] == [
        "job 'b_job' was edited",
        "job 'c_job' is scheduled (SCHEDULING); stop it first",
    ]
    assert previewed.value.message == refused.value.message


def test_the_preview_refuses_what_is_rolled_back_already_missing_or_wrote_nothing(
    services: Services, scope: Scope, tmp_path: Path
) -> None:
    task = import_package(services, scope, jobs_package(tmp_path / "2.zip", "b_job"))
    services.rollback.rollback(scope, task.id)
    with pytest.raises(RollbackRefusedError, match="already rolled back") as again:
        services.rollback.preview(scope, task.id)
    assert again.value.context["rule"] == RollbackRule.ROLLED_BACK
    with pytest.raises(TaskNotFoundError):
        services.rollback.preview(scope, "no-such-task")
    services.jobs.update(scope, "a_job", make_job("a_job"))  # as the package has it
    unchanged = import_package(services, scope, jobs_package(tmp_path / "3.zip", "a_job"))
    with pytest.raises(RollbackRefusedError, match="nothing to roll back") as nothing:
        services.rollback.preview(scope, unchanged.id)
    assert nothing.value.context["rule"] == RollbackRule.NOTHING
