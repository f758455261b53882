"""The account, workspace, environment and connection services answer typed records (STYLE
rule 19): vocabularies as enums, secrets never in them, and no DataArts wire spelling; the
API's presenters (tests/unit/web/test_workspace_presenters.py) own that."""

from __future__ import annotations

from dataclasses import fields

from jobferry.domain.enums import EnvironmentKind, EnvType, LockPolicy, Role
from jobferry.services.accounts.records import User, Workspace, WorkspaceRole
from jobferry.services.container import Services
from jobferry.services.workspaces.settings import WorkspaceSettings
from support.console import admin_actor, admin_scope


def test_workspaces_and_users_are_records_with_enum_roles_and_policies(
    services: Services,
) -> None:
    actor = admin_actor(services)
    ws_id = services.accounts.create_workspace(actor, actor.project_id, "prod")
    services.accounts.create_user(actor, actor.project_id, "carol", False)
    services.accounts.set_role(actor, actor.project_id, "carol", ws_id, "developer")

    changed = services.accounts.update_workspace(
        actor, actor.project_id, ws_id, WorkspaceSettings(lock_policy=LockPolicy.HARD)
    )
    assert changed.lock_policy is LockPolicy.HARD
    assert changed.role is None  # an update answers the workspace, not the caller's role

    listed = {w.name: w for w in services.accounts.list_workspaces(actor, actor.project_id)}
    assert listed["prod"] == Workspace(
        ws_id, "prod", False, LockPolicy.HARD, False, False, changed.created_at, Role.ADMIN
    )
    assert listed["default"].is_default

    users = {u.name: u for u in services.accounts.list_users(actor, actor.project_id)}
    carol = users["carol"]
    assert isinstance(carol, User)
    assert carol.roles == (WorkspaceRole(ws_id, "prod", Role.DEVELOPER),)
    assert carol.access_keys == ()
    assert users["admin"].project_admin
    assert users["admin"].access_keys


def test_a_created_user_answers_when_it_was_created(services: Services) -> None:
    actor = admin_actor(services)
    user = services.accounts.create_user(actor, actor.project_id, "dave", True)
    listed = {u.name: u for u in services.accounts.list_users(actor, actor.project_id)}
    assert user == User(listed["dave"].id, "dave", True, listed["dave"].created_at)


def test_environment_objects_name_their_secrets_but_never_hold_them(services: Services) -> None:
    scope = admin_scope(services)
    body = {"type": "DWS", "config": {"host": "h"}, "secrets": {"password": "top-secret"}}
    saved = services.environment.put(scope, "connection", "dws", body)
    assert saved.kind is EnvironmentKind.CONNECTION
    assert saved.config == {"host": "h"}
    assert saved.secret_keys == ("password",)
    assert "top-secret" not in repr(saved)
    assert services.environment.get(scope, "connection", "dws") == saved
    assert services.environment.list_objects(scope, "connection") == [saved]


def test_profiles_carry_their_document_except_in_the_list(services: Services) -> None:
    scope = admin_scope(services)
    services.profiles.put(scope, "prod", b'{"description": "first", "params": {"env": "p"}}')
    second = services.profiles.put(scope, "prod", b"description: second\n")
    assert (second.version, second.description) == (2, "second")
    assert second.document == {"description": "second"}
    (listed,) = services.profiles.list_all(scope)
    assert listed.version == 2
    assert listed.document is None
    assert [v.version for v in services.profiles.versions(scope, "prod")] == [2, 1]
    assert services.profiles.get(scope, "prod", 1).document == {
        "description": "first",
        "params": {"env": "p"},
    }


def test_keys_answer_only_their_public_half(services: Services) -> None:
    scope = admin_scope(services)
    created = services.keys.create_signing_key(scope)
    assert services.keys.signing_key(scope) == created
    assert {f.name for f in fields(created)} == {"key_id", "public_key", "created_at", "created_by"}
    assert created.public_key.startswith("ed25519:")


def test_variables_are_records_and_saving_answers_nothing(services: Services) -> None:
    scope = admin_scope(services)
    body = {"params": [{"name": "b", "value": "2"}, {"name": "a", "value": "1", "desc": "x"}]}
    assert services.variables.save(scope, body) is None
    listed = services.variables.list(scope)
    assert [(v.name, v.type, v.value, v.description) for v in listed] == [
        ("a", "variable", "1", "x"),
        ("b", "variable", "2", ""),
    ]


def test_data_connection_sides_are_records_with_their_attributes_apart(
    services: Services,
) -> None:
    scope = admin_scope(services)
    vo = {
        "dw_name": "dc",
        "dw_type": "DWS",
        "dw_config": {"ip": "10.1.2.3", "db_password": "pw"},
        "agent_id": "agent-1",
        "dw_category": "DWS",
    }
    services.data_connections.create(scope, {"data_source_vos": [vo, {**vo, "env_type": 1}]})
    page = services.data_connections.list(scope, {})
    assert (page.matched, page.total, len(page.items)) == (2, 2, 2)
    sides = {c.env: c for c in page.items}
    assert set(sides) == {EnvType.DEVELOPMENT, EnvType.PRODUCTION}
    production = services.data_connections.get(scope, sides[EnvType.PRODUCTION].dw_id)
    assert production.config == {"ip": "10.1.2.3", "db_password": "*********"}
    assert (production.agent_id, production.category, production.agent_name) == (
        "agent-1",
        "DWS",
        "",
    )
    factory = services.connections.get(scope, "dc")  # the development side
    assert factory.config["agentId"] == "agent-1"
    assert factory.config["db_password"] == "*********"
    listed = services.connections.list(scope, name=None, limit=None, offset=None)
    assert (listed.total, listed.items) == (1, (factory,))
