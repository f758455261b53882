"""IAM tokens: ``POST /v3/auth/tokens`` with a user's password, then ``X-Auth-Token`` on calls.

DataArts' own examples, public scripts and the Go SDK (``gophertelekomcloud``) authenticate
with an IAM token instead of an AK/SK signature. jobferry issues such tokens itself.

Decisions:
- A token is 256 random bits (``secrets.token_urlsafe(32)``); the database keeps only its
  sha256, with its user, its project, and when it was issued and ends (``iam_token_hours``,
  IAM's 24 hours by default). It is a bearer token: no replay check, as IAM has none.
- The password is the user's console password, checked by :class:`SignInService`, so a wrong
  password counts towards the same lockout and the token endpoint is no way around it; no
  answer tells whether a user exists (:class:`TokenPasswordError` is one message).
- A token ends at its end, on ``DELETE /v3/auth/tokens``, when its user's password is set or
  changed (``SignInService`` deletes the user's tokens in the same transaction) and when the
  user is deleted (the rows go with it). A user belongs to one project for good, so the
  project a token is for is its user's. Roles are not in the token: each call takes the
  user's roles as they are then, as a signed call does.
- A live token of another project than the call's path (for a call without a project in
  its path: than the ``X-Project-Id`` sent) is refused with 403 (:class:`TokenProjectError`),
  not 401: the Go SDK answers any 401 with a new token and the same call again, which for
  this would never end.
- A verified token is kept in this process's memory for ``auth_cache_seconds`` (as a verified
  access key is): revoked through this process, at once; through another, within that time.
  Its end is checked on every use.
- The housekeeping removes ended tokens (:meth:`TokenService.sweep`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from jobferry.errors import (
    AuthenticationError,
    PermissionDeniedError,
    TokenNotFoundError,
    TokenPasswordError,
    TokenProjectError,
)
from jobferry.services.accounts.signin import SignInService
from jobferry.services.accounts.tokenrequest import PasswordAuth
from jobferry.services.audit import record_audit
from jobferry.services.context import Actor, now_ms
from jobferry.services.support.cache import TtlCache
from jobferry.storage import Database, Tx
from jobferry.storage import accounts as account_repo
from jobferry.storage import tokens as repo
from jobferry.storage.records import ProjectRecord
from jobferry.storage.tokens import TokenRecord

MAX_TOKEN_LENGTH = 1024
"""A longer ``X-Auth-Token`` is none of this server's (it issues 43 characters)."""


@dataclass(frozen=True)
class TokenGrant:
    """What a token stands for: its user and project, the user's roles, and its lifetime."""

    actor: Actor
    project_name: str
    roles: tuple[str, ...]
    issued_at: int
    expires_at: int


