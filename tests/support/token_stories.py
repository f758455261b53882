"""Generated stories of jobferry's own IAM (``tests/api/test_generated_iam_tokens.py``): two
projects of their own per story, users with and without console passwords, project admins or
not, with workspace roles; tokens asked for (by user name or id, project id or name, good and
wrong passwords, bursts of wrong ones past the lockout), malformed bodies, validated and
revoked by their user, an admin or another user, passwords set, users removed and made again,
roles and project admins changed, v1 calls made with tokens, and the clock moved.
:class:`~support.token_model.Model` says what each must answer.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import strategies as st

from jobferry.services.container import Services
from jobferry.services.context import Actor, now_ms
from jobferry.storage import Database
from jobferry.storage import accounts as account_repo
from jobferry.storage.records import WorkspaceRecord
from support.clock import Clock
from support.release_stories import Step
from support.token_model import HOUR_MS, Model, TokenM, UserM

USERS: tuple[tuple[int, str, bool, str | None, bool], ...] = (
    (0, "root", True, None, True),
    (0, "alice", False, "developer", True),
    (0, "bob", False, "viewer", True),
    (0, "carol", False, None, True),
    (0, "dave", False, "developer", False),
    (1, "chief", True, None, True),
    (1, "alice", False, "admin", True),
)
"""(project, name, project admin, role, with a console password) of each user at the start;
each project's first is the admin the story acts as."""
NOBODY = len(USERS)
"""A user index naming no user (``nobody`` of project 0)."""
REMOVABLE = (1, 2, 3, 4, 6)
ROLES = ("admin", "developer", "operator", "viewer", "deployer", None)
REGIONS = ("", "eu-de_", "la_south_", "ap-southeast-1_")


@dataclass(frozen=True)
class TokenStory:
    """The prefixes of the two projects' names (their regions) and the steps."""

    regions: tuple[str, str]
    steps: tuple[Step, ...]


def password_of(user: int, n: int = 0) -> str:
    """A user's console password (``n``: the how manyth set)."""
    return f"pass word {user} {n} long"


# -- malformed bodies ------------------------------------------------------------------------

_USER = "auth.identity.password.user"
SERIAL = itertools.count()
"""Numbers of the stories, job names…: unique in a test process."""
UNKNOWN = "MIIEhQYJKoZIhvcNAQcCoIIEdjCCBHICAQExDTALBgkq"
"""A token this server never issued."""


def good_body(name: str, password: str, project_id: str) -> dict[str, Any]:
    """IAM's documented body with a user by name and a project by id."""
    user = {"name": name, "password": password, "domain": {"name": "any"}}
    identity = {"methods": ["password"], "password": {"user": user}}
    return {"auth": {"identity": identity, "scope": {"project": {"id": project_id}}}}


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    *parents, last = path.split(".")

    def change(body: dict[str, Any]) -> None:
        at = body
        for key in parents:
            at = at[key]
        del at[last]

    return change


