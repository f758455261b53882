"""Generated stories of environment objects of every kind (``support/environment_stories.py``):
users of each role put, show, list and remove connections, queues, clusters… in two
workspaces and the production side of the second, developers save and submit jobs using them
by name, and the first workspace's jobs are exported. After every step, whatever the story,
they keep the promises of docs/api.md (the ``/environment/{kind}/{name}`` row, "Required
secrets", the exports) and docs/cli.md (``jobferry env``), as ``support/environment_model.py``
says them:

- every place lists, by kind and name, the objects the model holds: their type and settings in
  full, of their secrets only which are set; a secret is stored (encrypted) as last given, kept
  by a write that leaves ``secrets`` out, and never answered nor exported;
- a write by a role that may not (DLF.6888: admins write), into a production side (DLF.9070:
  it changes only by a release), under a kind or name that is none or with a bad body
  (DLF.3051) is refused and changes nothing; so is the removal of an object a job uses by its
  saved definition or its latest submitted version (DLF.9013); one not held is not found
  (DLF.9004);
- every change writes one audit entry under its caller, in the place's own log; nothing of one
  place is seen in another;
- an export's manifest requires each object the jobs use (a connection held with its type and
  the names of its secrets) and carries the CDM jobs held, type and settings only.
"""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.api.presenters.environment import environment_object
from jobferry.domain.enums import TaskStatus
from jobferry.domain.releases import StartupMode
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import load
from jobferry.services.exporting.options import parse_background_export
from jobferry.services.releases.records import DeployRequest, PackageRequest
from jobferry.storage import audit as audit_repo
from jobferry.storage import environment as repo
from jobferry.storage.releases import ItemFilter
from support.audits import entries_since, last_entry
from support.clients import PROJECT_ID
from support.console import admin_actor
from support.environment_model import (
    ADMIN,
    DEVELOPER,
    INVALID,
    KINDS,
    NAMES,
    NOT_FOUND,
    ROLES,
    Line,
    Model,
    Ref,
)
from support.environment_stories import (
    PLACES,
    Step,
    carried_into_the_second,
    environment_stories,
    released_to_production,
    submitted_then_saved,
    written_into_production,
)
from support.import_stories import generated
from support.planning import run_import, upload
from support.releases import run_release

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
NODES = {
    "connection": ("Dummy", "connectionName"),
    "dli_queue": ("Dummy", "queueName"),
    "resource_group": ("Dummy", "resourceGroup"),
    "cdm_cluster": ("CDMJob", "clusterName"),
    "cdm_job": ("CDMJob", "jobName"),
    "mrs_cluster": ("MRSSpark", "clusterName"),
    "dis_stream": ("DISStream", "streamName"),
    "ges_graph": ("GES", "graphName"),
    "quality_rule": ("DataQualityMonitor", "qualityRuleName"),
}
"""The node (type, property) a job names an object of each kind with (an agency: its
``basicConfig``)."""


class Told:
    """A story's places (two workspaces, the second in enterprise mode, and its production
    side) and a user of each role in them."""

    def __init__(self, services: Services, folder: Path) -> None:
        self.services, self.folder = services, folder
        boss = admin_actor(services)
        pid, self.n = boss.project_id, next(_SERIAL)
        accounts = services.accounts
        first = accounts.create_workspace(boss, pid, f"ev{self.n}a")
        second = accounts.create_workspace(boss, pid, f"ev{self.n}b")
        scope = accounts.scope(boss, pid, second)
        services.releases.update_workspace(scope, {"name": scope.workspace.name, "mode": "1"})
        production = accounts.scope(boss, pid, second).workspace.production_id
        assert production is not None
        self.ids = dict(zip(PLACES, (first, second, production), strict=True))
        self.boss = {place: accounts.scope(boss, pid, ws) for place, ws in self.ids.items()}
        self.users = {}
        for role in ROLES:
            name = f"ev{self.n}{role}"
            accounts.create_user(boss, pid, name, False)
            for ws in (first, second):
                accounts.set_role(boss, pid, name, ws, role)
            key = accounts.issue_credential(boss, pid, name).access_key
            self.users[role] = accounts.actor_for(key)

    def scope(self, place: str, role: str) -> Scope:
        actor = self.users[role]
        return self.services.accounts.scope(actor, actor.project_id, self.ids[place])


def _job(name: str, used: tuple[Ref, ...]) -> dict[str, Any]:
    """A job whose nodes (and ``basicConfig``) name the objects ``used``."""
    nodes: list[dict[str, Any]] = [{"name": "start", "type": "Dummy", "properties": []}]
    basic: dict[str, Any] = {"owner": "alice"}
    for i, (kind, ref) in enumerate(used):
        if kind == "agency":
            basic["agency"] = ref
            continue
        node_type, prop = NODES[kind]
        properties = [{"name": prop, "value": ref}]
        nodes.append({"name": f"n{i}", "type": node_type, "properties": properties})
    for i, node in enumerate(nodes):
        node |= {"location": {"x": "10", "y": str(20 * i)}, "preNodeName": []}
    schedule = {"type": "EXECUTE_ONCE"}
    return {
        "name": name,
        "nodes": nodes,
        "schedule": schedule,
        "processType": "BATCH",
        "basicConfig": basic,
    }


