"""Web console sign-in: passwords (argon2id), lockout delays and sessions.

Decisions:
- Passwords are hashed with argon2id (argon2-cffi's defaults: RFC 9106's low-memory profile),
  rehashed on sign-in when those defaults change. The AK/SK credentials of the API are
  separate; a user without a password cannot sign in to the console.
- After ``console_lockout_failures`` failed attempts in a row, every further attempt must wait:
  ``console_lockout_seconds``, doubling per failure, at most one hour. While the wait runs the
  password is not checked. A good sign-in resets the counter.
- No answer tells which user names exist: an unknown name, a user without a password, a wrong
  password and a locked user get the same message (which states the lockout rule rather than
  the wait of one user) and the same cost (one argon2 verification with the same hasher:
  against a dummy hash when there is no real one to check). Unknown names are not counted:
  there is no row to count in, and a table of every name ever tried would grow at an
  attacker's pace; since locked and unknown answer alike, counting them would tell nothing.
- The session cookie holds a random token; the database keeps only its sha256 (a leaked table
  gives no usable cookie). Sessions end after ``console_session_hours`` or
  ``console_idle_minutes`` without use, on sign-out, and on a password change (which revokes
  the user's IAM tokens too, ``services/accounts/tokens.py``).
- Each session has its own CSRF token that every console form must send back.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from jobferry.errors import (
    DatabaseBusyError,
    InvalidRequestError,
    NotFoundError,
    SignInError,
)
from jobferry.services.accounts.users import user_not_found
from jobferry.services.audit import record_audit
from jobferry.services.context import Actor, now_ms, require_project_admin
from jobferry.settings import Settings
from jobferry.storage import Database
from jobferry.storage import accounts as account_repo
from jobferry.storage import console as repo
from jobferry.storage import tokens as token_repo
from jobferry.storage.console import SessionRecord, SignInRecord

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
MAX_LOCKOUT_SECONDS = 3600
TOUCH_EVERY_MS = 60_000


@dataclass(frozen=True)
class ConsoleSession:
    """A live console session: who, the CSRF token its forms must carry, when it ends."""

    id: str
    actor: Actor
    csrf_token: str
    expires_at: int


def session_id_of(token: str) -> str:
    """The stored id of a cookie token (its sha256)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_token(a: str, b: str) -> bool:
    """Constant-time comparison of two tokens."""
    return hmac.compare_digest(a.encode(), b.encode())


