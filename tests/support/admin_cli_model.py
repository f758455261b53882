"""What ``jobferry admin …`` promises, written from docs/cli.md (the ``admin`` rows, the
paragraph after them, "Exit codes"), docs/api.md ("Names", the users, roles and credentials
calls of "Extensions", ``project=true`` of the audit call), docs/errors.md and docs/console.md
(the password rule), for ``tests/unit/cli/test_generated_admin.py``.

The model holds the project's users (project admin or not, a role per workspace, their live
access keys) and workspaces, and says of each step what it answers: its exit code, the
``error.code`` of its ``--json`` refusal, and the audit entries it writes, each by
``local-admin``. A refusal changes nothing and writes no entry.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from support.audits import Line

LOCAL = "local-admin"
"""The audit actor of every ``admin`` command."""
USAGE, FAILED, INTERRUPTED = 2, 1, 130
DUPLICATE, NOT_FOUND, INVALID, PRODUCTION = "DLF.9010", "DLF.9003", "DLF.3051", "DLF.9070"
SIGN_IN, TOKEN = "DLF.9030", "DLF.9081"
MIN_PASSWORD = 10
"""docs/console.md, "Security decisions": at least 10 characters, not the user name."""


@dataclass(frozen=True)
class Outcome:
    """What a step answers: its exit code, the ``error.code`` of a refusal (``None``: none
    promised), and the audit entries it writes (oldest first)."""

    exit_code: int
    code: str | None = None
    audit: tuple[Line, ...] = ()
    fix: str | None = None
    """What a refusal's text for a person holds: its fix, in the CLI's commands."""


OK = Outcome(0)


def refused(code: str, exit_code: int = FAILED, fix: str | None = None) -> Outcome:
    """A refusal (docs/cli.md "Exit codes": the server's refusal exits 1, usage exits 2)."""
    return Outcome(exit_code, code, fix=fix)


LAST_ADMIN_FIX = "jobferry admin set-project-admin USER"
"""docs/cli.md ``admin remove-user``: the project's last admin is kept; make another user one
first with this command (``set-project-admin --off`` is refused alike)."""


def name_ok(name: str) -> bool:
    """docs/api.md "Names": 1–128 letters, digits, ``_``, ``-``, ``.``; no blanks at either
    end; not only dots; in its NFKC form (the mixed-script rule is left to the services: the
    stories' names are of one script)."""
    if not 1 <= len(name) <= 128 or set(name) == {"."}:
        return False
    if unicodedata.normalize("NFKC", name) != name:
        return False
    return all(c.isalnum() or c in "_-." for c in name)


@dataclass
class Person:
    """A user: project admin or not, a role per workspace id, their live access keys."""

    admin: bool
    roles: dict[str, str] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)


