"""Generated stories of export selections (``support/export_selection_stories.py``): two
workspaces of drawn jobs, scripts and resources (some references missing), then users of each
role export one job, a ``jobList``, a checked name list, a background export by names or of
the whole workspace, with and without ``exportDepend`` and ``withUpstream``, and an admin
deletes a job. After every step, whatever the story, the promises of docs/api.md ("Export")
hold (``support/export_selection_model.py`` says them):

- a package holds exactly the jobs selected (their upstreams when asked), in its layout's
  paths, with the scripts and resources they use (a whole-workspace export: every one), each
  definition of its own workspace only, and its manifest names every reference that did not
  resolve;
- the name check answers each name once, matched or with why not, and the names repeated;
- a refusal (a role that may not export, an unknown, illegal or padded name, an empty or too
  long list, a name list with a name that matches no job) carries the documented code, names
  what it refuses, and changes nothing: no audit entry, no task, no package;
- an export answered writes one ``package.export`` entry counting the jobs the package holds;
  a background one a ``package.generate``, and the download center keeps its selection (mode,
  jobs, the first names in entry order), in the caller's workspace only.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.enums import TaskStatus
from jobferry.errors import JobferryError
from jobferry.package.reader import read_package
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.exporting import selection as selection_module
from jobferry.services.exporting.options import (
    parse_background_export,
    parse_batch_export,
    parse_export_request,
)
from jobferry.storage import audit as audit_repo
from support.builders import make_resource, make_script
from support.clients import PROJECT_ID
from support.console import admin_actor
from support.export_selection_model import (
    BATCH_CAP,
    DENIED,
    INVALID,
    NAME_LIST_CAP,
    NOT_FOUND,
    ROLES,
    SAMPLE,
    WORKSPACE_CAP,
    WRITERS,
    Checked,
    JobSpec,
    Package,
    Place,
    check_names,
    package,
)
from support.export_selection_stories import (
    PLACES,
    RESOURCES,
    Options,
    Step,
    Story,
    selection_stories,
)
from support.exporting import entries
from support.import_stories import generated, job_document

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
Line = tuple[str, str, str | None, str | None, dict[str, Any] | None]
"""An audit entry: (actor, action, object kind, object name, detail)."""


class Told:
    """A story's two workspaces, a user of each role in both, and what the model holds."""

    def __init__(self, services: Services, story: Story) -> None:
        self.services = services
        boss = admin_actor(services)
        pid, n = boss.project_id, next(_SERIAL)
        accounts = services.accounts
        self.ids = {p: accounts.create_workspace(boss, pid, f"xs{n}{p}") for p in PLACES}
        self.boss = {p: accounts.scope(boss, pid, ws) for p, ws in self.ids.items()}
        self.users = {}
        for role in ROLES:
            name = f"xs{n}{role}"
            accounts.create_user(boss, pid, name, False)
            for ws in self.ids.values():
                accounts.set_role(boss, pid, name, ws, role)
            key = accounts.issue_credential(boss, pid, name).access_key
            self.users[role] = accounts.actor_for(key)
        self.places = {p: Place() for p in PLACES}
        for place, jobs, scripts in zip(PLACES, story.jobs, story.scripts, strict=True):
            self._make(place, jobs, scripts)

    def _make(self, place: str, jobs: tuple[JobSpec, ...], scripts: tuple[str, ...]) -> None:
        scope, held = self.boss[place], self.places[place]
        for name in scripts:
            self.services.scripts.create(scope, {**make_script(name), "description": place})
            held.scripts.add(name)
        for name in RESOURCES:
            self.services.resources.create(scope, {**make_resource(name), "description": place})
            held.resources.add(name)
        for job in jobs:
            doc = job_document(job.name, job.script, job.resource, list(job.upstream), 0)
            self.services.jobs.create(scope, {**doc, "description": place})
            held.make(job)

    def scope(self, place: str, role: str) -> Scope:
        actor = self.users[role]
        return self.services.accounts.scope(actor, actor.project_id, self.ids[place])

    def entries(self, place: str, after: int) -> list[Line]:
        """The audit entries of ``place``'s workspace after entry ``after``, oldest first."""
        with self.services.db.transaction(readonly=True) as tx:
            _, rows = audit_repo.list_entries(tx, PROJECT_ID, self.ids[place], limit=50, offset=0)
        return [
            (r.actor, r.action, r.object_kind, r.object_name, json.loads(r.detail or "null"))
            for i, r in reversed(rows)
            if i > after
        ]

    def last_entry(self) -> int:
        with self.services.db.transaction(readonly=True) as tx:
            _, rows = audit_repo.list_entries(tx, PROJECT_ID, None, limit=1, offset=0)
        return rows[0][0] if rows else 0

    def held(self) -> tuple[int, ...]:
        """How many tasks and packages each workspace has (what a refusal must not change)."""
        counts = []
        for scope in self.boss.values():
            counts.append(self.services.tasks.list_tasks(scope, limit=100).total)
            counts.append(self.services.downloads.list_downloads(scope).total)
        return tuple(counts)


