"""Generated stories of running jobs and of the served DataArts Studio look-ups
(``support/run_stories.py``): users of each role and the project admin start, stop, delete,
run once and read jobs in two workspaces (the second in enterprise mode) and its production
side, and list the instance, the workspaces and their members a page at a time. Each step is
a signed call to the in-process app (the routes parse the bodies and the paging, and answer
the contract's fields), the set-up and the checks read the services. After every step,
whatever the story, they keep the promises of docs/api.md and the contract
(``support/run_model.py`` says them):

- a start schedules a submitted job (``SCHEDULING``, a real-time one ``NORMAL``; saved again
  as the other type, it stays scheduled in that type's status) and a stop stops it (again:
  still stopped), each writing one audit entry in the place's own log under its caller, the
  start's keeping the version and what its body asked; a job never submitted, an unknown job,
  a body with a fault (said in JSON's words), a role that may not (a developer on a
  production side, a viewer, a deployer) and a caller with no role there are refused, naming
  what, and change nothing; a scheduled job is not deleted;
- the execution calls answer 501 ``DLF.9501`` naming the call, to every member, whatever the
  job;
- the management centre's lists answer the contract's fields and types, ``count`` and
  ``total_page`` for the whole list and the page from ``offset`` (rows, ``limit`` 1–100,
  default 20), any other ``limit`` or ``offset`` refused (``DAYU.4402``, naming it); a user
  lists the workspaces they hold a role in (the project admin: all), default first, each
  ``member_num`` the members ``list_workspaceusers`` lists; a production side is in no list and
  shows as unknown; its members are its development workspace's; roles given and taken, users
  made project admins and no longer, and a workspace switched to enterprise mode (its admins)
  show in the next look-up.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

import orjson
import pytest
from hypothesis import event, given, note

from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.storage import accounts as accounts_repo
from jobferry.storage import audit as audit_repo
from support.audits import entries_since, last_entry
from support.builders import make_job
from support.clients import ADMIN_AK, ADMIN_SK, PROJECT_ID, SignedClient
from support.console import admin_actor
from support.import_stories import generated
from support.run_model import (
    ADMIN,
    CALLS,
    DENIED,
    DEPLOYER,
    DEVELOPER,
    INVALID,
    LOOKUP,
    MEMBER_FIELDS,
    NO_JOB,
    OPERATOR,
    SCHEDULED,
    UNSERVED,
    VIEWER,
    WORKSPACE_FIELDS,
    Job,
    Line,
    Model,
    paged,
)
from support.run_stories import BODIES, FAULTY, JOBS, PLACES, Step, run_stories

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
ROLE_CODES = ("admin", "developer", "operator", "viewer", "deployer")


class Told:
    """A story's places, a user of each role in them, their clients, and the jobs each place
    starts with."""

    def __init__(self, services: Services, api: SignedClient) -> None:
        self.services = services
        boss = admin_actor(services)
        pid, n = boss.project_id, next(_SERIAL)
        accounts = services.accounts
        first = accounts.create_workspace(boss, pid, f"rn{n}a")
        second = accounts.create_workspace(boss, pid, f"rn{n}b")
        scope = accounts.scope(boss, pid, second)
        services.releases.update_workspace(scope, {"name": scope.workspace.name, "mode": "1"})
        production = accounts.scope(boss, pid, second).workspace.production_id
        assert production is not None
        self.ids = dict(zip(PLACES, (first, second, production), strict=True))
        self.workspace_names = {
            p: accounts.scope(boss, pid, ws).workspace.name for p, ws in self.ids.items()
        }
        self.boss = boss
        self.clients = {"boss": api.as_user(ADMIN_AK, ADMIN_SK)}
        self.names = {"boss": boss.name}
        held = {
            **{role: {"w0": role, "w1": role} for role in (ADMIN, DEVELOPER, OPERATOR, VIEWER)},
            DEPLOYER: {"w1": DEPLOYER},
            "outsider": {"w0": VIEWER},
        }
        self.roles: dict[str, dict[str, str]] = {}
        for who, roles in held.items():
            name = self.names[who] = f"RN{n}{who}" if who == "outsider" else f"rn{n}{who}"
            accounts.create_user(boss, pid, name, False)
            for place, role in roles.items():
                accounts.set_role(boss, pid, name, self.ids[place], role)
            issued = accounts.issue_credential(boss, pid, name)
            self.clients[who] = api.as_user(issued.access_key, issued.secret_key)
            self.roles[name] = dict(roles)
        for place in PLACES:
            self._seed(place)

    def _seed(self, place: str) -> None:
        scope = self.scope(place)
        if place.endswith("prod"):  # what a release writes
            scope = dataclasses.replace(scope, releasing=True)
        jobs = self.services.jobs
        jobs.create(scope, make_job("daily"))
        jobs.create(scope, make_job("stream", processType="REAL_TIME"))
        jobs.create(scope, {**make_job("draft"), "targetStatus": "SAVED"})

    def scope(self, place: str) -> Scope:
        """The project admin in ``place``."""
        return self.services.accounts.scope(self.boss, PROJECT_ID, self.ids[place])


_REFUSED: list[dict[str, Any]] = []
"""The last refusal's envelope."""


