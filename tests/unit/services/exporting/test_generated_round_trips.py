"""Generated round trips (``support/round_trips.py``): a source workspace built from drawn
definitions, a drawn export of it, the package file carried alone (the air gap) and imported
into another workspace with drawn options. Whatever the trip, export and import keep their
promises together:

- the package holds exactly the selection in the state asked, the jobs it depends on when
  asked, and (``exportDepend``) what those definitions use; submitted versions asked of a job
  never submitted refuse the export;
- the import into an empty target makes every definition the source's, but for the documented
  rewrites (the profile's folder and parameters, a time-zone move: keepWallClock changes the
  zone only, keepInstant keeps every firing instant); it is refused, changing nothing, exactly
  when a definition names a script, resource or job neither the package nor the target holds;
- the import does what its kept plan says, line by line, and nothing else;
- importing the same package again plans nothing to write and changes nothing;
- exporting the target the same way gives a package of the same definitions;
- a package altered in carriage (a byte of an entry inverted, an entry removed, a signed
  manifest changed) is refused and changes nothing.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note
from hypothesis import strategies as st

from jobferry.domain.enums import PlanAction, TaskStatus
from jobferry.errors import JobferryError
from jobferry.package.reader import read_package
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from support.import_stories import generated
from support.plan_checks import WRITING, assert_as_planned
from support.planning import run_import, upload, workspace
from support.round_trips import (
    ALTERATIONS,
    Key,
    Prior,
    Trip,
    act_in_target,
    alter,
    bring_up_to_date,
    build_earlier,
    build_source,
    carried_twice,
    export_file,
    firings,
    held_in,
    moved,
    older,
    strict_target,
    trips,
    upstream_of,
    upstream_of_a_version,
    uses,
    without_schedule,
)
from support.workspace_state import State, definitions, workspace_state

pytestmark = pytest.mark.fuzz
GENERATED = generated(25)
"""Trips a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=300 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()


def plan_of(services: Services, scope: Scope, path: str, options: dict[str, Any]) -> Plan:
    plan = services.imports.plan(scope, parse_import_request({"path": path, **options}))
    assert isinstance(plan, Plan)
    return plan


def unresolved(held: dict[Key, dict[str, Any]]) -> set[Key]:
    """What the package's jobs name that the package does not hold (an empty target lacks it
    too)."""
    named = {ref for key, doc in held.items() if key[0] == "job" for ref in uses(doc)}
    named |= {
        ("job", up) for key, doc in held.items() if key[0] == "job" for up in upstream_of(doc)
    }
    return named - set(held)


def assert_rewritten(
    key: Key, now: dict[str, Any], doc: dict[str, Any], options: dict[str, Any]
) -> None:
    """The target's definition ``now`` is the package's ``doc`` with the documented rewrites:
    the profile's, and a time-zone move's (keepInstant: every firing kept, in the new zone)."""
    move = options.get("timeZone")
    expected = moved(doc, options)
    if key[0] == "job" and move is not None and move["mode"] == "keepInstant":
        assert without_schedule(now) == without_schedule(expected), key
        assert now["schedule"]["cron"]["expressionTimeZone"] == move["zone"], key
        assert firings(now) == firings(doc), key
    else:
        assert now == expected, key


def assert_imported_as_exported(
    held: dict[Key, dict[str, Any]], after: State, options: dict[str, Any]
) -> None:
    """Every definition of the package is the target's, but for the documented rewrites."""
    assert set(definitions(after)) == set(held)
    for key, doc in held.items():
        now = after[key]["document"]
        assert_rewritten(key, now, doc, options)
        if key[0] == "job":
            versions = after[key]["versions"]
            if options["targetStatus"] == "SUBMITTED":
                assert versions, key
                assert versions[-1][2] == now, key
            else:
                assert versions == [], key


def export_again(services: Services, scope: Scope, trip: Trip, path: Path) -> Path | None:
    """The target exported as the trip exported the source (its submitted versions only
    where the import submitted)."""
    status = trip.export["exportStatus"]
    if trip.options["targetStatus"] != "SUBMITTED":
        status = "DEVELOP"
    again = Trip(**{**trip.__dict__, "export": {**trip.export, "exportStatus": status}})
    return export_file(services, scope, again, path, check=False)


