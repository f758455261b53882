"""Generated stories of DataArts' own import options (``support/import_option_stories.py``):
a package of jobs with parameters, execute users and connections; users of each role look
into it (check-file) and import it, planned first or not, with drawn ``params``,
``jobsParam``, ``resources``, ``executeUser``, ``sameNamePolicy``, ``targetStatus`` and
``approvers``, into a workspace with the approval switch on or off. After every step,
whatever the story, the import keeps the promises of docs/api.md and the contract (§6.4–6.6):

- each job holds what the options make of it: ``params`` sets the parameters the job
  declares, then ``jobsParam`` sets or adds its own (entries for one job applied in order),
  ``resources`` renames the connection its node uses, ``executeUser`` sets its execute user;
  a job of the same name is kept under ``SKIP``, and overwritten under ``OVERWRITE`` with a
  new version unless ``targetStatus`` is ``SAVED`` (none when nothing changed and its newest
  version is what it holds; a submit of a job or script an import only saved is due);
- a body of a bad shape is refused naming the field (DLF.3051), as is an import by a role
  that may not (DLF.6888; ``PRODUCTION`` is the admins'), and one without ``targetStatus``, or
  ``SUBMITTED`` without approvers, where approval is switched on (DLF.0802); a ``jobsParam``
  naming a job the package does not hold, or a rename to a connection the target lacks, fails
  the task; a refusal or a failed task changes nothing;
- the task has one successful subtask per object of the package; check-file tells the
  package's jobs with their folders and parameters, and its scripts;
- a plan's actions are what the import then does, and an import naming the plan does it;
- every import writes its audit entry under its caller, and another workspace sees nothing.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.enums import TaskStatus
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from jobferry.services.workspaces.settings import parse_workspace_settings
from support.audits import Line, entries_since, last_entry
from support.console import add_connections, admin_actor
from support.import_option_stories import (
    FAILED,
    HELD,
    INVALID,
    ROLES,
    UNKNOWN_JOB,
    Model,
    Step,
    job_view,
    pinned,
    respelled,
    stories,
)
from support.import_stories import generated
from support.packages import objects_for
from support.planning import upload, write_objects
from support.workspace_state import workspace_state

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=50 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()


class Told:
    """A story's workspace (and another one), a user of each role in it, the package's
    upload."""

    def __init__(self, services: Services, approval: bool) -> None:
        self.services = services
        boss = admin_actor(services)
        pid, n = boss.project_id, next(_SERIAL)
        accounts = services.accounts
        self.ws = accounts.create_workspace(boss, pid, f"io{n}")
        self.other = accounts.create_workspace(boss, pid, f"io{n}x")
        self.admin = add_connections(services, accounts.scope(boss, pid, self.ws), *HELD)
        add_connections(services, accounts.scope(boss, pid, self.other), *HELD)
        if approval:
            settings = parse_workspace_settings({"approvalEnabled": True})
            accounts.update_workspace(boss, pid, self.ws, settings)
        self.users = {}
        for role in ROLES:
            name = f"io{n}{role}"
            accounts.create_user(boss, pid, name, False)
            accounts.set_role(boss, pid, name, self.ws, role)
            key = accounts.issue_credential(boss, pid, name).access_key
            self.users[role] = accounts.actor_for(key)

        self.approval = approval
        self.planned: dict[str, str] | None = None
        """The job actions of the step's plan, when it planned first."""

    def scope(self, role: str) -> Scope:
        actor = self.users[role]
        return self.services.accounts.scope(actor, actor.project_id, self.ws)


def _package(tmp_path: Path, jobs: tuple[dict[str, Any], ...]) -> Path:
    found: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = {}
    for job in jobs:
        for kind, name, document in objects_for(job):
            found.setdefault((kind, name), (kind, name, document))
    return write_objects(tmp_path / f"options{next(_SERIAL)}.zip", list(found.values()))


def _check_file(told: Told, scope: Scope, path: str, jobs: tuple[dict[str, Any], ...]) -> None:
    """check-file tells the package's jobs (folder, parameters) and scripts."""
    contents = told.services.imports.check_file(scope, path)
    said = [(j.name, j.path, j.params) for j in contents.jobs]
    assert said == [
        (j["name"], j["directory"], {p["name"]: p["value"] for p in j["params"]}) for j in jobs
    ]
    scripts = sorted(s.name for s in contents.scripts)
    assert scripts == sorted(f"{j['name']}_{t}" for j in jobs for t in ("sh", "sql"))


