"""Who can call with what, as docs/api.md, docs/console.md and docs/settings.md promise it,
for the generated stories of credentials (``tests/unit/services/test_generated_credentials.py``).
Written from the docs, not from the code:

- *Console sign-in* (docs/console.md, "Security decisions"; ``JOBFERRY_CONSOLE_LOCKOUT_*``):
  after ``N`` failed sign-ins in a row each further attempt must wait ``S`` seconds, doubling
  with every failure, at most an hour; the password is not even checked meanwhile (an attempt
  then counts nothing); a good sign-in or a new password resets it. An unknown name, a user
  without a password, a wrong password and a locked user get one answer (``DLF.9030``, the
  same message). A good sign-in starts a session, which ends after
  ``JOBFERRY_CONSOLE_SESSION_HOURS``, after ``JOBFERRY_CONSOLE_IDLE_MINUTES`` unused (a use
  noted at most once a minute), on sign-out and on a password change.
- *Passwords*: at least 10 characters, not the user name (``DLF.3051``); a project admin sets
  anyone's, a user their own (``DLF.6888`` otherwise); an unknown user ``DLF.9003``.
- *IAM tokens* (docs/api.md, "IAM tokens"): issued for the console password, the check the
  console's (the same count and wait); a wrong project, name or password, a user without a
  password and a locked user all get one answer, 401 ``DLF.9081``; a user by id as by name.
  A token authenticates its user in its project (another project's path: 403 ``DLF.9083``),
  and dies at its end (``JOBFERRY_IAM_TOKEN_HOURS``), when revoked (by its user or a project
  admin, else ``DLF.6888``; a dead one ``DLF.9082``) and when its user's password is set;
  a dead token is 401 ``APIGW.0301``.
- *Access keys*: a project admin, or the user for themselves, issues and revokes them; a
  revoked key authenticates nothing.
- *Signatures* (docs/api.md, "Request signatures"; docs/settings.md): an ``X-Sdk-Date`` more
  than ``JOBFERRY_CLOCK_SKEW_SECONDS`` from the server clock, either way, is refused, and an
  unknown access key (a revoked one) too, counting nothing; after
  ``JOBFERRY_AK_LOCKOUT_FAILURES`` signatures in a row that do not match a key's secret, the
  key is refused for ``JOBFERRY_AK_LOCKOUT_SECONDS`` even with a good signature (saying when
  to retry), and counting starts afresh; each wrong signature says how many more lock the key;
  a good signature resets the count; an operator's unlock lifts the lock at once. A POST's
  signature is accepted once, but within ``JOBFERRY_REPLAY_GRACE_SECONDS`` of its first
  acceptance; a GET may be repeated. Every refusal is 401 ``APIGW.0301``.
- *The audit log* (docs/operations.md): users made, keys given, revoked and unlocked,
  passwords set, console sign-ins, tokens issued and revoked are the project's entries, by
  whom; a refusal writes none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobferry.errors import (
    AccessKeyLockedError,
    AuthenticationError,
    InvalidRequestError,
    JobferryError,
    NameTakenError,
    PermissionDeniedError,
    SignatureMismatchError,
    SignInError,
    TokenNotFoundError,
    TokenPasswordError,
    TokenProjectError,
    UserNotFoundError,
)
from jobferry.settings import Settings
from support.release_stories import Step

BOSS = "boss"
"""The bootstrap admin, a project admin."""
USERS = ("ua", "ub")
GHOST = "ghost"
"""A user the project never has."""
MAX_WAIT_MS = 3_600_000
"""The console's longest wait: one hour."""
TOUCH_MS = 60_000
"""A session's use is written at most once a minute (``signin.TOUCH_EVERY_MS``)."""

Refusal = type[JobferryError] | None


