"""Generated stories of a workspace's drift (``support/drift_stories.py``): a source promoted
into a target again and again (sameNamePolicy AUTO, ``onDrift`` drawn), people changing the
target by hand between the promotions, and rollbacks of the newest import. After every step,
whatever the story, the drift keeps the promises of docs/api.md ("What changed in a workspace
since it was promoted into", "Repeated promotion") and docs/cli.md (``jobferry drift``), as
``support/drift_model.py`` says them:

- ``compared`` counts the objects an import from the source wrote; the report lists exactly
  those changed since the import that last wrote them, jobs first, then scripts, then
  resources, each by name: an object edited back to what was promoted is not listed, one
  renamed lists its name's change, one deleted here is listed ``deleted`` with who deleted it
  and when (though a job of its name was made again by hand: another object); one written
  since by an import of a package that names no source workspace changed as by hand;
- each field change says what the import wrote and what the object holds now; ``updateUser``
  and ``updateTime`` are the object's last change, ``importTaskId`` and ``importedAt`` the
  import that wrote it; scheduling a job is no change;
- ``jobferry drift`` exits 4 when anything drifted, 0 when nothing did;
- the next promotion's plan reports the same drift for the objects it would overwrite (the
  fields the overwrite changes, a rename back and a deleted object made again are not drift):
  ``FAIL`` a ``drift`` problem each, and the import is refused, changing nothing;
  ``KEEP_TARGET`` skips them (``KEPT_DRIFT``), still drifted after; ``TAKE_PACKAGE`` writes
  over them, drifted no more;
- a hand change refused (a scheduled job renamed or deleted: ``DLF.9011``) changes nothing;
  the rollback of an import is refused (``DLF.9016``) once an object it wrote changed since,
  and otherwise puts back the objects and the ledger as they were before it, drift included.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.api.presenters.definitions import drift_view
from jobferry.domain.enums import DriftPolicy, ProblemReason, Role, SameNamePolicy, TaskStatus
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from support.builders import make_job, make_resource, make_script
from support.clock import Clock, held_clock
from support.drift_cli import drift_command
from support.drift_model import FIELD, OBJECTS, Decision, Key, Model
from support.drift_stories import (
    DriftStory,
    drift_stories,
    drifted_then_rolled_back,
    edited_back_renamed_and_made_again,
)
from support.import_stories import generated
from support.planning import plan_of, run_import, upload, workspace, write_objects
from support.release_stories import Step
from support.releases import person

pytestmark = pytest.mark.fuzz
GENERATED = generated(12)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
TICK_MS = 1000
START = 1_900_000_000_000


def document(kind: str, name: str, value: str, *, named: str | None = None) -> dict[str, Any]:
    """The definition of source object ``name`` holding ``value`` in its field (``named``:
    under another name, a job renamed in the target)."""
    if kind == "job":
        return {**make_job(name, description=value), "name": named or name}
    if kind == "script":
        shell = {"type": "Shell"} if name.endswith("_sh") else {}
        return make_script(name, content=value, **shell)
    return make_resource(name, desc=value)


@dataclass(frozen=True)
class Imported:
    """A standing import: its task, the model before it, the objects it wrote."""

    task_id: str
    kept: Model
    wrote: tuple[Key, ...]


class Story:
    """A story being told: the services, the people, the model, the clock."""

    def __init__(self, services: Services, folder: Path, n: int, clock: Clock) -> None:
        self.services, self.folder, self.clock, self.n = services, folder, clock, n
        self.admin = workspace(services, f"drift{n}")
        self.dev = person(services, self.admin.workspace.id, f"ddev{n}", Role.DEVELOPER)
        self.model = Model()
        self.imports: list[Imported] = []
        """The standing imports, oldest first."""
        self.looks = itertools.count(1)

    def package(self) -> Path:
        """The source's package of everything it holds now."""
        objects = [(k, n, document(k, n, v)) for (k, n), v in self.model.source.items()]
        return write_objects(self.folder / f"d{self.n}_{next(self.looks)}.zip", objects)


# -- the steps -------------------------------------------------------------------------------


def _refused(code: str, named: str, act: Any, *args: Any) -> None:
    """``act`` is refused with ``code``, a message naming ``named`` and saying what to do."""
    with pytest.raises(JobferryError) as refused:
        act(*args)
    said = refused.value.message
    assert refused.value.code == code, said
    assert named in said, said