def _put(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    *parents, last = path.split(".")

    def change(body: dict[str, Any]) -> None:
        at = body
        for key in parents:
            at = at[key]
        at[last] = copy.deepcopy(value)

    return change


MISSING, WRONG = "DLF.0802", "DLF.3051"
MALFORMED: tuple[tuple[str, Callable[[dict[str, Any]], None], str, str], ...] = (
    ("no auth", _drop("auth"), MISSING, "auth"),
    ("null auth", _put("auth", None), MISSING, "auth"),
    ("no identity", _drop("auth.identity"), MISSING, "auth.identity"),
    ("no methods", _drop("auth.identity.methods"), MISSING, "auth.identity.methods"),
    ("token method", _put("auth.identity.methods", ["token"]), WRONG, "auth.identity.methods"),
    (
        "mfa",
        _put("auth.identity.methods", ["password", "totp"]),
        WRONG,
        "auth.identity.methods",
    ),
    ("methods text", _put("auth.identity.methods", "password"), WRONG, "auth.identity.methods"),
    ("no password", _drop("auth.identity.password"), MISSING, "auth.identity.password"),
    ("no user", _drop("auth.identity.password.user"), MISSING, _USER),
    ("no user password", _drop(f"{_USER}.password"), MISSING, f"{_USER}.password"),
    ("number password", _put(f"{_USER}.password", 12345), WRONG, f"{_USER}.password"),
    ("no domain", _drop(f"{_USER}.domain"), MISSING, f"{_USER}.domain"),
    ("no user name", _drop(f"{_USER}.name"), MISSING, f"{_USER}.name"),
    ("number name", _put(f"{_USER}.name", 7), WRONG, f"{_USER}.name"),
    ("user list", _put(_USER, ["alice"]), WRONG, _USER),
    ("no scope", _drop("auth.scope"), MISSING, "auth.scope"),
    ("domain scope", _put("auth.scope", {"domain": {"name": "any"}}), WRONG, "auth.scope.project"),
    ("project text", _put("auth.scope.project", "p"), WRONG, "auth.scope.project"),
    ("no project id", _put("auth.scope.project", {}), MISSING, "auth.scope.project.id"),
    ("number project", _put("auth.scope.project.id", 42), WRONG, "auth.scope.project.id"),
    ("identity list", _put("auth.identity", []), WRONG, "auth.identity"),
)
"""(what, how the good body is changed, the code, the ``parameter`` named)."""


# -- the projects of a story -----------------------------------------------------------------


def make_projects(db: Database, names: tuple[str, str]) -> list[tuple[str, str]]:
    """Two new projects of these names, each with its default workspace: (id, name)."""
    made = []
    now = now_ms()
    with db.transaction() as tx:
        for name in names:
            pid = uuid.uuid4().hex
            account_repo.insert_project(tx, pid, name, now)
            ws = WorkspaceRecord(uuid.uuid4().hex, pid, "default", True, "soft", False, now)
            account_repo.insert_workspace(tx, ws)
            made.append((pid, name))
    return made


def first_admin(db: Database, project_id: str, name: str) -> int:
    """Insert the project's first user, a project admin (what bootstrap makes); its id."""
    with db.transaction() as tx:
        return account_repo.insert_user(tx, project_id, name, True, now_ms())


# -- a story being told -------------------------------------------------------------------


class Story:
    """A story being told: the app, the two projects, the model, the users by index."""

    def __init__(self, services: Services, client: TestClient, clock: Clock, told: TokenStory):
        n = next(SERIAL)
        self.services, self.client, self.clock, self.n = services, client, clock, n
        names = (f"{told.regions[0]}p{n}a", f"{told.regions[1]}p{n}b")
        settings = services.settings
        self.model = Model(
            make_projects(services.db, names),
            clock.now,
            settings.iam_token_hours,
            settings.console_lockout_failures,
            settings.console_lockout_seconds,
        )
        self.current: dict[int, UserM] = {}
        self.passwords_set = 0
        self.refusal: str | None = None
        self.jobs: dict[int, set[str]] = {0: set(), 1: set()}
        self.admins: dict[int, Actor] = {}
        for index, (project, name, admin, _, _) in enumerate(USERS):
            if admin and project not in self.admins:
                pid = self.pid(project)
                self.admins[project] = Actor(first_admin(services.db, pid, name), name, pid, True)
                self._note_user(index, password_of(index))
                self.services.signin.set_password(self.admins[project], name, password_of(index))
            else:
                self.create(index)

    def pid(self, project: int) -> str:
        return self.model.projects[project][0]

    def create(self, index: int) -> None:
        """Make user ``index`` as the story starts them (again, after a removal)."""
        project, name, admin, role, with_password = USERS[index]
        actor = self.admins[project]
        self.services.accounts.create_user(actor, actor.project_id, name, admin)
        if role is not None:
            self.services.accounts.set_role(actor, actor.project_id, name, self.ws(project), role)
        password = password_of(index, self.passwords_set) if with_password else None
        if password is not None:
            self.services.signin.set_password(actor, name, password)
        self._note_user(index, password)

    def _note_user(self, index: int, password: str | None) -> None:
        project, name, admin, role, _ = USERS[index]
        with self.services.db.transaction(readonly=True) as tx:
            found = account_repo.find_user(tx, self.pid(project), name)
        assert found is not None
        user = UserM(project, name, found.id, password, admin, role)
        self.model.users[(project, name)] = user
        self.current[index] = user

    def ws(self, project: int) -> str:
        with self.services.db.transaction(readonly=True) as tx:
            return next(w.id for w in account_repo.list_workspaces(tx, self.pid(project)))

    def token(self, pick: int) -> TokenM | None:
        """The token ``pick`` names, newest first (``None``: one never issued)."""
        tokens = self.model.tokens
        return None if pick < 0 or not tokens else tokens[-1 - pick % len(tokens)]

    def text(self, token: TokenM | None) -> str:
        """What is sent for ``token``: its text (blanks around it in every fourth story), or
        one this server never issued (a long one in every other story)."""
        if token is not None:
            return f" {token.value}\t" if self.n % 4 == 1 else token.value
        return UNKNOWN if self.n % 2 else "A" * 2000

    def auth(self, token: TokenM | None) -> dict[str, str]:
        """The ``X-Auth-Token`` header for ``token``; for none, one this server never issued
        or (every third story) no header at all."""
        return {} if token is None and self.n % 3 == 0 else {"X-Auth-Token": self.text(token)}

    def now(self) -> None:
        self.model.now = self.clock.now


# -- the steps -------------------------------------------------------------------------------


# -- the steps ----------------------------------------------------------------------------

_USER_I = st.integers(0, NOBODY)
_NOCATALOG = st.sampled_from((None, None, "true", "false"))
"""``?nocatalog=``: absent, ``true`` (the catalog left out) or ``false``."""
_CLAIMED = st.sampled_from((None, None, "own", "other"))
"""The ``X-Project-Id`` sent for the catalog or projects: none, the token's project, the
other."""
_PICK = st.integers(0, 40).map(lambda i: -1 if i > 35 else i)
"""A token of the story (newest first, modulo their count; -1: one the server never issued)."""


def _asks() -> st.SearchStrategy[Step]:
    return st.builds(
        lambda *a: Step("ask", a),
        _USER_I,
        st.sampled_from(("name", "name", "id", "zero-id", "huge-id")),
        st.sampled_from(("id", "id", "name", "wrong", "other")),
        st.sampled_from(("good", "good", "good", "wrong")),
        _NOCATALOG,
    )


def _steps() -> st.SearchStrategy[Step]:
    clock = st.sampled_from((1_000, 31_000, 61_000, 1_000, 31_000, HOUR_MS, 24 * HOUR_MS + 1, -1))
    return st.one_of(
        _asks(),
        _asks(),
        st.builds(lambda u, n: Step("burst", (u, n)), _USER_I, st.integers(1, 6)),
        st.builds(
            lambda m, u: Step("malformed", (m, u)), st.integers(0, len(MALFORMED) - 1), _USER_I
        ),
        st.builds(
            lambda *a: Step("validate", a),
            _PICK,
            _PICK,
            st.sampled_from(("GET", "HEAD")),
            _NOCATALOG,
        ),
        st.builds(lambda *a: Step("revoke", a), _PICK, _PICK),
        st.builds(lambda u: Step("password", (u,)), st.sampled_from(range(len(USERS)))),
        st.builds(lambda u: Step("remove", (u,)), st.sampled_from(REMOVABLE)),
        st.builds(lambda u: Step("create", (u,)), st.sampled_from(REMOVABLE)),
        st.builds(
            lambda u, r: Step("role", (u, r)), st.sampled_from(REMOVABLE), st.sampled_from(ROLES)
        ),
        st.builds(lambda u, a: Step("padmin", (u, a)), st.sampled_from(REMOVABLE), st.booleans()),
        st.builds(
            lambda *a: Step("call", a),
            _PICK,
            st.sampled_from(("list", "create", "members")),
            st.sampled_from(("own", "own", "other", "nowhere")),
            st.sampled_from(("", "", "", "", "", "authorization", "xproject", "workspace")),
        ),
        st.builds(lambda ms: Step("clock", (ms,)), clock),
        st.builds(lambda *a: Step("catalog", a), _PICK, _CLAIMED),
        st.just(Step("sweep")),
        st.builds(
            lambda *a: Step("projects", a),
            _PICK,
            st.sampled_from((None, "own", "other", "x")),
            _CLAIMED,
        ),
    )


STARTS = (
    Step("ask", (1, "name", "id", "good", None)),
    Step("ask", (6, "id", "name", "good", None)),
)


@st.composite
def token_stories(draw: st.DrawFn) -> TokenStory:
    """A story of 5 to 20 steps, starting with two good asks (tokens to use)."""
    regions = (draw(st.sampled_from(REGIONS)), draw(st.sampled_from(REGIONS)))
    steps = [
        Step("ask", (1, "name", "id", "good", None)),
        Step("ask", (6, "id", "name", "good", None)),
    ]
    steps += draw(st.lists(_steps(), min_size=3, max_size=18))
    return TokenStory(regions, tuple(steps))


def with_start(story: TokenStory) -> TokenStory:
    """``story`` after the two good asks every generated story starts with."""
    return TokenStory(story.regions, STARTS + story.steps)


def locked_out_and_back() -> TokenStory:
    """Five wrong passwords lock alice; her good one is refused until the wait ends, then a
    token; a new password ends it; another user's token may not see hers, an admin's may."""
    steps = (
        Step("ask", (1, "name", "id", "good", None)),
        Step("burst", (1, 5)),
        Step("ask", (1, "name", "id", "good", None)),
        Step("clock", (31_000,)),
        Step("ask", (1, "id", "name", "good", "true")),
        Step("validate", (2, 1, "GET", None)),
        Step("validate", (0, 1, "GET", None)),
        Step("ask", (2, "name", "id", "good", None)),
        Step("validate", (3, 1, "GET", None)),
        Step("call", (1, "create", "own", "")),
        Step("password", (1,)),
        Step("call", (1, "create", "own", "")),
        Step("validate", (0, 1, "HEAD", "false")),
    )
    return TokenStory(("", "eu-de_"), steps)


def locked_for_an_hour_at_most() -> TokenStory:
    """Wrong passwords past the lockout, each after the wait: the wait doubles up to an hour,
    no longer; after that hour the good password gets a token."""
    steps: list[Step] = [Step("burst", (1, 5))]
    for k in range(1, 8):
        steps += [Step("clock", (30_000 * 2 ** (k - 1) + 1_000,)), Step("burst", (1, 1))]
    steps += [
        Step("ask", (1, "name", "id", "good", None)),
        Step("clock", (HOUR_MS,)),
        Step("ask", (1, "name", "id", "good", None)),
        Step("call", (0, "list", "own", "")),
    ]
    return TokenStory(("", ""), tuple(steps))


def ended_in_memory() -> TokenStory:
    """A token used (so held in the process's memory) up to its last moment, refused just
    after it; a user by an id with a leading zero is no user."""
    steps = (
        Step("call", (0, "list", "own", "")),
        Step("clock", (-1,)),
        Step("call", (0, "list", "own", "")),
        Step("catalog", (0, "own")),
        Step("ask", (1, "zero-id", "id", "good", None)),
        Step("ask", (1, "id", "id", "good", "0")),
        Step("call", (0, "create", "own", "")),
    )
    return TokenStory(("ap-southeast-1_", ""), steps)


def across_projects() -> TokenStory:
    """Two alices: each project's token calls its own project only; roles change after issue
    and apply; a removed user's token dies and a user made again of that name is another."""
    steps = (
        Step("ask", (1, "name", "id", "good", None)),
        Step("ask", (6, "name", "name", "good", None)),
        Step("ask", (1, "name", "other", "good", None)),
        Step("call", (0, "list", "other", "")),
        Step("call", (1, "create", "own", "")),
        Step("role", (1, "viewer")),
        Step("call", (1, "create", "own", "")),
        Step("padmin", (1, True)),
        Step("call", (1, "create", "own", "")),
        Step("validate", (0, 1, "GET", None)),
        Step("remove", (1,)),
        Step("create", (1,)),
        Step("ask", (1, "name", "id", "good", None)),
        Step("call", (0, "list", "own", "")),
        Step("call", (0, "create", "own", "workspace")),
        Step("clock", (24 * HOUR_MS + 1,)),
        Step("call", (2, "members", "own", "xproject")),
        Step("ask", (6, "name", "id", "good", None)),
        Step("catalog", (0, "other")),
        Step("projects", (0, "own", "other")),
        Step("projects", (0, None, "own")),
    )
    return TokenStory(("la_south_", "eu-de_"), steps)
