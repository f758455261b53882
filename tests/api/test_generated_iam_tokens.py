"""Generated stories of jobferry as its own IAM (``support/token_stories.py``), through the API
in-process: two projects of their own per story (their names in regions of IAM's naming),
users of each with and without console passwords, project admins or not, with workspace
roles; tokens asked for by user name or id (another spelling of it, one past the databases'
integers), project id or name, with good and wrong passwords and bursts of wrong ones past the
console's lockout, ``?nocatalog`` true or false, malformed bodies; tokens validated
(``GET``/``HEAD``) and revoked with a token (the subject's own, an admin's, another user's, an
unknown one), passwords set, users removed and made again, roles and project admins changed;
``list_jobs``, ``create_job`` and (v2) ``list_workspaceusers`` called with tokens (another
project's path, a signature beside the token, an ``X-Project-Id`` of another project), the
catalog and projects asked for with a token (with an ``X-Project-Id`` of its project, of the
other, or none); tokens sent with blanks around them in every fourth story; the clock moved
past lockouts, to a token's last moment and past ``JOBFERRY_IAM_TOKEN_HOURS``; the
housekeeping's sweep. After every step, whatever the story, the answers keep the promises of
docs/api.md ("IAM tokens") and docs/errors.md (``support/token_model.py`` says them):

- a token is issued (201, ``X-Subject-Token``) exactly when the model says: the scoped
  project's user, by name or by the id an answer gave, with their console password, not
  locked; every other ask is 401 ``DLF.9081`` with one message (it never tells which names
  exist) and no token;
- a malformed body is 400 naming the field (``DLF.0802`` missing, ``DLF.3051`` of the wrong
  type, methods other than ``["password"]``, a domain-only scope) and changes nothing;
- the answer's body: methods, ``issued_at``/``expires_at`` (UTC, microseconds, ``Z``, the
  token's hours apart), user and project with the project as their domain, the roles at issue
  (a validation: the user's roles now), the catalog (``dlf`` and ``volumev2`` at the address,
  region the project name up to its first ``_``) unless ``?nocatalog=true``;
- validate and revoke answer 200/204, 401 ``APIGW.0301``, 403 ``DLF.6888`` or 404
  ``DLF.9082`` as the model says, and a revoke ends that token only;
- a call with a token answers 200/204, 401 ``APIGW.0301``, 403 ``DLF.9083`` (naming both
  projects) or 403 ``DLF.6888`` (roles as they are at the call); the jobs and members listed
  are those the story made; the catalog and projects are the token's project's, or 403
  ``DLF.9083`` (naming the token's and the ``X-Project-Id``'s) for another's;
- a user's removal counts their live tokens; each project's log holds ``token.issue`` (by the
  user) and ``token.revoke`` (by the caller) as the story made them;
- every token the story holds validates itself exactly while the model says it lives.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, example, given, note

from jobferry.domain.audit import AuditQuery
from jobferry.services.container import Services
from support.builders import make_job
from support.clock import held_clock
from support.import_stories import generated
from support.release_stories import Step
from support.token_answers import said_catalog, said_outcome, said_projects, said_token
from support.token_model import Outcome
from support.token_stories import (
    MALFORMED,
    NOBODY,
    SERIAL,
    USERS,
    Story,
    TokenStory,
    across_projects,
    ended_in_memory,
    good_body,
    locked_for_an_hour_at_most,
    locked_out_and_back,
    password_of,
    token_stories,
    with_start,
)

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
START = 1_900_000_000_000
JSON = {"Content-Type": "application/json;charset=utf8"}
FOREIGN_SIGNATURE = (
    "SDK-HMAC-SHA256 Access=NOSUCHKEY0000000000, SignedHeaders=host;x-sdk-date, Signature=00"
)


def _scope(story: Story, project: int, how: str) -> tuple[dict[str, Any], int | None]:
    pid, pname = story.model.projects[project]
    if how == "id":
        return {"id": pid}, project
    if how == "name":
        return {"name": pname, "domain": {"name": "anything"}}, project
    if how == "other":
        return {"id": story.pid(1 - project)}, 1 - project
    return {"id": "0" * 32}, None


def _ask(story: Story, step: Step) -> None:
    index, by, how_project, how_password, nocatalog = step.args
    project, name = (0, "nobody") if index == NOBODY else USERS[index][:2]
    known = story.current.get(index)
    uid = known.uid if known is not None else 10**9
    password = (known.password if known else None) or password_of(index)
    if how_password == "wrong":
        password = "not the pass word"
    scope, scoped = _scope(story, project, how_project)
    user: dict[str, Any] = {"password": password}
    if by != "name":  # the id, another spelling of it, or one past every database's integers
        spelled = {"id": str(uid), "zero-id": f"0{uid}", "huge-id": "9" * 30}
        user["id"] = spelled[by]
    else:
        user |= {"name": name, "domain": {"name": "any"}}
    body = {
        "auth": {
            "identity": {"methods": ["password"], "password": {"user": user}},
            "scope": {"project": scope},
        }
    }
    query = f"?nocatalog={nocatalog}" if nocatalog else ""
    headers = {**JSON, "X-Domain-Id": story.pid(1)} if story.n % 2 else JSON
    answer = story.client.post(f"/v3/auth/tokens{query}", json=body, headers=headers)
    model = story.model
    by_id = None if by == "name" else uid if by == "id" else -1
    named = model.scoped_user(scoped, name if by == "name" else None, by_id)
    granted = model.ask(named, password)
    if granted is None:
        said_outcome(answer, Outcome(401, "DLF.9081"))
        assert "X-Subject-Token" not in answer.headers
        message = answer.json()["error_msg"]
        story.refusal = story.refusal or message
        assert message == story.refusal, (message, story.refusal)
        event("ask: refused")
        return
    assert answer.status_code == 201, (answer.text, step)
    token = model.issued(answer.headers["X-Subject-Token"], granted)
    assert token.value not in answer.text
    said_token(story.model, answer.json(), token, nocatalog != "true")
    model.audit.append((granted.project, "token.issue", granted.name, granted.name))
    event(f"ask: token by {by}, project {how_project}")


def _burst(story: Story, step: Step) -> None:
    index, times = step.args
    for _ in range(times):
        _ask(story, Step("ask", (index, "name", "id", "wrong", "true")))


def _malformed(story: Story, step: Step) -> None:
    which, index = step.args
    what, change, code, parameter = MALFORMED[which]
    project, name = (0, "nobody") if index == NOBODY else USERS[index][:2]
    known = story.current.get(index)
    password = (known.password if known else None) or password_of(index)
    body = good_body(name, password, story.pid(project))
    change(body)
    answer = story.client.post("/v3/auth/tokens", json=body, headers=JSON)
    assert answer.status_code == 400, (what, answer.text)
    said = answer.json()
    assert (said["error_code"], said.get("parameter")) == (code, parameter), (what, said)
    assert parameter in said["error_msg"], (what, said)
    assert "X-Subject-Token" not in answer.headers
    event(f"malformed: {what}")


def _validate(story: Story, step: Step) -> None:
    caller_pick, subject_pick, method, nocatalog = step.args
    caller, subject = story.token(caller_pick), story.token(subject_pick)
    headers = {**story.auth(caller), "X-Subject-Token": story.text(subject)}
    query = f"?nocatalog={nocatalog}" if nocatalog else ""
    answer = story.client.request(method, f"/v3/auth/tokens{query}", headers=headers)
    outcome = story.model.subject_outcome(caller, subject)
    event(f"validate: {outcome.status}")
    said_outcome(answer, outcome)
    if outcome.status == 200 and subject is not None:
        assert answer.headers["X-Subject-Token"] == subject.value
        if method == "GET":
            said_token(story.model, answer.json(), subject, nocatalog != "true", now=True)


def _revoke(story: Story, step: Step) -> None:
    caller, subject = story.token(step.args[0]), story.token(step.args[1])
    headers = {**story.auth(caller), "X-Subject-Token": story.text(subject)}
    answer = story.client.delete("/v3/auth/tokens", headers=headers)
    outcome = story.model.subject_outcome(caller, subject)
    event(f"revoke: {outcome.status}")
    if outcome.status != 200 or subject is None:
        said_outcome(answer, outcome)
        return
    assert answer.status_code == 204, (answer.text, step)
    subject.revoked = True
    assert caller is not None
    entry = (subject.user.project, "token.revoke", caller.user.name, subject.user.name)
    story.model.audit.append(entry)


def _password(story: Story, step: Step) -> None:
    (index,) = step.args
    user = story.current[index]
    if not story.model.exists(user):
        return
    story.passwords_set += 1
    password = password_of(index, story.passwords_set)
    story.services.signin.set_password(story.admins[user.project], user.name, password)
    story.model.password_set(user, password)


def _remove(story: Story, step: Step) -> None:
    user = story.current[step.args[0]]
    if story.model.exists(user):
        admin = story.admins[user.project]
        live = sum(1 for t in story.model.tokens if t.user is user and story.model.live(t))
        removed = story.services.users.remove(admin, admin.project_id, user.name)
        assert removed.tokens_revoked == live, (removed, live)
        del story.model.users[(user.project, user.name)]


def _create(story: Story, step: Step) -> None:
    if not story.model.exists(story.current[step.args[0]]):
        story.create(step.args[0])


def _role(story: Story, step: Step) -> None:
    index, role = step.args
    user = story.current[index]
    if not story.model.exists(user) or (role is None and user.role is None):
        return
    admin, accounts, ws = (
        story.admins[user.project],
        story.services.accounts,
        story.ws(user.project),
    )
    if role is None:
        accounts.remove_role(admin, admin.project_id, user.name, ws)
    else:
        accounts.set_role(admin, admin.project_id, user.name, ws, role)
    user.role = role


def _padmin(story: Story, step: Step) -> None:
    index, flag = step.args
    user = story.current[index]
    if story.model.exists(user):
        admin = story.admins[user.project]
        story.services.users.set_project_admin(admin, admin.project_id, user.name, flag)
        user.admin = flag


def _call(story: Story, step: Step) -> None:
    """``list_jobs``, ``create_job`` or (v2) ``list_workspaceusers`` with a token."""
    pick, kind, where, extra = step.args
    token = story.token(pick)
    own = token.user.project if token is not None else 0
    path = {"own": story.pid(own), "other": story.pid(1 - own), "nowhere": "1" * 32}[where]
    headers = {**JSON, **story.auth(token)}
    if extra == "authorization":
        headers |= {"Authorization": FOREIGN_SIGNATURE, "X-Sdk-Date": "20261129T010203Z"}
    elif extra == "xproject":
        headers["X-Project-Id"] = story.pid(1) if path == story.pid(0) else story.pid(0)
    elif extra == "workspace" and kind != "members":  # (its path names the workspace)
        headers["workspace"] = story.ws(1 - own)
    extra = "" if kind == "members" and extra == "workspace" else extra
    name = f"job_{next(SERIAL)}"
    if kind == "create":
        answer = story.client.post(f"/v1/{path}/jobs", json=make_job(name), headers=headers)
    elif kind == "members":
        answer = story.client.get(f"/v2/{path}/{story.ws(own)}/users", headers=headers)
    else:
        answer = story.client.get(f"/v1/{path}/jobs", headers=headers)
    outcome = story.model.call_outcome(token, path, kind == "create", extra)
    event(f"call {kind}: {outcome.status} {outcome.code or ''}")
    said_outcome(answer, outcome)
    if outcome.code == "DLF.9083":
        assert token is not None
        said = answer.json()
        assert (said["token_project"], said["path_project"]) == (story.pid(own), path), said
    elif outcome.status == 204:
        story.jobs[own].add(name)
    elif kind == "members" and outcome.status == 200:
        members = {u.name for u in story.model.users.values() if u.project == own}
        members = {n for n in members if story.model.users[(own, n)].role or _admin(story, own, n)}
        assert {m["user_name"] for m in answer.json()["data"]} == members, answer.text
    elif outcome.status == 200:
        assert {j["name"] for j in answer.json()["jobs"]} == story.jobs[own]


def _admin(story: Story, project: int, name: str) -> bool:
    return story.model.users[(project, name)].admin


def _clock(story: Story, step: Step) -> None:
    (ms,) = step.args
    if ms < 0:  # to the last moment of the token that ends first
        ends = [t.expires_at for t in story.model.tokens if story.model.live(t)]
        ms = max(min(ends) - 1 - story.clock.now, 0) if ends else 0
    story.clock.move(ms)


def _own_call(story: Story, path: str, pick: int, claimed: str | None) -> Any:
    """``GET path`` with token ``pick`` and, unless ``claimed`` is ``None``, an
    ``X-Project-Id`` of the token's project (``own``) or the other's (``other``): the answer
    when it is a 200 (else ``None``), checked against the model's outcome."""
    token = story.token(pick)
    own = token.user.project if token is not None else 0
    headers = story.auth(token)
    project = None if claimed is None else own if claimed == "own" else 1 - own
    if project is not None:
        headers["X-Project-Id"] = story.pid(project)
    answer = story.client.get(path, headers=headers)
    outcome = story.model.own_outcome(token, project)
    event(f"{path.split('?')[0]} with X-Project-Id {claimed}: {outcome.status}")
    said_outcome(answer, outcome)
    if outcome.code == "DLF.9083":
        said = answer.json()
        both = (said["token_project"], said["header_project"])
        assert both == (story.pid(own), story.pid(1 - own)), said
    return answer if outcome.status == 200 else None


