"""Generated stories of profiles and time zones across an import
(``support/profile_stories.py``, the schedules' model in ``support/zone_model.py``, their
carriage in ``support/profile_carriage.py``): a source workspace exported whole, and its
package imported (planned, then applied) into a target with a profile renaming connections,
setting parameters and moving the schedules to the target's zone. Whatever the story:

- each job's schedule fires at the same instants in the target as in the source (keepInstant:
  until its endTime, or until the first offset change, which the plan notes) or at the same
  wall-clock times (keepWallClock, noted when the target's clocks skip or repeat one); where
  no cron expression can say it in the target zone the import is refused, naming the job,
  the rule and the fix, and changes nothing; the plan's notes say from when and which way
  the firings drift, or which day a firing is skipped or repeated, and its next firings before
  and after a keepInstant move are the same instants;
- every mapped value is replaced everywhere the reference table finds it (a script's
  connection, a node's connection property, the parameters the profile sets) and nothing else
  changes (the same names in a description, a script's text or another parameter's value);
- a connection neither mapped nor in the target refuses the import, named;
- the same import planned and applied again is a no-op;
- the target exported and carried back into the source with the reverse profile gives back
  the source's definitions.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.enums import ProblemReason, TaskStatus
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.plan import Plan
from jobferry.services.importing.request import parse_import_request
from support.console import admin_scope
from support.import_stories import generated
from support.plan_checks import WRITING
from support.planning import run_import, upload
from support.profile_carriage import (
    build_source,
    build_target,
    day_29_moved_back,
    export_workspace,
    naive_start_read_in_the_new_zone,
    without_moved,
)
from support.profile_stories import Story, StoryJob, instant_of, stories
from support.round_trips import held_in
from support.workspace_state import State, definitions, workspace_state
from support.zone_model import OPEN_ENDED, at_text, drifted, read_quartz, same_firings

pytestmark = pytest.mark.fuzz
GENERATED = generated(6)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES for more)."""
_SERIAL = itertools.count()


def fresh(services: Services, name: str) -> Scope:
    """A new workspace without connections; the admin's scope in it."""
    admin = admin_scope(services)
    ws = services.accounts.create_workspace(admin.actor, admin.actor.project_id, name)
    return admin_scope(services, ws)


def plan_of(services: Services, scope: Scope, path: str, options: dict[str, Any]) -> Plan:
    plan = services.imports.plan(scope, parse_import_request({"path": path, **options}))
    assert isinstance(plan, Plan)
    return plan


def assert_refused_as_modelled(story: Story, plan: Plan, now: datetime) -> None:
    """The plan's problems are the story's: each missing connection named once, each job
    whose move cannot be expressed named with the rule and the fix."""
    missing = {
        p.reference[1]
        for p in plan.problems
        if p.reason is ProblemReason.MISSING_REFERENCE and p.reference is not None
    }
    assert missing == story.missing(), plan.problems
    for p in plan.problems:
        assert p.fix, p
        if p.reason is ProblemReason.MISSING_REFERENCE:
            assert p.reference is not None, p
            assert f"'{p.reference[1]}'" in p.detail, p
    zones = [p for p in plan.problems if p.reason is ProblemReason.TIME_ZONE]
    assert {p.name for p in zones} == story.refused_jobs(now), zones
    for p in zones:
        assert f"job '{p.name}'" in p.detail, p
        assert story.mode in p.detail, p
        assert "keepWallClock" in p.fix, p
    other = {p.reason for p in plan.problems} - {
        ProblemReason.MISSING_REFERENCE,
        ProblemReason.TIME_ZONE,
    }
    assert not other, plan.problems


def assert_checked_as_modelled(
    services: Services, scope: Scope, story: Story, path: str, options: dict[str, Any]
) -> None:
    """The profile check names each missing connection with the jobs and scripts using it."""
    asked = parse_import_request({"path": path, **options})
    report = services.imports.check_profile(scope, asked)
    found = {m.name: (set(m.jobs), set(m.scripts)) for m in report.missing}
    assert found == story.users(), report.missing
    assert report.complete == (not found), report


def schedule_notes(plan: Plan) -> dict[str, list[str]]:
    """Job name → the notes of its schedule moves, as the plan shows them."""
    return {
        line.name: [str(s["note"]) for s in line.schedule or () if s.get("note")]
        for line in plan.lines
        if str(line.kind) == "job"
    }


def assert_previews_agree(plan: Plan, story: Story, now: datetime) -> None:
    """A keepInstant move's next firings, as the plan shows them before and after the move,
    are the same instants (until the offset change its note names)."""
    by_name = {job.name: job for job in story.jobs}
    for line in plan.lines:
        if str(line.kind) != "job" or story.mode != "keepInstant":
            continue
        for shown in line.schedule or ():
            cut = story.move(by_name[line.name], now).note_at
            before, after = (
                [
                    moment
                    for moment in map(datetime.fromisoformat, shown[side]["nextFirings"])
                    if cut is None or moment < cut
                ]
                for side in ("before", "after")
            )
            assert before == after, shown


