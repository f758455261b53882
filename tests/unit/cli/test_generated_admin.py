"""Generated stories of the admin command line (``support/admin_cli_stories.py``): the
server's operator runs ``jobferry admin …`` in-process (typer's CliRunner) on a database of
the story's own, emptied and bootstrapped before it (the project, its ``default`` workspace,
the ``admin`` user, and here an enterprise workspace ``ent`` with its production side). After
every step, whatever the story, the commands keep the promises of docs/cli.md (the ``admin``
rows, "Exit codes"), docs/api.md (users, roles, credentials, names) and docs/errors.md
(``support/admin_cli_model.py`` says them):

- each step exits as documented (0; 1 for a refusal of the services, with its DataArts code
  in ``--json``'s ``error.code``, or a declined question; 2 for a usage error: no terminal to
  ask on, an unknown workspace, a word that is no role); a refusal told for a person says its
  fix with the CLI's commands (the last admin's: ``admin set-project-admin``);
- ``admin users --json`` and ``admin workspaces --json`` list what the model holds: each
  user's project-admin flag, roles (by workspace id and name) and live access keys; the
  workspaces by name and id (no production side);
- every change writes its audit entry by ``local-admin`` (read through the audit service: the
  project's entries and each workspace's), a refusal none and changes nothing;
- every access key issued signs a request the API accepts (``GET /users/me`` answers its
  user) while it is live and not locked, and none once revoked, its user removed, or locked
  by wrong signatures until ``admin unlock-key`` lifts the lock (of a key not locked, it says
  so and writes no entry).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
import typer.testing
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from hypothesis import event, example, given, note
from typer.testing import Result

from jobferry.cli import terminal
from jobferry.errors import JobferryError
from jobferry.services.accounts import signin
from jobferry.services.accounts.tokenrequest import PasswordAuth
from jobferry.services.container import Services
from jobferry.services.context import Actor
from jobferry.services.releases.approval_keys import parse_key
from jobferry.settings import Settings
from support.admin_cli_model import OK, Model, Outcome, Person
from support.admin_cli_stories import (
    GOOD,
    LAST_ADMIN,
    ROLES,
    ROLES_EVERYWHERE,
    UNKNOWN_LEAVING,
    CtrlC,
    admin_stories,
    key_named,
    password_given,
    workspace_named,
)
from support.apps import api_app
from support.audits import Line
from support.cli import invoke
from support.clients import ADMIN_AK, ADMIN_SK, SignedClient
from support.databases import migrated_schema_url, migrated_sqlite_url
from support.import_stories import generated
from support.release_stories import Step

pytestmark = pytest.mark.fuzz
GENERATED = generated(5)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
API_WORDS = re.compile(r"\b(GET|POST|PUT|DELETE|PATCH) /|/v[12]/|\{project_id\}")
"""An API call named (tests/test_wording.py: the CLI speaks its own commands)."""
LOCK_AFTER = 2
"""Wrong signatures in a row that lock a key (the API's services here)."""


class Told:
    """A story's database, emptied and bootstrapped, the API over it and the model."""

    def __init__(self, settings: Settings, services: Services) -> None:
        url = settings.resolved_database_url()
        # The test process's database emptied again: each story starts on a fresh one.
        migrated_sqlite_url() if url.startswith("sqlite") else migrated_schema_url()
        changed = {"auth_cache_seconds": 0, "ak_lockout_failures": LOCK_AFTER}
        self.services = Services.build(settings.model_copy(update=changed), services.db)
        accounts = self.services.accounts
        accounts.bootstrap(settings.project_id, settings.admin_ak, settings.admin_sk)
        self.boss = accounts.local_operator(None)
        pid = self.boss.project_id
        default = accounts.list_workspaces(self.boss, pid)[0].id
        ent = accounts.create_workspace(self.boss, pid, "ent")
        scope = accounts.scope(self.boss, pid, ent)
        self.services.releases.update_workspace(scope, {"name": "ent", "mode": "1"})
        production = accounts.scope(self.boss, pid, ent).workspace.production_id
        assert production is not None
        self.production = production
        self.side = (production, accounts.scope(self.boss, pid, production).workspace.name)
        """The production side's id and name."""
        self.env: dict[str, str | None] = {
            "JOBFERRY_DATA_DIR": str(settings.data_dir),
            "JOBFERRY_DATABASE_URL": url,
            "JOBFERRY_PROJECT_ID": None,
        }
        self.model = Model({"default": default, "ent": ent}, {"admin": Person(True)})
        self.model.users["admin"].keys.append(ADMIN_AK)
        self.model.secrets[ADMIN_AK] = ADMIN_SK
        self.terminal, self.json = False, True
        self.api: SignedClient | None = None
        self.user_ids = [1]
        """The ids of the users made so far (the bootstrap admin's first)."""
        self.sessions: dict[str, list[str]] = {}
        """The console sessions each user opened (their cookies' tokens)."""
        self.tokens: dict[str, list[str]] = {}
        """The IAM tokens each user was given."""
        self.services.signin.hasher = PasswordHasher.from_parameters(CHEAPEST)

    def admin(self, *args: str, input: str | CtrlC | None = None, terminal: bool = False) -> Result:
        """``jobferry admin ARGS`` (``--json`` unless the step is told for a person), on a
        terminal or not."""
        self.terminal = terminal
        said = ["--json"] if self.json else []
        return invoke(["admin", *args, *said], env=self.env, input=input)

    def listed(self, what: str) -> Any:
        self.json = True
        result = self.admin(what)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return json.loads(result.stdout)[what]


def _take(told: Told, step: Step) -> tuple[Outcome, Result | None]:
    """Take ``step`` with the CLI: what the model predicts and what the command answered."""
    model, act, args = told.model, step.act, step.args
    if act == "create-workspace":
        return model.create_workspace(args[0]), told.admin(act, args[0])
    if act == "create-user":
        flag = ["--project-admin"] if args[1] else []
        return model.create_user(*args), told.admin(act, args[0], *flag)
    if act == "create-credentials":
        return model.create_credentials(args[0]), told.admin(act, args[0])
    if act == "revoke-credentials":
        key = key_named(model, *args)
        return model.revoke_credentials(args[0], key), told.admin(act, args[0], key)
    if act == "set-project-admin":
        flag = ["--off"] if args[1] else []
        return model.set_project_admin(args[0], not args[1]), told.admin(act, args[0], *flag)
    if act == "remove-user":
        return _remove(told, step)
    if act == "unlock-key":
        key = key_named(model, *args)
        predicted, result = model.unlock_key(key), told.admin(act, key)
        _check_unlock_said(told, key, predicted, result)
        return predicted, result
    if act == "lock":
        _lock(told, key_named(model, *args))
        return OK, None
    if act in ("set-role", "remove-role"):
        return _role(told, step)
    if act == "sign-in":
        return _sign_in(told, *args), None
    if act == "approval-key":
        return _approval_key(told, args[0]), None
    options, sent, on_terminal, password = password_given(step)
    answered = told.admin(act, args[0], *options, input=sent, terminal=on_terminal)
    if args[1] == "typed-mismatch":  # asked again, then the input ends: nothing is set
        return Outcome(1), answered
    if args[1] == "typed-interrupted":  # "Exit codes": Ctrl-C at the password question
        return Outcome(130), answered
    return model.set_password(args[0], password), answered


def _check_unlock_said(told: Told, key: str, predicted: Outcome, result: Result) -> None:
    """``admin unlock-key`` says whether it lifted a lock or found none (a key not locked
    has no failure counted here: every step ends with each key signing rightly)."""
    if predicted.exit_code != 0:
        return
    if told.json:
        said = {"unlocked": key} if predicted.audit else {"notLocked": key, "failures": 0}
        assert _document(result.stdout) == said, result.stdout
        return
    words = "unlocked." if predicted.audit else "is not locked; nothing changed."
    assert result.stdout == f"Access key {key} {words}\n", result.stdout


def _remove(told: Told, step: Step) -> tuple[Outcome, Result]:
    user, how = step.args
    predicted = told.model.remove_user(user, "unasked" if how == "unasked" else how)
    if how == "yes":
        return predicted, told.admin("remove-user", user, "--yes")
    if how == "unasked":
        return predicted, told.admin("remove-user", user)
    answer: str | CtrlC = {"asked-yes": "y\n", "declined": "n\n"}.get(how) or CtrlC()
    return predicted, told.admin("remove-user", user, input=answer, terminal=True)


def _role(told: Told, step: Step) -> tuple[Outcome, Result]:
    user, name, where, *role = step.args
    argument, ws = workspace_named(told.model, told.side, name, where)
    if step.act == "remove-role":
        return told.model.remove_role(user, ws), told.admin(step.act, user, argument)
    known = role[0] if role[0] in ROLES[:-1] else None
    predicted = told.model.set_role(user, ws, known)
    return predicted, told.admin(step.act, user, argument, role[0])


def _sign_in(told: Told, user: str, token: bool) -> Outcome:
    """The user signs in to the console, or asks an IAM token, with their password (a
    refusal checked here)."""
    predicted = told.model.sign_in(user, token)
    pid, password = told.boss.project_id, told.model.passwords.get(user, GOOD)
    try:
        if token:
            got = told.services.tokens.issue(PasswordAuth(user, password, project_id=pid))[0]
        else:
            actor = told.services.signin.authenticate(pid, user, password)
            got = told.services.signin.start_session(actor)[0]
    except JobferryError as exc:
        refusal = exc.code
    else:
        refusal = None
        held = told.tokens if token else told.sessions
        held.setdefault(user, []).append(got)
    assert refusal == predicted.code, user
    return predicted


def _approval_key(told: Told, user: str) -> Outcome:
    """The user (when there is one) registers a new approval key."""
    pid = told.boss.project_id
    found = [u for u in told.services.accounts.list_users(told.boss, pid) if u.name == user]
    if user not in told.model.users:
        assert found == [], user
        return OK
    actor = Actor(found[0].id, user, pid, found[0].project_admin)
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key = parse_key({"publicKey": f"ed25519:{base64.b64encode(raw).decode()}"})
    told.services.approval_keys.register(actor, key)
    return told.model.register_approval_key(user)


def _lock(told: Told, key: str) -> None:
    """A client signs with ``key`` and a wrong secret until the key locks (a key the server
    holds: docs/api.md "Request signatures")."""
    assert told.api is not None
    wrong = told.api.as_user(key, "a wrong secret key 0000000000000000000000")
    for _ in range(LOCK_AFTER):
        assert wrong.call("GET", "/users/me").status_code == 401
    if key in told.model.live_keys():
        told.model.locked.add(key)


def _audit(told: Told) -> list[tuple[int, Line]]:
    """Every entry of the project (its own and each workspace's), read through the audit
    service as the local operator."""
    audit, boss = told.services.audit, told.boss
    pages = [audit.project_entries(boss, 100, 0)]
    ids = [*told.model.workspaces.values(), told.production]
    scopes = [told.services.accounts.scope(boss, boss.project_id, ws) for ws in ids]
    pages += [audit.list_entries(scope, 100, 0) for scope in scopes]
    found = {
        e.id: (e.actor, e.action, e.object_kind, e.object_name) for p in pages for e in p.entries
    }
    return sorted(found.items())


def _document(stdout: str) -> Any:
    """``--json``'s document (after an answer typed at a question, which the CliRunner echoes
    on standard output where a terminal would show it)."""
    return json.loads(stdout[stdout.index("{") :])


def _check_answer(told: Told, step: Step, predicted: Outcome, result: Result | None) -> None:
    """The step exits as predicted; a refusal names its code (``--json``: ``error.code``; for
    a person: ``error CODE:`` on standard error, in the CLI's words, never the API's)."""
    if result is None:
        return
    said = (result.stdout, result.stderr)
    assert result.exit_code == predicted.exit_code, (step, said)
    if predicted.code is None:
        return
    if told.json:
        body = _document(result.stdout)
        assert body["error"]["code"] == predicted.code, (step, said)
        return
    assert result.stdout.strip() in ("", "y"), (step, said)  # the answer typed, echoed
    if predicted.code != "usage":
        assert f"error {predicted.code}: " in result.stderr, (step, said)
    assert not API_WORDS.search(result.stderr), (step, said)
    assert predicted.fix is None or predicted.fix in result.stderr, (step, said)


def _check_lists(told: Told) -> None:
    """``admin users`` and ``admin workspaces`` list what the model holds."""
    model = told.model
    names = {ws_id: name for name, ws_id in model.workspaces.items()}
    users = {
        u["name"]: (
            u["projectAdmin"],
            sorted((r["workspaceId"], r["workspace"], r["role"]) for r in u["roles"]),
            sorted(u["accessKeys"]),
        )
        for u in told.listed("users")
    }
    assert users == {
        name: (
            p.admin,
            sorted((ws, names[ws], role) for ws, role in p.roles.items()),
            sorted(p.keys),
        )
        for name, p in model.users.items()
    }
    workspaces = {w["name"]: w["id"] for w in told.listed("workspaces")}
    assert workspaces == model.workspaces


def _check_keys(told: Told) -> None:
    """Every key issued signs a request the API accepts while live and not locked, as its
    user: ``GET /workspaces`` lists every workspace to a project admin and to another user
    those they hold a role in (docs/api.md, "Extensions")."""
    assert told.api is not None
    live, model = told.model.live_keys(), told.model
    for key, secret in told.model.secrets.items():
        answer = told.api.as_user(key, secret).call("GET", "/users/me")
        if key not in live or key in model.locked:
            assert answer.status_code == 401, (key, answer.text)
            continue
        assert answer.status_code == 200, (key, answer.text)
        person = model.users[live[key]]
        assert answer.json() | {"id": 0} == {
            "id": 0,
            "name": live[key],
            "projectAdmin": person.admin,
        }
        listed = told.api.as_user(key, secret).call("GET", "/workspaces").json()["workspaces"]
        held = set(model.workspaces.values()) if person.admin else set(person.roles)
        assert {w["id"] for w in listed} == held, live[key]


def _learn(told: Told, step: Step, predicted: Outcome, result: Result | None) -> None:
    """What the model learns from a change's answer (a workspace's id, a key's secret), and
    what the answer says (``--json``: as the HTTP API answers; for a person, the id and the
    keys on standard output)."""
    if result is None or predicted.exit_code != 0 or predicted == OK:
        return
    if not told.json:
        return _learn_said(told, step, result.stdout)
    body = _document(result.stdout)
    user = step.args[0]
    if step.act == "create-workspace":
        told.model.created_workspace(step.args[0], body["id"])
    elif step.act == "create-credentials":
        told.model.issued(user, body["accessKey"], body["secretKey"])
    elif step.act == "create-user":
        assert (body["name"], body["projectAdmin"]) == (user, step.args[1]), body
        _new_id(told, body["id"])
    elif step.act == "set-project-admin":
        assert body == {"name": user, "projectAdmin": not step.args[1]}, body
    elif step.act == "remove-user":
        _check_removed(told, body, user)
    return None


def _learn_said(told: Told, step: Step, said: str) -> None:
    if step.act == "create-workspace":
        found = re.fullmatch(r"Workspace '(.+)' created: (\w+)\n", said)
        assert found is not None, said
        assert found[1] == step.args[0], said
        told.model.created_workspace(step.args[0], found[2])
    elif step.act == "create-credentials":
        fields = dict(line.split(": ", 1) for line in said.splitlines())
        secret = fields["secret key"].strip().removesuffix("(shown once)").strip()
        assert fields["user"].strip() == step.args[0], said
        told.model.issued(step.args[0], fields["access key"].strip(), secret)
    elif step.act == "create-user":
        users = told.services.accounts.list_users(told.boss, told.boss.project_id)
        _new_id(told, next(u.id for u in users if u.name == step.args[0]))


def _new_id(told: Told, user_id: int) -> None:
    """docs/api.md ``DELETE /users/{name}``: a removed user's id is given to no later user."""
    assert user_id not in told.user_ids, (user_id, told.user_ids)
    told.user_ids.append(user_id)


def _check_removed(told: Told, body: dict[str, Any], user: str) -> None:
    """``remove-user --json`` answers as ``DELETE /users/{name}``: the keys and the workspaces
    they had a role in, and the sessions it ended."""
    model = told.model
    assert body["user"] == user, body
    assert sorted(body["accessKeys"]) == sorted(model.gone_keys), body
    names = {ws_id: name for name, ws_id in model.workspaces.items()}
    assert sorted(body["roles"]) == sorted(names[ws] for ws in model.gone_roles), body
    ended = body["sessionsEnded"], body["tokensRevoked"], body["approvalKeys"]
    assert ended == model.removed[user], body


def _check_sessions(told: Told) -> None:
    """Each user's console sessions are open, and their IAM tokens authenticate a call, as the
    model counts them (a new password and a removal end them)."""
    for user, sessions in told.sessions.items():
        live = [t for t in sessions if told.services.signin.session(t) is not None]
        assert len(live) == told.model.sessions.get(user, 0), user
    assert told.api is not None
    path = f"/v1/{told.boss.project_id}/users/me"
    for user, tokens in told.tokens.items():
        answers = [told.api.client.get(path, headers={"X-Auth-Token": t}) for t in tokens]
        live = [a for a in answers if a.status_code == 200]
        assert all(a.json()["name"] == user for a in live), user
        assert len(live) == told.model.tokens.get(user, 0), (user, [a.text for a in answers])


@pytest.fixture
def on_terminal(monkeypatch: pytest.MonkeyPatch) -> list[Told]:
    """Whether the story's command runs on a terminal (the story's own say) and what its
    standard input is; the commands' services hash console passwords at the cheapest argon2
    cost (tests/unit/services/test_signin_hashing.py checks the production cost)."""
    held: list[Told] = []
    monkeypatch.setattr(terminal, "stdin_is_terminal", lambda: bool(held and held[0].terminal))
    given = typer.testing.make_input_stream
    monkeypatch.setattr(
        typer.testing,
        "make_input_stream",
        lambda sent, charset: sent if isinstance(sent, CtrlC) else given(sent, charset),
    )
    monkeypatch.setattr(signin, "PasswordHasher", lambda: PasswordHasher.from_parameters(CHEAPEST))
    return held


def _tell(told: Told, story: tuple[Step, ...]) -> None:
    for n, step in enumerate(story):
        before = max((i for i, _ in _audit(told)), default=0)
        told.json = n % 3 != 1  # every third step told for a person
        predicted, result = _take(told, step)
        event(f"{step.act}: exit {predicted.exit_code}")
        _check_answer(told, step, predicted, result)
        _learn(told, step, predicted, result)
        _check_sessions(told)
        if step.act != "lock":
            written = [line for i, line in _audit(told) if i > before]
            assert written == list(predicted.audit), step
        _check_lists(told)
        _check_keys(told)


@GENERATED
@given(story=admin_stories())
@example(story=LAST_ADMIN)
@example(story=ROLES_EVERYWHERE)
@example(story=UNKNOWN_LEAVING)
def test_admin_commands_keep_their_promises(
    settings: Settings,
    services: Services,
    on_terminal: list[Told],
    story: tuple[Step, ...],
) -> None:
    note(repr(story))
    told = Told(settings, services)
    on_terminal[:] = [told]
    with TestClient(api_app(told.services), raise_server_exceptions=False) as client:
        told.api = SignedClient(client, ADMIN_AK, ADMIN_SK, told.boss.project_id)
        _tell(told, story)
