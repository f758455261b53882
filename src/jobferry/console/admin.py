"""Administration pages: environment objects (secrets write-only), environment profiles,
signing and trusted keys, users and roles (the workspace's settings: ``workspace_settings``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter, Response

from jobferry.console.fixes import said
from jobferry.console.missing import ENVIRONMENT, PROFILES, looked_up
from jobferry.console.web import (
    FormDep,
    Page,
    PageContext,
    PageDep,
    base_of,
    raw,
    read_at,
    read_fields,
    redirect,
    render,
    text,
    unknown_action,
)
from jobferry.domain.enums import EnvironmentKind, Role
from jobferry.errors import InvalidRequestError, JobferryError, KeyNotFoundError, VersionMovedError
from jobferry.services.accounts.leaving import LeftShort
from jobferry.services.accounts.records import User
from jobferry.services.context import require_project_admin
from jobferry.services.environment.objects import EnvironmentObject
from jobferry.services.workspaces.keys import (
    SigningKey,
    TrustedKey,
    parse_distrust,
    parse_trust,
)
from jobferry.services.workspaces.profiles import ProfileVersion
from jobferry.web import json_object

router = APIRouter()
KIND_LABELS = {
    "connection": "Data connections",
    "dli_queue": "DLI queues",
    "cdm_cluster": "CDM clusters",
    "cdm_job": "CDM jobs",
    "mrs_cluster": "MRS clusters",
    "dis_stream": "DIS streams",
    "ges_graph": "GES graphs",
    "resource_group": "Resource groups",
    "quality_rule": "Quality rules",
    "agency": "Agencies",
}


def parse_secrets(value: str) -> dict[str, str] | None:
    """``key=value`` lines → secrets; no lines → None (keep the stored secrets)."""
    lines = [line for line in value.splitlines() if line.strip()]
    if not lines:
        return None
    out: dict[str, str] = {}
    for number, line in enumerate(lines, 1):
        key, sep, secret = line.partition("=")
        if not sep or not key.strip():
            raise InvalidRequestError(
                f"Secrets line {number} is not key=value; write one secret per line, e.g. "
                "password=…"
            )
        out[key.strip()] = secret.strip()
    return out


def parse_config(value: str) -> dict[str, Any]:
    """The config textarea: a JSON object (empty: {})."""
    if not value.strip():
        return {}
    return json_object(value, "Config", 'write an object such as {"host": "10.0.0.1"}')


@dataclass(frozen=True, kw_only=True)
class AdminPage(PageContext):
    """An admin page: what a refused change said, or what a change did."""

    error: str = ""
    message: str = ""


@dataclass(frozen=True, kw_only=True)
class EnvironmentContext(AdminPage):
    """Environment objects by kind (with each kind's label), and the form's draft."""

    template = "admin_environment.html"
    objects: dict[str, list[EnvironmentObject]]
    kinds: list[str]
    labels: dict[str, str]
    draft: dict[str, str]


def _environment_page(
    page: Page,
    *,
    error: str = "",
    message: str = "",
    draft: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    page.scope.require((Role.ADMIN,), "administer environment objects")
    services = page.services
    objects = {
        k.value: services.environment.list_objects(page.scope, k.value) for k in EnvironmentKind
    }
    context = EnvironmentContext(
        page=page,
        objects=objects,
        kinds=[k.value for k in EnvironmentKind],
        labels=KIND_LABELS,
        error=error,
        message=message,
        draft=draft or {},
    )
    return render(page.request, context, status_code=status_code)


@router.get("/w/{workspace_id}/admin/environment")
def environment(page: PageDep, edit_kind: str = "", edit_name: str = "") -> Response:
    """Environment objects by kind, and the form to add or change one."""
    page.scope.require((Role.ADMIN,), "administer environment objects")
    draft: dict[str, str] = {}
    if edit_kind and edit_name:
        with looked_up(page, ENVIRONMENT):
            found = page.services.environment.get(page.scope, edit_kind, edit_name)
        draft = {
            "kind": found.kind.value,
            "name": found.name,
            "type": found.type,
            "config": orjson.dumps(found.config, option=orjson.OPT_INDENT_2).decode(),
        }
    return _environment_page(page, draft=draft)


@router.post("/w/{workspace_id}/admin/environment")
def save_environment(page: PageDep, form: FormDep) -> Response:
    """Create or replace an object; empty secrets keep the stored ones."""
    draft = {k: text(form, k) for k in ("kind", "name", "type", "config")}
    try:
        body: dict[str, Any] = {"type": draft["type"], "config": parse_config(draft["config"])}
        secrets = parse_secrets(raw(form, "secrets"))
        if secrets is not None:
            body["secrets"] = secrets
        page.services.environment.put(page.scope, draft["kind"], draft["name"], body)
    except JobferryError as exc:
        return _environment_page(page, error=said(exc), draft=draft, status_code=exc.status)
    return _environment_page(page, message=f"Saved {draft['kind']} '{draft['name']}'.")


@router.post("/w/{workspace_id}/admin/environment/delete")
def delete_environment(page: PageDep, form: FormDep) -> Response:
    """Remove an object no job references."""
    kind, name = text(form, "kind"), text(form, "name")
    try:
        page.services.environment.delete(page.scope, kind, name)
    except JobferryError as exc:
        return _environment_page(page, error=said(exc), status_code=exc.status)
    return _environment_page(page, message=f"Removed {kind} '{name}'.")


@dataclass(frozen=True, kw_only=True)
class UsersContext(AdminPage):
    """The project's users with their roles, and the roles one can grant."""

    template = "admin_users.html"
    users: list[User]
    roles: list[str]
    new_user: str = ""
    """The name typed for a new user whose creation was refused, kept in its field."""
    left_short: dict[str, LeftShort]
    """By user: the routes and waiting release packages their removal leaves with too few
    approvers (the removal box says them)."""


def _users_page(
    page: Page, *, error: str = "", message: str = "", status_code: int = 200, new_user: str = ""
) -> Response:
    actor = page.session.actor
    users = page.services.accounts.list_users(actor, actor.project_id)
    context = UsersContext(
        page=page,
        users=users,
        roles=[r.value for r in Role],
        error=error,
        message=message,
        new_user=new_user,
        left_short=page.services.users.leaving_all(actor, actor.project_id),
    )
    return render(page.request, context, status_code=status_code)


@router.get("/w/{workspace_id}/admin/users")
def users(page: PageDep) -> Response:
    """Users of the project with their roles (project admins)."""
    return _users_page(page)


@router.post("/w/{workspace_id}/admin/users")
def change_users(page: PageDep, form: FormDep) -> Response:
    """Create or remove a user, make them project admin or not, grant or revoke a role here, or
    set a user's console password."""
    services, actor = page.services, page.session.actor
    # The page answering any post lists the users: refuse who may not read it before any change.
    require_project_admin(actor, "change users and roles")
    action, user = text(form, "action"), text(form, "user")
    ws = page.scope.workspace
    try:
        if action == "create":
            services.accounts.create_user(
                actor, actor.project_id, user, text(form, "project_admin") == "on"
            )
            message = f"Created user '{user}'."
        elif action == "grant":
            role = text(form, "role")
            services.accounts.set_role(actor, actor.project_id, user, ws.id, role)
            message = f"User '{user}' is now {role} in workspace '{ws.name}'."
        elif action == "revoke":
            services.accounts.remove_role(actor, actor.project_id, user, ws.id)
            message = f"User '{user}' has no role in workspace '{ws.name}' any more."
        elif action in ("project_admin", "not_project_admin"):
            admin = services.users.set_project_admin(
                actor, actor.project_id, user, action == "project_admin"
            )
            message = f"User '{user}' is {'a' if admin else 'no longer a'} project admin."
        elif action == "remove":
            message = _remove_user(page, user, text(form, "confirm") == "on")
        elif action == "password":
            services.signin.set_password(actor, user, raw(form, "password"))
            message = f"Set the console password of '{user}' (their sessions were ended)."
        else:
            raise InvalidRequestError(unknown_action(action))
    except JobferryError as exc:
        typed = user if action == "create" else ""
        return _users_page(page, error=said(exc), status_code=exc.status, new_user=typed)
    if action == "password" and user == actor.name:
        return redirect(f"{base_of(page.request)}/signin")
    return _users_page(page, message=message)


def _remove_user(page: Page, user: str, confirmed: bool) -> str:
    """Remove ``user`` once the box saying what goes with them is ticked."""
    if not confirmed:
        raise InvalidRequestError(
            f"User '{user}' was not removed: tick the box saying what goes with them first."
        )
    actor = page.session.actor
    removed = page.services.users.remove(actor, actor.project_id, user)
    short = removed.left_short
    named = [f"route {r.route}" for r in short.routes]
    named += [f"release package {p.package_id} ({p.name})" for p in short.packages]
    mend = (
        f" Left with too few approvers: {', '.join(named)}; name approvers who can on a "
        "route's page (Routes), revoke a package on its page (Releases → Packages) and "
        "package its items again."
        if named
        else ""
    )
    return (
        f"Removed user '{user}': {len(removed.access_keys)} access key(s), "
        f"{len(removed.roles)} role(s), {removed.sessions_ended} console session(s) and "
        f"{removed.locks_released} lock(s) went with them.{mend}"
    )


@dataclass(frozen=True, kw_only=True)
class ProfilesContext(AdminPage):
    """Environment profiles, the one selected with its versions, and the editor's draft."""

    template = "admin_profiles.html"
    profiles: list[ProfileVersion]
    selected: str
    versions: list[ProfileVersion]
    draft: dict[str, str]


def _profiles_page(
    page: Page,
    *,
    selected: str = "",
    draft: dict[str, str] | None = None,
    error: str = "",
    message: str = "",
    status_code: int = 200,
) -> Response:
    page.scope.require((Role.ADMIN,), "administer environment profiles")
    services = page.services
    versions: list[ProfileVersion] = []
    if selected:
        versions = services.profiles.versions(page.scope, selected)
        if draft is None:
            document = orjson.dumps(versions[0].document, option=orjson.OPT_INDENT_2).decode()
            draft = {
                "name": selected,
                "document": document,
                **read_fields(selected, versions[0].version),
            }
    context = ProfilesContext(
        page=page,
        profiles=services.profiles.list_all(page.scope),
        selected=selected,
        versions=versions,
        draft=draft or {"name": "", "document": "", "read_of": "", "read_version": ""},
        error=error,
        message=message,
    )
    return render(page.request, context, status_code=status_code)


@router.get("/w/{workspace_id}/admin/profiles")
def profiles(page: PageDep, name: str = "") -> Response:
    """Environment profiles: list, versions, and the editor (JSON or YAML)."""
    with looked_up(page, PROFILES):
        return _profiles_page(page, selected=name)


@router.post("/w/{workspace_id}/admin/profiles")
def save_profile(page: PageDep, form: FormDep) -> Response:
    """Save a new version of a profile: over the version the editor read, or a new one."""
    name = text(form, "name")
    draft = {"name": name, "document": raw(form, "document"), **read_fields(form=form)}
    try:
        document = draft["document"].encode()
        saved = page.services.profiles.put(page.scope, name, document, read_at(form, name))
    except JobferryError as exc:
        if isinstance(exc, VersionMovedError):  # sent again, it saves over the newest
            draft = {**draft, **read_fields(name, exc.context.get("version"))}
        return _profiles_page(page, draft=draft, error=said(exc), status_code=exc.status)
    return _profiles_page(
        page,
        selected=saved.name,
        message=f"Saved profile '{saved.name}' as version {saved.version}.",
    )


@router.post("/w/{workspace_id}/admin/profiles/delete")
def delete_profile(page: PageDep, form: FormDep) -> Response:
    """Remove a profile with all its versions."""
    name = text(form, "name")
    try:
        page.services.profiles.delete(page.scope, name, read_at(form, name))
    except JobferryError as exc:
        return _profiles_page(page, error=said(exc), status_code=exc.status)
    return _profiles_page(page, message=f"Removed profile '{name}'.")


@dataclass(frozen=True, kw_only=True)
class KeysContext(AdminPage):
    """The workspace's signing key (``None``: it has none), the keys it trusts and those it
    distrusts."""

    template = "admin_keys.html"
    signing: SigningKey | None
    trusted: list[TrustedKey]
    distrusted: list[TrustedKey]
    typed: tuple[str, str] = ("", "")
    """The name and public key typed for a key to trust (or distrust: ``typed_for``) that was
    refused, kept in its form."""
    typed_for: str = "trust"
    """The form ``typed`` was typed in: ``trust`` or ``distrust-key``."""


def _keys_page(
    page: Page,
    *,
    error: str = "",
    message: str = "",
    status_code: int = 200,
    typed: tuple[str, str] = ("", ""),
    typed_for: str = "trust",
) -> Response:
    page.scope.require((Role.ADMIN,), "administer signing and trusted keys")
    services = page.services
    try:
        signing: SigningKey | None = services.keys.signing_key(page.scope)
    except KeyNotFoundError:
        signing = None
    keys = services.keys.trusted(page.scope, distrusted=True)
    context = KeysContext(
        page=page,
        signing=signing,
        trusted=[k for k in keys if not k.distrusted],
        distrusted=[k for k in keys if k.distrusted],
        error=error,
        message=message,
        typed=typed,
        typed_for=typed_for,
    )
    return render(page.request, context, status_code=status_code)


@router.get("/w/{workspace_id}/admin/keys")
def keys(page: PageDep) -> Response:
    """The workspace's signing key and the keys it trusts."""
    return _keys_page(page)


@router.post("/w/{workspace_id}/admin/keys")
def change_keys(page: PageDep, form: FormDep) -> Response:
    """Create, replace or delete the signing key; trust or distrust a public key."""
    services, action = page.services, text(form, "action")
    try:
        if action == "create":
            created = services.keys.create_signing_key(page.scope)
            message = f"New signing key {created.key_id}: exports of this workspace are signed."
        elif action == "delete":
            services.keys.delete_signing_key(page.scope)
            message = "Deleted the signing key: exports are no longer signed."
        elif action == "trust":
            trusted = parse_trust(
                {"name": text(form, "name"), "publicKey": text(form, "publicKey")}
            )
            added = services.keys.trust(page.scope, trusted)
            message = f"Trusting key {added.key_id} ('{added.name}')."
        elif action == "distrust":
            gone = services.keys.distrust(page.scope, text(form, "keyId"))
            message = (
                f"No longer trusting key {gone.key_id} ('{gone.name}'): packages it signs are "
                "refused here from now on, whether or not signed packages are required."
            )
        elif action == "distrust-key":
            marked = services.keys.distrust_public_key(
                page.scope,
                parse_distrust({"name": text(form, "name"), "publicKey": text(form, "publicKey")}),
            )
            message = (
                f"Distrusting key {marked.key_id} ('{marked.name}'): packages it signs are "
                "refused here from now on, whether or not signed packages are required."
            )
        else:
            raise InvalidRequestError(unknown_action(action))
    except JobferryError as exc:
        typed = (
            (text(form, "name"), text(form, "publicKey"))
            if action in ("trust", "distrust-key")
            else ("", "")
        )
        return _keys_page(
            page, error=said(exc), status_code=exc.status, typed=typed, typed_for=action
        )
    return _keys_page(page, message=message)