@GENERATED
@given(
    trip=trips(),
    tamper=st.tuples(st.sampled_from(ALTERATIONS), st.integers(0, 99), st.integers(0, 9999)),
)
@example(trip=upstream_of_a_version(), tamper=("flip", 0, 0))
def test_a_package_carried_alone_imports_as_it_left_and_nothing_else(
    services: Services, tmp_path: Path, trip: Trip, tamper: tuple[str, int, int]
) -> None:
    note(repr(trip))
    n = next(_SERIAL)
    source, target = workspace(services, f"src{n}"), workspace(services, f"dst{n}")
    build_source(services, source, trip)
    package = export_file(services, source, trip, tmp_path / f"carried{n}.zip")
    if package is None:
        event(f"export refused ({trip.mode})")
        return  # refused as it must be (export_file checks it)
    held = held_in(package)
    assert held == trip.expected()
    if trip.strict:
        target = strict_target(services, source, target)
        if not trip.signed:
            assert_refused(services, target, package, trip.options)
            return

    altered = tmp_path / f"altered{n}.zip"
    altered.write_bytes(alter(package.read_bytes(), trip, tamper))
    assert_refused(services, target, altered, trip.options)

    before = workspace_state(services, target.workspace.id)
    path = upload(services, target, package)
    plan = plan_of(services, target, path, trip.options)
    task = run_import(services, target, path, planId=plan.plan_id, **trip.options)
    after = workspace_state(services, target.workspace.id)
    missing = unresolved(held)
    note(f"missing={missing} problems={[p.detail for p in plan.problems]}")
    if missing:
        event(f"import refused: unresolved references ({trip.mode})")
        assert plan.summary.problems, missing
        assert task.status == TaskStatus.FAILED, task.message
        assert after == before
        return
    event(f"imported ({trip.mode})")
    assert plan.summary.problems == 0, plan.problems
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert {line.action for line in plan.lines} == {PlanAction.CREATE}
    assert_imported_as_exported(held, after, trip.options)
    written = {key: after[key]["document"] for key in held}
    assert_as_planned(plan, written, before, after)

    again = plan_of(services, target, path, trip.options)
    assert [ln.name for ln in again.lines if ln.action in WRITING] == []
    task = run_import(services, target, path, planId=again.plan_id, **trip.options)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert workspace_state(services, target.workspace.id) == after

    exported = export_again(services, target, trip, tmp_path / f"again{n}.zip")
    assert exported is not None
    assert held_in(exported) == written
    assert_carried_back_unchanged(services, source, exported, trip)


def assert_carried_back_unchanged(
    services: Services, source: Scope, package: Path, trip: Trip
) -> None:
    """The target's package carried back to the source changes nothing there when the trip
    rewrote nothing and exported the development state: every object is as the source holds
    it (matched by name: the source never imported from the target). It is carried back as
    the development state (``targetStatus`` SAVED): a submit would be due of every job and
    script the source never submitted."""
    if trip.submitted or "profile" in trip.options or "timeZone" in trip.options:
        return
    before = workspace_state(services, source.workspace.id)
    path = upload(services, source, package)
    saved = {"sameNamePolicy": "OVERWRITE", "targetStatus": "SAVED"}
    plan = plan_of(services, source, path, saved)
    assert {str(line.action) for line in plan.lines} == {"UNCHANGED"}, plan.lines
    task = run_import(services, source, path, planId=plan.plan_id, targetStatus="SAVED")
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    after = workspace_state(services, source.workspace.id)
    assert definitions(after) == definitions(before)


def assert_refused(
    services: Services, scope: Scope, package: Path, options: dict[str, Any]
) -> None:
    """An altered package is refused (at its upload, its check, its plan or its import) and
    the target is as it was."""
    before = workspace_state(services, scope.workspace.id)
    try:
        path = upload(services, scope, package)
        services.imports.check_file(scope, path)
        plan = plan_of(services, scope, path, options)
    except JobferryError:
        pass
    else:
        assert plan.summary.problems, "an altered package was planned without a problem"
        task = run_import(services, scope, path, **options)
        assert task.status == TaskStatus.FAILED, task.message
    assert workspace_state(services, scope.workspace.id) == before


def carried_before(
    services: Services, trip: Trip, prior: Prior, tmp_path: Path, n: int
) -> tuple[Scope, Scope]:
    """A source and a target that holds part of it as it was carried once before (the jobs
    the prior names with what they need, imported with the trip's rewrites), then changed on
    both sides."""
    source, target = workspace(services, f"src{n}"), workspace(services, f"dst{n}")
    build_earlier(services, source, trip, prior)
    asked = {"exportDepend": True, "withUpstream": True, **labelled(prior)}
    chosen = prior.carried + prior.gone
    first = Trip(**{**trip.__dict__, "mode": "names", "chosen": chosen, "export": asked})
    package = export_file(services, source, first, tmp_path / f"first{n}.zip")
    assert package is not None
    options = {**trip.options, "sameNamePolicy": "OVERWRITE", "targetStatus": "SUBMITTED"}
    task = run_import(services, target, upload(services, target, package), **options)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    bring_up_to_date(services, source, trip, prior)
    act_in_target(services, target, prior, set(held_in(package)))
    return source, target