@dataclass(frozen=True)
class Limits:
    """The settings a story's promises depend on, in ms."""

    skew: int
    grace: int
    key_failures: int
    key_lock: int
    signin_failures: int
    signin_wait: int
    token: int
    session: int
    idle: int
    replays: bool
    """Whether replay protection is on."""

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        """The limits of the server's settings."""
        return cls(
            skew=settings.clock_skew_seconds * 1000,
            grace=settings.replay_grace_seconds * 1000,
            key_failures=settings.ak_lockout_failures,
            key_lock=settings.ak_lockout_seconds * 1000,
            signin_failures=settings.console_lockout_failures,
            signin_wait=settings.console_lockout_seconds * 1000,
            token=int(settings.iam_token_hours * 3_600_000),
            session=int(settings.console_session_hours * 3_600_000),
            idle=settings.console_idle_minutes * 60_000,
            replays=settings.replay_protection,
        )


@dataclass
class Key:
    """An access key of a story's user: whether it is live, its lockout."""

    user: str
    live: bool = True
    failures: int = 0
    locked_until: int | None = None


@dataclass
class Person:
    """A user of the story: whether they exist yet, their password and its lockout."""

    exists: bool = False
    password: str | None = None
    old: str | None = None
    """The password before the current one."""
    failures: int = 0
    locked_until: int | None = None


@dataclass
class Ending:
    """A token or a session: its user, when it ends, whether it was ended (revoked, a new
    password, found ended), and for a session when it was last used."""

    user: str
    ends: int
    ended: bool = False
    last_seen: int = 0


@dataclass(frozen=True)
class Sent:
    """A signed request as sent (``n``: the story's count of requests signed; sent again, a
    replay): with which key, whether with the key's secret, its method and the moment it is
    dated (ms)."""

    n: int
    go: bool
    """Signed as the Go SDK gophertelekomcloud signs (its key derived from the date)."""
    key: str
    right: bool
    method: str
    signed_at: int


