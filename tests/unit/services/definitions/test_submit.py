"""A job's or script's development state submitted as a new version
(``services/definitions/submit.py``): what is stored, as it is; an unchanged one makes no
version; a save's rules hold (approvers where the workspace asks, roles, a save made
meanwhile), and in an enterprise workspace the submit makes its pending item."""

from __future__ import annotations

from typing import Any

import pytest

from jobferry.domain.enums import LockPolicy, ObjectKind, Role
from jobferry.errors import (
    DefinitionChangedError,
    InvalidRequestError,
    LockedError,
    LockedTagError,
    PermissionDeniedError,
    RequiredParameterError,
)
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.workspaces.settings import WorkspaceSettings
from jobferry.storage.releases import ItemFilter
from support.builders import editable, make_job, make_script
from support.console import admin_scope
from support.releases import connected_team, person
from support.workspace_state import workspace_state

JOB, SCRIPT = ObjectKind.JOB, ObjectKind.SCRIPT
SAVE = {"targetStatus": "SAVED"}


@pytest.fixture
def scope(weekly: Scope) -> Scope:
    """The ``weekly`` arrangement: job and script saved, never submitted."""
    return weekly


def _draft(services: Services, scope: Scope, **fields: Any) -> None:
    body = editable(services.jobs.show(scope, "weekly").document) | fields | SAVE
    services.jobs.update(scope, "weekly", body)


def test_the_development_state_becomes_a_version_and_an_unchanged_one_makes_none(
    services: Services, scope: Scope
) -> None:
    first = services.version_submits.submit(scope, JOB, "weekly", {})
    assert (first.version, first.made, first.locked_by) == (1, True, None)
    _draft(services, scope, description="second")

    second = services.version_submits.submit(scope, JOB, "weekly", {})
    assert (second.version, second.made) == (2, True)
    assert services.jobs.show(scope, "weekly", version=2).document["description"] == "second"
    before = workspace_state(services, scope.workspace.id)

    again = services.version_submits.submit(scope, JOB, "weekly", {})

    assert (again.version, again.made) == (2, False)
    assert workspace_state(services, scope.workspace.id) == before
    script = services.version_submits.submit(scope, SCRIPT, "kpi_sql", {})
    assert (script.version, script.made) == (1, True)


def test_a_body_of_anything_but_approvers_is_refused(services: Services, scope: Scope) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        services.version_submits.submit(scope, JOB, "weekly", {"description": "x"})
    assert "takes only approvers, not description" in refused.value.problem
    assert services.jobs.show(scope, "weekly").version is None


def test_a_workspace_asking_for_approvers_gets_them(services: Services, scope: Scope) -> None:
    actor = scope.actor
    change = WorkspaceSettings(approval_enabled=True)
    services.accounts.update_workspace(actor, actor.project_id, scope.workspace.id, change)
    scope = admin_scope(services)
    with pytest.raises(RequiredParameterError):
        services.version_submits.submit(scope, JOB, "weekly", {})
    approvers = [{"approverName": "admin"}]

    submitted = services.version_submits.submit(scope, JOB, "weekly", {"approvers": approvers})

    assert (submitted.version, submitted.made) == (1, True)


def test_a_viewer_is_refused_and_a_save_meanwhile_refuses_it(
    services: Services, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer = person(services, scope.workspace.id, "vera", Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        services.version_submits.submit(viewer, JOB, "weekly", {})
    update = services.jobs.update

    def meanwhile(*args: Any, **kwargs: Any) -> str | None:
        body = editable(services.jobs.show(scope, "weekly").document) | SAVE
        update(scope, "weekly", body | {"description": "meanwhile"})
        return update(*args, **kwargs)

    monkeypatch.setattr(services.jobs, "update", meanwhile)
    with pytest.raises(DefinitionChangedError):
        services.version_submits.submit(scope, JOB, "weekly", {})
    assert services.jobs.show(scope, "weekly").version is None


def test_a_submit_in_an_enterprise_workspace_makes_its_pending_item(services: Services) -> None:
    team = connected_team(services)
    for script in (make_script("daily_sales_sql"), make_script("daily_sales_sh", type="Shell")):
        services.scripts.create(team.developer, script | SAVE)
    services.jobs.create(team.developer, make_job("daily_sales") | SAVE)

    services.version_submits.submit(team.developer, JOB, "daily_sales", {})

    items = services.releases.pending(team.developer, ItemFilter(), 100, 0)[1]
    assert [(i.name, i.pending_version) for i in items] == [("daily_sales", 1)]


def test_an_unchanged_submit_is_refused_as_its_save_would_be(
    services: Services, scope: Scope
) -> None:
    """A submit of a development state its latest version holds makes nothing, but says so
    ("made": false) only to a user who could have submitted it: over another user's hard lock,
    or of a job carrying a locked tag, it is refused as the save is, and still writes nothing.
    The lock's holder, and anyone once it is released, are answered as before."""
    services.version_submits.submit(scope, JOB, "weekly", {})
    services.version_submits.submit(scope, SCRIPT, "kpi_sql", {})
    for kind, name in (("job", "weekly"), ("script", "kpi_sql")):
        services.governance.acquire(scope, kind, name)
    boss = scope.actor
    hard = WorkspaceSettings(lock_policy=LockPolicy.HARD)
    services.accounts.update_workspace(boss, boss.project_id, scope.workspace.id, hard)
    dana = person(services, scope.workspace.id, "dana", Role.DEVELOPER)
    before = workspace_state(services, scope.workspace.id)

    for kind, name in ((JOB, "weekly"), (SCRIPT, "kpi_sql")):
        with pytest.raises(LockedError) as refused:
            services.version_submits.submit(dana, kind, name, {})
        assert refused.value.context == {"kind": kind.value, "name": name, "holder": boss.name}
        assert services.version_submits.submit(scope, kind, name, {}).made is False  # the holder

    services.governance.release(scope, "job", "weekly")
    assert services.version_submits.submit(dana, JOB, "weekly", {}).made is False
    services.governance.put_tag(scope, "daily", True)  # the tag the job carries
    for caller in (dana, scope):
        with pytest.raises(LockedTagError):
            services.version_submits.submit(caller, JOB, "weekly", {})
    assert workspace_state(services, scope.workspace.id) == before