def _check_package(data: bytes, expected: Package, place: str) -> None:
    """The package holds exactly what the model says, every definition of ``place``."""
    paths = [path for path in entries(data) if not path.startswith("manifest.")]
    assert tuple(paths) == expected.paths, "every entry once, in path order"
    if not paths:  # a package of nothing: the reader refuses it (package.empty)
        return
    read = read_package(data)
    assert {(str(o.kind), o.name) for o in read.objects} == expected.objects
    assert all(o.document.get("description") == place for o in read.objects)
    assert read.manifest is not None
    said = {(u["kind"], u["name"], u.get("job", "")) for u in read.manifest.get("unresolved", [])}
    assert said == expected.unresolved


def _refusal(step: Step, told: Told) -> str | None:
    """The code the model says ``step`` is refused with (None: it is taken)."""
    place = told.places[step.place]
    if step.act == "batch" and not step.args[0]:
        return INVALID  # the body is read before the caller's role is
    if step.role not in WRITERS:
        return DENIED
    if step.act == "single":
        return None if step.args[0] in place.jobs else NOT_FOUND
    if step.act == "batch":
        names = step.args[0]
        if len(names) > BATCH_CAP:
            return INVALID
        return None if set(names) <= set(place.jobs) else NOT_FOUND
    if step.act == "check":
        checked = check_names(place, list(step.args[0]))
        return checked if isinstance(checked, str) else None
    if step.act == "names":
        names, _, selected = step.args  # ticked: as many as were ticked
        if selected:  # a job gone since it was ticked is named, as a few ticked jobs are
            return None if set(names) <= set(place.jobs) else NOT_FOUND
        checked = check_names(place, list(names), NAME_LIST_CAP)
        if isinstance(checked, str):
            return checked
        return INVALID if checked.unmatched else None
    return INVALID if len(place.jobs) > WORKSPACE_CAP else None


def _expected(told: Told, step: Step) -> Package:
    """The package the model says ``step`` gives."""
    place = told.places[step.place]
    opts: Options = step.args[-1] if step.act in ("single", "batch", "all") else step.args[1]
    if step.act == "single":
        chosen = {step.args[0]}
    elif step.act == "all":
        chosen = set(place.jobs)
    else:
        chosen = {n.strip() for n in step.args[0] if n.strip()}
    return package(
        place,
        chosen,
        depend=opts.depend,
        upstream=opts.upstream,
        batch=step.act == "batch",
        whole=step.act == "all",
    )


def _take(told: Told, step: Step, scope: Scope) -> Any:
    """Take ``step`` through the services as its call would: the body parsed, then the service
    asked."""
    exports = told.services.exports
    if step.act == "single":
        request = parse_export_request(step.args[1].body())
        return exports.export_job(scope, step.args[0], request)
    if step.act == "batch":
        body = {"jobList": list(step.args[0]), **step.args[1].body()}
        return exports.export_batch(scope, parse_batch_export(body))
    if step.act == "check":
        return exports.check_names(scope, list(step.args[0]))
    if step.act == "names":
        names, opts, selected = step.args
        body = {"mode": "names", "names": list(names), **opts.body()}
        request = parse_background_export(body)
        if selected:
            request = request.of_names(list(names), selected=True)
        return _run(told, scope, exports.prepare(scope, request))
    body = {"mode": "workspace", **step.args[0].body()}
    return _run(told, scope, exports.prepare(scope, parse_background_export(body)))


def _attempt(told: Told, step: Step, scope: Scope) -> tuple[Any, JobferryError | None]:
    """What ``step`` answered, or its refusal."""
    try:
        return _take(told, step, scope), None
    except JobferryError as exc:
        return None, exc


def _check_named(told: Told, step: Step, refused: JobferryError) -> None:
    """A refusal names what it refuses: the workspace of a role that may not export, every
    name that is no job, every pasted name that matches none."""
    workspace = told.boss[step.place].workspace.name
    place = told.places[step.place]
    if refused.code in (DENIED, NOT_FOUND):
        assert f"'{workspace}'" in refused.message, refused.message
    if refused.code == NOT_FOUND:
        named = {step.args[0]} if step.act == "single" else set(step.args[0])
        for name in named - set(place.jobs):
            assert repr(name) in refused.message or f"'{name}'" in refused.message, name
    if "details" in refused.context:
        pasted = {n.strip() for n in step.args[0] if n.strip()}
        unmatched = {d["name"] for d in refused.context["details"]}
        assert unmatched == pasted - set(place.jobs), refused.context


def _run(told: Told, scope: Scope, prepared: Any) -> dict[str, Any]:
    told.services.exports.run(prepared)
    task = told.services.tasks.show(scope, prepared.task_id)
    assert task.status is TaskStatus.SUCCESSFUL, task.message
    return dict(task.outcome)


