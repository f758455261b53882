"""Generated stories of submitted versions and target statuses (``support/version_stories.py``):
users of each role save jobs and scripts with each ``targetStatus``, show and list their
versions, start and stop jobs, and import packages carrying the same objects saved or
submitted, in a workspace without the approval switch and one with it on. After every step,
whatever the story, they keep the promises of docs/api.md (``support/version_model.py`` says
them):

- a save stores the development state as sent; SUBMITTED or PRODUCTION (or none, without the
  approval switch) also a new version, numbered from 1 in order and kept as submitted with
  its status and who submitted it; SAVED none; PRODUCTION is the admins' (DLF.6888), and with
  the switch on a save without ``targetStatus``, or SUBMITTED without approvers, is refused
  (DLF.0802);
- ``show_job`` answers the development state with the latest version's number, ``version=N``
  that version (``-1``: none asked), one that does not exist or ``0`` is DLF.0100, and
  ``getJobSubmitVersion`` the latest one (DLF.0100 when never submitted); the versions read
  back newest first;
- ``start_job`` needs a submitted version (DLF.3051) and an operator at least;
- a comparison of the development state with the latest version (after each save of the
  object, and when a story asks) says no changes exactly when the object stands as last
  submitted; one of version N with N−1 names the top-level
  fields that differ between those submits, one of a version with itself none, and a
  version the object does not have, or nothing before N, is refused (DLF.0100);
- an import writes each object of its package as a save with its target status does: one the
  target holds as the package does is UNCHANGED (no version) unless the import submits it and
  its newest version is not that text (never submitted, or saved since): then its version is
  due, written under OVERWRITE and skipped under SKIP; overwriting a scheduled job fails it
  whole (``scheduled``), and the import refuses what a save refuses, by the same rules; its
  plan says so, and an import naming the plan does what it says;
- a rollback of the newest import puts back what it wrote (objects it created gone, the others
  as before, the versions it submitted deleted), refused (DLF.9016) when any changed since;
- a refused step changes nothing, and every change writes its audit entry under its caller.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.enums import ObjectKind, TaskStatus
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import load
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.workspaces.settings import parse_workspace_settings
from jobferry.storage import jobs as job_repo
from jobferry.storage import scripts as script_repo
from support.audits import entries_since, last_entry
from support.console import add_connections, admin_actor
from support.import_stories import generated
from support.planning import upload, write_objects
from support.version_model import FAILED, NO_JOB, NO_SCRIPT, ROLES, Held, Model
from support.version_stories import (
    JOBS,
    PLACES,
    SCRIPT,
    Step,
    compared_across_submits,
    document,
    package,
    resaved_then_submitted,
    saved_again_then_undone,
    saved_then_submitted,
    submitted_then_undone,
    version_stories,
)

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
_APPROVERS = [{"approverName": "reviewer"}]


class Told:
    """A story's two workspaces (the second with the approval switch on), a user of each
    role in both, and the two packages uploaded into each as a story first imports them."""

    def __init__(self, services: Services, tmp_path: Path) -> None:
        self.services = services
        boss = admin_actor(services)
        pid, n = boss.project_id, next(_SERIAL)
        accounts = services.accounts
        self.ids = {
            place: accounts.create_workspace(boss, pid, f"vs{n}{place}") for place in PLACES
        }
        gated = parse_workspace_settings({"approvalEnabled": True})
        accounts.update_workspace(boss, pid, self.ids["gated"], gated)
        self.admins = {
            place: add_connections(services, accounts.scope(boss, pid, ws), "dws_conn")
            for place, ws in self.ids.items()
        }
        self.tmp_path, self.serial = tmp_path, n
        self.paths: dict[tuple[str, str], tuple[str, str]] = {}
        self.scopes: dict[tuple[str, str], Scope] = {}
        self.users = {}
        for role in ROLES:
            name = f"vs{n}{role}"
            accounts.create_user(boss, pid, name, False)
            for ws in self.ids.values():
                accounts.set_role(boss, pid, name, ws, role)
            key = accounts.issue_credential(boss, pid, name).access_key
            self.users[role] = accounts.actor_for(key)

    def upload(self, place: str, text: str) -> tuple[str, str]:
        """The upload of the package of ``text`` into ``place`` (made the first time it is
        asked for): its path and file name."""
        if (place, text) not in self.paths:
            objects = [(k, n, d) for (k, n), d in package(text).items()]
            zipped = self.tmp_path / f"vs{self.serial}{place}{text}.zip"
            write_objects(zipped, objects)
            path = upload(self.services, self.admins[place], zipped)
            self.paths[(place, text)] = (path, zipped.name)
        return self.paths[(place, text)]

    def scope(self, place: str, role: str) -> Scope:
        """The scope of ``role``'s user in ``place`` (read once: no story changes it)."""
        if (place, role) not in self.scopes:
            actor = self.users[role]
            scope = self.services.accounts.scope(actor, actor.project_id, self.ids[place])
            self.scopes[(place, role)] = scope
        return self.scopes[(place, role)]