def token_id(token: str) -> str:
    """The stored id of a token (its sha256)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _get_new_token(project_id: str | None) -> AuthenticationError:
    scope = f" '{project_id}'" if project_id else ""
    return AuthenticationError(
        "Incorrect IAM authentication information: the X-Auth-Token is unknown, expired or "
        "revoked (a password change revokes its user's tokens); get a new one from POST "
        f"/v3/auth/tokens with the user's name, password and auth.scope.project.id{scope}, "
        "or sign the request with AK/SK."
    )


class TokenService:
    """Issue, validate and revoke IAM tokens; the user a token authenticates."""

    def __init__(
        self, db: Database, signin: SignInService, *, hours: float, cache_seconds: float
    ) -> None:
        self.db = db
        self.signin = signin
        self.lifetime_ms = int(hours * 3600 * 1000)
        self._known: TtlCache[str, tuple[TokenRecord, Actor]] = TtlCache(cache_seconds)

    def issue(
        self, auth: PasswordAuth, admit: Callable[[], None] | None = None
    ) -> tuple[str, TokenGrant]:
        """A new token for the user and project the request names (shown once). ``admit``:
        raises to refuse the request once the password matched, before anything is written
        (the API: a Host not among the public hosts), so a stranger learns nothing of it."""
        with self.db.transaction(readonly=True) as tx:
            project = self._project(tx, auth)
            name = self._user_name(tx, auth, project)
        actor = self.signin.check_password(
            project.id if project else "", name, auth.password, "token.issue", admit=admit
        )
        if actor is None or project is None:
            raise TokenPasswordError(
                "Incorrect IAM authentication information: the project, user name or password "
                "is wrong, or the user is locked after too many wrong passwords in a row (the "
                "web console's rule: each further attempt waits, doubling, at most one hour). "
                "A token is issued for a user's console password in the project named by "
                "auth.scope.project; a user without one gets none. Check them and retry later, "
                "or ask a project admin to set a new password."
            )
        token = secrets.token_urlsafe(32)
        now = now_ms()
        record = TokenRecord(
            token_id(token), actor.user_id, project.id, now, now + self.lifetime_ms
        )
        with self.db.transaction() as tx:
            repo.insert_token(tx, record)
            return token, self._grant(tx, record, actor, project)

    @staticmethod
    def _project(tx: Tx, auth: PasswordAuth) -> ProjectRecord | None:
        for project in account_repo.list_projects(tx):
            if auth.project_id == project.id or (
                auth.project_id is None and auth.project_name == project.name
            ):
                return project
        return None

    @staticmethod
    def _user_name(tx: Tx, auth: PasswordAuth, project: ProjectRecord | None) -> str:
        """The name of the user the request names, by name or by id; empty (no user, refused
        at the same cost as a wrong password) for an id of no user of the project. The id is
        the text an answer gave (``token.user.id``), never another spelling of its number
        (``018`` is no user's)."""
        if auth.user_id is None:
            return auth.user_name
        digits = auth.user_id.isascii() and auth.user_id.isdigit()
        user = account_repo.get_user(tx, int(auth.user_id)) if digits else None
        if user is None or str(user.id) != auth.user_id:
            return ""
        if project is None or user.project_id != project.id:
            return ""
        return user.name

    @staticmethod
    def _grant(tx: Tx, record: TokenRecord, actor: Actor, project: ProjectRecord) -> TokenGrant:
        roles = set(account_repo.roles_of_user(tx, actor.user_id).values())
        if actor.is_project_admin:
            roles.add("project_admin")
        return TokenGrant(
            actor, project.name, tuple(sorted(roles)), record.issued_at, record.expires_at
        )

    # -- authenticating calls -------------------------------------------------------------

    def cached_actor(self, token: str, project_id: str) -> Actor | None:
        """The token's user when this process holds the token in memory; never reads storage
        (the API authenticates such calls without leaving the event loop)."""
        found = self._known.get(token_id(token)) if len(token) <= MAX_TOKEN_LENGTH else None
        if found is None:
            return None
        return self._checked(found, project_id)

    def actor_for(self, token: str, project_id: str) -> Actor:
        """The user a token authenticates for a call of ``project_id``; 401 when the token is
        unknown, ended, revoked or for another project."""
        found = self._live(token)
        if found is None:
            raise _get_new_token(project_id)
        self._known.put(found[0].id, found)
        return self._checked(found, project_id)

    def _live(self, token: str) -> tuple[TokenRecord, Actor] | None:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        with self.db.transaction(readonly=True) as tx:
            record = repo.get_token(tx, token_id(token))
            user = account_repo.get_user(tx, record.user_id) if record else None
        if record is None or user is None or record.expires_at <= now_ms():
            return None
        return record, Actor(user.id, user.name, user.project_id, user.is_project_admin)

    def _checked(self, found: tuple[TokenRecord, Actor], project_id: str) -> Actor:
        record, actor = found
        if record.expires_at <= now_ms():
            self._known.discard(record.id)
            raise _get_new_token(project_id)
        if record.project_id != project_id:
            raise TokenProjectError(
                f"The X-Auth-Token is for project '{record.project_id}', not for project "
                f"'{project_id}' named in the path; call project '{record.project_id}', or get "
                f"a token for project '{project_id}' from POST /v3/auth/tokens "
                "(auth.scope.project.id) as one of its users.",
                token_project=record.project_id,
                path_project=project_id,
            )
        return actor

    # -- validating and revoking ----------------------------------------------------------

    def caller(self, token: str, claimed: str = "") -> Actor:
        """The user of the ``X-Auth-Token`` of a call without a project in its path (validate,
        revoke, the catalog, projects); 401 when it is not a live token. ``claimed``, the
        ``X-Project-Id`` sent (empty: none), must be the token's project, else 403 as for a
        path's."""
        found = self._live(token)
        if found is None:
            raise _get_new_token(None)
        record, actor = found
        if claimed and claimed != record.project_id:
            raise TokenProjectError(
                f"The X-Auth-Token is for project '{record.project_id}', not for project "
                f"'{claimed[:64]}' named by X-Project-Id; send X-Project-Id "
                f"'{record.project_id}' (or none), or get a token for project '{claimed[:64]}' "
                "from POST /v3/auth/tokens (auth.scope.project.id) as one of its users.",
                token_project=record.project_id,
                header_project=claimed[:64],
            )
        return actor

    def own_project(self, actor: Actor) -> ProjectRecord:
        """The project of an authenticated caller (``GET /v3/auth/catalog``,
        ``GET /v3/projects``: signed, or by its own ``X-Auth-Token``)."""
        with self.db.transaction(readonly=True) as tx:
            project = account_repo.get_project(tx, actor.project_id)
        assert project is not None  # an authenticated caller's project exists
        return project

    def validate(self, caller: Actor, subject: str) -> TokenGrant:
        """What the subject token stands for (its user, or a project admin of its project,
        may ask); 404 when it is unknown, ended or revoked."""
        record, actor = self._subject(caller, subject)
        with self.db.transaction(readonly=True) as tx:
            project = account_repo.get_project(tx, record.project_id)
            assert project is not None  # a token goes with its user, whose project it is
            return self._grant(tx, record, actor, project)

    def revoke(self, caller: Actor, subject: str) -> None:
        """End the subject token now (its user, or a project admin of its project, may)."""
        record, user = self._subject(caller, subject)
        with self.db.transaction() as tx:
            repo.delete_token(tx, record.id)
            by = caller.name
            record_audit(tx, record.project_id, None, by, "token.revoke", "user", user.name)
        self._known.discard(record.id)

    def _subject(self, caller: Actor, subject: str) -> tuple[TokenRecord, Actor]:
        found = self._live(subject)
        if found is None:
            raise TokenNotFoundError(
                "The token in X-Subject-Token is unknown, expired or revoked; get a new one "
                "from POST /v3/auth/tokens."
            )
        record, actor = found
        mine = actor.user_id == caller.user_id
        if not mine and not (caller.is_project_admin and caller.project_id == record.project_id):
            raise PermissionDeniedError(
                f"User '{caller.name}' may not see or revoke another user's token; only its "
                "user or a project admin of its project may. Send that user's own X-Auth-Token."
            )
        return found

    # -- upkeep ---------------------------------------------------------------------------

    def forget(self) -> None:
        """Drop this process's tokens in memory (a password was set or a user removed: the
        user's are revoked)."""
        self._known.clear()

    def sweep(self, now: int | None = None) -> int:
        """Remove ended tokens; how many."""
        with self.db.transaction() as tx:
            return repo.delete_ended_tokens(tx, now_ms() if now is None else now)
