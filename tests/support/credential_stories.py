"""Generated stories of credentials (``tests/unit/services/test_generated_credentials.py``):
two users of the project made (or not yet), their console passwords set and changed (some too
short, some their own name), sign-ins right and wrong, IAM tokens asked with right and wrong
passwords (the user by name or by id, the project by id or by name, or another project),
used, revoked, access keys issued, rotated and revoked, an operator's unlock of a key, and
signed requests — new ones with a key's secret or a wrong one, dated now, early or late within
the clock-skew window or past it either way, POST or GET, and earlier ones sent again —, while
the server's clock (held) moves on by a second, past the replay grace, the sign-in wait, the key
lock, the idle time, the window, a session's and a token's life.
:class:`~support.credential_model.Model` says what each step is answered.

The signed requests are checked as the API checks them (``api.auth.accepted_key``: the key
this process verified moments ago, else the lockout in storage; the replay recorded), without
HTTP.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from hypothesis import strategies as st

from jobferry.api.auth import SignedCall, accepted_key
from jobferry.services.accounts.tokenrequest import PasswordAuth
from jobferry.services.container import Services
from jobferry.services.context import Actor
from jobferry.signing import format_sdk_date, sign_request
from jobferry.storage import accounts as account_repo
from jobferry.storage import tables
from support.clock import Clock
from support.credential_model import BOSS, GHOST, USERS, Limits, Model, Sent
from support.go_sdk_aksk import go_sign
from support.release_stories import Step

PASSWORDS = {"first": "first password 1", "second": "second password 2", "short": "short 1"}
WRONG = "not the password 0"
OTHER_PROJECT = "fedcba9876543210fedcba9876543210"
HOST = "jobferry.test"
ACTORS = (BOSS, *USERS)
PEOPLE = (*USERS, *USERS, GHOST)
MOVES = (
    "a second",
    "past the grace",
    "the sign-in wait",
    "the key lock",
    "ten minutes",
    "past the idle time",
    "past the window",
    "past a session",
    "past a token",
)
DATES = ("now", "now", "early", "late", "stale", "future")
PROFILES: dict[str, dict[str, object]] = {
    "default": {},
    "strict": {
        "clock_skew_seconds": 60,
        "replay_grace_seconds": 0,
        "ak_lockout_failures": 1,
        "ak_lockout_seconds": 1,
        "console_lockout_failures": 1,
        "console_lockout_seconds": 1,
        "iam_token_hours": 1,
        "console_session_hours": 0.5,
        "console_idle_minutes": 1,
    },
    "lenient": {
        "replay_protection": False,
        "ak_lockout_failures": 0,
        "console_lockout_failures": 10,
        "auth_cache_seconds": 0,
    },
}
"""The settings a story's server runs with (beside the tests' own)."""
ACTS = (
    ("create", 2),
    ("password", 3),
    ("signin", 4),
    ("token", 3),
    ("use", 2),
    ("untoken", 2),
    ("signout", 1),
    ("sweep", 1),
    ("key", 2),
    ("unkey", 1),
    ("rotate", 1),
    ("unlock", 1),
    ("move", 3),
    ("send", 6),
    ("replay", 3),
)


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One drawn step, its choices still indices (:meth:`Story.resolve` makes it concrete)."""
    act = draw(st.sampled_from([a for a, weight in ACTS for _ in range(weight)]))
    actor = draw(st.sampled_from(ACTORS))
    person = draw(st.sampled_from(PEOPLE))
    index = draw(st.integers(0, 3))
    if act == "create":
        return Step(act, (actor, draw(st.sampled_from(USERS))))
    if act == "key":
        return Step(act, (actor, person))
    if act == "password":
        return Step(
            act, (actor, person, draw(st.sampled_from(("first", "second", "short", "name"))))
        )
    guess = draw(st.sampled_from(("right", "right", "wrong", "old")))
    if act == "signin":
        return Step(act, (person, guess))
    if act == "token":
        how = draw(st.sampled_from(("name", "name", "id", "project name", "other project")))
        return Step(act, (person, guess, how))
    if act == "sweep":
        return Step(act)
    if act in ("use", "untoken", "replay", "signout"):
        return Step(act, (actor, index, draw(st.sampled_from((False, False, True)))))
    if act in ("unkey", "unlock", "rotate"):
        return Step(act, (actor, person, index))
    if act == "move":
        return Step(act, (draw(st.sampled_from(MOVES)),))
    person = draw(st.sampled_from(("ua", "ua", *PEOPLE)))  # ua holds a key from the start
    pick = draw(st.sampled_from(("live", "live", "live", "revoked", "unknown")))
    right = draw(st.sampled_from((True, True, False)))
    method = draw(st.sampled_from(("POST", "GET")))
    date, go = draw(st.sampled_from(DATES)), draw(st.booleans())
    return Step(act, (person, pick, index, right, date, method, go))


