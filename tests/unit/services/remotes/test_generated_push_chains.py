"""Generated chains of pushes into a remote DataArts workspace (the stand-in) and their
rollbacks in any order (``support/import_chains.py``): any package of a source's chain pushed
through the shadow, a person acting in DataArts between the pushes (the shadow refreshed after,
or not), rollbacks asked between them; then what stands rolled back newest first. Whatever
the interleaving, a push's rollback keeps its promises (docs/remotes.md, rollback):

- a refused rollback changes nothing, in the remote or in the shadow;
- a rollback that goes through gives the remote back what its push wrote, each object as it
  was before the push (a job's description apart: no call carries one), and touches nothing
  else there; and the shadow holds what the remote holds (a refresh finds nothing to change);
- it is refused only for a reason: its push wrote nothing, was rolled back already, or
  something it wrote changed since, in the remote (a person) or in the shadow (a later push
  not rolled back, a refresh);
- no call, field or type is sent that the official SDKs would not send.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note
from hypothesis import strategies as st

from jobferry.domain.enums import RefreshAction, TaskStatus
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.console import admin_actor
from support.import_chains import (
    ByHand,
    Op,
    Step,
    by_hand,
    chains,
    changed_since,
    given_back,
    pick,
    pushable,
)
from support.import_stories import POOLS, Obj, definition, generated, job_document
from support.planning import run_import, upload
from support.standin import DataArtsStandin, held_state, remote_shadow
from support.standin_workspace import DataArtsWorkspace
from support.workspace_state import State, undescribed, workspace_state

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Interleavings a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=100 and a
``--hypothesis-seed`` for a longer run)."""
CHANGED = (RefreshAction.CREATED, RefreshAction.UPDATED, RefreshAction.DELETED)
_SERIAL = itertools.count()


@pytest.fixture
def standin() -> DataArtsStandin:
    return DataArtsStandin()


def shadow(services: Services, scope: Scope) -> State:
    """The shadow's jobs, scripts and resources but the jobs' descriptions (and the hashes
    that cover them)."""
    return undescribed(workspace_state(services, scope.workspace.id))


def act_in_remote(ws: DataArtsWorkspace, acts: ByHand) -> None:
    """``acts`` done by a person in DataArts: a job edited (saved, not submitted), a job
    started or stopped, a script edited, a script of their own made."""
    jobs = sorted(ws.jobs)
    if (name := pick(jobs, acts.edit)) is not None:
        ws.edit_job(name, logPath="obs://bucket/logs/edited-in-dataarts")
    if (name := pick(jobs, acts.toggle)) is not None:
        job = ws.jobs[name]
        job.status = "STOPPED" if job.status == "SCHEDULING" else "SCHEDULING"
    if (name := pick(sorted(ws.scripts), acts.touch)) is not None:
        ws.scripts[name]["content"] = "select 0;"
    own = [name for name in POOLS["script"] if name not in ws.scripts]
    if (name := pick(own, acts.own)) is not None:
        ws.put_script(definition("script", name, 9))


@dataclass
class Pushed:
    """A push that landed: the remote and the shadow before and after it."""

    task_id: str
    before: State
    after: State
    shadow_before: State
    shadow_after: State
    rolled_back: bool = False


@dataclass
class Remote:
    """The remote under test: its name, its workspace in the stand-in, its shadow's scope."""

    name: str
    workspace: str
    scope: Scope
    stale: bool = False
    """A person acted in DataArts since the shadow's last refresh."""

    def held(self, standin: DataArtsStandin) -> State:
        return held_state(standin, self.workspace)


def pushed(
    services: Services, standin: DataArtsStandin, at: Remote, path: Path, step: Step
) -> Pushed | None:
    """``step`` pushed; ``None`` when its plan refused it. A push that needed no call (the
    package's jobs differ from the remote's only in their descriptions, which no call carries)
    still rewrote its import's ledger rows: it is rolled back first, in the shadow alone.

    An import into a shadow first refreshes it from the remote (docs/remotes.md, "Plans are
    made on a fresh read": unless its last refresh is younger than
    ``JOBFERRY_REMOTE_REFRESH_SECONDS``, 0 here): what a person made in DataArts since comes
    into the shadow then, by that refresh, not by the push, and its rollback does not answer
    for it. So the shadow before the push is the shadow refreshed (the import's own refresh
    then finds nothing new)."""
    services.remotes.refresh(admin_actor(services), at.name)
    at.stale = False
    before, shadow_before = at.held(standin), shadow(services, at.scope)
    standin.reset()
    task = run_import(
        services, at.scope, upload(services, at.scope, step.package(path)), **step.options
    )
    wrote = standin.writes()
    assert standin.refused() == []
    if task.status is TaskStatus.FAILED:
        assert at.held(standin) == before, (task.message, wrote)
        return None
    assert task.status in (TaskStatus.SUCCESSFUL, TaskStatus.WARNING), task.message
    done = Pushed(task.id, before, at.held(standin), shadow_before, shadow(services, at.scope))
    settled(services, at)
    event("a push wrote" if wrote else "a push wrote nothing")
    return done


def settled(services: Services, at: Remote) -> None:
    """Unless a person acted in DataArts since the last refresh: a refresh finds nothing to
    change (the shadow holds what the remote holds)."""
    if not at.stale:
        refreshed = services.remotes.refresh(admin_actor(services), at.name)
        assert [refreshed.total(action) for action in CHANGED] == [0, 0, 0], refreshed.counts