@dataclass
class Model:
    """What the story's credentials are, at the story's clock (``now``, ms)."""

    limits: Limits
    now: int
    people: dict[str, Person] = field(default_factory=lambda: {u: Person() for u in USERS})
    keys: dict[str, Key] = field(default_factory=dict)
    tokens: dict[str, Ending] = field(default_factory=dict)
    sessions: dict[str, Ending] = field(default_factory=dict)
    used: dict[int, int] = field(default_factory=dict)
    """Each accepted POST (its ``Sent.n``): when it was first accepted."""

    # -- who may ---------------------------------------------------------------------------

    def exists(self, user: str) -> bool:
        """Whether ``user`` is a user of the project now (the project admin always is)."""
        return user == BOSS or (user in self.people and self.people[user].exists)

    def live_keys(self, user: str) -> list[str]:
        """The user's live keys, oldest first."""
        return [k for k, key in self.keys.items() if key.user == user and key.live]

    def live_tokens(self) -> list[str]:
        """The tokens that authenticate now."""
        return [t for t, end in self.tokens.items() if not end.ended and end.ends > self.now]

    def _for_self_or_boss(self, actor: str, user: str) -> Refusal:
        if actor not in (BOSS, user):
            return PermissionDeniedError
        return None if self.exists(user) else UserNotFoundError

    def refusal(self, step: Step) -> Refusal:
        """What ``step`` is refused with (``None``: it is taken)."""
        return getattr(self, f"_{step.act}")(*step.args)  # type: ignore[no-any-return]

    def _create(self, actor: str, user: str) -> Refusal:
        if actor != BOSS:
            return PermissionDeniedError
        return NameTakenError if self.exists(user) else None

    def _password(self, actor: str, user: str, password: str, fits: bool) -> Refusal:
        if actor not in (BOSS, user):
            return PermissionDeniedError
        if not fits:
            return InvalidRequestError
        return None if self.exists(user) else UserNotFoundError

    def _signin(self, user: str, password: str) -> Refusal:
        return None if self._password_good(user, password) else SignInError

    def _token(self, user: str, password: str, how: str) -> Refusal:
        if how == "other project":
            return TokenPasswordError
        return None if self._password_good(user, password) else TokenPasswordError

    def _password_good(self, user: str, password: str) -> bool:
        person = self.people.get(user)
        if person is None or not person.exists or person.password is None:
            return False
        if person.locked_until is not None and self.now < person.locked_until:
            return False
        return password == person.password

    def _use(self, token: str, elsewhere: bool) -> Refusal:
        if token not in self.live_tokens():
            return AuthenticationError
        return TokenProjectError if elsewhere else None

    def _untoken(self, actor: str, token: str) -> Refusal:
        if token not in self.live_tokens():
            return TokenNotFoundError
        return None if actor in (BOSS, self.tokens[token].user) else PermissionDeniedError

    _validate = _untoken
    """A token is shown to whom may revoke it (docs/api.md: its user, or a project admin)."""

    def _signout(self, token: str) -> Refusal:
        return None

    def _sweep(self) -> Refusal:
        return None

    def _key(self, actor: str, user: str) -> Refusal:
        return self._for_self_or_boss(actor, user)

    def _unkey(self, actor: str, user: str, key: str) -> Refusal:
        if actor not in (BOSS, user):
            return PermissionDeniedError
        return None if key in self.live_keys(user) else UserNotFoundError

    def _rotate(self, user: str, old: str | None) -> Refusal:
        return self._for_self_or_boss(user, user)

    def _unlock(self, key: str) -> Refusal:
        return None  # an operator's: whether the key is known, and was locked, is its answer

    def held(self, key: str) -> bool:
        """Whether the server holds ``key`` (issued, not revoked)."""
        return key in self.keys and self.keys[key].live

    def locked(self, key: str) -> bool:
        """Whether ``key`` is held and its lock still runs now: what an unlock lifts."""
        until = self.keys[key].locked_until if self.held(key) else None
        return until is not None and self.now < until

    def _move(self, ms: int) -> Refusal:
        return None

    def _send(self, sent: Sent) -> Refusal:
        if abs(self.now - sent.signed_at) > self.limits.skew:
            return AuthenticationError
        key = self.keys.get(sent.key)
        if key is None or not key.live:
            return AuthenticationError
        if key.locked_until is not None and self.now < key.locked_until:
            return AccessKeyLockedError
        if not sent.right:
            return SignatureMismatchError
        return AuthenticationError if self._replayed(sent) else None

    def _replayed(self, sent: Sent) -> bool:
        first = self.used.get(sent.n) if sent.method == "POST" and self.limits.replays else None
        return first is not None and self.now - first > self.limits.grace

    # -- what a step leaves ----------------------------------------------------------------

    def audited(self, step: Step, refused: Refusal) -> list[tuple[str, str]]:
        """The project's audit entries a step writes: (who, action)."""
        if refused is not None:
            return []
        act, args = step.act, step.args
        by = {
            "create": "user.create",
            "password": "user.password",
            "key": "credential.create",
            "unkey": "credential.delete",
            "untoken": "token.revoke",
        }
        if act in by:
            return [(args[0], by[act])]
        if act == "signin":
            return [(args[0], "console.signin")]
        if act == "token":
            return [(args[0], "token.issue")]
        if act == "rotate":
            revoked = [(args[0], "credential.delete")] if args[1] is not None else []
            return [(args[0], "credential.create"), *revoked]
        if act == "unlock" and self.locked(args[0]):
            return [(BOSS, "credential.unlock")]
        return []

    def password_detail(self, step: Step) -> dict[str, int]:
        """What a password set says it ended: the user's live sessions and tokens."""
        user = step.args[1]
        return {
            "sessionsEnded": sum(1 for e in self.sessions.values() if self._ends(e, user)),
            "tokensRevoked": sum(1 for e in self.tokens.values() if self._ends(e, user)),
        }

    def swept(self) -> tuple[list[Ending], list[Ending]]:
        """The tokens and the sessions the housekeeping removes now: past their end (sessions
        idle too), and not removed yet."""
        idle = self.now - self.limits.idle
        tokens = [e for e in self.tokens.values() if not e.ended and e.ends <= self.now]
        sessions = [
            e
            for e in self.sessions.values()
            if not e.ended and (e.ends <= self.now or e.last_seen < idle)
        ]
        return tokens, sessions

    def _ends(self, ending: Ending, user: str) -> bool:
        return ending.user == user and not ending.ended and ending.ends > self.now

    def take(self, step: Step, refused: Refusal, answer: object) -> None:
        """What a step, taken or refused, changed."""
        act, args = step.act, step.args
        if act in ("signin", "token"):
            self._checked(args[0], args[1], refused, answer, act, args[-1])
        elif act == "send":
            self._sent(args[0], refused)
        elif refused is not None:
            return
        elif act == "create":
            self.people[args[1]].exists = True
        elif act == "password":
            self._password_set(args[1], args[2])
        elif act == "untoken":
            self.tokens[args[1]].ended = True
        elif act == "signout" and args[0] in self.sessions:
            self.sessions[args[0]].ended = True
        elif act == "sweep":
            for ending in (*self.swept()[0], *self.swept()[1]):
                ending.ended = True
        elif act in ("key", "rotate"):
            self.keys[str(answer)] = Key(args[1] if act == "key" else args[0])
            if act == "rotate" and args[1] is not None:
                self.keys[args[1]].live = False
        elif act == "unkey":
            self.keys[args[2]].live = False
        elif act == "unlock":
            if self.locked(args[0]):  # a key not locked is left as it is
                self.keys[args[0]].failures, self.keys[args[0]].locked_until = 0, None
        elif act == "move":
            self.now += args[0]

    def _password_set(self, user: str, password: str) -> None:
        person = self.people[user]
        person.old, person.password = person.password, password
        person.failures, person.locked_until = 0, None
        for ending in (*self.tokens.values(), *self.sessions.values()):
            if ending.user == user:
                ending.ended = True

    def _checked(
        self, user: str, password: str, refused: Refusal, answer: object, act: str, how: str
    ) -> None:
        """A password checked (a sign-in, a token asked): counted, or a session or token."""
        person = self.people.get(user)
        if refused is None and person is not None:
            person.failures, person.locked_until = 0, None
            mine = Ending(user, self.now + self.limits.token, last_seen=self.now)
            if act == "signin":
                mine.ends = self.now + self.limits.session
                self.sessions[str(answer)] = mine
            else:
                self.tokens[str(answer)] = mine
            return
        counted = act == "signin" or how != "other project"
        if person is None or not person.exists or person.password is None or not counted:
            return
        if person.locked_until is not None and self.now < person.locked_until:
            return  # not even checked while the wait runs
        person.failures += 1
        over = person.failures - self.limits.signin_failures
        if over >= 0:
            wait = min(self.limits.signin_wait * 2 ** min(over, 20), MAX_WAIT_MS)
            person.locked_until = self.now + wait

    def _sent(self, sent: Sent, refused: Refusal) -> None:
        key = self.keys.get(sent.key)
        if refused is SignatureMismatchError and key is not None:
            key.failures += 1 if self.limits.key_failures else 0  # 0: never lock
            if key.failures >= self.limits.key_failures > 0:
                key.failures, key.locked_until = 0, self.now + self.limits.key_lock
        elif refused is None:  # a replay refused clears nothing: it is no accepted request
            assert key is not None
            key.failures, key.locked_until = 0, None
            if sent.method == "POST":
                self.used.setdefault(sent.n, self.now)

    def session_seen(self, token: str) -> bool:
        """Whether a session is live now, as a page view finds it (which uses it)."""
        mine = self.sessions[token]
        if mine.ended:
            return False
        if mine.ends <= self.now or mine.last_seen < self.now - self.limits.idle:
            mine.ended = True
            return False
        if self.now - mine.last_seen >= TOUCH_MS:
            mine.last_seen = self.now
        return True