@st.composite
def credential_stories(draw: st.DrawFn, max_steps: int = 28) -> tuple[str, tuple[Step, ...]]:
    """The server's settings (a name of :data:`PROFILES`); ua made first, with a password and
    a key; then the drawn steps."""
    first = (
        Step("create", (BOSS, "ua")),
        Step("password", (BOSS, "ua", "first")),
        Step("key", (BOSS, "ua")),
    )
    profile = draw(st.sampled_from(sorted(PROFILES)))
    return profile, (*first, *draw(st.lists(steps(), min_size=8, max_size=max_steps)))


def moved(label: str, limits: Limits) -> int:
    """How far (ms) a ``move`` step moves the clock."""
    return {
        "a second": 1_000,
        "past the grace": limits.grace + 1_000,
        "the sign-in wait": limits.signin_wait,
        "the key lock": limits.key_lock,
        "ten minutes": 600_000,
        "past the idle time": limits.idle + 1_000,
        "past the window": limits.skew + 1_000,
        "past a session": limits.session,
        "past a token": limits.token,
    }[label]


@dataclass
class Story:
    """The story's users (their names in the project), the secrets of the keys issued, the
    tokens and sessions handed out, and the requests signed, as the services see them."""

    services: Services
    boss: Actor
    clock: Clock
    names: dict[str, str]
    secrets: dict[str, str] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    sent: list[tuple[Sent, SignedCall]] = field(default_factory=list)
    serial: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def project(self) -> str:
        """The project of every user of the story."""
        return self.boss.project_id

    def actor(self, user: str) -> Actor:
        """The user acting (the project admin, or a user of the story as the services see
        them)."""
        if user == BOSS:
            return self.boss
        with self.services.db.transaction(readonly=True) as tx:
            found = account_repo.find_user(tx, self.project, self.names[user])
        assert found is not None, user
        return Actor(found.id, found.name, found.project_id, found.is_project_admin)

    # -- steps made concrete ----------------------------------------------------------------

    def resolve(self, model: Model, drawn: Step) -> Step:
        """The drawn step as the story can take it: an actor who is not a user yet acts as
        the project admin; indices pick a token, a key, a request sent before."""
        act, args = drawn.act, drawn.args
        if act in ("create", "key", "password", "untoken", "unkey", "rotate"):
            args = (args[0] if model.exists(args[0]) else BOSS, *args[1:])
        if act == "password":
            return Step(act, (*args[:2], *self._password(args[1], args[2])))
        if act in ("signin", "token"):
            return Step(act, (args[0], self._guess(model, *args[:2]), *args[2:]))
        if act in ("use", "untoken"):
            token = self.tokens[args[1] % len(self.tokens)] if self.tokens else "no-such-token"
            if act == "use":
                return Step(act, (token, args[2]))
            return Step("validate" if args[2] else act, (args[0], token))
        if act == "signout":
            held = self.sessions
            return Step(act, (held[args[1] % len(held)] if held else "no-such-session",))
        if act in ("unkey", "unlock", "rotate"):
            return self._keyed(model, act, args)
        if act == "move":
            return Step(act, (moved(args[0], model.limits),))
        if act == "replay":
            if not self.sent:
                return Step("move", (0,))
            return Step("send", (self.sent[args[1] % len(self.sent)][0],))
        if act == "send":
            return Step(act, (self._new_request(model, *args),))
        return Step(act, args)

    def _password(self, user: str, choice: str) -> tuple[str, bool]:
        if choice == "name":
            return self.names[user].upper(), False
        return PASSWORDS[choice], choice != "short"

    @staticmethod
    def _guess(model: Model, user: str, guess: str) -> str:
        person = model.people.get(user)
        if guess == "wrong" or person is None:
            return WRONG if guess == "wrong" else PASSWORDS["first"]
        held = person.password if guess == "right" else person.old
        return held or PASSWORDS["first"]

    def _keyed(self, model: Model, act: str, args: tuple[Any, ...]) -> Step:
        actor, user, index = args
        keys = [k for k, key in model.keys.items() if key.user == user]
        live = model.live_keys(user)
        if act == "rotate":
            if not model.exists(user):
                return Step("key", (actor, user))
            return Step(act, (user, live[index % len(live)] if live else None))
        key = keys[index % len(keys)] if keys else f"NOSUCHKEY{next(self.serial):011d}"
        return Step(act, (actor, user, key) if act == "unkey" else (key,))

    def _new_request(
        self,
        model: Model,
        user: str,
        pick: str,
        index: int,
        right: bool,
        date: str,
        method: str,
        go: bool,
    ) -> Sent:
        """A request signed now (its ``X-Sdk-Date`` as ``date`` says) with one of the user's
        keys (live or revoked) or an unknown one, with the key's secret or a wrong one, as the
        SDK signs or as the Go SDK does."""
        n = next(self.serial)
        live = model.live_keys(user)
        dead = [k for k, key in model.keys.items() if key.user == user and not key.live]
        pool = {"live": live, "revoked": dead}.get(pick) or []
        key = pool[index % len(pool)] if pool else f"UNKNOWNAK{n:011d}"
        secret = self.secrets.get(key, "no secret") if right else "a wrong secret"
        skew = model.limits.skew
        inside = skew - min(60_000, skew // 2)
        offset = {"now": 0, "early": -inside, "late": inside}.get(date)
        offset = offset if offset is not None else (skew + 1_000) * (1 if date == "future" else -1)
        sent = Sent(n, go, key, right, method, model.now + offset)
        moment = datetime.fromtimestamp(sent.signed_at / 1000, UTC)
        path = f"/v1/{self.project}/jobs"
        query = "" if method == "POST" else f"limit={n}"
        body = json.dumps({"name": f"job{n}"}).encode() if method == "POST" else b""
        headers = {"Content-Type": "application/json"} if body else {}
        if go:
            url = f"http://{HOST}{path}" + (f"?{query}" if query else "")
            headers = go_sign(method, url, headers, body or None, key, secret, now=moment)
        else:
            headers.update({"Host": HOST, "X-Sdk-Date": format_sdk_date(moment)})
            headers.update(sign_request(method, path, query, headers, body, key, secret))
        call = SignedCall(method, path, query, {k.lower(): v for k, v in headers.items()}, body)
        self.sent.append((sent, call))
        return sent

    # -- acting -----------------------------------------------------------------------------

    def act(self, step: Step) -> object:
        """Take ``step`` through the services; what it answers."""
        act, args = step.act, step.args
        services, pid = self.services, self.project
        if act == "create":
            return services.accounts.create_user(
                self.actor(args[0]), pid, self.names[args[1]], False
            )
        if act == "password":
            services.signin.set_password(self.actor(args[0]), self.names[args[1]], args[2])
            return None
        if act == "signin":
            actor = services.signin.authenticate(pid, self.names[args[0]], args[1])
            token, _ = services.signin.start_session(actor)
            self.sessions.append(token)
            return token
        if act == "token":
            token, _ = services.tokens.issue(self._asked(*args))
            self.tokens.append(token)
            return token
        if act == "use":
            return services.tokens.actor_for(args[0], OTHER_PROJECT if args[1] else pid)
        if act == "validate":
            return services.tokens.validate(self.actor(args[0]), args[1])
        if act == "signout":
            services.signin.end_session(args[0])
            return None
        if act == "sweep":
            return services.tokens.sweep(), services.signin.sweep()
        if act == "untoken":
            services.tokens.revoke(self.actor(args[0]), args[1])
            return None
        if act in ("key", "rotate"):
            return self._issue(act, args)
        if act == "unkey":
            name = self.names[args[1]]
            services.accounts.revoke_credential(self.actor(args[0]), pid, name, args[2])
            return None
        if act == "unlock":
            return services.lockouts.unlock(self.boss, args[0])
        if act == "move":
            return self.clock.move(args[0])
        assert act == "send"
        return self._send(args[0])

    def _asked(self, user: str, password: str, how: str) -> PasswordAuth:
        name = self.names[user]
        if how == "id":
            with self.services.db.transaction(readonly=True) as tx:
                found = account_repo.find_user(tx, self.project, name)
            user_id = str(found.id) if found is not None else "999999999"
            return PasswordAuth("", password, project_id=self.project, user_id=user_id)
        if how == "project name":
            return PasswordAuth(name, password, project_name="default")
        project = OTHER_PROJECT if how == "other project" else self.project
        return PasswordAuth(name, password, project_id=project)

    def _issue(self, act: str, args: tuple[Any, ...]) -> str:
        actor = self.actor(args[0])
        accounts, name = self.services.accounts, self.names[args[0 if act == "rotate" else 1]]
        issued = accounts.issue_credential(actor, self.project, name)
        self.secrets[issued.access_key] = issued.secret_key
        if act == "rotate" and args[1] is not None:
            accounts.revoke_credential(actor, self.project, name, args[1])
        return issued.access_key

    def _send(self, sent: Sent) -> Actor:
        """The request checked as the API checks a signed one at the story's clock."""
        call = next(c for s, c in self.sent if s.n == sent.n)
        now = datetime.fromtimestamp(self.clock.now / 1000, UTC)
        access_key, _ = accepted_key(self.services, call, now)
        return self.services.accounts.actor_for(access_key)


def digest(token: str) -> str:
    """The stored id of a token or a session's cookie (its sha256)."""
    return hashlib.sha256(token.encode()).hexdigest()


def credential_state(services: Services, story: Story) -> dict[str, Any]:
    """What storage holds of the story's users: each one made (whether with a password, its
    failed sign-ins and wait), their keys, the keys' failures and locks, their tokens' and
    sessions' ids."""
    users, creds, locks = tables.users, tables.credentials, tables.access_key_lockouts
    with services.db.transaction(readonly=True) as tx:
        rows = tx.conn.execute(
            sa.select(users).where(users.c.name.in_(list(story.names.values())))
        ).all()
        ids = {row.id: row.name for row in rows}
        keys = tx.conn.execute(
            sa.select(creds.c.access_key, creds.c.user_id).where(creds.c.user_id.in_(list(ids)))
        ).all()
        lockouts = tx.conn.execute(
            sa.select(locks).where(locks.c.access_key.in_([k for k, _ in keys]))
        ).all()
        held = {
            table.name: sorted(
                str(r.id)
                for r in tx.conn.execute(
                    sa.select(table.c.id).where(table.c.user_id.in_(list(ids)))
                )
            )
            for table in (tables.iam_tokens, tables.console_sessions)
        }
    return {
        "users": {
            r.name: (r.password_hash is not None, r.failed_logins, r.locked_until) for r in rows
        },
        "keys": sorted((ids[u], k) for k, u in keys),
        "lockouts": {r.access_key: (r.failures, r.locked_until) for r in lockouts},
        **held,
    }


def expected_state(model: Model, story: Story) -> dict[str, Any]:
    """:func:`credential_state` as the model has it."""
    names = story.names
    users = {
        names[u]: (p.password is not None, p.failures, p.locked_until)
        for u, p in model.people.items()
        if p.exists
    }
    live = {k: key for k, key in model.keys.items() if key.live}
    return {
        "users": users,
        "keys": sorted((names[key.user], k) for k, key in live.items()),
        "lockouts": {
            k: (key.failures, key.locked_until)
            for k, key in live.items()
            if key.failures or key.locked_until is not None
        },
        "iam_tokens": sorted(digest(t) for t, e in model.tokens.items() if not e.ended),
        "console_sessions": sorted(digest(t) for t, e in model.sessions.items() if not e.ended),
    }


def audit_since(services: Services, last: int) -> list[tuple[int, str, str, Any]]:
    """The audit lines written after line ``last``: (id, actor, action, detail)."""
    log = tables.audit_log
    with services.db.transaction(readonly=True) as tx:
        rows = tx.conn.execute(
            sa.select(log.c.id, log.c.actor, log.c.action, log.c.detail).where(log.c.id > last)
        ).all()
    return sorted((int(i), str(a), str(act), json.loads(d) if d else None) for i, a, act, d in rows)