ALLOWED = {
    "missing_reference": lambda trip, prior, missing: bool(missing),
    "drift": lambda trip, prior, missing: (
        bool(prior.options["onDrift"] == "FAIL") and bool(prior.edited or prior.touched)
    ),
    "older_package": lambda trip, prior, missing: (
        prior.options["onDrift"] == "FAIL" and bool(older(trip, prior))
    ),
    "scheduled": lambda trip, prior, missing: (
        prior.options["scheduling"] == "REFUSE" and bool(prior.started)
    ),
}
"""The problems a plan may find in a trip, and when."""


@GENERATED
@given(story=carried_twice())
def test_a_package_carried_into_a_target_holding_part_of_it_does_what_it_planned(
    services: Services, tmp_path: Path, story: tuple[Trip, Prior]
) -> None:
    trip, held_before = story
    note(repr(trip))
    note(repr(held_before))
    n = next(_SERIAL)
    source, target = carried_before(services, trip, held_before, tmp_path, n)
    trip = Trip(**{**trip.__dict__, "export": {**trip.export, **labelled(held_before)}})
    package = export_file(services, source, trip, tmp_path / f"carried{n}.zip")
    if package is None:
        return
    held = held_in(package)
    assert held == trip.expected()
    options = {**trip.options, **held_before.options}
    before = workspace_state(services, target.workspace.id)
    path = upload(services, target, package)
    plan = plan_of(services, target, path, options)
    task = run_import(services, target, path, planId=plan.plan_id, **options)
    after = workspace_state(services, target.workspace.id)
    missing = unresolved(held) - set(definitions(before))
    if plan.summary.problems:
        reasons = {str(p.reason) for p in plan.problems}
        event(f"refused: {sorted(reasons)}")
        assert all(ALLOWED[r](trip, held_before, missing) for r in reasons), plan.problems
        assert task.status == TaskStatus.FAILED, task.message
        assert after == before
        return
    event(f"imported: {sorted({str(line.action) for line in plan.lines})}")
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    written = {key: after[key]["document"] for key in held if key in after}
    drifted = {("job", n) for n in held_before.edited}
    drifted |= {("script", n) for n in held_before.touched}
    assert_as_planned(plan, written, before, after)
    assert_kept_or_taken(held, before, after, options, drifted, older(trip, held_before))
    assert_deleted_as_carried(trip, held_before, package, after)

    again = plan_of(services, target, path, options)
    assert [ln.name for ln in again.lines if ln.action in WRITING] == []
    task = run_import(services, target, path, planId=again.plan_id, **options)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert workspace_state(services, target.workspace.id) == after


def assert_kept_or_taken(
    held: dict[Key, dict[str, Any]],
    before: State,
    after: State,
    options: dict[str, Any],
    drifted: set[Key],
    older: set[Key],
) -> None:
    """What the import made of each object of the package the target held: kept when asked
    to skip, or with KEEP_TARGET when changed in the target since the last carry; else the
    package's, rewritten. One ``older`` in the package than the last carry held it is kept
    with KEEP_TARGET only when the import can tell: it dates packages, not objects, and
    another object of the package may be newer than the last carry held anything."""
    for key, doc in held.items():
        if key not in before:
            continue
        now = after[key]["document"]
        if key in older and options["onDrift"] == "KEEP_TARGET" and now == before[key]["document"]:
            continue
        kept = options["sameNamePolicy"] == "SKIP" or (
            key in drifted and options["onDrift"] == "KEEP_TARGET"
        )
        if kept:
            assert now == before[key]["document"], key
        else:
            assert_rewritten(key, now, doc, options)


def labelled(prior: Prior) -> dict[str, Any]:
    """The export options that carry the deletions since the last export for the target."""
    return {"deletionsFor": "prod"} if prior.label else {}


def assert_deleted_as_carried(trip: Trip, prior: Prior, package: Path, after: State) -> None:
    """The jobs the source deleted since the first carry: named by the package when it
    carries deletions, and gone from the target when the import propagates what the package
    says (its deletions, or its inventory: a whole workspace's)."""
    manifest = read_package(package).manifest or {}
    carried = {d["name"] for d in manifest.get("deleted", [])}
    assert carried == (set(prior.gone) if prior.label else set()), manifest.get("deleted")
    whole = trip.mode == "workspace"
    for name in prior.gone:
        deleted = prior.options["propagateDeletes"] and (prior.label or whole)
        assert (("job", name) not in after) == deleted, name
