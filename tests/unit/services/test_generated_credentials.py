"""Generated stories of credentials (``support/credential_stories.py``): users made, console
passwords set and changed, sign-ins right and wrong, IAM tokens asked, used and revoked, access
keys issued, rotated, revoked and unlocked, signed requests new and sent again, while the held
clock moves on. After every step, whatever the story, the promises of docs/api.md,
docs/console.md and docs/settings.md hold (``support/credential_model.py`` says them):

- each step is taken or refused exactly as the model says, with the documented code; a
  refused sign-in or token is one answer whatever was wrong (the same message every time), a
  wrong signature says how many more lock its key (or that it did), a locked key when to retry;
- who can call with what: each live token authenticates its user and each ended one nothing,
  each live session is its user's and an ended one is gone, a revoked key has no secret, a
  signed request is its key's user's;
- storage holds exactly the model's users, passwords, failed sign-ins and waits, keys, their
  failures and locks, tokens and sessions: counting and clearing as documented, nothing left
  by a refusal;
- every change is in the project's audit log, by whom, and a refusal writes nothing there.
"""

from __future__ import annotations

import contextlib
import itertools

import pytest
from hypothesis import event, example, given, note

from jobferry.errors import (
    AccessKeyLockedError,
    AuthenticationError,
    JobferryError,
    SignatureMismatchError,
    SignInError,
    TokenPasswordError,
)
from jobferry.services.accounts.lockouts import KeyUnlock
from jobferry.services.accounts.tokens import TokenGrant
from jobferry.services.container import Services
from jobferry.services.context import Actor
from support.clock import held_clock
from support.console import admin_actor
from support.credential_model import BOSS, GHOST, USERS, Limits, Model, Refusal
from support.credential_stories import (
    PROFILES,
    Story,
    audit_since,
    credential_state,
    credential_stories,
    expected_state,
)
from support.import_stories import generated
from support.release_stories import Step

pytestmark = pytest.mark.fuzz
GENERATED = generated(6)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
START = 1_900_000_000_000
APART_MS = 30 * 86_400_000
"""How far apart the stories of one test start: further than a story moves its clock, so
what one leaves (tokens, sessions, signatures) has ended before the next begins."""
_SERIAL = itertools.count()


def _check_answer(story: Story, model: Model, step: Step, answer: object) -> None:
    """A taken step answers its user: a token's, a signed request's; an unlock, whether the
    key was known and whether it lifted a running lock."""
    act, args = step.act, step.args
    if act == "use":
        assert isinstance(answer, Actor)
        assert answer.name == story.names[model.tokens[args[0]].user]
    elif act == "send":
        assert isinstance(answer, Actor)
        assert answer.name == story.names[model.keys[args[0].key].user]
    elif act == "unlock":
        if not model.held(args[0]):
            assert answer is None
        else:
            assert isinstance(answer, KeyUnlock)
            assert answer.lifted is model.locked(args[0])
    elif act == "validate":
        assert isinstance(answer, TokenGrant)
        mine = model.tokens[args[1]]
        assert (answer.actor.name, answer.expires_at) == (story.names[mine.user], mine.ends)
    elif act == "sweep":
        assert answer == tuple(map(len, model.swept())), answer