def _check_answer(told: Told, step: Step, scope: Scope, answer: Any, before: int) -> None:
    """What a step taken answered, wrote to the audit log and kept, against the model."""
    actor = told.users[step.role].name
    if step.act == "check":
        checked = check_names(told.places[step.place], list(step.args[0]))
        assert isinstance(checked, Checked)
        assert tuple(answer.matched) == checked.matched
        place = told.places[step.place]
        got = tuple((u.name, _reason(u.name, u.reason, place)) for u in answer.unmatched)
        assert got == checked.unmatched
        assert tuple(answer.duplicates) == checked.duplicates
        assert answer.cap == NAME_LIST_CAP
        assert told.entries(step.place, before) == []
        return
    expected = _expected(told, step)
    if step.act in ("single", "batch"):
        assert answer.data is not None
        _check_package(answer.data, expected, step.place)
        detail = told.entries(step.place, before)
        assert [line[:4] for line in detail] == [
            (actor, "package.export", "package", answer.file_name)
        ]
        assert detail[0][4]["jobs"] == len(expected.jobs), "the jobs the package holds"
        return
    generated = told.entries(step.place, before)
    assert [line[:4] for line in generated] == [
        (actor, "package.generate", "package", answer["fileName"])
    ]
    kept = told.services.downloads.get(scope, answer["downloadId"])
    assert kept.selection["mode"] == ("workspace" if step.act == "all" else "names")
    assert kept.selection["jobs"] == answer["jobs"] == len(expected.jobs)
    assert kept.selection["names"] == list(expected.jobs[:SAMPLE])
    _, chunks = told.services.downloads.open(scope, answer["downloadId"])
    _check_package(b"".join(chunks), expected, step.place)


def _reason(name: str, reason: str, place: Place) -> str:
    """The kind of reason an unmatched name was given (as the model tells them)."""
    if "did you mean" in reason:
        return "case"
    if reason.startswith(f"no job '{name}' in workspace"):
        return "absent"
    if reason.startswith(f"job '{name}' was renamed to ") and "export it as" in reason:
        now = place.named[place.left[name]] if name in place.left else None
        assert reason.endswith(f"export it as '{now}'"), (reason, now)
        return "renamed"
    if reason.startswith(f"job '{name}' was ") and "deleted on" in reason:
        return "deleted"
    return "name"


def _rename(told: Told, step: Step) -> None:
    """An admin renames a job (the jobs depending on it follow); refused, changing nothing,
    when the new name is taken."""
    place, (old, new) = told.places[step.place], step.args
    refused = None
    try:
        told.services.jobs.rename(told.boss[step.place], old, new)
    except JobferryError as exc:
        refused = exc.message
    if refused is not None:
        note(f"not renamed: {refused}")
        assert old not in place.jobs or new in place.jobs, (step, refused)
        return
    assert old in place.jobs, step
    if new != old:
        place.rename(old, new)


def _delete(told: Told, step: Step) -> None:
    """An admin deletes a job; refused (changing nothing) while another job depends on it."""
    place, name = told.places[step.place], step.args[0]
    users = [j for j in place.jobs.values() if name in j.upstream and j.name != name]
    refused = None
    try:
        told.services.jobs.delete(told.boss[step.place], name)
    except JobferryError as exc:
        refused = exc.message
    if refused is not None:
        note(f"not deleted: {refused}")
        assert users or name not in place.jobs, (step, refused)
        return
    assert name in place.jobs, step
    assert not users, step
    place.delete(name)


@GENERATED
@given(story=selection_stories())
@example(
    story=Story(
        jobs=(
            (JobSpec("a", "s1", "r9", ("ghost",)), JobSpec("a-b", "s9", "r1", ("a",))),
            (JobSpec("a", "s2", None, ()),),
        ),
        scripts=(("s1",), ("s2",)),
        steps=(
            Step("single", "w0", "developer", ("a-b", Options(True, True))),
            Step("all", "w0", "admin", (Options(True, False),)),
            Step("batch", "w0", "admin", (("a-b", "a-b"), Options(True, True))),
        ),
    )
)
def test_export_selections_keep_their_promises(
    services: Services, story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    note(repr(story))
    monkeypatch.setattr(selection_module, "SAMPLE", SAMPLE)
    update = {
        "export_batch_max_jobs": BATCH_CAP,
        "export_name_list_max": NAME_LIST_CAP,
        "export_workspace_max_jobs": WORKSPACE_CAP,
    }
    services.exports.settings = services.settings.model_copy(update=update)
    told = Told(services, story)
    for step in story.steps:
        if step.act in ("delete", "rename"):
            (_delete if step.act == "delete" else _rename)(told, step)
            continue
        predicted = _refusal(step, told)
        before, held = told.last_entry(), told.held()
        scope = told.scope(step.place, step.role)
        event(f"{step.act}: {predicted or 'taken'}")
        answer, refused = _attempt(told, step, scope)
        if refused is not None:
            note(f"refused: {refused.message}")
            assert refused.code == predicted, (step, refused.message)
            _check_named(told, step, refused)
            assert told.entries(step.place, before) == [], step
            assert told.held() == held, step
            continue
        assert predicted is None, (step, "not refused")
        _check_answer(told, step, scope, answer, before)