def attempt(
    services: Services, standin: DataArtsStandin, at: Remote, done: Pushed, later: list[Pushed]
) -> None:
    """Roll ``done`` back and check what it did, in the remote and the shadow, or that its
    refusal had a reason (``later``: the pushes after it)."""
    now, shadow_now = at.held(standin), shadow(services, at.scope)
    since = changed_since(done.before, done.after, now)
    since |= changed_since(done.shadow_before, done.shadow_after, shadow_now)
    standin.reset()
    try:
        services.rollback.rollback(at.scope, done.task_id)
    except JobferryError as refused:
        reason = str(refused)
    else:
        reason = ""
    assert standin.refused() == []
    if reason:
        assert at.held(standin) == now, (reason, standin.writes())
        assert shadow(services, at.scope) == shadow_now, reason
        first = [p.task_id for p in later if not p.rolled_back and p.task_id in reason]
        nothing = done.before == done.after and "nothing to roll back" in reason
        assert done.rolled_back or since or first or nothing, f"refused for no reason: {reason}"
        event("a rollback refused")
        return
    assert not done.rolled_back
    assert since == set(), since
    assert at.held(standin) == given_back(now, done.before, done.after), standin.writes()
    settled(services, at)
    done.rolled_back = True
    event("a push rolled back")


def remote_ops() -> st.SearchStrategy[list[tuple[str, Any]]]:
    one = st.one_of(
        st.tuples(st.just("import"), st.integers(0, 3)),
        st.tuples(st.just("rollback"), st.integers(0, 5)),
        st.tuples(st.just("by hand"), by_hand()),
        st.tuples(st.just("refresh"), st.none()),
    )
    return st.lists(one, min_size=2, max_size=8)


def made_by_a_person_then_pushed() -> tuple[tuple[Step, ...], list[Op]]:
    """A person makes scripts in DataArts the shadow has not seen; the first push's import
    refreshes the shadow, which takes one of them (``sd``) then, and skips it; a second push
    overwrites it; the first push's rollback goes through, as it wrote nothing of ``sd`` (found
    by a 30-example run on PostgreSQL, seed 7101: the story took the refresh's ``sd`` for the
    push's own)."""
    sa = Obj("script", "u-script-sa-sa", 1, "sa", definition("script", "sa", 0))
    sb = Obj("script", "u-script-sb-sb", 2, "sb", definition("script", "sb", 0))
    sd = Obj("script", "u-script-sb-sd", 2, "sd", definition("script", "sd", 0))
    ra = Obj("resource", "u-resource-rajb-ra", 4, "ra", definition("resource", "ra", 1))
    ja = Obj("job", "u-job-ja", 3, "ja", job_document("ja", "sa", None, [], 0))
    jb = Obj("job", "u-job-ja", 3, "jb", job_document("jb", "sa", None, [], 0))
    jc = Obj("job", "u-job-jcjb", 5, "jc", job_document("jc", "sa", None, [], 1))
    je = Obj("job", "u-job-je-3", 6, "je", job_document("je", "sa", None, [], 1))
    jf = Obj("job", "u-job-jf-3", 7, "jf", job_document("jf", "sa", None, [], 1))
    plain = {
        "sameNamePolicy": "OVERWRITE",
        "onDrift": "FAIL",
        "scheduling": "REFUSE",
        "propagateDeletes": True,
        "targetStatus": "SUBMITTED",
    }
    saved = {**plain, "targetStatus": "SAVED"}
    moved = {
        "sameNamePolicy": "AUTO",
        "onDrift": "TAKE_PACKAGE",
        "scheduling": "PAUSE_AND_RESTORE",
        "propagateDeletes": False,
        "targetStatus": "SUBMITTED",
    }
    chain = (
        Step((sa, sb, ja), (), False, plain),
        Step((sa, sb, ja), (), False, saved),
        Step((sa, sd, jb, ra, jc), (), True, saved),
        Step((sa, sd, ra, jc, je, jf), (jb,), True, moved),
    )
    people: list[Op] = [
        ("refresh", None),
        ("by hand", ByHand(3, 3, None, None, 3, None)),
        ("by hand", ByHand(None, None, None, None, 4, 5)),
        ("import", 3),
        ("import", 3),
        ("import", 1),
        ("import", 2),
        ("rollback", 2),
    ]
    return chain, people


@GENERATED
@given(chain=chains().map(lambda steps: tuple(pushable(s) for s in steps)), steps=remote_ops())
@example(*made_by_a_person_then_pushed())
def test_pushes_rollbacks_and_a_person_s_edits_interleaved_keep_each_rollback_s_promises(
    services: Services,
    standin: DataArtsStandin,
    tmp_path: Path,
    chain: tuple[Step, ...],
    steps: list[Op],
) -> None:
    note(repr(chain))
    note(repr(steps))
    n = next(_SERIAL)
    name, remote_id = f"prod{n}", f"{n + 1:032x}"
    at = Remote(name, remote_id, remote_shadow(services, standin, name, remote_id))
    done: list[Pushed] = []
    for i, (op, arg) in enumerate(steps):
        if op == "import":
            path = tmp_path / f"chain{n}-{i}.zip"
            kept = pushed(services, standin, at, path, chain[arg % len(chain)])
            done += [kept] if kept is not None else []
        elif op == "rollback" and done:
            index = arg % len(done)
            attempt(services, standin, at, done[index], done[index + 1 :])
        elif op == "by hand":
            act_in_remote(standin.workspaces[remote_id], arg)
            at.stale = True
        elif op == "refresh":
            services.remotes.refresh(admin_actor(services), name)
            at.stale = False
    for index in reversed(range(len(done))):
        attempt(services, standin, at, done[index], done[index + 1 :])
    if not any(op == "by hand" for op, _ in steps):  # nobody changed what they wrote
        assert all(p.rolled_back or p.before == p.after for p in done)