def _check_refusal(model: Model, step: Step, refused: JobferryError, said: dict[str, str]) -> None:
    """One message for every refused sign-in, one for every refused token; a wrong signature
    says how many more lock its key (or that it did); a locked key says when to retry."""
    kind = type(refused)
    if kind in (SignInError, TokenPasswordError):
        assert said.setdefault(kind.__name__, refused.message) == refused.message
    if step.act != "send":
        return
    key = model.keys.get(step.args[0].key)
    if kind is SignatureMismatchError and key is not None:
        if not model.limits.key_failures:
            assert "more failed" not in refused.message  # never locks
        elif key.locked_until is None or key.locked_until <= model.now:
            left = model.limits.key_failures - key.failures
            assert f"{left} more failed signature(s) in a row lock access key" in refused.message
        else:
            assert "is now locked" in refused.message
    if kind is AccessKeyLockedError and key is not None:
        assert key.locked_until is not None
        wait = -(-(key.locked_until - model.now) // 1000)
        assert refused.context["retry_after"] == max(1, wait), refused.context


def _check_callers(services: Services, story: Story, model: Model) -> None:
    """Who can call with what now: live tokens and sessions their users', ended ones nothing;
    a revoked key has no secret and no user."""
    pid = story.project
    for token, ending in model.tokens.items():
        if token in model.live_tokens():
            assert services.tokens.actor_for(token, pid).name == story.names[ending.user]
            continue
        with pytest.raises(AuthenticationError) as dead:
            services.tokens.actor_for(token, pid)
        assert type(dead.value) is AuthenticationError
        with contextlib.suppress(AuthenticationError):  # nor from this process's memory
            assert services.tokens.cached_actor(token, pid) is None
    for token, ending in model.sessions.items():
        found = services.signin.session(token)
        if model.session_seen(token):
            assert found is not None, (token, ending)
            assert found.actor.name == story.names[ending.user]
        else:
            assert found is None, (token, ending)
    for key, held in model.keys.items():
        if not held.live:
            assert services.accounts.secret_for(key) is None


def _tell(tests: Services, profile: str, steps: tuple[Step, ...]) -> None:
    """The story told to a server with the profile's settings, over the tests' database."""
    services = Services.build(tests.settings.model_copy(update=PROFILES[profile]), tests.db)
    services.signin.hasher = tests.signin.hasher  # argon2id's cheapest (tests/conftest.py)
    n = next(_SERIAL)
    names = {user: f"{user}{n:08d}" for user in (*USERS, GHOST)}
    said: dict[str, str] = {}
    with held_clock(START + n * APART_MS) as clock:
        services.tokens.sweep()  # what earlier stories left
        services.signin.sweep()
        story = Story(services, admin_actor(services), clock, names)
        model = Model(Limits.of(services.settings), clock.now)
        last = audit_since(services, 0)[-1][0]
        for drawn in steps:
            step = story.resolve(model, drawn)
            expected: Refusal = model.refusal(step)
            event(f"{step.act}: {expected.__name__ if expected else 'taken'}")
            refused: JobferryError | None = None
            try:
                answer = story.act(step)
            except JobferryError as error:
                refused, answer = error, None
                note(f"{step!r} refused: {error.code} {error}")
            if refused is None:
                assert expected is None, f"{step!r} was taken; expected {expected}"
                _check_answer(story, model, step, answer)
            else:
                assert expected is not None, f"{step!r} was refused: {refused.code} {refused}"
                assert (type(refused), refused.code) == (expected, expected.code), step
            lines = audit_since(services, last)
            named = {BOSS: story.boss.name, **names}
            wanted = [(named[who], action) for who, action in model.audited(step, expected)]
            assert [(who, action) for _, who, action, _ in lines] == wanted, (step, lines)
            if step.act == "password" and refused is None:
                assert lines[0][3] == model.password_detail(step), lines  # ended, then
            last = lines[-1][0] if lines else last
            model.take(step, expected, answer)
            if refused is not None:
                _check_refusal(model, step, refused, said)
            _check_callers(services, story, model)
            assert credential_state(services, story) == expected_state(model, story), step


def locked_out_and_back() -> tuple[str, tuple[Step, ...]]:
    """ua fails five sign-ins (the fifth starts the wait), is refused the right password and
    a token while it runs, signs in once it ends; a sixth failure doubles the wait; a new
    password lifts it and ends the session and token."""
    return "default", (
        Step("create", (BOSS, "ua")),
        Step("password", (BOSS, "ua", "first")),
        Step("signin", ("ua", "right")),
        Step("token", ("ua", "right", "name")),
        Step("use", (BOSS, 0, False)),
        *(Step("signin", ("ua", "wrong")) for _ in range(5)),
        Step("signin", ("ua", "right")),
        Step("token", ("ua", "right", "id")),
        Step("move", ("the sign-in wait",)),
        Step("token", ("ua", "wrong", "project name")),
        Step("signin", ("ua", "right")),
        Step("move", ("the sign-in wait",)),
        Step("signin", ("ua", "right")),
        Step("signin", ("ghost", "right")),
        Step("password", ("ua", "ua", "second")),
        Step("use", (BOSS, 0, False)),
        Step("signin", ("ua", "old")),
        Step("signin", ("ua", "right")),
    )


def key_locked_and_replayed() -> tuple[str, tuple[Step, ...]]:
    """ua's key: a POST taken, five wrong signatures (some signed as the Go SDK signs) lock
    it, a good one refused while locked; the lock ends, the POST sent again past the grace is
    a replay; ua rotates the key, the old one is refused, a stale and a future date are
    refused; an operator unlocks the key."""

    def send(right: bool, date: str, method: str, go: bool = False, pick: str = "live") -> Step:
        return Step("send", ("ua", pick, 0, right, date, method, go))

    return "default", (
        Step("create", (BOSS, "ua")),
        Step("key", (BOSS, "ua")),
        send(True, "now", "POST"),
        Step("replay", (BOSS, 0, False)),
        *(send(False, "now", "GET", go=bool(i % 2)) for i in range(5)),
        send(True, "now", "GET", go=True),
        Step("move", ("the key lock",)),
        Step("replay", (BOSS, 0, False)),
        send(True, "late", "POST", go=True),
        send(False, "now", "POST"),
        Step("rotate", ("ua", "ua", 0)),
        Step("replay", (BOSS, 7, False)),
        send(True, "stale", "GET"),
        send(True, "future", "POST", go=True),
        send(True, "now", "GET", pick="revoked"),
        Step("unlock", (BOSS, "ua", 0)),
        send(False, "now", "GET"),
        Step("unlock", (BOSS, "ua", 0)),
    )


def ended_before_the_new_password() -> tuple[str, tuple[Step, ...]]:
    """ua's token and session end on their own before ua's password changes: the change
    ended none of them (its audit entry says so)."""
    return "default", (
        Step("create", (BOSS, "ua")),
        Step("password", (BOSS, "ua", "first")),
        Step("token", ("ua", "right", "name")),
        Step("move", ("past a session",)),
        Step("signin", ("ua", "right")),
        Step("token", ("ua", "right", "id")),
        Step("move", ("past a session",)),
        Step("password", ("ua", "ua", "second")),
        Step("use", (BOSS, 1, False)),
    )


@GENERATED
@given(story=credential_stories())
@example(story=locked_out_and_back())
@example(story=key_locked_and_replayed())
@example(story=ended_before_the_new_password())
@example(story=("strict", key_locked_and_replayed()[1]))
def test_credential_stories_keep_the_docs_promises(
    services: Services, story: tuple[str, tuple[Step, ...]]
) -> None:
    note(repr(story))
    _tell(services, *story)