def _plan(told: Told, scope: Scope, body: dict[str, Any]) -> dict[str, str]:
    """The plan of ``body``: job or script name → action."""
    plan = told.services.imports.plan(scope, parse_import_request(body))
    assert isinstance(plan, Plan)
    body["planId"] = plan.plan_id
    return {line.name: str(line.action) for line in plan.lines if str(line.kind) != "resource"}


def _refused(told: Told, step: Step, body: dict[str, Any]) -> tuple[str | None, Any]:
    """Plan (when the step plans first) and import ``body`` (after a plan, spelt another way
    that means the same, naming the plan): the refusal's code, or the finished task."""
    scope = told.scope(step.role)
    try:
        if step.planned:
            told.planned = _plan(told, scope, body)
            body = {**respelled(body, told.approval), "planId": body["planId"]}
        prepared = told.services.imports.prepare(scope, parse_import_request(body))
        told.services.imports.run(prepared)
        return None, told.services.tasks.show(scope, prepared.task_id, subtasks=1000)
    except JobferryError as exc:
        note(f"refused: {exc.code} {exc.message}")
        return exc.code, None


def _import(told: Told, model: Model, step: Step, path: str) -> str | None:
    """Take an import step; the refusal's code, FAILED, or None."""
    body = {"path": path, **step.options}
    predicted = model.refusal(step.role, body)
    if predicted is None and step.planned and model.unknown(body):
        predicted = UNKNOWN_JOB
    told.planned = None
    code, task = _refused(told, step, body)
    assert code == predicted, step
    if code is not None:
        return code
    if model.problems(step.options):
        assert task.status == TaskStatus.FAILED, (step, task.message)
        return FAILED
    if told.planned is not None:
        assert told.planned == model.actions(body), step
    assert task.status == TaskStatus.SUCCESSFUL, (step, task.message)
    assert all(s["status"] == "SUCCESSFUL" for s in task.subtasks), step
    assert {s["name"] for s in task.subtasks} == model.subtasks(), step
    model.imported(step.options)
    return None


def _check_workspace(told: Told, model: Model) -> None:
    """Each job holds its view with its versions (status, view) as the model says."""
    state = workspace_state(told.services, told.ws)
    jobs = {
        name: (
            job_view(held["document"]),
            tuple((status, job_view(document)) for _, status, document in held["versions"]),
        )
        for (kind, name), held in state.items()
        if kind == "job"
    }
    assert jobs == model.jobs
    scripts = {
        name: held["document"].get("connectionName")
        for (kind, name), held in state.items()
        if kind == "script"
    }
    assert scripts == model.scripts


def _audited(told: Told, step: Step, outcome: str | None, path: str) -> list[Line]:
    """The audit entries a step writes: an import's, or the refusal of one the service
    refused before its task (a body the parser refused never reaches it; a failed task
    changed nothing)."""
    if step.act == "check" or outcome in (INVALID, FAILED):
        return []
    action = "import.apply" if outcome is None else "import.refused"
    return [(told.users[step.role].name, action, "package", path)]


@GENERATED
@given(story=stories())
@example(story=pinned())
def test_import_options_keep_their_promises(
    services: Services, tmp_path: Path, story: tuple[Any, ...]
) -> None:
    jobs, approval, steps = story
    note(repr(story))
    told = Told(services, approval)
    model = Model({j["name"]: job_view(j) for j in jobs}, approval)
    package = _package(tmp_path, jobs)
    path, name = upload(services, told.admin, package), package.name
    other = workspace_state(services, told.other)
    for step in steps:
        before, held = last_entry(services), workspace_state(services, told.ws)
        if step.act == "check":
            try:
                _check_file(told, told.scope(step.role), path, jobs)
                outcome = None
            except JobferryError as exc:
                outcome = exc.code
            assert outcome == (None if step.role in ("admin", "developer") else "DLF.6888")
        else:
            outcome = _import(told, model, step, path)
        event(f"{step.act}: {outcome or 'done'}")
        assert entries_since(services, before) == _audited(told, step, outcome, name), step
        if outcome is not None:
            assert workspace_state(services, told.ws) == held, step
        _check_workspace(told, model)
        assert workspace_state(services, told.other) == other
