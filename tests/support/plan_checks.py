"""What a generated test checks of an import against its kept plan
(``tests/unit/services/importing/test_generated_imports.py``,
``tests/unit/services/routes/test_generated_promotions.py``): every line happened and nothing
the plan does not name changed; the jobs a plan keeps for their drift and rewrites for its
renames; the tombstones a rollback leaves."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jobferry.domain.enums import PlanAction, SkipReason
from jobferry.services.importing.plan import Plan, PlanLine
from support.workspace_state import State, definitions

WRITING = {PlanAction.CREATE, PlanAction.OVERWRITE, PlanAction.RENAME, PlanAction.DELETE}
Documents = Mapping[tuple[str, str], dict[str, Any]]
"""(kind, name) → the definition the package holds."""


def assert_line_happened(line: PlanLine, package: Documents, before: State, after: State) -> None:
    """One line of the plan, done: the package's definition written under its name, in the
    object it matched (an OVERWRITE's, a RENAME's old name's), a DELETE's object gone, a paused
    job scheduled again as it was."""
    key, was = (str(line.kind), line.name), (str(line.kind), line.target_name)
    if line.action in (PlanAction.CREATE, PlanAction.OVERWRITE, PlanAction.RENAME):
        assert after[key]["document"] == package[key], line
    if line.action in (PlanAction.OVERWRITE, PlanAction.RENAME):
        assert after[key]["id"] == before[was]["id"], line
    if line.action is PlanAction.DELETE:
        assert key in before, line
        assert after.get(key, {}).get("id") != before[key]["id"], line
    elif line.pause:
        assert after[key]["status"] == before[was]["status"], line


def assert_as_planned(plan: Plan, package: Documents, before: State, after: State) -> None:
    """Every line of the plan happened, and nothing the plan does not name changed (the jobs
    it rewrites for its renames use the new names)."""
    assert plan.lines_total == len(plan.lines)
    rewritten = {("job", name) for name in plan.rewrites}
    moved = {(str(ln.kind), ln.target_name) for ln in plan.lines if ln.action is PlanAction.RENAME}
    named = rewritten | moved
    named |= {(str(ln.kind), ln.name) for ln in plan.lines if ln.action in WRITING}
    freed = moved - {(str(ln.kind), ln.name) for ln in plan.lines if ln.action in WRITING}
    for key in rewritten:
        assert after[key]["id"] == before[key]["id"]
        assert not freed & {(kind, name) for kind, name, _ in after[key]["refs"]}, key
    for line in plan.lines:
        assert_line_happened(line, package, before, after)
    rest = (set(definitions(before)) | set(definitions(after))) - named
    assert {k: before.get(k) for k in rest} == {k: after.get(k) for k in rest}


def kept_then_rewritten(plan: Plan) -> set[tuple[str, str]]:
    """(kind, name in the target) of the jobs the plan keeps for their drift and rewrites for
    its renames: the rewrite can undo the drift that kept them."""
    rewritten = set(plan.rewrites)
    return {
        (str(ln.kind), ln.target_name)
        for ln in plan.lines
        if ln.skip is not None
        and ln.skip.reason is SkipReason.KEPT_DRIFT
        and ln.target_name in rewritten
    }


def rewrites_unexplained(again: Plan, undone: set[tuple[str, str]], after: State) -> list[str]:
    """The jobs a plan of the same package again rewrites for a rename other than that of an
    object of ``undone`` (kept for its drift and rewritten by the import, which undid the
    drift: the plan again makes the rename the import kept it from, and rewrites the jobs
    using it, as ``after``, the target now, says they do): none, once an import did what it
    planned."""
    renaming = {
        ln.target_name
        for ln in again.lines
        if ln.action is PlanAction.RENAME and (str(ln.kind), ln.target_name) in undone
    }
    return [
        name
        for name in again.rewrites
        if not any(ref[0] == "job" and ref[1] in renaming for ref in after[("job", name)]["refs"])
    ]


def left_by(plan: Plan, after: State) -> State:
    """The tombstones a rollback leaves of the objects the import created: it deletes them,
    and a deletion leaves one (``undoing.py``; a workspace promoting further tells its own
    targets they are gone)."""
    left: State = {}
    for line in plan.lines:
        if line.action is PlanAction.CREATE:
            held = after[(str(line.kind), line.name)]
            left[("tombstone", f"{line.kind}:{held.get('uid', held['id'])}")] = {"name": line.name}
    return left
