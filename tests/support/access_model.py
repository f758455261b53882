"""Who may do what in a workspace, as docs/api.md promises it, for the generated stories of
roles, users and keys (``tests/unit/services/test_generated_access.py``). Written from the
docs, not from the code:

- *Roles* (docs/api.md, "Roles"): ``admin`` everything in the workspace; ``developer`` writes
  jobs, scripts, resources and locks and starts and stops jobs, but not on a production side
  ("a developer reads production"); ``operator`` starts and stops jobs (on a production side
  too); ``viewer`` reads; ``deployer`` reads (and approves, deploys and cancels release
  packages). A user without a role in the workspace is refused every call there; a project
  admin is an admin of every workspace.
- A production side changes only by a release, an import as released and the start and stop
  of its jobs: any other write of its definitions is ``DLF.9070`` for a role that may write.
  The development side of an enterprise workspace schedules nothing: a start there is
  ``DLF.9089`` for a role that may start jobs (a job is scheduled once released).
  It is reached with the roles of its development workspace, where they are given and taken
  (given or taken on the production side: ``DLF.9070``).
- Any member lists the workspace's members: the users holding a role there and the project
  admins (``list_workspaceusers``; on a production side, those of its development workspace).
- Environment variables: admins and developers write, any role reads; tags, workspace
  settings, the audit log, granting and revoking roles: workspace admins; locks: developers
  and admins, an admin releases another's lock; exports and imports: admins and developers.
- Access keys: a project admin, or the user for themselves, issues and revokes them; a revoked
  key authenticates nothing.
- Release packages (enterprise mode; "Releases", and DataArts' permission matrix): a named
  approver signs while they hold admin or deployer, never the applicant (``DLF.9043``); a
  workspace admin, or an approver holding deployer or operator, deploys, never the applicant
  (``DLF.6888``); every role but viewers cancels; a package released or cancelled takes
  neither (``DLF.20990``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobferry.domain.enums import Role
from jobferry.errors import (
    ApprovalRefusedError,
    DevelopmentScheduleError,
    InvalidRequestError,
    JobferryError,
    JobNotFoundError,
    LockedError,
    NotFoundError,
    PackageReleasedError,
    PermissionDeniedError,
    ProductionSideError,
    UserNotFoundError,
)
from support.release_stories import Step

BOSS = "boss"
"""The bootstrap admin, a project admin: an admin of every workspace."""
USERS = ("ua", "ub", "uc")
GHOST = "ghost"
"""A user name the project does not have."""

EVERYONE = frozenset(Role)
WRITERS = frozenset({Role.ADMIN, Role.DEVELOPER})
SCHEDULERS = frozenset({Role.ADMIN, Role.DEVELOPER, Role.OPERATOR})
PRODUCTION_SCHEDULERS = frozenset({Role.ADMIN, Role.OPERATOR})
ADMINS = frozenset({Role.ADMIN})
APPROVERS = frozenset({Role.ADMIN, Role.DEPLOYER})
DEPLOYERS = frozenset({Role.DEPLOYER, Role.OPERATOR})
"""The roles an approver deploys with (a workspace admin deploys any package)."""
CANCELLERS = frozenset({Role.ADMIN, Role.DEVELOPER, Role.DEPLOYER, Role.OPERATOR})

Refusal = type[JobferryError] | None


@dataclass(frozen=True)
class Rule:
    """Who may make a call on each side (development or a simple workspace; production), and
    what a call they may make answers there when the story holds nothing to call it on."""

    here: frozenset[Role]
    production: frozenset[Role]
    writes: bool = True
    """Whether a call taken writes an audit line naming its caller."""


RULES = {
    "read": Rule(EVERYONE, EVERYONE, writes=False),
    "members": Rule(EVERYONE, EVERYONE, writes=False),
    "save": Rule(WRITERS, WRITERS),
    "delete": Rule(WRITERS, WRITERS),
    "start": Rule(SCHEDULERS, PRODUCTION_SCHEDULERS),
    "stop": Rule(SCHEDULERS, PRODUCTION_SCHEDULERS),
    "export": Rule(WRITERS, WRITERS),
    "import": Rule(WRITERS, WRITERS),
    "lock": Rule(WRITERS, ADMINS),
    "unlock": Rule(WRITERS, ADMINS),
    "variable": Rule(WRITERS, ADMINS),
    "tag": Rule(ADMINS, ADMINS),
    "settings": Rule(ADMINS, ADMINS, writes=False),
    # the story's save asks for the lock policy a workspace holds already (soft): a settings
    # save that changes nothing is no change: no audit entry (docs/operations.md, audit log)
    "audit": Rule(ADMINS, ADMINS, writes=False),
}
"""Each kind of call a story's users make (docs/api.md's tables say who may)."""
PRODUCTION_WRITES = ("save", "delete", "import")
"""Calls that change a production side's definitions: ``DLF.9070`` there for any role."""
ON_A_JOB = ("start", "stop", "export", "lock", "unlock")
"""Calls on job ``ja``, which a production side does not hold (nothing was released)."""