def _save(told: Told, model: Model, step: Step, scope: Scope, actor: str) -> tuple[Any, Any]:
    place, role, kind, name, text, status, approvers = step.args
    body: dict[str, Any] = document(kind, name, text)
    if status is not None:
        body["targetStatus"] = status
    if approvers:
        body["approvers"] = _APPROVERS
    service = told.services.jobs if kind == "job" else told.services.scripts
    held = model.held(place, kind, name) is not None
    predicted = model.save(place, role, actor, kind, document(kind, name, text), status, approvers)
    try:
        (service.update if held else service.create)(scope, *((name,) if held else ()), body)
    except JobferryError as exc:
        note(f"refused: {exc.message}")
        return predicted, exc.code
    return predicted, None if predicted is None else service.show(scope, name).version


def _import(told: Told, model: Model, step: Step, scope: Scope, actor: str) -> tuple[Any, Any]:
    place, role, text, status, approvers, policy, planned = step.args
    path, file_name = told.upload(place, text)
    body: dict[str, Any] = {"path": path, "sameNamePolicy": policy}
    if status is not None:
        body["targetStatus"] = status
    if approvers:
        body["approvers"] = _APPROVERS
    predicted = model.import_refusal(place, role, body)
    if predicted is not None:
        model.audit = [(actor, "import.refused", "package", file_name)]
    imports = told.services.imports
    wanted = package(text)
    actions = model.actions(place, body, wanted)
    try:
        if planned:
            plan = imports.plan(scope, parse_import_request(body))
            assert isinstance(plan, Plan)
            said = {(str(line.kind), line.name): str(line.action) for line in plan.lines}
            assert said == actions, step
            body["planId"] = plan.plan_id
        prepared = imports.prepare(scope, parse_import_request(body))
    except JobferryError as exc:
        note(f"refused: {exc.message}")
        return predicted, exc.code
    imports.run(prepared)
    task = told.services.tasks.show(scope, prepared.task_id, subtasks=100)
    done = {tuple(s["id"].split(":", 1)): s["action"] for s in task.subtasks}
    note(f"task {task.status}: {task.message} {done}")
    if model.fails(place, actions, wanted):
        model.audit = None
        return FAILED, str(task.status)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert done == {key: action for key, action in actions.items()}, step
    model.imported(place, actor, body, wanted, actions, prepared.task_id)
    return None, None


def _take(told: Told, model: Model, step: Step) -> tuple[Any, Any]:
    """Take ``step`` through the services; what the model predicts and what was answered (a
    refusal's code, or the answer)."""
    place, role, *args = step.args
    scope, actor = told.scope(place, role), told.users[role].name
    model.audit = []
    predicted: Any = None
    try:
        if step.act == "save":
            return _save(told, model, step, scope, actor)
        if step.act == "import":
            return _import(told, model, step, scope, actor)
        if step.act == "undo":
            if not model.places[place].imports:
                return None, None  # nothing to roll back
            task_id = model.places[place].imports[-1].task_id
            predicted = model.rollback(place, role)
            told.services.rollback.rollback(scope, task_id)
            return predicted, None
        if step.act == "start":
            name, on = args
            predicted = model.start(place, role, actor, name, on)
            (told.services.jobs.start if on else told.services.jobs.stop)(scope, name)
            return predicted, None
        if step.act == "show":
            name, version, latest = args
            predicted = model.shown(place, name, version, latest)
            shown = told.services.jobs.show(scope, name, version=version, submitted=latest)
            return predicted, (shown.document, shown.version)
        if step.act == "compare":
            return _compare(told, model, step)
        kind, name = args
        held = model.held(place, kind, name)
        predicted = _versions(held) if held else NO_JOB if kind == "job" else NO_SCRIPT
        return predicted, _listed(told, scope, kind, name)
    except JobferryError as exc:
        note(f"refused: {exc.message}")
        return predicted, exc.code