def _code(answer: Any) -> str | None:
    """A refusal's code (None: a success)."""
    if answer.status_code < 300:
        return None
    body = answer.json()
    note(f"refused: {body}")
    _REFUSED[:] = [body]
    return str(body["error_code"])


def _check_refusal(told: Told, step: Step, code: str) -> None:
    """A refusal names what it refused: the job, the user and the workspace, the parameter."""
    place, who, *args = step.args
    if step.act in ("grant", "revoke") or not _REFUSED:
        return
    said = _REFUSED[0]
    message = said["error_msg"]
    if code == DENIED:
        assert told.names[who] in message, said
        assert told.workspace_names[place] in message, said
    elif code == INVALID and step.act == "start" and args[1] in FAULTY:
        assert said.get("parameter") or "StartJobReq" in message, said
        python = ("NoneType", "not list", "not str", "not int", "not float", "not bool")
        assert not any(word in message for word in python), said  # JSON's words
    elif code in (NO_JOB, SCHEDULED, INVALID):
        assert f"'{args[0]}'" in message, said
    elif code == LOOKUP and step.act == "enterprise":
        assert told.ids[place] in message, said
    elif code == LOOKUP and step.act == "workspace":
        assert told.ids[args[0]] in message, said
    elif code == LOOKUP:
        assert said["parameter"] in ("limit", "offset"), said
        assert said["parameter"] in message, said


def _take(told: Told, model: Model, step: Step) -> tuple[str | None, str | None]:
    """Take ``step`` through the app; what the model predicts and what was answered (a
    refusal's code, or None), checking a read's answer against the model."""
    place, who, *args = step.args
    client, user, ws = told.clients[who], told.names[who], told.ids[place]
    model.audit = []
    if step.act == "start":
        name, body = args
        predicted = model.start(place, user, user, name, body in FAULTY)
        given = BODIES[body]
        sent = given if given is None or isinstance(given, bytes) else orjson.dumps(given)
        answer = client.call("POST", f"/jobs/{name}/start", sent, workspace=ws)
        if predicted is None and answer.status_code == 204:
            _check_started(told, place, given, model.places[place].jobs[name].versions)
        return predicted, _code(answer)
    if step.act == "update":
        name, retype, submit = args
        predicted = model.update(place, user, user, name, retype, submit)
        body = _saved(model, place, name, submit)
        return predicted, _code(client.call("PUT", f"/jobs/{name}", body, workspace=ws))
    if step.act == "stop":
        predicted = model.stop(place, user, user, args[0])
        return predicted, _code(client.call("POST", f"/jobs/{args[0]}/stop", workspace=ws))
    if step.act == "delete":
        predicted = model.delete(place, user, user, args[0])
        return predicted, _code(client.call("DELETE", f"/jobs/{args[0]}", workspace=ws))
    if step.act in ("grant", "revoke"):
        return _grant(told, model, step)
    if step.act == "enterprise":
        named = told.workspace_names[place]
        predicted = model.switch(place, user, user, named)
        body = {"name": named, "mode": "1"}
        return predicted, _code(client.call("PUT", f"/{PROJECT_ID}/workspace/{ws}", body))
    if step.act == "promote":
        model.promote(told.boss.name, user := told.names[args[0]], args[1])
        told.services.users.set_project_admin(told.boss, PROJECT_ID, user, args[1])
        return None, None
    return _read(told, model, step)


def _saved(model: Model, place: str, name: str, submit: bool) -> dict[str, Any]:
    """The body of a job's save: as the model holds it after the save (a job the model does
    not hold: a batch job)."""
    job = model.places[place].jobs.get(name)
    kind = "REAL_TIME" if job is not None and job.real_time else "BATCH"
    target = "SUBMITTED" if submit else "SAVED"
    return {**make_job(name, processType=kind), "targetStatus": target}