def _edit(story: Story, step: Step) -> None:
    (kind, name), value, by_dev = step.args
    row = story.model.ledger.get((kind, name))
    target = story.model.held.get(row.ident) if row else story.model.find(kind, name)
    if target is None:
        return
    if value == "back":
        value = row.value if row else story.model.source[(kind, name)]
    scope = story.dev if by_dev else story.admin
    doc = document(kind, name, value, named=target.name)
    if kind == "job":
        story.services.jobs.update(scope, target.name, doc)
    elif kind == "script":
        story.services.scripts.update(scope, target.name, doc)
    else:
        found = story.services.resources.detail(scope, target.name)
        story.services.resources.update(scope, found.id, doc)
    target.value, target.at, target.by = value, story.clock.now, scope.actor.name
    target.submitted = target.submitted or kind != "resource"  # each save is a version
    event(f"edit {kind}")


def _job(story: Story, name: str) -> Any:
    row = story.model.ledger.get(("job", name))
    held = story.model.held.get(row.ident) if row else None
    return held or story.model.find("job", name)


def _rename(story: Story, step: Step) -> None:
    name = step.args[0]
    held = _job(story, name)
    new = f"{name}_r" if held is not None and held.name == name else name
    if held is None or story.model.find("job", new) is not None:
        return
    jobs = story.services.jobs
    if held.scheduled:
        _refused("DLF.9011", f"'{held.name}'", jobs.rename, story.admin, held.name, new)
        return
    jobs.rename(story.admin, held.name, new)
    held.name, held.at, held.by = new, story.clock.now, story.admin.actor.name
    event("rename")


def _delete(story: Story, step: Step) -> None:
    held = _job(story, step.args[0])
    if held is None:
        return
    if held.scheduled:
        _refused("DLF.9011", f"'{held.name}'", story.services.jobs.delete, story.admin, held.name)
        return
    story.services.jobs.delete(story.admin, held.name)
    del story.model.held[held.ident]
    story.model.deleted[held.ident] = (story.clock.now, story.admin.actor.name)
    event("delete")


def _recreate(story: Story, step: Step) -> None:
    """A job deleted here made again by hand, as the import that wrote it wrote it."""
    name = step.args[0]
    row = story.model.ledger.get(("job", name))
    if row is None or row.ident in story.model.held or story.model.find("job", name):
        return
    story.services.jobs.create(story.dev, document("job", name, row.value))
    story.model.new("job", name, row.value, story.clock.now, story.dev.actor.name)
    event("recreate")


def _schedule(story: Story, step: Step) -> None:
    name, on = step.args
    held = _job(story, name)
    if held is None:
        return
    if on:
        story.services.jobs.update(
            story.admin,
            held.name,
            {**document("job", name, held.value, named=held.name), "targetStatus": "SUBMITTED"},
        )
        held.at, held.by, held.submitted = story.clock.now, story.admin.actor.name, True
        story.services.jobs.start(story.admin, held.name)
    else:
        story.services.jobs.stop(story.admin, held.name)
    held.scheduled = on
    event(f"schedule {on}")


def _source(story: Story, step: Step) -> None:
    key = tuple(step.args[0])
    story.model.source[key] = f"{key[1]} v{next(story.looks)}"  # type: ignore[index]


def _promote(story: Story, step: Step) -> None:
    on_drift = step.args[0]
    package = story.package()
    decisions = {key: story.model.decide(key, on_drift) for key in OBJECTS}
    _check_plan(story, package, on_drift, decisions)
    drifted = [key for key, d in decisions.items() if d.drift]
    options = {"sameNamePolicy": "AUTO", "onDrift": on_drift, "scheduling": "PAUSE_AND_RESTORE"}
    path = upload(story.services, story.admin, package)
    before = story.services.drift.report(story.admin)
    task = run_import(story.services, story.admin, path, **options)
    if drifted and on_drift == "FAIL":
        assert task.status == TaskStatus.FAILED, task.message
        after = story.services.drift.report(story.admin)
        assert drift_view(after) == drift_view(before)  # refused: nothing changed
        event("promote refused on drift")
        return
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    kept = story.model.snapshot()
    story.model.imported(decisions, task.id, story.clock.now, story.admin.actor.name)
    wrote = tuple(k for k, d in decisions.items() if d.action not in ("UNCHANGED", "SKIP"))
    story.imports.append(Imported(task.id, kept, wrote))
    event(f"promote {on_drift} {'drifted' if drifted else ''}")


def _foreign(story: Story, step: Step) -> None:
    """A job written by an import of a package that names no source workspace (no ledger):
    a change since the promotion, as a hand edit is."""
    held = _job(story, step.args[0])
    if held is None or held.scheduled:
        return
    value = f"foreign {next(story.looks)}"
    job = document("job", step.args[0], value, named=held.name)
    path = write_objects(
        story.folder / f"f{story.n}_{value[8:]}.zip", [("job", held.name, job)], header=None
    )
    task = run_import(story.services, story.admin, upload(story.services, story.admin, path))
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    held.value, held.at, held.by = value, story.clock.now, story.admin.actor.name
    held.submitted = True
    event("foreign import")


