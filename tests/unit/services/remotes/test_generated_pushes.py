"""Generated pushes: the import stories of ``support/import_stories.py`` told into a remote
DataArts workspace (the stand-in) through its shadow. The source's first package is pushed,
a person then changes the remote in DataArts (edits, starts, objects of their own), the shadow
is refreshed, and the second package is pushed with generated options while a generated call
of the push meets a generated fault (or none). Whatever the story, a push keeps its promises:

- it lands whole, or it fails and leaves the remote and the shadow as they were (its undo
  newest first; but a job's description, which no call carries), saying so;
- a call whose answer was lost is read again, never sent twice, and the push lands whole;
- once it landed, the shadow holds what the remote holds (a refresh finds no job, script or
  resource to change),
  and its rollback gives the remote back as it was before the push;
- it sends no call, field or type the official SDKs would not.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st

from jobferry.domain.enums import RefreshAction, TaskStatus
from jobferry.errors import RemoteError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.request import parse_import_request
from jobferry.storage import remotes_journal as journal_repo
from support.console import admin_actor
from support.import_stories import Story, generated, stories
from support.planning import import_package, run_import, upload
from support.standin import DataArtsStandin, Fault, Killed, held, remote_shadow
from support.standin_workspace import DataArtsWorkspace
from support.workspace_state import State, definitions, undescribed, workspace_state

pytestmark = pytest.mark.fuzz
GENERATED = generated(20)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=300 and a
``--hypothesis-seed`` for a longer run)."""
FAULTS = (Fault.REFUSE, Fault.FAIL, Fault.LOSE, Fault.DROP)
"""What a call of the push meets: refused or failing (nothing done), or done and its answer
lost (a 500, a dropped connection)."""
CHANGED = (RefreshAction.CREATED, RefreshAction.UPDATED, RefreshAction.DELETED)
"""What a refresh right after a push must not find (a job's submitted version apart: the
push's read-back records its development state, the next refresh its submitted version)."""
_SERIAL = itertools.count()


def pushable(story: Story) -> Story:
    """The story with the scripts and resources its source renames made anew instead (a
    new identity under the new name): DataArts' public API renames only jobs, so a push
    refuses such a rename before any call (``services/remotes/pushable.py``, tested there)."""
    first = {o.uid: o.name for o in story.first}
    second = tuple(
        replace(o, uid=f"{o.uid}-anew")
        if o.kind != "job" and first.get(o.uid, o.name) != o.name
        else o
        for o in story.second
    )
    return replace(story, second=second, renamed=())


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


def act_in_remote(remote: DataArtsWorkspace, story: Story, described: bool = False) -> None:
    """What a person does in DataArts between the two pushes: their own scripts and jobs,
    jobs edited in the editor (saved, not submitted; a field a push carries: a description
    never reaches a remote, docs/remotes.md), scripts edited, jobs started; ``described``:
    every other job of the first package given a description in the editor (saved, not
    submitted: its submitted version has none, what a push that submits nothing of it must
    leave so)."""
    for obj in story.own:
        if obj.kind == "script":
            remote.put_script(obj.document)
        else:
            remote.put_job(obj.document)
    for name in story.edited:
        remote.edit_job(name, logPath="obs://bucket/logs/edited-in-dataarts")
    first = {o.name for o in story.first if o.kind == "job"} - set(story.edited)
    for name in sorted(first & set(remote.jobs) if described else ()):
        remote.edit_job(name, description="described in DataArts")
    for name in story.touched:
        remote.scripts[name]["content"] = "select 0;"
    for name in story.started:
        remote.jobs[name].status = "SCHEDULING"


def told(
    services: Services,
    standin: DataArtsStandin,
    tmp_path: Path,
    story: Story,
    described: bool = False,
) -> tuple[Scope, str, str, str]:
    """A remote of the story's own (a workspace of the stand-in, no fault asked) where the
    story's first package was pushed and a person then acted (:func:`act_in_remote`), its
    shadow refreshed: the admin's scope in the shadow, the remote's name, its workspace in the
    stand-in and the upload path of the second package."""
    standin.reset()
    n = next(_SERIAL)
    name, remote_id = f"prod{n}", f"{n + 1:032x}"
    scope = remote_shadow(services, standin, name, remote_id)
    first = story.package(tmp_path / f"first{n}.zip", story.first, second=False)
    import_package(services, scope, first)
    act_in_remote(standin.workspaces[remote_id], story, described)
    services.remotes.refresh(admin_actor(services), name)
    second = story.package(tmp_path / f"second{n}.zip", story.second, second=True)
    return scope, name, remote_id, upload(services, scope, second)


def remote(standin: DataArtsStandin, workspace: str) -> dict[str, Any]:
    """What the remote holds (:func:`~support.standin.held`) but the jobs' descriptions: no
    call of DataArts' API carries one (``remotes/calls.py``, ``UNSENT_FIELDS``), so the undo
    of a push that overwrote a job a person described cannot give it back."""
    now = held(standin, workspace)
    jobs = {
        name: ({k: v for k, v in doc.items() if k != "description"}, status)
        for name, (doc, status) in now["jobs"].items()
    }
    return {**now, "jobs": jobs}


def but_tombstones(after: State, before: State) -> State:
    """``after`` without the tombstones ``before`` lacks: the undo of an import deletes what
    it created, and a deletion leaves a tombstone (as a local import's rollback does,
    ``importing/undoing.py``)."""
    return {k: v for k, v in after.items() if k[0] != "tombstone" or k in before}