def _check_started(told: Told, place: str, given: dict[str, Any] | None, version: int) -> None:
    """The start's audit entry keeps the version it scheduled and what the body asked."""
    with told.services.db.transaction(readonly=True) as tx:
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, told.ids[place], limit=1, offset=0)
    detail = orjson.loads(rows[0][1].detail or "{}")
    body = given or {}
    assert detail["jobParams"] == (body.get("jobParams") or []), detail
    assert detail.get("startDate") == body.get("start_date"), detail
    first = body.get("ignore_first_self_dep", body.get("ignore_first_self_dependence"))
    assert detail.get("ignoreFirstSelfDependence") == first, detail
    assert detail["version"] == version, detail  # the newest submitted


def _grant(told: Told, model: Model, step: Step) -> tuple[str | None, str | None]:
    place, _, who, role = step.args
    accounts, boss, user = told.services.accounts, told.boss, told.names[who]
    if step.act == "grant":
        model.grant(boss.name, user, place, role)
        accounts.set_role(boss, PROJECT_ID, user, told.ids[place], role)
        return None, None
    predicted = model.revoke(boss.name, user, place)
    try:
        accounts.remove_role(boss, PROJECT_ID, user, told.ids[place])
        return predicted, None
    except JobferryError as exc:
        note(f"refused: {exc.message}")
        return predicted, exc.code


def _read(told: Told, model: Model, step: Step) -> tuple[str | None, str | None]:
    """Take a read step, checking its answer when it is not refused."""
    place, who, *args = step.args
    client, user, ws = told.clients[who], told.names[who], told.ids[place]
    if step.act == "status":
        predicted = model.read(place, user, args[0])
        answer = client.call("GET", f"/jobs/{args[0]}/status", workspace=ws)
        if answer.status_code == 200 and predicted is None:
            job = model.places[place].jobs[args[0]]
            assert answer.json()["status"] == ("NORMAL" if job.scheduled else "STOPPED")
        return predicted, _code(answer)
    if step.act == "list":
        predicted = model.read(place, user)
        answers = [
            client.call("GET", "/jobs", workspace=ws, query={"jobType": kind, "limit": 100})
            for kind in ("BATCH", "REAL_TIME")
        ]
        if predicted is None:
            _check_list(model, place, [a.json() for a in answers])
        return predicted, _code(answers[0])
    if step.act == "unserved":
        name, call = args
        predicted = model.read(place, user) or UNSERVED
        method, path = CALLS[call]
        answer = client.call(method, path.format(name=name), workspace=ws)
        if answer.status_code == 501:
            assert answer.json()["operation"] == call, answer.json()
        return predicted, _code(answer)
    if step.act == "roles":
        answer = client.call("GET", "/users/role", version="v2")
        assert [r["role_code"] for r in answer.json()] == list(ROLE_CODES)
        return None, _code(answer)
    return _studio(told, model, step)


def _check_list(model: Model, place: str, pages: list[dict[str, Any]]) -> None:
    held = model.places[place].jobs
    for page, real_time in zip(pages, (False, True), strict=True):
        want = sorted((n, j.status) for n, j in held.items() if j.real_time == real_time)
        assert page["total"] == len(want), page
        assert [(j["name"], j["status"]) for j in page["jobs"]] == want, page


def _studio(told: Told, model: Model, step: Step) -> tuple[str | None, str | None]:
    """A management-centre look-up, checked against the model and the contract."""
    place, who, *args = step.args
    client, user = told.clients[who], told.names[who]
    if step.act == "workspace":
        wanted = args[0]
        answer = client.call("GET", f"/workspaces/{PROJECT_ID}/{told.ids[wanted]}")
        predicted = None if wanted in model.visible(user) else LOOKUP
        if predicted is None and answer.status_code == 200:
            _check_workspace(told, model, wanted, answer.json())
        return predicted, _code(answer)
    limit, offset = args
    query = {"limit": limit, "offset": offset}
    if step.act == "members":
        predicted = model.read(place, user)
        answer = client.call("GET", f"/{told.ids[place]}/users", query=query, version="v2")
    else:
        path = "/instances" if step.act == "instances" else f"/workspaces/{PROJECT_ID}"
        predicted, answer = None, client.call("GET", path, query=query)
    window = paged(limit, offset)
    predicted = predicted or (window if isinstance(window, str) else None)
    if predicted is None and answer.status_code == 200:
        assert not isinstance(window, str)
        _check_page(told, model, step, answer.json(), window)
    elif predicted == LOOKUP and answer.status_code == 400:
        said = answer.json()
        assert said["parameter"] in ("limit", "offset"), said
    return predicted, _code(answer)


