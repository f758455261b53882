"""A job or a script given back one of its submitted versions
(``services/definitions/restore.py``): its development state becomes that version's
definition, saved and not submitted, under its present name, audited with the version; a
restore with nothing to change saves nothing; the refusals change nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from jobferry.domain.audit import AuditQuery
from jobferry.domain.enums import LockPolicy, ObjectKind, Role
from jobferry.domain.remedies import Remedy
from jobferry.errors import (
    DefinitionChangedError,
    LockedError,
    LockedTagError,
    PermissionDeniedError,
    VersionNotFoundError,
)
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.workspaces.settings import WorkspaceSettings
from support.audits import entries_since, last_entry
from support.builders import editable
from support.releases import person
from support.workspace_state import workspace_state

JOB, SCRIPT = ObjectKind.JOB, ObjectKind.SCRIPT
SUBMIT = {"targetStatus": "SUBMITTED"}
SAVE = {"targetStatus": "SAVED"}


@pytest.fixture
def scope(services: Services, weekly: Scope) -> Scope:
    """The ``weekly`` arrangement, job and script each submitted twice (descriptions "one"
    and "two") and then saved with a draft ("draft", a script's content changed too)."""
    admin = weekly
    for text, status in (("one", SUBMIT), ("two", SUBMIT), ("draft", SAVE)):
        _save(services, admin, JOB, description=text, **status)
        _save(services, admin, SCRIPT, description=text, content=f"select '{text}'", **status)
    return admin


def _save(services: Services, scope: Scope, kind: ObjectKind, **fields: Any) -> None:
    if kind == JOB:
        body = editable(services.jobs.show(scope, "weekly").document) | fields
        services.jobs.update(scope, "weekly", body)
    else:
        body = dict(services.scripts.show(scope, "kpi_sql").document) | fields
        services.scripts.update(scope, "kpi_sql", body)


def _restores(services: Services, scope: Scope) -> list[tuple[str, str, Any]]:
    found = services.audit.list_entries(scope, 100, 0, AuditQuery()).entries
    return [(e.action, e.object_name or "", e.detail.get("restoredFrom")) for e in found]


def test_a_job_gets_back_a_version_s_definition_saved_not_submitted(
    services: Services, scope: Scope
) -> None:
    restored = services.version_restores.restore(scope, JOB, "weekly", 1)

    assert [(c.path, c.before, c.after) for c in restored.changes] == [
        ("description", "draft", "one")
    ]
    assert restored.locked_by is None
    shown = services.jobs.show(scope, "weekly")
    assert shown.document["description"] == "one"
    assert shown.version == 2  # saved, not submitted: version 2 is still the latest
    assert [v.version for v in services.comparisons.versions(scope, JOB, "weekly")] == [2, 1]
    assert services.comparisons.compare(scope, JOB, "weekly", (1, None)).changes == ()
    assert _restores(services, scope)[0] == ("job.update", "weekly", 1)


def test_a_script_gets_back_its_content(services: Services, scope: Scope) -> None:
    restored = services.version_restores.restore(scope, SCRIPT, "kpi_sql", 2)

    assert {c.path for c in restored.changes} == {"content", "description"}
    shown = services.scripts.show(scope, "kpi_sql")
    assert (shown.document["content"], shown.document["description"]) == ("select 'two'", "two")
    assert _restores(services, scope)[0] == ("script.update", "kpi_sql", 2)


def test_a_restore_to_what_is_held_already_saves_nothing(services: Services, scope: Scope) -> None:
    services.version_restores.restore(scope, JOB, "weekly", 2)
    before = (workspace_state(services, scope.workspace.id), _restores(services, scope))

    again = services.version_restores.restore(scope, JOB, "weekly", 2)

    assert again.changes == ()
    assert (workspace_state(services, scope.workspace.id), _restores(services, scope)) == before


def test_a_version_taken_before_a_rename_is_restored_under_the_present_name(
    services: Services, scope: Scope
) -> None:
    services.jobs.rename(scope, "weekly", "weekly_kpis")

    restored = services.version_restores.restore(scope, JOB, "weekly_kpis", 1)

    assert [c.path for c in restored.changes] == ["description"]  # not the name
    assert services.jobs.show(scope, "weekly_kpis").document["description"] == "one"


@pytest.mark.parametrize("version", [3, 0, -1, 2**40])
def test_a_version_the_object_does_not_have_is_refused_and_nothing_changes(
    services: Services, scope: Scope, version: int
) -> None:
    before = workspace_state(services, scope.workspace.id)

    with pytest.raises(VersionNotFoundError) as refused:
        services.version_restores.restore(scope, JOB, "weekly", version)

    assert f"no submitted version {version}" in refused.value.problem
    assert refused.value.message.endswith("List its versions and restore one it has.")
    assert workspace_state(services, scope.workspace.id) == before


def test_a_viewer_is_refused_before_anything_is_read(services: Services, scope: Scope) -> None:
    viewer = person(services, scope.workspace.id, "vera", Role.VIEWER)

    with pytest.raises(PermissionDeniedError):  # not a VersionNotFoundError of version 9
        services.version_restores.restore(viewer, JOB, "weekly", 9)


def test_a_save_made_meanwhile_refuses_the_restore_rather_than_being_undone(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The restore is made from the development state it read: a save landing between its
    read and its write refuses it, so the change it would undo unseen is kept."""
    update = services.jobs.update

    def meanwhile(*args: Any, **kwargs: Any) -> str | None:
        body = editable(services.jobs.show(scope, "weekly").document) | SAVE
        update(scope, "weekly", body | {"description": "meanwhile"})
        return update(*args, **kwargs)

    monkeypatch.setattr(services.jobs, "update", meanwhile)
    with pytest.raises(DefinitionChangedError):
        services.version_restores.restore(scope, JOB, "weekly", 1)

    assert services.jobs.show(scope, "weekly").document["description"] == "meanwhile"


def test_a_restore_over_another_user_s_soft_lock_names_its_holder(
    services: Services, scope: Scope
) -> None:
    services.governance.acquire(scope, "job", "weekly")
    other = replace(scope, actor=replace(scope.actor, user_id=scope.actor.user_id + 1000))

    restored = services.version_restores.restore(other, JOB, "weekly", 1)

    assert restored.locked_by == scope.actor.name


def test_a_restore_over_another_user_s_hard_lock_is_refused_with_its_fix(
    services: Services, scope: Scope
) -> None:
    services.governance.acquire(scope, "job", "weekly")
    boss = scope.actor
    hard = WorkspaceSettings(lock_policy=LockPolicy.HARD)
    services.accounts.update_workspace(boss, boss.project_id, scope.workspace.id, hard)
    dana = person(services, scope.workspace.id, "dana", Role.DEVELOPER)
    before = workspace_state(services, scope.workspace.id)

    with pytest.raises(LockedError) as refused:
        services.version_restores.restore(dana, JOB, "weekly", 1)

    assert refused.value.remedy == Remedy.RELEASE_LOCK
    assert refused.value.context == {"kind": "job", "name": "weekly", "holder": boss.name}
    assert "(DELETE /v1/{project_id}/locks/job/weekly)" in refused.value.message  # a real path
    assert workspace_state(services, scope.workspace.id) == before


def test_a_job_carrying_a_locked_tag_is_not_restored(services: Services, scope: Scope) -> None:
    """As an update of it is refused: the version restored lacks the tag, and the job keeps
    it."""
    _save(services, scope, JOB, basicConfig={"tags": ["gold"]}, **SAVE)
    services.governance.put_tag(scope, "gold", True)
    before = workspace_state(services, scope.workspace.id)

    with pytest.raises(LockedTagError):
        services.version_restores.restore(scope, JOB, "weekly", 1)

    assert workspace_state(services, scope.workspace.id) == before


def test_a_scheduled_job_is_restored_and_stays_scheduled_on_its_latest_version(
    services: Services, scope: Scope
) -> None:
    services.jobs.start(scope, "weekly")
    status = services.jobs.status(scope, "weekly").status

    services.version_restores.restore(scope, JOB, "weekly", 1)

    assert services.jobs.status(scope, "weekly").status == status
    assert services.jobs.show(scope, "weekly").version == 2


def test_a_restore_with_nothing_to_change_is_refused_as_its_save_would_be(
    services: Services, scope: Scope
) -> None:
    """A restore to what the job holds already saves nothing, but answers "unchanged" only to a
    user who could have made the change: over another user's hard lock, or to a job carrying a
    locked tag, it is refused as the save is, and still writes nothing. The lock's holder, and
    anyone once it is released, are answered "unchanged"; a locked tag refuses whoever calls."""
    services.version_restores.restore(scope, JOB, "weekly", 2)  # now it holds version 2
    services.governance.acquire(scope, "job", "weekly")
    boss = scope.actor
    hard = WorkspaceSettings(lock_policy=LockPolicy.HARD)
    services.accounts.update_workspace(boss, boss.project_id, scope.workspace.id, hard)
    dana = person(services, scope.workspace.id, "dana", Role.DEVELOPER)
    before, last = workspace_state(services, scope.workspace.id), last_entry(services)

    with pytest.raises(LockedError) as refused:
        services.version_restores.restore(dana, JOB, "weekly", 2)

    assert refused.value.context == {"kind": "job", "name": "weekly", "holder": boss.name}
    assert services.version_restores.restore(scope, JOB, "weekly", 2).changes == ()  # the holder
    services.governance.release(scope, "job", "weekly")
    assert services.version_restores.restore(dana, JOB, "weekly", 2).changes == ()
    services.governance.put_tag(scope, "daily", True)  # the tag the job carries
    with pytest.raises(LockedTagError):
        services.version_restores.restore(dana, JOB, "weekly", 2)
    with pytest.raises(LockedTagError):
        services.version_restores.restore(scope, JOB, "weekly", 2)  # whoever calls
    assert workspace_state(services, scope.workspace.id) == before
    assert [e[1] for e in entries_since(services, last)] == ["lock.release", "tag.put"]


def test_a_script_restored_to_what_it_holds_over_a_hard_lock_is_refused(
    services: Services, scope: Scope
) -> None:
    services.version_restores.restore(scope, SCRIPT, "kpi_sql", 2)
    services.governance.acquire(scope, "script", "kpi_sql")
    boss = scope.actor
    hard = WorkspaceSettings(lock_policy=LockPolicy.HARD)
    services.accounts.update_workspace(boss, boss.project_id, scope.workspace.id, hard)
    dana = person(services, scope.workspace.id, "dana", Role.DEVELOPER)

    with pytest.raises(LockedError):
        services.version_restores.restore(dana, SCRIPT, "kpi_sql", 2)

    assert services.version_restores.restore(scope, SCRIPT, "kpi_sql", 2).changes == ()
