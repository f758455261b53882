"""Generated stories of a workspace kept in step with a folder (``support/folder_stories.py``):
the folder edited (jobs with the scripts they run, lone scripts and resources added, changed,
deleted, moved, the name inside changed; a broken file), the workspace changed meanwhile
(scripts made and changed by hand, objects deleted, jobs scheduled and stopped), ``apply -f``
with and without ``--prune``, and ``pull``, each as the CLI does it through the services
(``jobferry.cli.apply``: read and check, pack, upload, plan OVERWRITE ATOMIC, import the plan
when it has changes; ``pull``: export the workspace whole, write the folder). After every step
the workspace and the folder keep the promises of docs/cli.md (``support/folder_model.py``,
:class:`Workspace`, says them):

- a folder with any problem is refused before anything is sent, and changes nothing;
- the plan creates what the workspace lacks, overwrites what differs, leaves the rest
  UNCHANGED; without ``--prune`` it deletes nothing, with it it deletes exactly what the workspace
  holds beside the folder;
- it is refused (nothing changes) when it would delete or overwrite a scheduled job, delete an
  object a remaining job uses, or leave a job without a script it runs, naming each;
- a plan with nothing to change says ``Nothing to import.`` and imports nothing;
- otherwise the import succeeds and the workspace holds exactly what the model says;
- ``pull`` writes exactly the workspace's objects (read back: ``pull(apply(folder))`` is the
  folder's objects), and a second pull changes nothing.
"""

from __future__ import annotations

import io
import itertools
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.api.presenters.plans import plan_document
from jobferry.cli.apply import load_folder
from jobferry.cli.exits import CheckProblemsError, CliUsageError
from jobferry.cli.planwork import has_changes, nothing_done
from jobferry.cli.pull import exported_objects
from jobferry.domain.enums import TaskStatus
from jobferry.errors import JobferryError
from jobferry.package.folder import pack, read_folder, write_folder
from jobferry.services.container import Services
from jobferry.services.importing.request import parse_import_request
from support.folder_model import JOB, Content, Key, Workspace, after_pull, pulled, uses
from support.folder_stories import (
    a_script_still_used_and_a_broken_file,
    pruned_beside_hand_made_and_scheduled,
    sync_stories,
)
from support.import_stories import generated
from support.planning import upload, workspace
from support.profile_carriage import export_workspace
from support.release_stories import Step
from support.workspace_state import definitions, workspace_state

pytestmark = pytest.mark.fuzz
GENERATED = generated(6)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=100 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()
ROOT = "defs"


class Told:
    """A story being told: the services, the workspace, the folder and the model."""

    def __init__(self, services: Services, base: Path) -> None:
        n = next(_SERIAL)
        self.services, self.base = services, base / str(n)
        self.scope = workspace(services, f"folders{n}")
        self.root = self.base / ROOT
        self.root.mkdir(parents=True)
        self.files: dict[str, Content] = {}
        self.model = Workspace()
        self.moves = itertools.count()

    def put(self, path: str, content: Content) -> None:
        (self.root / path).parent.mkdir(parents=True, exist_ok=True)
        (self.root / path).write_bytes(content.data())
        self.files[path] = content

    def picked(self, pick: int) -> str | None:
        held = sorted(self.files)
        return held[pick % len(held)] if held else None

    def held(self) -> dict[tuple[str, str], Any]:
        return definitions(workspace_state(self.services, self.scope.workspace.id))


# -- the folder's steps ----------------------------------------------------------------------


def _add_job(told: Told, step: Step) -> None:
    """A job's file, and those of the scripts it runs where the folder has none."""
    job, tweak = step.args
    defined = {(c.kind, c.name) for c in told.files.values()}
    told.put(*pulled(JOB, Content(JOB, job, tweak, "compact")))
    for kind, name in uses(job):
        if (kind, name) not in defined:
            told.put(*pulled(kind, Content(kind, name, tweak)))


def _add(told: Told, step: Step) -> None:
    kind, name, tweak = step.args
    path = next((p for p, c in told.files.items() if (c.kind, c.name) == (kind, name)), None)
    content = Content(kind, name, tweak, "crlf")
    if path is None:
        path = pulled(kind, content)[0]
    told.put(path, content)


def _change(told: Told, step: Step) -> None:
    pick, tweak = step.args
    path = told.picked(pick)
    if path is not None:
        told.put(path, replace(told.files[path], tweak=tweak, style="server"))