def _catalog(story: Story, step: Step) -> None:
    pick, claimed = step.args
    answer = _own_call(story, "/v3/auth/catalog", pick, claimed)
    token = story.token(pick)
    if answer is not None and token is not None:
        said_catalog(story.model, answer.json()["catalog"], token.user.project)
        assert answer.json()["links"]["next"] is None


def _projects(story: Story, step: Step) -> None:
    pick, which, claimed = step.args
    token = story.token(pick)
    own = token.user.project if token is not None else 0
    name = {"own": story.model.projects[own][1], "other": story.model.projects[1 - own][1]}
    query = "" if which is None else f"?name={name.get(which, which)}"
    answer = _own_call(story, f"/v3/projects{query}", pick, claimed)
    if answer is not None:
        said_projects(story.model, answer.json(), own if which in (None, "own") else None)


def _sweep(story: Story, step: Step) -> None:
    """The housekeeping removes ended tokens (of every story so far) and no live one."""
    story.services.tokens.sweep()


ACTS = {
    "ask": _ask,
    "burst": _burst,
    "malformed": _malformed,
    "validate": _validate,
    "revoke": _revoke,
    "password": _password,
    "remove": _remove,
    "create": _create,
    "role": _role,
    "padmin": _padmin,
    "call": _call,
    "clock": _clock,
    "catalog": _catalog,
    "projects": _projects,
    "sweep": _sweep,
}