@dataclass
class Model:
    """What the story's workspace holds of roles, keys, locks and its jobs."""

    enterprise: bool
    roles: dict[str, Role] = field(default_factory=dict)
    keys: dict[str, list[str]] = field(default_factory=dict)
    """Each user's live access keys, oldest first."""
    revoked: dict[str, str] = field(default_factory=dict)
    """Each revoked key's user."""
    lock: str | None = None
    """Who holds the lock of job ``ja``."""
    scratch: bool = False
    """Whether job ``jx`` (made by a ``save``) exists."""
    started: bool = False
    """Whether job ``ja`` is scheduled."""
    package: str | None = None
    """The release package of ``ja`` (its applicant the project admin, every user of the
    story its approvers): ``waiting``, ``released`` or ``cancelled`` (``None``: simple mode)."""
    production_lock: str | None = None
    """Who holds the lock of ``ja`` in production."""

    def role(self, user: str) -> Role | None:
        """The user's role in the workspace (a project admin's is admin)."""
        return Role.ADMIN if user == BOSS else self.roles.get(user)

    def key_of(self, user: str) -> str | None:
        """The key a user calls with: their newest live one (the boss's is the test's)."""
        held = self.keys.get(user, [])
        return held[-1] if held else None

    def refusal(self, step: Step) -> Refusal:
        """What ``step`` is refused with (``None``: it is taken)."""
        return getattr(self, f"_{step.act}")(*step.args)  # type: ignore[no-any-return]

    def _grant(self, actor: str, user: str, role: str, production: bool = False) -> Refusal:
        if self.role(actor) is not Role.ADMIN:
            return PermissionDeniedError
        if production:
            return ProductionSideError
        if role not in {r.value for r in Role}:
            return InvalidRequestError
        return UserNotFoundError if user == GHOST else None

    def _revoke(self, actor: str, user: str, production: bool = False) -> Refusal:
        if self.role(actor) is not Role.ADMIN:
            return PermissionDeniedError
        if production:
            return ProductionSideError
        return UserNotFoundError if user not in self.roles else None

    def _key(self, actor: str, user: str) -> Refusal:
        if actor not in (BOSS, user):
            return PermissionDeniedError
        return UserNotFoundError if user == GHOST else None

    def _unkey(self, actor: str, user: str, key: str | None) -> Refusal:
        if actor not in (BOSS, user):
            return PermissionDeniedError
        return None if key in self.keys.get(user, []) else UserNotFoundError

    def _keyless(self, user: str) -> Refusal:
        return None  # no call made: the story checks that the user's revoked keys fail

    def _call(self, user: str, kind: str, production: bool) -> Refusal:
        role = self.role(user)
        rule = RULES[kind]
        if role not in (rule.production if production else rule.here):
            return PermissionDeniedError
        if production:
            if kind in PRODUCTION_WRITES:
                return ProductionSideError
            if kind in ON_A_JOB and self.package != "released":
                return NotFoundError if kind == "unlock" else JobNotFoundError
            return self._locking(user, kind, role, self.production_lock)
        if kind == "delete" and not self.scratch:
            return JobNotFoundError
        if kind == "start" and self.enterprise:
            return DevelopmentScheduleError
        return self._locking(user, kind, role, self.lock)

    @staticmethod
    def _locking(user: str, kind: str, role: Role | None, holder: str | None) -> Refusal:
        if kind == "lock" and holder not in (None, user):
            return LockedError
        if kind == "unlock":
            if holder is None:
                return NotFoundError
            if holder != user and role is not Role.ADMIN:
                return PermissionDeniedError
        return None

    def _approve(self, user: str) -> Refusal:
        role = self.role(user)
        if role is None:
            return PermissionDeniedError
        if self.package != "waiting":
            return PackageReleasedError
        return ApprovalRefusedError if user == BOSS or role not in APPROVERS else None

    def _deploy(self, user: str) -> Refusal:
        role = self.role(user)
        if user == BOSS or not (role is Role.ADMIN or role in DEPLOYERS):
            return PermissionDeniedError
        return None if self.package == "waiting" else PackageReleasedError

    def _cancel(self, user: str) -> Refusal:
        if self.role(user) not in CANCELLERS:
            return PermissionDeniedError
        return None if self.package == "waiting" else PackageReleasedError

    def take(self, step: Step, answer: object) -> None:
        """What a step taken changed."""
        args = step.args
        if step.act == "grant":
            self.roles[args[1]] = Role(args[2])
        elif step.act == "revoke":
            del self.roles[args[1]]
        elif step.act == "key":
            self.keys.setdefault(args[1], []).append(str(answer))
        elif step.act == "unkey":
            self.keys[args[1]].remove(args[2])
            self.revoked[args[2]] = args[1]
        elif step.act in ("deploy", "cancel"):
            self.package = "released" if step.act == "deploy" else "cancelled"
        elif step.act == "call":
            self._called(args[0], args[1], args[2])

    def _called(self, user: str, kind: str, production: bool) -> None:
        if production:
            if kind in ("lock", "unlock"):
                self.production_lock = user if kind == "lock" else None
            return
        if kind == "save":
            self.scratch = True
        elif kind == "delete":
            self.scratch = False
        elif kind in ("start", "stop"):
            self.started = kind == "start"
        elif kind == "lock":
            self.lock = user
        elif kind == "unlock":
            self.lock = None

    def writes(self, step: Step) -> bool:
        """Whether ``step``, taken, writes an audit line (naming its caller)."""
        if step.act == "keyless":
            return False
        if step.act == "grant":  # the role held already: nothing changes, nothing written
            return self.roles.get(step.args[1]) != step.args[2]
        if step.act != "call":
            return True
        kind, production = step.args[1], step.args[2]
        holder = self.production_lock if production else self.lock
        return RULES[kind].writes and not (kind == "lock" and holder == step.args[0])