def _check_page(
    told: Told, model: Model, step: Step, body: dict[str, Any], window: tuple[int, int]
) -> None:
    place, who = step.args[:2]
    limit, offset = window
    if step.act == "instances":
        assert (body["count"], body["billing_check"]) == (1, False), body
        assert [o["resource_id"] for o in body["commodity_orders"]] == [PROJECT_ID][offset:][:limit]
        return
    if step.act == "members":
        every = model.members(place)
        items = body["data"]
        assert [(m["user_name"], m["roles"][0]["role_code"]) for m in items] == every[
            offset : offset + limit
        ], body
        for m in items:
            assert {k: type(m[k]) for k in MEMBER_FIELDS} == MEMBER_FIELDS, m
            assert m["workspace_id"] == told.ids[place], m
    else:
        every = _workspaces(told, model, told.names[who])
        items = body["data"]
        assert [w["id"] for w in items] == every[offset : offset + limit], body
        for w in items:
            known = [p for p in PLACES if told.ids[p] == w["id"]]
            if known:
                _check_workspace(told, model, known[0], w)
    assert body["count"] == len(every), body
    assert body["total_page"] == math.ceil(len(every) / limit), body


def _workspaces(told: Told, model: Model, user: str) -> list[str]:
    """The ids of the workspaces ``user`` lists, default first, then by name."""
    if user not in model.admins:
        return [told.ids[p] for p in model.visible(user)]  # named in that order
    with told.services.db.transaction(readonly=True) as tx:  # the project's, of earlier stories
        every = accounts_repo.list_workspaces(tx, PROJECT_ID)
    return [ws.id for ws in sorted(every, key=lambda ws: (not ws.is_default, ws.name))]


def _check_workspace(told: Told, model: Model, place: str, body: dict[str, Any]) -> None:
    assert {k: type(body[k]) for k in WORKSPACE_FIELDS} == WORKSPACE_FIELDS, body
    assert body["id"] == told.ids[place], body
    assert (body["is_default"], body["instance_id"]) == (0, PROJECT_ID), body
    assert body["member_num"] == len(model.members(place)), (body, model.members(place))


def _entries_in(told: Told, place: str, last: int) -> list[Line]:
    """The audit entries of ``place``'s workspace after entry ``last``, oldest first."""
    with told.services.db.transaction(readonly=True) as tx:
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, told.ids[place], limit=100, offset=0)
    found = [(r.actor, r.action, r.object_kind, r.object_name) for i, r in rows if i > last]
    return found[::-1]


def _check_places(told: Told, model: Model) -> None:
    """Every place's jobs are as the model says, and no other job is there."""
    jobs = told.services.jobs
    for place, held in model.places.items():
        scope = told.scope(place)
        for name in JOBS:
            job = held.jobs.get(name)
            if job is None:
                with pytest.raises(JobferryError, match=f"no job '{name}'"):
                    jobs.status(scope, name)
                continue
            state = jobs.status(scope, name).status.value
            assert state == ("NORMAL" if job.scheduled else "STOPPED"), (place, name)


@GENERATED
@given(story=run_stories())
def test_running_jobs_and_studio_lookups_keep_their_promises(
    services: Services, api: SignedClient, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    told = Told(services, api)
    model = Model({p: p.endswith("prod") for p in PLACES}, told.boss.name, told.roles)
    for held in model.places.values():
        held.jobs = {n: _job(n) for n in JOBS}
    try:
        _tell(told, model, story)
    finally:  # the next story's project has one project admin
        for name in model.admins - {told.boss.name}:
            services.users.set_project_admin(told.boss, PROJECT_ID, name, False)


def _tell(told: Told, model: Model, story: tuple[Step, ...]) -> None:
    services = told.services
    for step in story:
        _REFUSED.clear()
        before = last_entry(services)
        predicted, answered = _take(told, model, step)
        event(f"{step.act}: {predicted or 'taken'}")
        assert answered == predicted, step
        if predicted is not None:
            assert entries_since(services, before) == [], step
            _check_refusal(told, step, predicted)
        else:
            assert entries_since(services, before) == model.audit, step
            if model.audit and step.act != "promote":  # a project's entry, of no workspace
                assert _entries_in(told, step.args[0], before) == model.audit, step
        _check_places(told, model)


def _job(name: str) -> Job:
    return Job(real_time=name == "stream", versions=int(name != "draft"))
