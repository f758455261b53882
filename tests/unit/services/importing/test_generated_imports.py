"""Generated imports (``support/import_stories.py``): a source's first package imported, the
target changed by hand, then the source's second package planned, kept and applied with
generated options. Whatever the story, the engine keeps its promises:

- the import does what its kept plan says, line by line, and nothing else;
- planning the same package again right after it finds nothing left to write, but the jobs
  it kept for their drift (``onDrift`` KEEP_TARGET) and rewrote for its renames: a target that
  renamed a job the package names otherwise drifts only in its jobs' references to it, which
  the import's rename rewrites back; the next plan, finding no drift, writes them (intended:
  KEEP_TARGET decides on the drift found when planning, docs/design.md, decide);
- its rollback gives back the workspace exactly as it was (rows, versions, scheduling, the
  ledger and the tombstones), the ledger rows of the objects it merely linked (``UNCHANGED``:
  a ``LINK`` change record each) included: a row it wrote for them is forgotten and the rows
  it replaced are put back, e.g. of a job the target renamed as the source did, or of the job
  a new one just like it took over (docs/design.md, provenance);
- an import its plan finds problems in changes nothing;
- a plan's fingerprint is the same for the same package and target, and a plan made before
  the target changed what the package concerns is refused, changing nothing.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, example, given, note
from hypothesis import strategies as st

from jobferry.domain.enums import TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from support.builders import editable
from support.import_stories import (
    Story,
    act_in_target,
    generated,
    kept_then_renamed,
    renamed_alike,
    renamed_on_both_sides,
    stories,
    took_over_alike,
)
from support.plan_checks import (
    WRITING,
    assert_as_planned,
    kept_then_rewritten,
    left_by,
    rewrites_unexplained,
)
from support.planning import import_package, run_import, upload, workspace
from support.workspace_state import workspace_state

pytestmark = pytest.mark.fuzz
GENERATED = generated(25)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=300 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()


def told(services: Services, tmp_path: Path, story: Story) -> tuple[Scope, str]:
    """A new workspace where the story's first package was imported and the target acted;
    the second package's upload path."""
    n = next(_SERIAL)
    scope = workspace(services, f"story{n}")
    import_package(
        services, scope, story.package(tmp_path / f"first{n}.zip", story.first, second=False)
    )
    act_in_target(services, scope, story)
    second = story.package(tmp_path / f"second{n}.zip", story.second, second=True)
    return scope, upload(services, scope, second)


def plan_of(services: Services, scope: Scope, path: str, options: dict[str, Any]) -> Plan:
    plan = services.imports.plan(scope, parse_import_request({"path": path, **options}))
    assert isinstance(plan, Plan)
    return plan


def package_of(story: Story) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) → definition of the story's second package."""
    return {(o.kind, o.name): o.document for o in story.second}


@GENERATED
@given(story=stories())
@example(story=renamed_on_both_sides())
@example(story=renamed_alike())
@example(story=took_over_alike())
@example(story=kept_then_renamed())
def test_an_import_does_what_its_plan_says_and_its_rollback_gives_back_the_prior_state(
    services: Services, tmp_path: Path, story: Story
) -> None:
    note(repr(story))
    scope, path = told(services, tmp_path, story)
    before = workspace_state(services, scope.workspace.id)
    plan = plan_of(services, scope, path, story.options)

    task = run_import(services, scope, path, planId=plan.plan_id, **story.options)

    after = workspace_state(services, scope.workspace.id)
    if plan.summary.problems:
        assert task.status == TaskStatus.FAILED, task.message
        assert after == before
        return
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert_as_planned(plan, package_of(story), before, after)
    again = plan_of(services, scope, path, story.options)
    undone = kept_then_rewritten(plan)
    left = [line for line in again.lines if line.action in WRITING]
    assert [
        (ln.name, ln.action) for ln in left if (str(ln.kind), ln.target_name) not in undone
    ] == []
    assert rewrites_unexplained(again, undone, after) == []
    if not any(line.action in WRITING for line in plan.lines):
        return  # nothing to roll back (refused as such: docs/design.md, rollback)
    services.rollback.rollback(scope, task.id)
    assert workspace_state(services, scope.workspace.id) == {**before, **left_by(plan, after)}


@GENERATED
@given(story=stories(), edit=st.data())
def test_a_plan_s_fingerprint_follows_the_target_and_a_stale_plan_changes_nothing(
    services: Services, tmp_path: Path, story: Story, edit: st.DataObject
) -> None:
    note(repr(story))
    scope, path = told(services, tmp_path, story)
    plan = plan_of(services, scope, path, story.options)
    assert plan_of(services, scope, path, story.options).fingerprint == plan.fingerprint
    kept = {o.uid for o in story.second}
    concerned = [o for o in story.first if o.kind == "job" and o.uid in kept]
    assume(concerned)
    job = edit.draw(st.sampled_from(concerned))
    held = dict(story.renamed).get(job.name, job.name)  # the target may have renamed it
    changed = {**editable(services.jobs.show(scope, held).document), "description": "changed"}
    services.jobs.update(scope, held, changed)
    before = workspace_state(services, scope.workspace.id)

    fresh = plan_of(services, scope, path, story.options)
    task = run_import(services, scope, path, planId=plan.plan_id, **story.options)

    assert fresh.fingerprint != plan.fingerprint
    assert task.status == TaskStatus.FAILED
    assert workspace_state(services, scope.workspace.id) == before
