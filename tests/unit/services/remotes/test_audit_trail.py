"""A remote's audit trail (tests/api/test_audit_coverage.py names this test for the remote
calls it cannot make without a DataArts endpoint): added, refreshed, changed and removed,
each one entry by the project admin naming the remote, and a refresh's copies of the
remote's objects one entry each in the shadow, by the same user."""

from __future__ import annotations

from pathlib import Path

from jobferry.domain.enums import TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import load
from jobferry.services.remotes.records import RemoteChange
from jobferry.storage import audit as audit_repo
from support.audits import entries_since, last_entry
from support.builders import make_job
from support.clients import PROJECT_ID
from support.console import admin_actor
from support.planning import (
    import_package,
    jobs_with_dependencies,
    run_import,
    upload,
    write_objects,
)
from support.pushes import first_package, renaming_package
from support.shadows import shadow_fixture
from support.standin import FACTORY, DataArtsStandin


def test_each_change_to_a_remote_is_one_entry_by_the_admin(
    services: Services, standin: DataArtsStandin
) -> None:
    admin = admin_actor(services)
    services.remotes.transport = standin.transport()
    standin.add_workspace(standin.workspace_id).put_job(make_job("daily_sales"))

    last = last_entry(services)
    services.remotes.add(admin, standin.spec())
    assert entries_since(services, last) == [(admin.name, "remote.add", "remote", "prod")]

    last = last_entry(services)
    services.remotes.refresh(admin, "prod")
    refreshed = entries_since(services, last)
    assert refreshed[-1] == (admin.name, "remote.refresh", "remote", "prod")
    assert (admin.name, "job.create", "job", "daily_sales") in refreshed
    assert {who for who, _, _, _ in refreshed} == {admin.name}

    last = last_entry(services)
    services.remotes.change(admin, "prod", RemoteChange(endpoint=FACTORY + "/gateway"))
    assert entries_since(services, last) == [(admin.name, "remote.change", "remote", "prod")]

    last = last_entry(services)
    services.remotes.remove(admin, "prod")
    assert entries_since(services, last) == [(admin.name, "remote.remove", "remote", "prod")]


shadow = shadow_fixture()


def test_a_push_is_its_import_s_entry_then_one_entry_of_what_the_remote_took(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """The import into the shadow is logged as any import (``import.apply``, its package);
    the push's end adds ``remote.push`` naming the remote, with the push's task, its calls,
    its changes and the versions the remote submitted (the task's count: a job only renamed
    has none, tests/unit/services/remotes/test_unsent.py)."""
    import_package(services, shadow, first_package(tmp_path))
    last = last_entry(services)
    task = run_import(services, shadow, upload(services, shadow, renaming_package(tmp_path)))
    assert task.status == TaskStatus.SUCCESSFUL, task.message

    lines = entries_since(services, last)
    # (a refresh first: the plan is made on a fresh read of the remote)
    assert [action for _, action, _, _ in lines[-2:]] == ["import.apply", "remote.push"]
    assert lines[-1][2:] == ("remote", "prod")
    with services.db.transaction(readonly=True) as tx:
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, None, limit=1, offset=0)
    assert task.result is not None
    pushed = task.result["push"]
    assert load(rows[0][1].detail or "{}") == {
        "taskId": task.id,
        "calls": pushed["calls"],
        "changes": len(pushed["changes"]),
        "versionsCreated": task.result["versionsCreated"],
    }


def test_a_push_s_rollback_is_the_shadow_s_entry_and_one_of_the_remote_s(
    services: Services, standin: DataArtsStandin, shadow: Scope, tmp_path: Path
) -> None:
    """A push rolled back: the shadow's rollback is logged as any import's
    (``import.rollback``), and the remote's as ``remote.rollback`` naming the remote, with the
    push's task and the calls the rollback made."""
    jobs = jobs_with_dependencies(make_job("daily_sales"))
    task = import_package(services, shadow, write_objects(tmp_path / "first.zip", jobs))
    last = last_entry(services)
    standin.reset()
    services.rollback.rollback(shadow, task.id)

    lines = entries_since(services, last)  # one transaction: the remote's line first
    assert [action for _, action, _, _ in lines] == ["remote.rollback", "import.rollback"]
    assert lines[0][2:] == ("remote", "prod")
    with services.db.transaction(readonly=True) as tx:
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, None, limit=2, offset=0)
    (remote,) = [row for _, row in rows if row.action == "remote.rollback"]
    assert load(remote.detail or "{}") == {"taskId": task.id, "calls": len(standin.writes())}