def _refs_of(used: tuple[Ref, ...]) -> frozenset[Ref]:
    """What a job built by :func:`_job` uses (one agency: the last named)."""
    agencies = [r for r in used if r[0] == "agency"]
    return frozenset({*(r for r in used if r[0] != "agency"), *agencies[-1:]})


def _secret(told: Told, n: int, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with each marked secret value made one of its own."""
    secrets = body.get("secrets")
    if not isinstance(secrets, dict):
        return dict(body)
    made = {k: f"s3cr3t{told.n}x{n}{k}" if v == "@" else v for k, v in secrets.items()}
    return body | {"secrets": made}


def _valid(kind: str, name: str) -> bool:
    return kind in KINDS and name in NAMES


def _take(told: Told, model: Model, step: Step, n: int) -> tuple[str | None, Any]:
    """Take ``step`` through the services; what the model predicts and what was answered (a
    refusal's code, or the answer)."""
    services, (place, role, *args) = told.services, step.args
    scope, actor = told.scope(place, role), told.users[role].name
    model.audit = []
    predicted: str | None = None
    env = services.environment
    try:
        if step.act == "put":
            kind, name, body = args
            body = _secret(told, n, body)
            predicted = model.put(place, role, actor, (kind, name), body, valid=_valid(kind, name))
            return predicted, env.put(scope, kind, name, json.loads(json.dumps(body)))
        if step.act == "delete":
            kind, name = args
            predicted = model.delete(place, role, actor, (kind, name), valid=kind in KINDS)
            return predicted, env.delete(scope, kind, name)
        if step.act == "job":
            job, used, submit = args
            held = job in model.places[place].jobs
            model.save_job(place, job, _refs_of(used), submit)
            body = _job(job, used) | {"targetStatus": "SUBMITTED" if submit else "SAVED"}
            if held:
                return None, services.jobs.update(scope, job, body)
            return None, services.jobs.create(scope, body)
        if step.act == "unjob":
            (job,) = args
            held = job in model.places[place].jobs
            model.delete_job(place, job)
            return None, services.jobs.delete(scope, job) if held else None
        if step.act == "export":
            model.audit = None
            return None, _export(told, model, *args)
        if step.act == "carry":
            return None, _carry(told, model, n)
        if step.act == "release":
            return None, _release(told, model, n)
        predicted = _read_refusal(model, step)
        return predicted, _read(told, model, step, scope)
    except JobferryError as exc:
        note(f"refused: {exc.message}")
        return predicted, exc.code


def _read_refusal(model: Model, step: Step) -> str | None:
    """The code a read step is refused with (None: it answers)."""
    place, _, *args = step.args
    if step.act in ("show", "list_kind") and args[0] not in KINDS:
        return INVALID
    if step.act == "show" and tuple(args) not in model.places[place].objects:
        return NOT_FOUND
    return None


def _read(told: Told, model: Model, step: Step, scope: Scope) -> None:
    """Take a read step, checking what it answers against the model."""
    env, (place, _, *args) = told.services.environment, step.args
    if step.act == "show":
        _check_object(model, place, env.get(scope, *args))
        return
    kind = args[0] if step.act == "list_kind" else None
    listed = env.list_objects(scope, kind)
    held = model.places[place].objects
    assert [(o.kind.value, o.name) for o in listed] == sorted(
        r for r in held if kind is None or r[0] == kind
    )


def _check_object(model: Model, place: str, obj: Any) -> None:
    """One object answered as the model holds it, no secret value in it."""
    held = model.places[place].objects[(obj.kind.value, obj.name)]
    assert (obj.type, obj.config, sorted(obj.secret_keys)) == (
        held.type,
        held.config,
        sorted(held.secrets),
    ), (place, obj)
    answered = json.dumps(environment_object(obj), ensure_ascii=False)
    assert not [v for v in model.secret_values if v in answered], answered


def _check_places(told: Told, model: Model) -> None:
    """Every place holds what the model says, secrets as last given, nothing of another."""
    for place, held in model.places.items():
        scope = told.boss[place]
        listed = told.services.environment.list_objects(scope)
        assert [(o.kind.value, o.name) for o in listed] == sorted(held.objects), place
        for obj in listed:
            _check_object(model, place, obj)
        with told.services.db.transaction(readonly=True) as tx:
            for (kind, name), expected in held.objects.items():
                token = repo.read_secrets(tx, told.ids[place], kind, name)
                stored = {} if token is None else load(told.services.environment.box.decrypt(token))
                assert stored == expected.secrets, (place, kind, name)


def _entries_in(told: Told, place: str, last: int) -> list[Line]:
    """The audit entries of ``place``'s workspace after entry ``last``, oldest first."""
    with told.services.db.transaction(readonly=True) as tx:
        _, rows = audit_repo.list_entries(tx, PROJECT_ID, told.ids[place], limit=100, offset=0)
    found = [(r.actor, r.action, r.object_kind, r.object_name) for i, r in rows if i > last]
    return found[::-1]


def _export(told: Told, model: Model, submitted: bool = False) -> bytes | None:
    """Export the first workspace's jobs (``submitted``: their latest submitted versions, when
    each has one): the manifest requires what they use, a connection held with its type and
    secret names; the CDM jobs held are carried, type and settings; no secret value
    anywhere."""
    services, source = told.services, told.boss["w0"]
    place = model.places["w0"]
    if not place.jobs or (submitted and None in {j.submitted for j in place.jobs.values()}):
        return None
    status = "SUBMIT" if submitted else "DEVELOP"
    body = {"mode": "names", "names": sorted(place.jobs), "exportStatus": status}
    options = parse_background_export(body)
    prepared = services.exports.prepare(source, options)
    services.exports.run(prepared)
    made = services.tasks.show(source, prepared.task_id).outcome
    assert made is not None
    _, chunks = services.downloads.open(source, made["downloadId"])
    data = b"".join(chunks)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        files = {info.filename: package.read(info) for info in package.infolist()}
    every = b"".join(files.values()).decode()
    assert not [v for v in model.secret_values if v in every]
    used = sorted(
        {
            r
            for job in place.jobs.values()
            for r in (job.submitted if submitted else job.developed) or ()
        }
    )
    expected = []
    for kind, name in used:
        held = place.objects.get((kind, name))
        requirement: dict[str, Any] = {"kind": kind, "name": name}
        if kind == "connection" and held is not None:
            requirement["type"] = held.type
            if held.secrets:
                requirement["secrets"] = sorted(held.secrets)
        expected.append(requirement)
    assert json.loads(files["manifest.json"])["requires"] == expected
    carried = {p: json.loads(b) for p, b in files.items() if p.startswith("cdm_jobs/")}
    assert carried == {
        f"cdm_jobs/{name}.cdmjob": {"name": name, "type": o.type, "config": o.config}
        for (kind, name), o in place.objects.items()
        if kind == "cdm_job" and (kind, name) in used
    }
    return data


def _carry(told: Told, model: Model, n: int) -> None:
    """The first workspace's jobs exported and imported into the second: refused naming the
    objects the second lacks (or whose secrets it lacks), else with the CDM jobs used."""
    data = _export(told, model)
    if data is None:
        return
    target, services = told.boss["w1"], told.services
    path = told.folder / f"carried{told.n}x{n}.zip"
    path.write_bytes(data)
    expected = model.carry("w0", "w1")
    task = run_import(services, target, upload(services, target, path))
    problems = task.outcome.get("problems", []) if task.outcome else []
    found = {(p["reason"], (p["reference"]["kind"], p["reference"]["name"])) for p in problems}
    status = TaskStatus.FAILED if expected else TaskStatus.SUCCESSFUL
    assert (task.status, sorted(found)) == (status, expected), problems
    event(f"carry: {', '.join(sorted({r for r, _ in expected})) or 'imported'}")


def _release(told: Told, model: Model, n: int) -> None:
    """The second workspace's pending items packaged and released: its production side then
    holds the second's objects, secrets and all."""
    services, scope = told.services, told.scope("w1", DEVELOPER)
    items = services.releases.pending(scope, ItemFilter(), 100, 0)[1]
    if not items:
        return
    ids = tuple(str(i.id) for i in items)
    applicant, approver = (str(told.users[r].user_id) for r in (DEVELOPER, ADMIN))
    request = PackageRequest(applicant, f"p{n}", ids, (approver,))
    missing = model.release("w1", "w1prod")
    if missing:
        with pytest.raises(JobferryError) as refused:
            services.releases.create(scope, request, [])
        assert refused.value.code == INVALID, refused.value.message
        development = scope.workspace.name
        for kind, name in missing:  # to be registered in development, not production
            fix = f"register it in workspace '{development}' (PUT /environment/{kind}/{name})"
            if kind == "cdm_job":  # which a package may carry
                fix = f"or create it in '{development}'"
            assert fix in refused.value.message, refused.value.message
        event("release: refused")
        return
    package_id = services.releases.create(scope, request, []).package_id
    deploy = DeployRequest((package_id,), StartupMode.LEAVE)
    services.releases.deploy(told.scope("w1", ADMIN), deploy)
    run_release(services)
    event("release: deployed")


@GENERATED
@given(story=environment_stories())
@example(story=submitted_then_saved())
@example(story=written_into_production())
@example(story=carried_into_the_second())
@example(story=released_to_production())
def test_environment_objects_keep_their_promises(
    services: Services, tmp_path: Path, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    told = Told(services, tmp_path)
    model = Model({place: place.endswith("prod") for place in PLACES})
    for n, step in enumerate(story):
        before = last_entry(services)
        predicted, answered = _take(told, model, step, n)
        event(f"{step.act}: {predicted or 'taken'}")
        if isinstance(predicted, str):
            assert answered == predicted, step
            assert entries_since(services, before) == [], step
        else:
            assert not isinstance(answered, str), (step, answered)  # not refused
            if model.audit is not None and step.act != "job":
                assert entries_since(services, before) == model.audit, step
                assert _entries_in(told, step.args[0], before) == model.audit, step
        _check_places(told, model)
