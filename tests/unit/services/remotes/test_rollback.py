"""A push rolled back (``services/remotes/rollback.py``) at the service level, against the
DataArts stand-in: the remote is brought back to what it held before the push (an update put
back, a create deleted, a delete re-created), then the shadow; refused, changing nothing, when
the remote changed since it was last refreshed."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobferry.errors import PlanStaleError, RollbackRefusedError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.console import admin_actor
from support.planning import import_package
from support.pushes import SECOND, first_package, second_package
from support.standin import DataArtsStandin, held, remote_shadow


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


@pytest.fixture
def shadow(services: Services, standin: DataArtsStandin, tmp_path: Path) -> Scope:
    scope = remote_shadow(services, standin)
    import_package(services, scope, first_package(tmp_path))
    return scope


def test_a_rolled_back_push_leaves_the_remote_as_before_it(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    before = held(standin)
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    assert held(standin) != before
    standin.reset()
    done = services.rollback.rollback(shadow, task.id)
    assert done.count > 0
    assert held(standin) == before
    assert {"update_job", "create_job", "delete_job"} <= set(standin.writes())
    assert standin.refused() == []


def test_a_rollback_is_refused_when_the_remote_changed_since_its_refresh(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    standin.workspace.edit_job("monthly_sales", logPath="obs://bucket/changed/there")
    before = held(standin)
    standin.reset()
    with pytest.raises(PlanStaleError, match="monthly_sales"):
        services.rollback.rollback(shadow, task.id)
    assert standin.writes() == []
    assert held(standin) == before


def test_a_push_is_rolled_back_once(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    task = import_package(services, shadow, second_package(tmp_path), **SECOND)
    services.rollback.rollback(shadow, task.id)
    services.remotes.refresh(admin_actor(services), "prod")
    standin.reset()
    with pytest.raises(RollbackRefusedError):
        services.rollback.rollback(shadow, task.id)
    assert standin.writes() == []
