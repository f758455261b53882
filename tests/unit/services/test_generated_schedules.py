"""Generated stories of a job's schedule (``support/schedule_stories.py``): an admin creates
and updates jobs with generated schedules, valid and broken, shows them back and starts and
stops them. After every step, whatever the story, the calls keep the promises of docs/api.md,
docs/errors.md and DataArts' schedule (``support/schedule_model.py`` says them):

- a save whose schedule (or a node's cron or event trigger) breaks a rule — a type DataArts
  lacks, an EVENT without its event, a Quartz expression DataArts refuses (five fields,
  seconds not 0, a value out of range, ``?`` in both day fields or in neither while both are
  restricted, a year past 2099, not text), no start time, a time not an ISO-8601 date-time
  (a date alone, a week date), an end not after the start (a time without an offset read in
  the expression's zone), a zone no time zone has (``GMT+15``, an IANA name in another
  case), an event type other than DIS, KAFKA or OBS, no channel, a concurrency outside
  1–128 — is refused with DLF.3025 naming the job and every field at fault, and changes
  nothing (no audit entry);
- a save kept stores the schedule and the nodes exactly as sent: the development state, and
  a submitted version when it submits (``targetStatus`` SUBMITTED or none), each shown back
  by its number and listed newest first; one audit entry, ``job.create`` or ``job.update``;
- a CRON schedule without a cron block is saved, and starting such a submitted version is
  refused with DLF.3025 naming the field, its fix apart (submit again), as is submitting such
  a version to a job that is scheduled (its fix: give the expression, save the development
  state only, or stop the job first); a job never submitted
  is not started (DLF.3051), a job not there is not found (DLF.0100); a start or stop kept
  writes ``job.start`` / ``job.stop`` and the job reads ``NORMAL`` while scheduled, else
  ``STOPPED``.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import event, example, given, note

from jobferry.domain.enums import JobStatus, ObjectKind
from jobferry.domain.remedies import Remedy
from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.audits import entries_since, last_entry
from support.console import admin_scope
from support.import_stories import generated
from support.schedule_model import SCHEDULE_INVALID, Model
from support.schedule_stories import (
    Step,
    a_cron_without_expression_started,
    a_cron_without_expression_submitted_while_scheduled,
    a_node_event_trigger_of_no_known_type,
    naive_times_in_a_zone,
    schedule_stories,
)

pytestmark = pytest.mark.fuzz
GENERATED = generated(8)
"""Stories a test tells on each database (JOBFERRY_FUZZ_EXAMPLES=150 and a
``--hypothesis-seed`` for a longer run)."""
_SERIAL = itertools.count()


def _take(services: Services, scope: Scope, model: Model, step: Step) -> Any:
    """Take ``step`` through the services and the model; what the model predicts (None: kept)
    and what was answered (the refusal, or None)."""
    name, *args = step.args
    jobs = services.jobs
    if step.act == "save":
        document, submit = args
        existed = name in model.jobs
        predicted: Any = model.save(document, submit != "SAVED")
        body = {**document, **({"targetStatus": submit} if submit else {})}
        try:
            if existed:
                jobs.update(scope, name, body)
            else:
                jobs.create(scope, body)
        except JobferryError as exc:
            return predicted, exc
        return predicted, None
    if step.act == "show":
        model.audit = []
        return None, None
    predicted = model.start(name) if step.act == "start" else model.stop(name)
    try:
        (jobs.start if step.act == "start" else jobs.stop)(scope, name)
    except JobferryError as exc:
        return predicted, exc
    return predicted, None


def _check_refusal(step: Step, predicted: Any, refused: JobferryError | None) -> None:
    """A refused step is refused as the model says: a save naming every field at fault, a
    start of a schedule that cannot run naming the field and its fix."""
    assert refused is not None, (step, predicted)
    note(f"refused: {refused.message}")
    name = step.args[0]
    if isinstance(predicted, set):
        assert refused.code == SCHEDULE_INVALID, (step, refused.message)
        assert f"'{name}'" in refused.message
        fields = {d["field"] for d in refused.context["details"]}
        assert fields == predicted, step
        assert all(
            d["message"] and d["code"] == SCHEDULE_INVALID for d in refused.context["details"]
        )
        return
    assert refused.code == predicted, (step, refused.message)
    if predicted == SCHEDULE_INVALID:
        assert f"'{name}'" in refused.problem
        assert "schedule.cron.expression" in refused.problem
        saved = step.act == "save"  # a submit to a scheduled job; else a start
        assert refused.remedy == (Remedy.SCHEDULABLE_VERSION if saved else Remedy.SUBMIT_JOB)
        assert refused.message != refused.problem  # the fix, said apart


def _check_jobs(services: Services, scope: Scope, model: Model) -> None:
    """Every job shows what the model holds: its development state, each submitted version,
    its versions listed newest first, its scheduling status."""
    for name, held in model.jobs.items():
        shown = services.jobs.show(scope, name).document
        for key in ("schedule", "nodes", "processType"):
            assert shown.get(key) == held.document.get(key), (name, key)
        numbers = [v.version for v in services.comparisons.versions(scope, ObjectKind.JOB, name)]
        assert numbers == list(range(len(held.versions), 0, -1)), name
        for number, version in enumerate(held.versions, 1):
            document = services.jobs.show(scope, name, version=number).document
            assert document["schedule"] == version["schedule"], (name, number)
            assert document["nodes"] == version["nodes"], (name, number)
        status = services.jobs.status(scope, name).status
        assert status is (JobStatus.NORMAL if held.scheduled else JobStatus.STOPPED), name
    for kind in ("BATCH", "REAL_TIME"):
        _, listed = services.jobs.list_jobs(
            scope, job_type=kind, job_name=None, tags=None, limit=100, offset=0
        )
        held = [n for n, job in model.jobs.items() if job.document["processType"] == kind]
        assert sorted(job.name for job in listed) == sorted(held), kind


@GENERATED
@given(story=schedule_stories())
@example(story=a_cron_without_expression_started())
@example(story=a_cron_without_expression_submitted_while_scheduled())
@example(story=a_node_event_trigger_of_no_known_type())
@example(story=naive_times_in_a_zone())
def test_schedules_keep_their_promises(services: Services, story: tuple[Step, ...]) -> None:
    note(repr(story))
    boss = admin_scope(services)
    workspace = services.accounts.create_workspace(
        boss.actor, boss.actor.project_id, f"sched{next(_SERIAL)}"
    )
    scope = admin_scope(services, workspace)
    model = Model(scope.actor.name)
    for step in story:
        before = last_entry(services)
        predicted, refused = _take(services, scope, model, step)
        event(f"{step.act}: {'refused' if predicted else 'taken'}")
        if predicted:
            _check_refusal(step, predicted, refused)
        else:
            assert refused is None, (step, refused.message if refused else None)
        assert entries_since(services, before) == model.audit, step
        _check_jobs(services, scope, model)