@dataclass
class Model:
    """The project as the documents say the admin commands leave it."""

    workspaces: dict[str, str]
    """Workspace name → id (production sides are not listed)."""
    users: dict[str, Person]
    secrets: dict[str, str] = field(default_factory=dict)
    """Every access key issued in the story → its secret key (revoked ones too)."""
    locked: set[str] = field(default_factory=set)
    passwords: dict[str, str] = field(default_factory=dict)
    """Each user's console password, once set."""
    sessions: dict[str, int] = field(default_factory=dict)
    """How many console sessions each user has open."""
    tokens: dict[str, int] = field(default_factory=dict)
    """How many live IAM tokens each user holds."""
    approval_keys: dict[str, int] = field(default_factory=dict)
    """How many approval keys each user registered."""
    removed: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """What the last removal of each user ended: their live sessions and tokens, and the
    approval keys it deleted."""
    gone_keys: list[str] = field(default_factory=list)
    gone_roles: list[str] = field(default_factory=list)
    """The access keys and the workspaces of the roles the last removal took."""

    def live_keys(self) -> dict[str, str]:
        """Each live access key → its user."""
        return {key: name for name, p in self.users.items() for key in p.keys}

    def admins(self) -> list[str]:
        return [name for name, p in self.users.items() if p.admin]

    # -- each command -------------------------------------------------------------------

    def create_workspace(self, name: str) -> Outcome:
        if name in self.workspaces:
            return refused(DUPLICATE)
        if not name_ok(name):
            return refused(INVALID)
        return Outcome(0, None, ((LOCAL, "workspace.create", "workspace", name),))

    def created_workspace(self, name: str, ws_id: str) -> None:
        self.workspaces[name] = ws_id

    def create_user(self, name: str, admin: bool) -> Outcome:
        if name in self.users:
            return refused(DUPLICATE)
        if not name_ok(name):
            return refused(INVALID)
        self.users[name] = Person(admin)
        return Outcome(0, None, ((LOCAL, "user.create", "user", name),))

    def create_credentials(self, user: str) -> Outcome:
        if user not in self.users:
            return refused(NOT_FOUND)
        return Outcome(0, None, ((LOCAL, "credential.create", "user", user),))

    def issued(self, user: str, access_key: str, secret_key: str) -> None:
        self.users[user].keys.append(access_key)
        self.secrets[access_key] = secret_key

    def revoke_credentials(self, user: str, access_key: str) -> Outcome:
        """docs/errors.md DLF.9003: an unknown user, or a key to revoke that is not theirs."""
        person = self.users.get(user)
        if person is None or access_key not in person.keys:
            return refused(NOT_FOUND)
        person.keys.remove(access_key)
        self.locked.discard(access_key)
        return Outcome(0, None, ((LOCAL, "credential.delete", "user", user),))

    def set_project_admin(self, user: str, admin: bool) -> Outcome:
        """api.md ``PUT /users/{name}``: setting what they are already changes nothing."""
        person = self.users.get(user)
        if person is None:
            return refused(NOT_FOUND)
        if person.admin == admin:
            return OK
        if not admin and self.admins() == [user]:
            return refused(INVALID, fix=LAST_ADMIN_FIX)
        person.admin = admin
        return Outcome(0, None, ((LOCAL, "user.project_admin", "user", user),))

    def remove_user(self, user: str, how: str) -> Outcome:
        """docs/cli.md ``admin remove-user``: asks first (``--yes``: unasked; no terminal:
        refused, exit 2), naming what the removal leaves short of approvers, so a user who
        does not exist is refused before the question; declined: exit 1, nothing removed;
        Ctrl-C at the question: exit 130, nothing removed; then refused for the project's last
        admin."""
        if how == "unasked":
            return refused("usage", USAGE)
        person = self.users.get(user)
        if person is None:
            return refused(NOT_FOUND)
        if how == "declined":
            return Outcome(FAILED)
        if how == "interrupted":  # "Exit codes": Ctrl-C at a question exits 130
            return Outcome(INTERRUPTED)
        if person.admin and self.admins() == [user]:
            return refused(INVALID, fix=LAST_ADMIN_FIX)
        del self.users[user]
        self.locked.difference_update(person.keys)
        self.passwords.pop(user, None)
        ended = self.sessions.pop(user, 0), self.tokens.pop(user, 0)
        self.removed[user] = (*ended, self.approval_keys.pop(user, 0))
        self.gone_keys, self.gone_roles = list(person.keys), list(person.roles)
        return Outcome(0, None, ((LOCAL, "user.remove", "user", user),))

    def unlock_key(self, access_key: str) -> Outcome:
        """docs/api.md ``project=true``: an access key's unlock is audited (``credential.
        unlock``, on its user); a key the server does not hold is refused (exit 1); docs/cli.md
        ``admin unlock-key``: a key not locked is left as it is, unaudited (exit 0)."""
        user = self.live_keys().get(access_key)
        if user is None:
            return Outcome(FAILED)
        if access_key not in self.locked:
            return OK
        self.locked.discard(access_key)
        return Outcome(0, None, ((LOCAL, "credential.unlock", "user", user),))

    def set_role(self, user: str, workspace: str | None, role: str | None) -> Outcome:
        """``workspace``: the id named (``None``: none the project lists); ``role`` ``None``: not
        a role. A usage error is found before the database is asked (exit 2)."""
        if workspace is None or role is None:
            return refused("usage", USAGE)
        if workspace == "production":
            return refused(PRODUCTION)
        person = self.users.get(user)
        if person is None:
            return refused(NOT_FOUND)
        held, person.roles[workspace] = person.roles.get(workspace), role
        if held == role:  # the role held already: nothing changes, nothing is audited
            return Outcome(0, None, ())
        return Outcome(0, None, ((LOCAL, "role.set", "user", user),))

    def remove_role(self, user: str, workspace: str | None) -> Outcome:
        if workspace is None:
            return refused("usage", USAGE)
        if workspace == "production":
            return refused(PRODUCTION)
        person = self.users.get(user)
        if person is None or workspace not in person.roles:
            return refused(NOT_FOUND)
        del person.roles[workspace]
        return Outcome(0, None, ((LOCAL, "role.remove", "user", user),))

    def set_password(self, user: str, password: str | None) -> Outcome:
        """``password`` ``None``: no terminal to ask and no ``--password-stdin`` (exit 2)."""
        if password is None:
            return refused("usage", USAGE)
        person = self.users.get(user)
        short = len(password) < MIN_PASSWORD or password.strip().casefold() == user.casefold()
        if short:
            return refused(INVALID)
        if person is None:
            return refused(NOT_FOUND)
        self.passwords[user] = password
        # docs/cli.md: it ends that user's console sessions; errors.md APIGW.0301: a password
        # change revokes its user's tokens
        self.sessions[user] = self.tokens[user] = 0
        return Outcome(0, None, ((LOCAL, "user.password", "user", user),))

    def register_approval_key(self, user: str) -> Outcome:
        """A user registers an approval key (audited ``approval_key.register``)."""
        self.approval_keys[user] = self.approval_keys.get(user, 0) + 1
        return Outcome(0, None, ((user, "approval_key.register", "user", user),))

    def sign_in(self, user: str, token: bool) -> Outcome:
        """A console sign-in, or an IAM token asked (``token``), with the user's password
        (docs/errors.md DLF.9030, DLF.9081: an unknown name or an unset password), audited by
        the user."""
        if user not in self.passwords:
            return refused(TOKEN if token else SIGN_IN)
        held = self.tokens if token else self.sessions
        held[user] = held.get(user, 0) + 1
        action = "token.issue" if token else "console.signin"
        return Outcome(0, None, ((user, action, "user", user),))