def check_password_rule(password: object, user_name: str) -> str:
    """The password if it is acceptable, else InvalidRequestError saying what is needed."""
    if not isinstance(password, str):
        raise InvalidRequestError("The password must be text.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidRequestError(
            f"The password is too short: use at least {MIN_PASSWORD_LENGTH} characters."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidRequestError(
            f"The password is too long: use at most {MAX_PASSWORD_LENGTH} characters."
        )
    if password.strip().casefold() == user_name.casefold():
        raise InvalidRequestError("The password must not be the user name; choose another.")
    return password


class SignInService:
    """Set passwords, check them with a lockout delay, and keep console sessions."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.hasher = PasswordHasher()
        self.session_ms = int(settings.console_session_hours * 3600 * 1000)
        self.idle_ms = settings.console_idle_minutes * 60 * 1000
        self.lockout_failures = settings.console_lockout_failures
        self.lockout_seconds = settings.console_lockout_seconds
        self._dummy_hash: str | None = None
        self.password_changed: Callable[[], None] = lambda: None
        """Called after a password is set (the token service drops its cached tokens)."""

    # -- passwords ------------------------------------------------------------------------

    def first_project(self) -> str:
        """The project the console serves: the first one (the bootstrapped project)."""
        with self.db.transaction(readonly=True) as tx:
            projects = account_repo.list_projects(tx)
        if not projects:
            raise NotFoundError(
                "The database has no project yet; start the server once (jobferry serve) to "
                "create the project and its admin user."
            )
        return projects[0].id

    def set_password(self, actor: Actor, user_name: str, password: object) -> None:
        """Set a user's console password (project admins for anyone, users for themselves)."""
        if actor.name != user_name:
            require_project_admin(actor, "set other users' passwords")
        self._set(actor.project_id, user_name, password, actor.name)

    def _set(self, project_id: str, user_name: str, password: object, by: str) -> None:
        plain = check_password_rule(password, user_name)
        hashed = self.hasher.hash(plain)
        with self.db.transaction() as tx:
            user = repo.sign_in_record(tx, project_id, user_name)
            if user is None:
                raise user_not_found(project_id, user_name)
            repo.set_password_hash(tx, user.id, hashed)
            now = now_ms()
            ended = repo.delete_sessions_of_user(tx, user.id, now, now - self.idle_ms)
            revoked = token_repo.delete_tokens_of_user(tx, user.id, now)
            record_audit(
                tx,
                project_id,
                None,
                by,
                "user.password",
                "user",
                user_name,
                {"sessionsEnded": ended, "tokensRevoked": revoked},
            )
        self.password_changed()

    # -- signing in -----------------------------------------------------------------------

    def authenticate(self, project_id: str, user_name: str, password: str) -> Actor:
        """The user if the password matches; SignInError otherwise (with the lockout delay)."""
        actor = self.check_password(project_id, user_name, password, "console.signin")
        if actor is None:
            raise self._wrong()
        return actor

    def check_password(
        self,
        project_id: str,
        user_name: str,
        password: str,
        action: str,
        *,
        admit: Callable[[], None] | None = None,
    ) -> Actor | None:
        """The user if the password matches, recorded in the audit log as ``action``; ``None``
        for an unknown user, a user without a password, a locked user or a wrong password
        (counted towards the lockout), each at the same cost (the module's decisions). The one
        check of a password, whether a console sign-in or an IAM token asks. ``admit``: raises
        to refuse the request once the password matched, before anything is recorded (an IAM
        token asked for a Host not among the public hosts)."""
        now = now_ms()
        with self.db.transaction(readonly=True) as tx:
            user = repo.sign_in_record(tx, project_id, user_name) if user_name else None
        locked = user is not None and user.locked_until is not None and now < user.locked_until
        if user is None or not user.password_hash or locked:
            self._verify(self._dummy(), password)  # the cost of any other answer
            return None
        if not self._verify(user.password_hash, password):
            self._fail(user, now)
            return None
        if admit is not None:
            admit()
        rehash = self.hasher.check_needs_rehash(user.password_hash)
        new_hash = self.hasher.hash(password) if rehash else None
        with self.db.transaction() as tx:
            if new_hash is not None:
                repo.set_password_hash(tx, user.id, new_hash)
            else:
                repo.clear_failures(tx, user.id)
            record_audit(tx, project_id, None, user.name, action, "user", user.name)
        return Actor(user.id, user.name, user.project_id, user.is_project_admin)

    def _dummy(self) -> str:
        """A hash of a random password, made once with the same hasher as real ones."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_hex(16))
        return self._dummy_hash

    def _verify(self, hashed: str, password: str) -> bool:
        try:
            return bool(self.hasher.verify(hashed, password))
        except (VerificationError, InvalidHashError):
            return False

    def _fail(self, user: SignInRecord, now: int) -> None:
        failures = user.failed_logins + 1
        locked_until = None
        if failures >= self.lockout_failures:
            steps = min(failures - self.lockout_failures, 20)
            delay = min(self.lockout_seconds * 2**steps, MAX_LOCKOUT_SECONDS)
            locked_until = now + delay * 1000
        with self.db.transaction() as tx:
            repo.record_failure(tx, user.id, failures, locked_until)

    def _wrong(self) -> SignInError:
        """The one refusal of a sign-in, whatever the reason (see the module's decisions)."""
        return SignInError(
            "The user name or password is wrong, or the user is locked: after "
            f"{self.lockout_failures} failed sign-ins in a row each further attempt must wait, "
            f"{self.lockout_seconds} s at first, doubling with every failure (at most one hour). "
            "Try again later, or ask a project admin to set a new password (the Users page, or "
            "'jobferry admin set-password USER' on the server); a user without a console "
            "password cannot sign in."
        )

    # -- sessions -------------------------------------------------------------------------

    def start_session(self, actor: Actor) -> tuple[str, ConsoleSession]:
        """A new session; returns the cookie token (shown once) and the session."""
        token = secrets.token_urlsafe(32)
        now = now_ms()
        record = SessionRecord(
            id=session_id_of(token),
            user_id=actor.user_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + self.session_ms,
            last_seen=now,
        )
        with self.db.transaction() as tx:
            repo.insert_session(tx, record)
        return token, ConsoleSession(record.id, actor, record.csrf_token, record.expires_at)

    def session(self, token: str) -> ConsoleSession | None:
        """The live session a cookie token names, or None (unknown, expired or idle)."""
        if not token or len(token) > 256:
            return None
        now = now_ms()
        session_id = session_id_of(token)
        with self.db.transaction(readonly=True) as tx:
            found = repo.get_session(tx, session_id)
            user = repo.sign_in_record_by_id(tx, found.user_id) if found else None
        if found is None or user is None:
            return None
        if found.expires_at <= now or found.last_seen < now - self.idle_ms:
            self._aside(repo.delete_session, session_id)  # else the sweep's
            return None
        if now - found.last_seen >= TOUCH_EVERY_MS:
            self._aside(repo.touch_session, session_id, now)  # else the next page's
        actor = Actor(user.id, user.name, user.project_id, user.is_project_admin)
        return ConsoleSession(found.id, actor, found.csrf_token, found.expires_at)

    def _aside(self, write: Callable[..., object], *args: object) -> None:
        """A session's bookkeeping on a page view: skipped, never waited for, while another
        transaction holds SQLite's write lock (an import's, for as long as it runs): the page
        is a read and is answered all the same."""
        with contextlib.suppress(DatabaseBusyError), self.db.transaction(waiting=False) as tx:
            write(tx, *args)

    def end_session(self, token: str) -> None:
        """Sign out: forget the session a cookie token names."""
        with self.db.transaction() as tx:
            repo.delete_session(tx, session_id_of(token))

    def sweep(self, now: int | None = None) -> int:
        """Remove ended sessions; returns how many."""
        moment = now_ms() if now is None else now
        with self.db.transaction() as tx:
            return repo.delete_stale_sessions(tx, moment, moment - self.idle_ms)
