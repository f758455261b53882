"""What the console's administration pages promise, for
``tests/console/test_generated_admin_pages.py``.

The pages (docs/console.md, *Admin*): users and roles (project admins), workspace settings and
the switch to enterprise mode, environment objects, environment profiles, policies, signing
keys (workspace admins). ``AdminModel`` holds what a workspace holds as the story changed it and
says what each post or page answers:

- a role that may not use the page is refused (403) before anything named is looked up, and
  nothing changes;
- an address naming something not there (an environment object, a profile, a route) answers
  the 404 page;
- bad input (a blank, overlong or unknown name, a role or kind there is not, config that is no
  JSON object, an action the page has not) and a rule's refusal (a name taken, the last project
  admin, oneself removed, approval in enterprise mode, the box unticked) answer 400 with the
  page saying why, and nothing changes;
- anything else is taken: the page (200) or a redirect to it (303), and the workspace holds what
  the model holds.

``Held`` is the state as the services read it; the story compares it with the model's after
every step, and checks that an audit entry was written exactly when the state changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from jobferry.errors import KeyNotFoundError, PolicyNotFoundError
from jobferry.services.container import Services
from jobferry.services.context import Actor, Scope

ALLOWED, DENIED, REFUSED, MISSING = 200, 403, 400, 404
REDIRECT = 303
ROLE_OF = {
    "wadmin": "admin",
    "dev": "developer",
    "viewer": "viewer",
    "operator": "operator",
    "deployer": "deployer",
}
"""The story's signed-in users other than the bootstrap admin, and their role here."""
ROLES = ("admin", "developer", "operator", "viewer", "deployer")
KINDS = ("connection", "dli_queue")
NAME_LIMIT = 128


@dataclass(frozen=True)
class Person:
    """A user of the story: project admin or not, and their role here (``None``: none)."""

    project_admin: bool
    role: str | None


@dataclass(frozen=True)
class Held:
    """A workspace and the story's users, as the services read them."""

    users: tuple[tuple[str, Person], ...]
    settings: tuple[str, bool, bool, bool]
    """Lock policy, approval, signed packages only, enterprise mode."""
    environment: tuple[tuple[str, str, str, str], ...]
    profiles: tuple[tuple[str, int], ...]
    """Each profile and how many versions it has."""
    signing: str | None
    policy: int
    """How many versions the workspace's policy has."""


