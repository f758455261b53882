"""What jobferry's own IAM must answer (``tests/api/test_generated_iam_tokens.py``), as
docs/api.md ("IAM tokens", "The Go SDK gophertelekomcloud") and docs/errors.md (``DLF.9081``,
``DLF.9082``, ``DLF.9083``, ``APIGW.0301``) and docs/console.md (the lockout) say it.

- A token is issued for a user of the scoped project (by name or by id) and their console
  password; a wrong project, user or password, a user without a password and a locked user all
  get one 401 ``DLF.9081``. A wrong password of a user with one counts towards the console's
  lockout: after ``failures`` in a row each further attempt waits ``seconds``, doubling with
  every further failure, at most an hour, the password not even checked meanwhile; a good
  password or a new one resets it.
- A token lives until ``hours`` after its issue, until revoked, until its user's password is
  set and while its user exists (a user made again of the same name is another user).
- A validate or revoke needs a live ``X-Auth-Token`` (else 401 ``APIGW.0301``); a subject
  that is not live is 404 ``DLF.9082``; only its user or a project admin of its project may
  (else 403 ``DLF.6888``).
- A v1 call with a token: checked as signed when ``Authorization`` comes with it; an
  ``X-Project-Id`` other than the path's, or a token not live, 401 ``APIGW.0301``; a live
  token of another project than the path's 403 ``DLF.9083``; then the user's roles now.
- The catalog and projects with a token: a token not live 401 ``APIGW.0301``; a live token
  of another project than the ``X-Project-Id`` sent (their paths name none) 403 ``DLF.9083``.
- Every call reads a token header without the blanks around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

HOUR_MS = 3_600_000
MAX_LOCK_MS = HOUR_MS
READERS = ("admin", "developer", "operator", "viewer", "deployer")
WRITERS = ("admin", "developer")


@dataclass
class UserM:
    """A user of the story: their project (index), name, id, password, project admin flag,
    role in the project's workspace and lockout state."""

    project: int
    name: str
    uid: int
    password: str | None
    admin: bool
    role: str | None
    failures: int = 0
    locked_until: int | None = None

    def roles(self) -> list[str]:
        """What a token answer lists: the workspace roles, ``project_admin`` for an admin."""
        found = {self.role} if self.role else set()
        if self.admin:
            found.add("project_admin")
        return sorted(found)


@dataclass
class TokenM:
    """A token the story was given: its text, user, times and roles at issue."""

    value: str
    user: UserM
    issued_at: int
    expires_at: int
    roles: list[str]
    revoked: bool = False


@dataclass(frozen=True)
class Outcome:
    """An expected answer: the status and, for a refusal, the code."""

    status: int
    code: str | None = None


@dataclass
class Model:
    """The story's projects, users, tokens and clock."""

    projects: list[tuple[str, str]]
    """(id, name) of each project."""
    now: int
    hours: float
    lock_failures: int
    lock_seconds: int
    users: dict[tuple[int, str], UserM] = field(default_factory=dict)
    tokens: list[TokenM] = field(default_factory=list)
    audit: list[tuple[int, str, str, str]] = field(default_factory=list)
    """(project, action, actor, user) of each ``token.issue`` and ``token.revoke``."""

    # -- who lives ----------------------------------------------------------------------------

    def exists(self, user: UserM) -> bool:
        return self.users.get((user.project, user.name)) is user

    def live(self, token: TokenM) -> bool:
        return not token.revoked and self.exists(token.user) and self.now < token.expires_at

    def locked(self, user: UserM) -> bool:
        return user.locked_until is not None and self.now < user.locked_until

    # -- asking for a token -------------------------------------------------------------------

    def scoped_user(self, project: int | None, name: str | None, uid: int | None) -> UserM | None:
        """The user the request names in the scoped project (``None``: no such one)."""
        if project is None:
            return None
        if uid is not None:
            return next(
                (u for u in self.users.values() if u.uid == uid and u.project == project), None
            )
        return self.users.get((project, name or ""))

    def ask(self, user: UserM | None, password: str) -> UserM | None:
        """The user a token is issued to, or ``None`` (refused); counts a wrong password."""
        if user is None or user.password is None or self.locked(user):
            return None
        if password != user.password:
            user.failures += 1
            if user.failures >= self.lock_failures:
                delay = self.lock_seconds * 1000 * 2 ** (user.failures - self.lock_failures)
                user.locked_until = self.now + min(delay, MAX_LOCK_MS)
            return None
        user.failures, user.locked_until = 0, None
        return user

    def issued(self, value: str, user: UserM) -> TokenM:
        end = self.now + int(self.hours * HOUR_MS)
        token = TokenM(value, user, self.now, end, user.roles())
        self.tokens.append(token)
        return token

    # -- validating and revoking --------------------------------------------------------------

    def subject_outcome(self, caller: TokenM | None, subject: TokenM | None) -> Outcome:
        """A validate or revoke by ``caller``'s token of ``subject`` (``None``: unknown)."""
        if caller is None or not self.live(caller):
            return Outcome(401, "APIGW.0301")
        if subject is None or not self.live(subject):
            return Outcome(404, "DLF.9082")
        mine = subject.user is caller.user
        admin_there = caller.user.admin and caller.user.project == subject.user.project
        if not mine and not admin_there:
            return Outcome(403, "DLF.6888")
        return Outcome(200)

    # -- calls --------------------------------------------------------------------------------

    def call_outcome(self, token: TokenM | None, path: str, write: bool, extra: str) -> Outcome:
        """A v1 call to project ``path`` (an id) with ``token``; ``extra`` is ``""``,
        ``"authorization"`` (a signature beside it, of an unknown key), ``"xproject"`` (an
        ``X-Project-Id`` of another project) or ``"workspace"`` (a ``workspace`` header naming
        another project's workspace)."""
        if extra in ("authorization", "xproject"):
            return Outcome(401, "APIGW.0301")
        if token is None or not self.live(token):
            return Outcome(401, "APIGW.0301")
        if self.projects[token.user.project][0] != path:
            return Outcome(403, "DLF.9083")
        if extra == "workspace":
            return Outcome(400, "DLF.0819")
        user = token.user
        allowed = WRITERS if write else READERS
        if user.admin or user.role in allowed:
            return Outcome(204 if write else 200)
        return Outcome(403, "DLF.6888")

    def own_outcome(self, token: TokenM | None, claimed: int | None) -> Outcome:
        """The catalog or projects asked for with ``token`` and an ``X-Project-Id`` of project
        ``claimed`` (``None``: no such header)."""
        if token is None or not self.live(token):
            return Outcome(401, "APIGW.0301")
        if claimed is not None and claimed != token.user.project:
            return Outcome(403, "DLF.9083")
        return Outcome(200)

    # -- changes ------------------------------------------------------------------------------

    def password_set(self, user: UserM, password: str) -> None:
        """A new password: the user's tokens end, the lockout is reset."""
        user.password, user.failures, user.locked_until = password, 0, None
        for token in self.tokens:
            if token.user is user:
                token.revoked = True

    def region(self, project: int) -> str:
        return self.projects[project][1].split("_", 1)[0]