def _compare(told: Told, model: Model, step: Step) -> tuple[Any, Any]:
    """Compare an object's development state with its latest version, version N (``back``
    from the latest) with the one before it and with itself, and a version past its latest:
    each answers what the model says (the version compared from and the top-level fields
    that changed) or is refused with its code."""
    place, role, kind, name, back = step.args
    scope, held = told.scope(place, role), model.held(place, kind, name)
    past = len(held.versions) + 1 if held else 1
    for label, ends in _compared(past - 1 - back, past):
        predicted = model.compared(place, kind, name, ends)
        try:
            found = told.services.comparisons.compare(scope, ObjectKind(kind), name, ends)
        except JobferryError as exc:
            refused: str | None = exc.code
            note(f"refused: {exc.message}")
        else:
            refused = None
        if refused is not None or isinstance(predicted, str):
            event(f"compare {label}: {refused}")
            assert refused == predicted, (step, ends)
            continue
        fields = {re.split(r"[.\[(]", change.path, maxsplit=1)[0] for change in found.changes}
        event(f"compare {label}: {'changed' if fields else 'no changes'}")
        assert (found.older, found.newer) == (predicted[0], ends[1]), (step, ends)
        assert fields == predicted[1], (step, ends, found.changes)
    return None, None


def _compared(number: int, past: int) -> list[tuple[str, tuple[int | None, int | None]]]:
    """What a compare step compares (older, newer), named: the development state with the
    latest version, version ``number`` with the one before it and with itself, a version past
    the latest."""
    return [
        ("the development state", (None, None)),
        ("a version with the one before", (None, number)),
        ("a version with itself", (number, number)),
        ("past the latest", (past, None)),
    ]


def _versions(held: Held) -> list[tuple[int, str, str]]:
    """The versions of ``held`` as read back, newest first."""
    return [(i + 1, status, by) for i, (status, _, by) in enumerate(held.versions)][::-1]


def _listed(told: Told, scope: Scope, kind: str, name: str) -> list[tuple[int, str, str]]:
    if kind == "job":
        listed = told.services.comparisons.versions(scope, ObjectKind.JOB, name)
    else:
        listed = told.services.scripts.detail(scope, name).versions
    return [(v.version, str(v.status), v.created_by) for v in listed]


def _check_places(told: Told, model: Model) -> None:
    """Every job and script of each workspace is what the model holds: its development state,
    every version (number, status, text, who), a job's scheduling status."""
    with told.services.db.transaction(readonly=True) as tx:
        for place, ws in told.ids.items():
            found: dict[tuple[str, str], Held] = {}
            for name in JOBS:
                job = job_repo.get_job(tx, ws, name)
                if job is not None:
                    versions = _kept(job_repo.list_versions(tx, job.id), job.latest_version)
                    found[("job", name)] = Held(load(job.document), versions, str(job.status))
            script = script_repo.get_script(tx, ws, SCRIPT)
            if script is not None:
                versions = _kept(script_repo.list_versions(tx, script.id), script.latest_version)
                found[("script", SCRIPT)] = Held(load(script.document), versions)
            assert found == model.places[place].objects, place


def _kept(versions: list[Any], latest: int | None) -> list[tuple[str, dict[str, Any], str]]:
    """Versions as read (newest first) as the model holds them (oldest first), checking they
    are numbered from 1 in order up to the object's latest."""
    versions = versions[::-1]
    assert [v.version for v in versions] == list(range(1, len(versions) + 1))
    assert latest == (len(versions) or None)
    return [(v.status, load(v.document), v.created_by) for v in versions]


@GENERATED
@given(story=version_stories())
@example(story=saved_then_submitted())
@example(story=resaved_then_submitted())
@example(story=submitted_then_undone())
@example(story=saved_again_then_undone())
@example(story=compared_across_submits())
def test_versions_and_target_statuses_keep_their_promises(
    services: Services, tmp_path_factory: pytest.TempPathFactory, story: tuple[Step, ...]
) -> None:
    note(repr(story))
    told = Told(services, tmp_path_factory.mktemp("versions"))
    model = Model({"plain": False, "gated": True})
    for step in story:
        before = last_entry(services)
        predicted, answered = _take(told, model, step)
        event(f"{step.act}: {predicted if isinstance(predicted, str) else 'taken'}")
        if isinstance(predicted, str):
            assert answered == predicted, step
            if model.audit is not None:
                assert entries_since(services, before) == model.audit, step
        else:
            assert not isinstance(answered, str), (step, answered)  # not refused
            if predicted is not None:
                assert answered == predicted, step
            if model.audit is not None:
                assert entries_since(services, before) == model.audit, step
        if step.act not in ("show", "versions", "compare"):  # reads are checked as they answer
            _check_places(told, model)
        if step.act == "save" and not isinstance(predicted, str):  # what it saved, compared
            place, role, kind, name = step.args[:4]
            _compare(told, model, Step("compare", (place, role, kind, name, 0)))
