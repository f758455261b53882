"""Generated chains of imports and their rollbacks in any order (``support/import_chains.py``):
any package of a source's chain imported into one target, in any order and again, people
editing the target by hand and rollbacks asked between the imports; then what stands rolled
back newest first. Whatever the interleaving, a rollback keeps its promises (docs/design.md,
rollback):

- a refused rollback changes nothing;
- a rollback that goes through gives back what its import wrote (the rows, versions,
  scheduling, ledger rows and tombstones it changed, each as it was before the import; the
  objects it created leave a tombstone) and touches nothing else;
- it goes through only when nothing its import wrote changed since, but for ledger rows a later
  import that only linked wrote again (their links go with it);
- it is refused only for a reason: its import wrote nothing, was rolled back already, or
  something it wrote changed since (a person's edit, a later import not rolled back).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import example, given, note
from hypothesis import strategies as st

from jobferry.domain.enums import JobStatus, PlanAction, TaskStatus
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from support.import_chains import (
    ByHand,
    Op,
    Step,
    chains,
    changed,
    ops,
    pick,
)
from support.import_stories import (
    POOLS,
    Obj,
    definition,
    generated,
    job_document,
    second_package,
)
from support.planning import run_import, upload, workspace
from support.workspace_state import State, definitions, workspace_state

pytestmark = pytest.mark.fuzz
GENERATED = generated(10)
"""Chains a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=100 and a
``--hypothesis-seed`` for a longer run)."""
WRITING = {PlanAction.CREATE, PlanAction.OVERWRITE, PlanAction.RENAME, PlanAction.DELETE}
RENAMING = {PlanAction.CREATE, PlanAction.RENAME}
_SERIAL = itertools.count()


def act_by_hand(services: Services, scope: Scope, acts: ByHand) -> None:
    """``acts`` in the scope's workspace, among what it holds."""

    def held() -> State:
        return definitions(workspace_state(services, scope.workspace.id))

    now = held()
    jobs = sorted(name for kind, name in now if kind == "job")
    if (name := pick(jobs, acts.edit)) is not None:
        edit = {**now[("job", name)]["document"], "description": "edited by hand"}
        services.jobs.update(scope, name, edit)
    submitted = [name for name in jobs if now[("job", name)]["latest_version"] is not None]
    if (name := pick(submitted, acts.toggle)) is not None:
        if now[("job", name)]["status"] == JobStatus.SCHEDULING:
            services.jobs.stop(scope, name)
        else:
            services.jobs.start(scope, name)
    if acts.rename is not None:
        now = held()
        stopped = [n for n in jobs if now[("job", n)]["status"] != JobStatus.SCHEDULING]
        free = [n for n in POOLS["job"] if ("job", n) not in now]
        old, new = pick(stopped, acts.rename[0]), pick(free, acts.rename[1])
        if old is not None and new is not None:
            services.jobs.rename(scope, old, new)
    scripts = sorted(name for kind, name in now if kind == "script")
    if (name := pick(scripts, acts.touch)) is not None:
        services.scripts.update(
            scope, name, {**now[("script", name)]["document"], "content": "select 0;"}
        )
    own = [name for name in POOLS["script"] if ("script", name) not in now]
    if (name := pick(own, acts.own)) is not None:
        services.scripts.create(scope, definition("script", name, 9))
    now = held()
    used = {name for job in now.values() for kind, name, _ in job.get("refs", ()) if kind == "job"}
    unused = [
        name
        for (kind, name), job in now.items()
        if kind == "job" and name not in used and job["status"] != JobStatus.SCHEDULING
    ]
    if (name := pick(sorted(unused), acts.delete)) is not None:
        services.jobs.delete(scope, name)


@dataclass
class Imported:
    """An import of the chain that wrote something: the workspace before and after it."""

    task_id: str
    plan: Plan
    before: State
    after: State
    rolled_back: bool = False


def imported(
    services: Services, scope: Scope, tmp_path: Path, step: Step, n: int
) -> Imported | None:
    """``step`` planned and imported as planned; ``None`` when it wrote nothing (its plan
    found problems, and the import changed nothing, or nothing to write)."""
    path = upload(services, scope, step.package(tmp_path / f"chain{n}.zip"))
    plan = services.imports.plan(scope, parse_import_request({"path": path, **step.options}))
    assert isinstance(plan, Plan)
    before = workspace_state(services, scope.workspace.id)
    task = run_import(services, scope, path, planId=plan.plan_id, **step.options)
    after = workspace_state(services, scope.workspace.id)
    if plan.summary.problems:
        assert task.status == TaskStatus.FAILED, task.message
        assert after == before
        return None
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    if not any(line.action in WRITING for line in plan.lines):
        return None
    return Imported(task.id, plan, before, after)


def created_tombstones(done: Imported) -> State:
    """The tombstones a rollback leaves of the objects its import created."""
    left: State = {}
    for line in done.plan.lines:
        if line.action is PlanAction.CREATE:
            held = done.after[(str(line.kind), line.name)]
            left[("tombstone", f"{line.kind}:{held.get('uid', held['id'])}")] = {"name": line.name}
    return left