def assert_schedule_kept(
    story: Story, job: StoryJob, now_doc: dict[str, Any], notes: list[str], now: datetime
) -> None:
    """The job's schedule in the target fires as the source's did (see the module)."""
    move = story.move(job, now)
    cron = now_doc["schedule"]["cron"]
    source_zone = story.zone_of(job)
    assert source_zone is not None
    if story.mode == "keepWallClock":
        assert bool(notes) == move.noted, (notes, move)
        if move.noted:
            event("keepWallClock into a skipped or repeated hour")
        for day in move.days:
            assert f"on {day} (" in notes[0], (notes, move)
        return
    before = story.job_doc(job)["schedule"]["cron"]
    for key in ("startTime", "endTime"):
        assert (key in cron) == (key in before), key
        if key in before:
            old = instant_of(before[key], source_zone)
            assert instant_of(cron[key], story.target_zone) == old, (key, before[key], cron[key])
    begin = story.begin(job, now)
    until = job.window[1] or move.note_at or begin + OPEN_ENDED
    if move.note_at is not None:
        until = move.note_at - timedelta(minutes=1)
        assert len(notes) == 1, (notes, move)
        assert at_text(move.note_at) in notes[0], (notes, move)
        event("keepInstant until an offset change")
        way = "later" if move.drift > timedelta(0) else "earlier"
        assert f"{way} than before the move" in notes[0], (notes, move)
        drifted((job.cron, source_zone), (read_quartz(cron["expression"]), story.target_zone), move)
    else:
        assert notes == [], notes
    same_firings(
        (job.cron, source_zone), (read_quartz(cron["expression"]), story.target_zone), begin, until
    )


def assert_imported_as_modelled(
    story: Story, plan: Plan, after: State, now: datetime
) -> dict[tuple[str, str], dict[str, Any]]:
    """Every definition as the profile makes it, and nothing else changed."""
    written = {key: after[key]["document"] for key in definitions(after)}
    expected_keys = {("script", n) for n, _ in story.scripts} | {
        ("job", j.name) for j in story.jobs
    }
    assert set(written) == expected_keys
    for name, connection in story.scripts:
        assert written[("script", name)] == story.expected_script(name, connection), name
    notes = schedule_notes(plan)
    assert_previews_agree(plan, story, now)
    for job in story.jobs:
        doc = written[("job", job.name)]
        expected = story.expected_job(job)
        if story.mode == "keepInstant":
            assert without_moved(doc) == without_moved(expected), job.name
        else:
            assert doc == expected, job.name
        assert_schedule_kept(story, job, doc, notes.get(job.name, []), now)
    return written


@GENERATED
@given(story=stories())
@example(story=day_29_moved_back())
@example(story=naive_start_read_in_the_new_zone())
def test_a_profile_and_a_zone_move_rewrite_what_they_map_and_keep_every_firing(
    services: Services, tmp_path: Path, story: Story
) -> None:
    note(repr(story))
    n = next(_SERIAL)
    source, target = fresh(services, f"psrc{n}"), fresh(services, f"pdst{n}")
    build_source(services, source, story)
    package = export_workspace(services, source, tmp_path / f"source{n}.zip")
    assert {key[0] for key in held_in(package)} <= {"job", "script"}
    options = {"sameNamePolicy": "OVERWRITE", **build_target(services, target, story)}

    before = workspace_state(services, target.workspace.id)
    now = datetime.now(UTC)
    path = upload(services, target, package)
    assert_checked_as_modelled(services, target, story, path, options)
    plan = plan_of(services, target, path, options)
    task = run_import(services, target, path, planId=plan.plan_id, **options)
    after = workspace_state(services, target.workspace.id)
    note(f"problems={[(p.reason, p.name, p.detail) for p in plan.problems]}")
    assert_refused_as_modelled(story, plan, now)
    if plan.problems:
        event(f"refused: {sorted({str(p.reason) for p in plan.problems})}")
        assert task.status == TaskStatus.FAILED, task.message
        assert after == before
        return
    event(f"imported ({story.mode})")
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert_imported_as_modelled(story, plan, after, now)

    again = plan_of(services, target, path, options)
    assert [ln.name for ln in again.lines if ln.action in WRITING] == []
    task = run_import(services, target, path, planId=again.plan_id, **options)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    assert workspace_state(services, target.workspace.id) == after

    assert_carried_back(services, source, target, story, tmp_path / f"back{n}.zip")


def assert_carried_back(
    services: Services, source: Scope, target: Scope, story: Story, path: Path
) -> None:
    """The target exported and imported into the source with the reverse profile: the
    source's definitions as they were (see :func:`timed`)."""
    before = definitions(workspace_state(services, source.workspace.id))
    package = export_workspace(services, target, path)
    options = {"sameNamePolicy": "OVERWRITE", "profile": story.reverse_profile()}
    upload_path = upload(services, source, package)
    plan = plan_of(services, source, upload_path, options)
    assert plan.summary.problems == 0, plan.problems
    task = run_import(services, source, upload_path, planId=plan.plan_id, **options)
    assert task.status == TaskStatus.SUCCESSFUL, task.message
    now = definitions(workspace_state(services, source.workspace.id))
    assert set(now) == set(before)
    for key, held in before.items():
        doc = held["document"]
        if key[0] == "job":
            assert timed(now[key]["document"], story) == timed(doc, story), key
        else:
            assert now[key]["document"] == doc, key


def timed(doc: dict[str, Any], story: Story) -> dict[str, Any]:
    """A job definition with its startTime and endTime as the instants they name (a move
    writes ``Z`` as the bare offset of the zone it moves to, and back as that offset), and
    the source's zone where its cron names none (the move back names it)."""
    cron = dict(doc["schedule"]["cron"])
    zone = cron.setdefault("expressionTimeZone", story.source_zone)
    for key in ("startTime", "endTime"):
        if key in cron:
            cron[key] = instant_of(cron[key], zone)
    return {**doc, "schedule": {**doc["schedule"], "cron": cron}}