def _rollback(story: Story, _: Step) -> None:
    """Roll back the newest import that wrote something (a newer one that only linked
    objects has nothing to roll back, and its links go with it)."""
    if not story.imports:
        return
    newest = story.imports[-1]
    if not newest.wrote:
        _refused(
            "DLF.9016",
            newest.task_id,
            story.services.rollback.rollback,
            story.admin,
            newest.task_id,
        )
    standing = [i for i in story.imports if i.wrote]
    if not standing:
        return
    undone = standing[-1]
    model = story.model
    if any(_changed_since(model, key) for key in undone.wrote):
        _refused(
            "DLF.9016",
            undone.task_id,
            story.services.rollback.rollback,
            story.admin,
            undone.task_id,
        )
        event("rollback refused")
        return
    story.services.rollback.rollback(story.admin, undone.task_id)
    at = story.imports.index(undone)
    tasks = {i.task_id for i in story.imports[at:]}
    del story.imports[at:]
    kept = undone.kept
    for key in undone.wrote:
        ident = model.ledger[key].ident
        before = kept.held.get(ident)
        if before is None:
            del model.held[ident]
        else:  # put back: the rollback is its last change
            model.held[ident] = before
            before.at, before.by = story.clock.now, story.admin.actor.name
    for key, row in list(model.ledger.items()):
        if row.task_id in tasks:
            if key in kept.ledger:
                model.ledger[key] = kept.ledger[key]
            else:
                del model.ledger[key]
    event("rollback")


def _changed_since(model: Model, key: Key) -> bool:
    """Whether the object the newest import wrote for ``key`` changed since."""
    row = model.ledger[key]
    held = model.held.get(row.ident)
    if held is None or (held.name, held.value) != (row.name, row.value):
        return True
    return held.submitted  # a version submitted since


ACTS = {
    "edit": _edit,
    "rename": _rename,
    "delete": _delete,
    "recreate": _recreate,
    "schedule": _schedule,
    "source": _source,
    "promote": _promote,
    "rollback": _rollback,
    "foreign": _foreign,
}


# -- the checks ------------------------------------------------------------------------------


def _check_plan(story: Story, package: Path, on_drift: str, decisions: dict[Key, Decision]) -> None:
    """The plan of the next promotion decides each object as the model does, and reports as
    drift exactly the fields the drift report lists that the overwrite would change."""
    plan = plan_of(
        story.services,
        story.admin,
        package,
        same_name_policy=SameNamePolicy.AUTO,
        on_drift=DriftPolicy(on_drift),
    )
    found = {}
    for line in plan.lines:
        drift = frozenset(c["path"] for c in line.get("driftDiff") or [])
        found[(line["kind"], line.get("previousName") or line["name"])] = (line["action"], drift)
    for key, decision in decisions.items():
        kind, name = key
        held = story.model.held.get(decision.ident) if decision.ident else None
        shown = (kind, held.name if held and held.name != name else name)
        assert found.get(shown) == (decision.action, decision.drift) or found.get(key) == (
            decision.action,
            decision.drift,
        ), (key, found)
    problems = {(p.kind, p.name) for p in plan.problems if p.reason is ProblemReason.DRIFT}
    expected = {key for key, d in decisions.items() if d.drift and on_drift == "FAIL"}
    assert {(k, n) for k, n in problems} == expected


def _check_report(story: Story) -> None:
    """The report answers what the model expects, and ``jobferry drift`` exits by it."""
    report = story.services.drift.report(story.admin)
    compared, expected = story.model.report()
    shown = [
        (
            d.kind.value,
            d.name,
            d.deleted,
            frozenset((c.path, c.before, c.after) for c in d.changes),
            d.updated_at,
            d.updated_by,
            d.import_task_id,
            d.imported_at,
        )
        for d in report.objects
    ]
    assert shown == [
        (e.kind, e.name, e.deleted, e.changes, e.at, e.by, e.task_id, e.imported_at)
        for e in expected
    ]
    assert (report.compared, report.total) == (compared, len(expected))
    for d in report.objects:
        assert all(c.path in (FIELD[d.kind.value], "name") for c in d.changes)
    assert drift_command(drift_view(report))[0] == (4 if expected else 0)


def _tell(services: Services, told: DriftStory, folder: Path) -> None:
    n = next(_SERIAL)
    with held_clock(START + n * 10**8) as clock:
        story = Story(services, folder, n, clock)
        _check_report(story)
        for step in (Step("promote", ("FAIL",)), *told.steps):
            clock.move(TICK_MS)
            ACTS[step.act](story, step)
            _check_report(story)


@GENERATED
@given(told=drift_stories())
@example(told=edited_back_renamed_and_made_again())
@example(told=drifted_then_rolled_back())
def test_drift_stories_keep_the_api_s_promises(
    services: Services, tmp_path: Path, told: DriftStory
) -> None:
    note(repr(told))
    _tell(services, told, tmp_path)