def given_back(done: Imported, now: State) -> State:
    """``now`` with what ``done`` wrote as it was before it, and its created objects'
    tombstones."""
    wrote = changed(done.before, done.after)
    expected = {key: value for key, value in now.items() if key not in wrote}
    expected.update({key: done.before[key] for key in wrote if key in done.before})
    return {**expected, **created_tombstones(done)}


def changed_since(done: Imported, now: State) -> set[tuple[str, str]]:
    """What ``done`` wrote that holds something else now."""
    return {key for key in changed(done.before, done.after) if now.get(key) != done.after.get(key)}


def made(done: Imported) -> set[tuple[str, str]]:
    """(kind, name) of what ``done`` created, and the new names of what it renamed."""
    lines = done.plan.lines
    return {(str(ln.kind), ln.name) for ln in lines if ln.action in RENAMING}


def uses_since(done: Imported, now: State) -> set[tuple[str, str]]:
    """Jobs ``done`` did not write that use, now and not right after it, what it created or
    renamed: its rollback would take their scripts, resources or upstream jobs away."""
    ours = made(done)
    wrote = changed(done.before, done.after)
    return {
        key
        for key, held in now.items()
        if key[0] == "job"
        and key not in wrote
        and {(kind, name) for kind, name, _ in held["refs"]} & ours
        and held["refs"] != done.after.get(key, {}).get("refs")
    }


def attempt(services: Services, scope: Scope, done: Imported, later: list[Imported]) -> None:
    """Roll ``done`` back and check what the rollback did, or that its refusal had a reason
    (``later``: the imports after it; one that wrote its ledger rows again, not rolled back,
    is named: roll that one back first, even when it wrote them as they were)."""
    now = workspace_state(services, scope.workspace.id)
    since = changed_since(done, now) | uses_since(done, now)
    try:
        services.rollback.rollback(scope, done.task_id)
    except JobferryError as refused:
        reason = str(refused)
    else:
        reason = ""
    if reason:
        assert workspace_state(services, scope.workspace.id) == now, reason
        first = [i.task_id for i in later if not i.rolled_back and i.task_id in reason]
        assert done.rolled_back or since or first, f"refused for no reason: {reason}"
        return
    assert not done.rolled_back
    assert {key for key in since if key[0] != "ledger"} == set(), since
    assert workspace_state(services, scope.workspace.id) == given_back(done, now)
    done.rolled_back = True


def made_again() -> tuple[tuple[Step, ...], list[Op]]:
    """A package imported, its job deleted by hand, the package imported again: the second
    import's row replaces one naming the deleted job, which its rollback puts back (found by
    a 100-example run, seed 1)."""
    sa = Obj("script", "u-script-sa", 1, "sa", definition("script", "sa", 0))
    ja = Obj("job", "u-job-ja", 2, "ja", job_document("ja", "sa", None, [], 0))
    plain = {
        "sameNamePolicy": "OVERWRITE",
        "onDrift": "FAIL",
        "scheduling": "REFUSE",
        "propagateDeletes": False,
        "targetStatus": "SUBMITTED",
    }
    deleted = ByHand(None, None, None, None, None, delete=0)
    return (Step((sa, ja), (), False, plain),), [("import", 0), ("by hand", deleted), ("import", 0)]


@GENERATED
@given(chain=chains(), steps=ops())
@example(*made_again())
def test_imports_rollbacks_and_hand_edits_interleaved_keep_each_rollback_s_promises(
    services: Services, tmp_path: Path, chain: tuple[Step, ...], steps: list[Op]
) -> None:
    """Any package of the chain imported again, in any order, rollbacks asked between the
    imports and people acting between both; then what stands rolled back newest first."""
    note(repr(chain))
    note(repr(steps))
    n = next(_SERIAL)
    scope = workspace(services, f"mix{n}")
    done: list[Imported] = []
    for i, (op, arg) in enumerate(steps):
        if op == "import":
            kept = imported(services, scope, tmp_path, chain[arg % len(chain)], n * 10 + i)
            done += [kept] if kept is not None else []
        elif op == "rollback" and done:
            index = arg % len(done)
            attempt(services, scope, done[index], done[index + 1 :])
        elif op == "by hand":
            act_by_hand(services, scope, arg)
    for index in reversed(range(len(done))):
        attempt(services, scope, done[index], done[index + 1 :])


def test_a_chain_s_later_objects_never_take_an_earlier_uid() -> None:
    """A new object of a later package of the chain has a uid of its own, not that of one
    the source renamed or dropped before (``second_package``'s ``generation``)."""
    first = [Obj("script", "u-script-sa", 1, "sa", definition("script", "sa", 0))]
    first.append(Obj("job", "u-job-ja", 2, "ja", job_document("ja", "sa", None, [], 0)))

    @st.composite
    def both(draw: st.DrawFn) -> tuple[list[Obj], list[Obj]]:
        second, _ = draw(second_package(first, 1))
        third, _ = draw(second_package(second, 2))
        return second, third

    @given(both())
    @generated(25)
    def check(packages: tuple[list[Obj], list[Obj]]) -> None:
        for objects in packages:
            uids = [o.uid for o in objects]
            assert len(uids) == len(set(uids)), uids

    check()