def _delete(told: Told, step: Step) -> None:
    path = told.picked(step.args[0])
    if path is not None:
        (told.root / path).unlink()
        del told.files[path]


def _move(told: Told, step: Step) -> None:
    """A file renamed: into a sub-folder of its kind's, or out of it, named by extension."""
    path = told.picked(step.args[0])
    if path is None:
        return
    content, n = told.files.pop(path), next(told.moves)
    folder = path.split("/")[0]
    to = f"misc/f{n}.{content.kind}" if folder != "misc" else f"{content.kind}s/sub/f{n}.json"
    (told.root / to).parent.mkdir(parents=True, exist_ok=True)
    os.replace(told.root / path, told.root / to)
    told.files[to] = content


def _retitle(told: Told, step: Step) -> None:
    """The name inside a file changed (``x`` to ``x_v2``, and back): an object of another
    name, matched by name (a folder has no identity to tell a rename)."""
    path = told.picked(step.args[0])
    if path is not None:
        content = told.files[path]
        name = content.name.removesuffix("_v2")
        told.put(path, replace(content, name=name if name != content.name else f"{name}_v2"))


# -- the workspace's steps -------------------------------------------------------------------


def _hand(told: Told, step: Step) -> None:
    """A script made or changed by hand."""
    name, tweak = step.args
    content = Content("script", name, tweak, "indent")
    if ("script", name) in told.model.held:
        told.services.scripts.update(told.scope, name, content.stored())
    else:
        told.services.scripts.create(told.scope, content.stored())
    told.model.held["script", name] = content


def _hand_delete(told: Told, step: Step) -> None:
    """An object deleted by hand (one no job uses, a job not scheduled)."""
    held = sorted(told.model.held)
    if not held:
        return
    kind, name = held[step.args[0] % len(held)]
    if name in told.model.scheduled or told.model.users((kind, name), told.model.held):
        return
    services, scope = told.services, told.scope
    if kind == JOB:
        services.jobs.delete(scope, name)
    elif kind == "script":
        services.scripts.delete(scope, name)
    else:
        services.resources.delete(scope, services.resources.detail(scope, name).id)
    del told.model.held[kind, name]


def _schedule(told: Told, step: Step) -> None:
    name = step.args[0]
    if (JOB, name) not in told.model.held or name in told.model.scheduled:
        return
    told.services.jobs.start(told.scope, name)
    told.model.scheduled.add(name)


def _stop(told: Told, step: Step) -> None:
    name = step.args[0]
    if name in told.model.scheduled:
        told.services.jobs.stop(told.scope, name)
        told.model.scheduled.discard(name)


# -- apply and pull ----------------------------------------------------------------------------


def _plan(told: Told, prune: bool) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``apply -f`` up to its plan: the folder read (``None``: refused), packed, uploaded and
    planned; the plan as the API answers it, and the import's body."""
    try:
        objects = load_folder(told.root)
    except (CheckProblemsError, CliUsageError):
        return None
    out = io.BytesIO()
    pack(objects, out, whole=prune)
    package = told.base / f"folder {ROOT}"
    package.write_bytes(out.getvalue())
    body = {
        "path": upload(told.services, told.scope, package),
        "sameNamePolicy": "OVERWRITE",
        "propagateDeletes": prune,
    }
    plan = told.services.imports.plan(told.scope, parse_import_request(body))
    return plan_document(plan), body  # type: ignore[arg-type]


def _apply(told: Told, step: Step) -> None:
    prune = step.args[0]
    applied = told.model.apply(told.files, ROOT, prune)
    before = workspace_state(told.services, told.scope.workspace.id)
    planned = _plan(told, prune)
    assert (planned is None) == applied.folder_refused, told.files
    if planned is None:
        assert workspace_state(told.services, told.scope.workspace.id) == before
        event("apply: folder refused")
        return
    plan, body = planned
    problems = plan["problems"]
    shown = [json.dumps(p, ensure_ascii=False) for p in problems]
    assert bool(problems) == applied.problems, (shown, applied)
    for name in applied.refused:
        assert any(name in text for text in shown), (name, shown)
    if problems:  # apply sends no import; one sent anyway is refused whole
        _import_refused(told, body, plan["planId"], before)
        event(f"apply: refused {'prune' if prune else ''}")
        return
    _check_actions(told, plan, applied.after)
    if not told.model.changes(applied):
        assert not has_changes(plan)
        assert nothing_done(plan) == "Nothing to import."
        event("apply: nothing to change")
        return
    assert has_changes(plan)
    prepared = told.services.imports.prepare(
        told.scope, parse_import_request({**body, "planId": plan["planId"]})
    )
    told.services.imports.run(prepared)
    task = told.services.tasks.show(told.scope, prepared.task_id)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    told.model.held = dict(applied.after)
    event(f"apply: imported {'prune' if prune else ''}")


