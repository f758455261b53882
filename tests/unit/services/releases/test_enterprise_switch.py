"""Switching a workspace to enterprise mode through the service the CLI's and the console's
switch call (SQLite and PostgreSQL), and the simple-mode refusal each of them says its way."""

from __future__ import annotations

import pytest

from jobferry.cli.remedies import refusal_text
from jobferry.console.fixes import said
from jobferry.domain.enums import Role
from jobferry.domain.remedies import Remedy
from jobferry.errors import InvalidRequestError, PermissionDeniedError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.workspaces.settings import parse_workspace_settings
from jobferry.storage.releases import ItemFilter
from support.console import admin_actor
from support.releases import (
    Team,
    make_package,
    pending_items,
    person,
    register_connections,
    submit_job,
)


def _simple(services: Services, name: str = "plain") -> Scope:
    """A new workspace in simple mode, as its admin."""
    admin = admin_actor(services)
    ws = services.accounts.create_workspace(admin, admin.project_id, name)
    return services.accounts.scope(admin, admin.project_id, ws)


def _again(services: Services, scope: Scope) -> Scope:
    """``scope``'s workspace read again."""
    return services.accounts.scope(scope.actor, scope.actor.project_id, scope.workspace.id)


def test_switching_to_enterprise_creates_the_production_side_once(services: Services) -> None:
    admin = _simple(services)
    switched = services.releases.switch_to_enterprise(admin)
    assert switched.production_id is not None
    assert _again(services, admin).workspace.production_id == switched.production_id
    production = services.accounts.scope(
        admin.actor, admin.actor.project_id, switched.production_id
    )
    assert production.workspace.name == "plain (production)"
    assert production.workspace.production_of == admin.workspace.id
    again = services.releases.switch_to_enterprise(_again(services, admin))
    assert again.production_id == switched.production_id  # left as it is
    assert services.releases.pending(_again(services, admin), ItemFilter(), 10, 0)[0] == 0


def test_a_developer_may_not_switch_and_nothing_changes(services: Services) -> None:
    admin = _simple(services)
    developer = person(services, admin.workspace.id, "plain_dev", Role.DEVELOPER)
    with pytest.raises(PermissionDeniedError, match="switch the workspace to enterprise mode"):
        services.releases.switch_to_enterprise(developer)
    assert _again(services, admin).workspace.production_id is None


def test_the_simple_mode_refusal_names_the_switch_in_each_client_s_terms(
    services: Services,
) -> None:
    admin = _simple(services)
    with pytest.raises(InvalidRequestError) as refused:
        services.releases.pending(admin, ItemFilter(), 10, 0)
    error = refused.value
    assert error.remedy == Remedy.ENABLE_ENTERPRISE
    assert error.problem == (
        "Workspace 'plain' is in simple mode: it has no production side and no releases."
    )
    assert 'update_work_space_old with mode "1"' in error.message  # the API client's fix
    body = error.envelope()
    assert refusal_text(error.message, body) == (
        f"{error.problem} A workspace admin switches it to enterprise mode with jobferry "
        "workspaces settings plain --enterprise (it creates the workspace's production side, "
        "and cannot be undone)."
    )
    assert "Admin → Workspace settings (Switch to enterprise mode)" in said(error)


def test_the_switch_with_approval_on_is_refused_and_nothing_changes(services: Services) -> None:
    admin = _simple(services)
    services.accounts.update_workspace(
        admin.actor,
        admin.actor.project_id,
        admin.workspace.id,
        parse_workspace_settings({"approvalEnabled": True}),
    )
    with pytest.raises(InvalidRequestError, match="has approval switched on") as refused:
        services.releases.switch_to_enterprise(_again(services, admin))
    assert refused.value.remedy == Remedy.APPROVAL_OFF
    assert "--no-approval" in refusal_text(refused.value.message, refused.value.envelope())
    assert _again(services, admin).workspace.production_id is None


def test_a_release_missing_what_was_submitted_before_the_switch_says_how_to_release_it(
    services: Services,
) -> None:
    # the production side starts empty, and what the workspace submitted before the switch
    # has no pending item: the fix said "create it in 'plain'", where it was already
    admin = _simple(services)
    team = Team(
        admin,
        person(services, admin.workspace.id, "plain_dev", Role.DEVELOPER),
        person(services, admin.workspace.id, "plain_deployer", Role.DEPLOYER),
    )
    register_connections(services, team)
    submit_job(services, admin, "daily")  # the job and its two scripts, before the switch
    services.releases.switch_to_enterprise(admin)
    team = Team(*(_again(services, scope) for scope in (team.admin, team.developer, team.deployer)))
    assert pending_items(services, team.developer) == []
    submit_job(services, team.developer, "daily", description="changed")
    only_job = [i for i in pending_items(services, team.developer) if i.kind == "job"]
    with pytest.raises(InvalidRequestError) as refused:
        make_package(services, team, items=only_job)
    said = refused.value.message
    assert "script 'daily_sql', which does not exist in the package or in workspace" in said
    assert (
        "or create it in 'plain' and release it first; one submitted in 'plain' before its "
        "switch to enterprise mode has no pending item: import it into 'plain' as released "
        "(targetStatus PRODUCTION)"
    ) in said