def _check(story: Story) -> None:
    """Every token the story holds validates itself exactly while the model says it lives;
    each project's log holds the tokens issued and revoked."""
    for project, admin in story.admins.items():
        page = story.services.audit.project_entries(admin, 1000, 0, AuditQuery(action="token"))
        found = [(project, e.action, e.actor, e.object_name) for e in reversed(page.entries)]
        assert found == [e for e in story.model.audit if e[0] == project]
    for token in story.model.tokens:
        headers = {"X-Auth-Token": token.value, "X-Subject-Token": token.value}
        answer = story.client.get("/v3/auth/tokens?nocatalog=true", headers=headers)
        if story.model.live(token):
            assert answer.status_code == 200, (answer.text, token.user.name)
            said_token(story.model, answer.json(), token, False, now=True)
        else:
            said_outcome(answer, Outcome(401, "APIGW.0301"))


def _tell(services: Services, client: TestClient, told: TokenStory) -> None:
    with held_clock(START + next(SERIAL) * 10**10) as clock:
        story = Story(services, client, clock, told)
        for step in told.steps:
            clock.move(10)
            story.now()
            note(repr(step))
            ACTS[step.act](story, step)
            story.now()
            _check(story)


@pytest.fixture
def client(services: Services) -> Any:
    from support.apps import api_app

    with TestClient(api_app(services), raise_server_exceptions=False) as client:
        yield client


@GENERATED
@given(told=token_stories())
@example(told=locked_out_and_back())
@example(told=across_projects())
@example(told=with_start(ended_in_memory()))
@example(told=locked_for_an_hour_at_most())
def test_iam_token_stories_keep_the_api_s_promises(
    services: Services, client: TestClient, told: TokenStory
) -> None:
    note(repr(told))
    _tell(services, client, told)