@GENERATED
@given(
    story=stories().map(pushable),
    fault=st.none() | st.tuples(st.integers(1, 12), st.sampled_from(FAULTS)),
    described=st.booleans(),
)
def test_a_push_lands_whole_or_leaves_the_remote_as_it_was(
    services: Services,
    standin: DataArtsStandin,
    tmp_path: Path,
    story: Story,
    fault: tuple[int, Fault] | None,
    described: bool,
) -> None:
    note(f"{story!r}, fault={fault}, described={described}")
    scope, name, remote_id, second = told(services, standin, tmp_path, story, described)
    actor = admin_actor(services)
    before = remote(standin, remote_id)
    shadow_before = workspace_state(services, scope.workspace.id)
    standin.reset()
    if fault is not None:
        standin.faults[fault[0]] = fault[1]

    task = run_import(services, scope, second, **story.options)

    wrote = standin.writes()
    assert standin.refused() == []
    if task.status is TaskStatus.FAILED:
        assert fault is None or fault[1] in (Fault.REFUSE, Fault.FAIL) or not wrote, task.message
        assert remote(standin, remote_id) == before, wrote
        assert but_tombstones(workspace_state(services, scope.workspace.id), shadow_before) == (
            shadow_before
        )
        if wrote:
            assert "the remote is as it was before the push" in task.message, task.message
            with services.db.transaction(readonly=True) as tx:
                push = journal_repo.get_push(tx, task.id)
            assert push is not None
            assert push.state == "undone", push
        return
    assert task.status in (TaskStatus.SUCCESSFUL, TaskStatus.WARNING), task.message
    refreshed = services.remotes.refresh(actor, name)
    assert [refreshed.total(action) for action in CHANGED] == [0, 0, 0], refreshed.counts
    if not wrote:
        return  # nothing to roll back
    shadow_after = definitions(workspace_state(services, scope.workspace.id))
    standin.reset()
    services.rollback.rollback(scope, task.id)
    assert remote(standin, remote_id) == before, standin.writes()
    assert undescribed(workspace_state(services, scope.workspace.id)) == undescribed(shadow_before)
    assert shadow_after  # the push left a shadow to roll back


@GENERATED
@given(
    story=stories().map(pushable),
    kill=st.tuples(st.integers(1, 12), st.sampled_from((Fault.KILL, Fault.STRAY))),
)
def test_a_push_whose_process_died_is_undone_whole_by_its_recovery(
    services: Services,
    standin: DataArtsStandin,
    tmp_path: Path,
    story: Story,
    kill: tuple[int, Fault],
) -> None:
    """The process dies as it sends a generated call (``STRAY``: the call still lands, before
    the recovery reads the remote); the recovery undoes every call journalled, newest first,
    and rolls the shadow's import back: remote and shadow are as they were."""
    note(f"{story!r}, kill={kill}")
    scope, _, remote_id, second = told(services, standin, tmp_path, story)
    body = {"path": second, "sameNamePolicy": "OVERWRITE", **story.options}
    before = remote(standin, remote_id)
    shadow_before = workspace_state(services, scope.workspace.id)
    standin.reset()
    standin.faults[kill[0]] = kill[1]
    prepared = services.imports.prepare(scope, parse_import_request(body))

    try:
        services.imports.run(prepared)
    except Killed:
        event(f"killed at {kill[1]}")
        standin.land()  # a call on its way lands within the settle time
        assert services.pushes.recover() == [prepared.task_id]
        task = services.tasks.show(scope, prepared.task_id)
        assert task.status is TaskStatus.FAILED, task.message
        assert remote(standin, remote_id) == before, standin.writes()
        assert but_tombstones(workspace_state(services, scope.workspace.id), shadow_before) == (
            shadow_before
        )
        assert services.pushes.recover() == []  # finished once
    assert standin.refused() == []


@GENERATED
@given(
    story=stories().map(pushable),
    fault=st.tuples(st.integers(1, 12), st.sampled_from(FAULTS)),
    described=st.booleans(),
)
def test_a_push_rolled_back_through_a_fault_is_undone_whole_or_stands_whole(
    services: Services,
    standin: DataArtsStandin,
    tmp_path: Path,
    story: Story,
    fault: tuple[int, Fault],
    described: bool,
) -> None:
    """A push lands; its rollback meets a generated fault at a generated call: the remote is
    as before the push, or (the rollback's own calls undone) as the push left it, which a
    second rollback then takes back."""
    note(f"{story!r}, fault={fault}, described={described}")
    scope, _, remote_id, second = told(services, standin, tmp_path, story, described)
    before, shadow_before = (
        remote(standin, remote_id),
        workspace_state(services, scope.workspace.id),
    )
    standin.reset()
    task = run_import(services, scope, second, **story.options)
    if task.status is TaskStatus.FAILED or not standin.writes():
        return  # refused by its plan, or nothing to push: nothing to roll back
    pushed, shadow_pushed = (
        remote(standin, remote_id),
        workspace_state(services, scope.workspace.id),
    )
    standin.reset()
    standin.faults[fault[0]] = fault[1]

    failed: RemoteError | None = None
    try:
        services.rollback.rollback(scope, task.id)
    except RemoteError as refused:
        failed = refused
    if failed is not None:
        event("the rollback failed")
        assert "the remote is as it was before" in failed.message, failed.message
        assert remote(standin, remote_id) == pushed, standin.writes()
        assert workspace_state(services, scope.workspace.id) == shadow_pushed
        standin.reset()
        services.rollback.rollback(scope, task.id)
    assert remote(standin, remote_id) == before, standin.writes()
    assert undescribed(workspace_state(services, scope.workspace.id)) == undescribed(shadow_before)
    assert standin.refused() == []