def _import_refused(told: Told, body: dict[str, Any], plan_id: str, before: Any) -> None:
    """The import of a plan with problems, asked for all the same, changes nothing."""
    try:
        prepared = told.services.imports.prepare(
            told.scope, parse_import_request({**body, "planId": plan_id})
        )
        told.services.imports.run(prepared)
        task = told.services.tasks.show(told.scope, prepared.task_id)
        assert task.status != TaskStatus.SUCCESSFUL, task.message
        event(f"import of a refused plan: {task.status}")
    except JobferryError as exc:
        event(f"import of a refused plan: {exc.code}")
    assert workspace_state(told.services, told.scope.workspace.id) == before


def _check_actions(told: Told, plan: dict[str, Any], after: dict[Key, Content]) -> None:
    """Every object's action: what the workspace lacks CREATE, what differs OVERWRITE, the
    rest UNCHANGED, what the folder lacks DELETE (``--prune`` only)."""
    held = told.model.held
    expected = {}
    for key, content in after.items():
        if key not in held:
            expected[key] = "CREATE"
        else:
            same = held[key].stored() == content.stored()
            expected[key] = "UNCHANGED" if same else "OVERWRITE"
    expected.update((key, "DELETE") for key in held if key not in after)
    actions = {(o["kind"], o["name"]): o["action"] for o in plan["objects"]}
    folder_side = {k: a for k, a in expected.items() if a == "DELETE" or k in actions}
    assert actions == folder_side, (actions, expected)


def _pull(told: Told, _: Step) -> None:
    """The workspace written over the folder: each object at its kind's folder, the other
    definition files there removed, every other file kept (so a file of ``misc/`` defining an
    object pulled is then its twin: the next apply names both)."""
    package = export_workspace(told.services, told.scope, told.base / "ws.zip")
    done = write_folder(told.root, exported_objects(package))
    assert done.problems == []
    written = dict(pulled(kind, content) for (kind, _), content in told.model.held.items())
    for path, content in written.items():
        assert json.loads((told.root / path).read_bytes()) == content.stored(), path
    told.files = after_pull(told.files, written)
    on_disk = {p.relative_to(told.root).as_posix() for p in told.root.rglob("*") if p.is_file()}
    assert on_disk == set(told.files)
    read = read_folder(told.root)
    if set(told.files) == set(written):  # pull(apply(folder)) reads as the workspace
        assert read.problems == ()
        assert {(o.kind, o.name): o.document for o in read.objects} == {
            key: content.stored() for key, content in told.model.held.items()
        }
    again = export_workspace(told.services, told.scope, told.base / "again.zip")
    assert write_folder(told.root, exported_objects(again)).written == []
    event("pull")


ACTS = {
    "add_job": _add_job,
    "add": _add,
    "change": _change,
    "delete": _delete,
    "move": _move,
    "retitle": _retitle,
    "break": lambda told, _: told.put("jobs/zz.json", Content(JOB, "zz", fault="cut")),
    "hand": _hand,
    "hand_delete": _hand_delete,
    "schedule": _schedule,
    "stop": _stop,
    "apply": _apply,
    "pull": _pull,
}


def _check(told: Told) -> None:
    """The workspace holds what the model says, as the model says it, its scheduled jobs
    scheduled (an import writing over none of them)."""
    held = told.held()
    assert {key: value["document"] for key, value in held.items()} == {
        key: content.stored() for key, content in told.model.held.items()
    }
    scheduled = {
        name for (kind, name), value in held.items() if value.get("status") == "SCHEDULING"
    }
    assert scheduled == told.model.scheduled


@GENERATED
@given(steps=sync_stories())
@example(steps=pruned_beside_hand_made_and_scheduled())
@example(steps=a_script_still_used_and_a_broken_file())
def test_a_workspace_kept_in_step_with_a_folder_keeps_the_cli_s_promises(
    services: Services, tmp_path: Path, steps: tuple[Step, ...]
) -> None:
    note(repr(steps))
    tell(services, tmp_path, steps)


def tell(services: Services, base: Path, steps: tuple[Step, ...]) -> None:
    """Tell a story, checking the workspace after each step."""
    told = Told(services, base)
    for step in steps:
        ACTS[step.act](told, step)
        _check(told)