@dataclass
class AdminModel:
    """What the story's workspace holds, and what each step answers."""

    users: dict[str, Person]
    """By the name the story gives (``admin``: the bootstrap admin)."""
    other_admins: int
    """Project admins who are none of the story's users."""
    settings: tuple[str, bool, bool, bool]
    environment: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    profiles: dict[str, int] = field(default_factory=dict)
    signing: str | None = None
    policy: int = 0

    def held(self) -> Held:
        return Held(
            tuple(sorted(self.users.items())),
            self.settings,
            tuple(sorted((k, n, t, c) for (k, n), (t, c) in self.environment.items())),
            tuple(sorted(self.profiles.items())),
            self.signing,
            self.policy,
        )

    def project_admin(self, user: str) -> bool:
        person = self.users.get(user)
        return person is not None and person.project_admin

    def workspace_admin(self, user: str) -> bool:
        person = self.users.get(user)
        return person is not None and (person.project_admin or person.role == "admin")

    def admins(self) -> int:
        return self.other_admins + sum(p.project_admin for p in self.users.values())

    # -- users and roles -------------------------------------------------------------------

    def users_post(self, actor: str, action: str, user: str, role: str) -> int:
        """The users form: what it answers, the model changed when it is taken."""
        if not self.project_admin(actor):
            return DENIED
        handler = getattr(self, f"_user_{action}", None)
        if handler is None:
            return REFUSED
        return int(handler(actor, user, role))

    def _user_create(self, actor: str, user: str, role: str) -> int:
        if not user or len(user) > NAME_LIMIT or user in self.users:
            return REFUSED
        self.users[user] = Person(False, None)
        return ALLOWED

    def _user_grant(self, actor: str, user: str, role: str) -> int:
        if role not in ROLES or user not in self.users:
            return REFUSED
        self.users[user] = replace(self.users[user], role=role)
        return ALLOWED

    def _user_revoke(self, actor: str, user: str, role: str) -> int:
        if user not in self.users or self.users[user].role is None:
            return REFUSED
        self.users[user] = replace(self.users[user], role=None)
        return ALLOWED

    def _user_project_admin(self, actor: str, user: str, role: str) -> int:
        if user not in self.users:
            return REFUSED
        self.users[user] = replace(self.users[user], project_admin=True)
        return ALLOWED

    def _user_not_project_admin(self, actor: str, user: str, role: str) -> int:
        if user not in self.users:
            return REFUSED
        if self.users[user].project_admin and self.admins() == 1:
            return REFUSED  # the last admin
        self.users[user] = replace(self.users[user], project_admin=False)
        return ALLOWED

    def _user_remove(self, actor: str, user: str, role: str) -> int:
        if user not in self.users or user == actor:
            return REFUSED
        del self.users[user]
        return ALLOWED

    # -- settings --------------------------------------------------------------------------

    def settings_post(self, actor: str, lock: str, approval: bool, signed: bool) -> int:
        if not self.workspace_admin(actor):
            return DENIED
        enterprise = self.settings[3]
        if lock not in ("soft", "hard") or (approval and enterprise):
            return REFUSED
        self.settings = (lock, approval, signed, enterprise)
        return REDIRECT

    def enterprise_post(self, actor: str, ticked: bool) -> int:
        if not self.workspace_admin(actor):
            return DENIED
        lock, approval, signed, _ = self.settings
        if not ticked or approval:
            return REFUSED
        self.settings = (lock, approval, signed, True)
        return REDIRECT

    # -- environment objects, profiles, policies, keys ---------------------------------------

    def environment_post(self, actor: str, kind: str, name: str, type_: str, config: str) -> int:
        if not self.workspace_admin(actor):
            return DENIED
        if not config.startswith("{") or kind not in KINDS or not type_:
            return REFUSED
        if not name or len(name) > NAME_LIMIT:
            return REFUSED
        self.environment[(kind, name)] = (type_, config)
        return ALLOWED

    def environment_delete(self, actor: str, kind: str, name: str) -> int:
        if not self.workspace_admin(actor):
            return DENIED
        if self.environment.pop((kind, name), None) is None:
            return REFUSED
        return ALLOWED

    def environment_edit(self, actor: str, kind: str, name: str) -> int:
        if not self.workspace_admin(actor):
            return DENIED
        if not kind or not name:  # nothing named to edit: the page, its form empty
            return ALLOWED
        if kind not in KINDS:
            return REFUSED
        return ALLOWED if (kind, name) in self.environment else MISSING

    def profile_page(self, actor: str, name: str) -> int:
        if not self.workspace_admin(actor):
            return DENIED
        return ALLOWED if name in self.profiles else MISSING

    def profile_post(self, actor: str, name: str, document: str) -> int:
        """A profile saved (a new version each time)."""
        if not self.workspace_admin(actor):
            return DENIED
        if not name or len(name) > NAME_LIMIT or document != "{}":
            return REFUSED
        self.profiles[name] = self.profiles.get(name, 0) + 1
        return ALLOWED

    def profile_delete(self, actor: str, name: str) -> int:
        if not self.workspace_admin(actor):
            return DENIED
        return ALLOWED if self.profiles.pop(name, None) is not None else REFUSED

    def policy_post(self, actor: str, route: str, document: str) -> int:
        """The workspace's policy saved (``route``: a route's, which the story never makes, and
        which takes a project admin)."""
        if not self.workspace_admin(actor) or (route and not self.project_admin(actor)):
            return DENIED
        if route or document.startswith("maxDeletions: -"):
            return REFUSED
        self.policy += 1
        return ALLOWED

    def route_policy_page(self, actor: str) -> int:
        """The policies page of a route not there."""
        return MISSING if self.workspace_admin(actor) else DENIED

    def keys_post(self, actor: str, action: str, key_id: str) -> int:
        """Create or delete the signing key (``key_id``: the new key's, when created)."""
        if not self.workspace_admin(actor):
            return DENIED
        if action == "delete" and self.signing is None:
            return REFUSED
        self.signing = key_id if action == "create" else None
        return ALLOWED


def environment_config(config: dict[str, Any]) -> str:
    """A config as the story types it (compact JSON, keys in order)."""
    return "{" + ", ".join(f'"{k}": "{v}"' for k, v in config.items()) + "}"


def held(services: Services, boss: Actor, scope: Scope, names: dict[str, str]) -> Held:
    """What the story's workspace holds and its users (``names``: real name → story name), read
    through the services as the bootstrap admin (``boss``, a project admin)."""
    here = scope.workspace.id
    users = tuple(
        sorted(
            (
                names[u.name],
                Person(
                    u.project_admin,
                    next((r.role.value for r in u.roles if r.workspace_id == here), None),
                ),
            )
            for u in services.accounts.list_users(boss, boss.project_id)
            if u.name in names
        )
    )
    ws = services.accounts.scope(boss, boss.project_id, here)
    record = ws.workspace
    environment = tuple(
        sorted(
            (o.kind.value, o.name, o.type, environment_config(o.config))
            for kind in KINDS
            for o in services.environment.list_objects(ws, kind)
        )
    )
    profiles = tuple(
        sorted(
            (p.name, len(services.profiles.versions(ws, p.name)))
            for p in services.profiles.list_all(ws)
        )
    )
    try:
        signing: str | None = services.keys.signing_key(ws).key_id
    except KeyNotFoundError:
        signing = None
    settings = (
        record.lock_policy,
        record.approval_enabled,
        record.require_signed,
        record.production_id is not None,
    )
    try:
        policy = len(services.policies.versions(ws, None))
    except PolicyNotFoundError:
        policy = 0
    return Held(users, settings, environment, profiles, signing, policy)
