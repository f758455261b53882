"""Import plans on the wire (``api/presenters/plans.py``): the presenters say the typed plan in
the camelCase the plan call has always answered, key for key and in the same order, and a dry
run's stored plan comes out the same."""

from __future__ import annotations

from array import array

from jobferry.api.presenters.plans import (
    line_document,
    plan_document,
    plan_page_document,
    stored_plan_document,
    summary_document,
)
from jobferry.domain.enums import ObjectKind, PlanAction, ProblemReason, SameNamePolicy, SkipReason
from jobferry.package.signature import SignatureCheck
from jobferry.services.importing.model import NotApplied, PlanOutcome, Problem
from jobferry.services.importing.plan import (
    Plan,
    PlanLine,
    PlanSummary,
    RemoteRead,
    SkipNote,
    UsedProfile,
)
from jobferry.services.importing.plans import PlanPage
from jobferry.services.importing.policy import PolicyChoice

PROBLEM = Problem(ProblemReason.SCHEDULED, "job", "a", "job 'a' is scheduled", "stop it")


def test_a_line_says_only_what_its_action_needs_in_order() -> None:
    created = PlanLine(ObjectKind.JOB, "a", PlanAction.CREATE, "jobs/a.job")
    assert list(line_document(created).items()) == [
        ("kind", "job"),
        ("name", "a"),
        ("action", "CREATE"),
        ("path", "jobs/a.job"),
    ]
    renamed = PlanLine(
        ObjectKind.JOB,
        "a",
        PlanAction.RENAME,
        "jobs/a.job",
        previous_name="old",
        diff=({"path": "x", "op": "added"},),
        drift_diff=(),
        pause=True,
        schedule=({"field": "cron"},),
        problems=(PROBLEM,),
        remote_read=RemoteRead(None),
        locked_by="dana",
    )
    doc = line_document(renamed)
    assert list(doc) == [
        "kind",
        "name",
        "action",
        "path",
        "previousName",
        "diff",
        "drift",
        "driftDiff",
        "pause",
        "schedule",
        "problems",
        "remoteRead",
        "lockedBy",
    ]
    assert (doc["drift"], doc["driftDiff"], doc["remoteRead"]) == (True, [], None)
    assert doc["lockedBy"] == "dana"
    assert doc["problems"] == [PROBLEM.as_json()]
    skipped = PlanLine(
        ObjectKind.JOB,
        "a",
        PlanAction.SKIP,
        "jobs/a.job",
        skip=SkipNote.of(SkipReason.KEPT_DRIFT, "job", "a"),
    )
    reason = line_document(skipped)["reason"]
    assert list(reason) == ["code", "detail", "fix"]
    assert reason["code"] == "KEPT_DRIFT"


def test_the_summary_lists_every_action_then_the_problems() -> None:
    summary = PlanSummary(create=2, unchanged=1, problems=4)
    assert summary_document(summary) == {
        "CREATE": 2,
        "OVERWRITE": 0,
        "SKIP": 0,
        "UNCHANGED": 1,
        "RENAME": 0,
        "DELETE": 0,
        "problems": 4,
    }


def _plan(problems_total: int, not_applied_total: int) -> Plan:
    counts = {str(a): 0 for a in PlanAction} | {"CREATE": 1}
    outcome = PlanOutcome(
        "fp",
        counts,
        [PROBLEM],
        problems_total,
        array("l", [1, 2]),
        signature=SignatureCheck("unsigned", None, "not signed"),
        policy=PolicyChoice(SameNamePolicy.AUTO, SameNamePolicy.OVERWRITE, "repeated"),
        not_applied=[NotApplied("job", "gone", "deleted there", "propagateDeletes", "fix")],
        not_applied_total=not_applied_total,
    )
    lines = (PlanLine(ObjectKind.JOB, "a", PlanAction.CREATE, "jobs/a.job"),)
    plan = Plan.of(outcome, "p1", "sha", lines, None)
    return Plan(**{**plan.__dict__, "profile": UsedProfile(None, None)})


def test_a_plan_s_head_comes_in_the_order_the_plan_call_answers_it() -> None:
    doc = plan_document(_plan(problems_total=5, not_applied_total=3))
    assert list(doc) == [
        "planId",
        "packageSha256",
        "fingerprint",
        "summary",
        "problems",
        "problemsShown",
        "signature",
        "profile",
        "sameNamePolicy",
        "deletionsNotApplied",
        "deletionsNotAppliedTotal",
        "objects",
        "objectsTotal",
    ]
    assert doc["profile"] == {"name": "(inline)", "version": None}
    assert doc["sameNamePolicy"] == {"asked": "AUTO", "applied": "OVERWRITE", "reason": "repeated"}
    assert doc["deletionsNotApplied"] == [
        {
            "kind": "job",
            "name": "gone",
            "reason": "deleted there",
            "option": "propagateDeletes",
            "fix": "fix",
        }
    ]
    assert (doc["problemsShown"], doc["objectsTotal"]) == (1, 2)
    whole = plan_document(_plan(problems_total=1, not_applied_total=1))
    assert "problemsShown" not in whole
    assert "deletionsNotAppliedTotal" not in whole
    assert "remoteState" not in whole


def test_a_dry_run_s_stored_plan_comes_out_as_the_plan_call_says_it() -> None:
    plan = _plan(problems_total=1, not_applied_total=1)
    assert stored_plan_document(plan.stored()) == plan_document(plan)
    earlier = {"planId": "p0", "summary": {"CREATE": 1, "problems": 0}}
    assert stored_plan_document(earlier) == earlier  # kept by an earlier version: as it was


def test_a_page_names_its_plan_and_total() -> None:
    line = PlanLine(ObjectKind.SCRIPT, "s", PlanAction.UNCHANGED, "scripts/s.script")
    assert plan_page_document(PlanPage("p1", 9, (line,))) == {
        "planId": "p1",
        "total": 9,
        "objects": [line_document(line)],
    }


def test_the_jobs_a_rename_rewrites_are_listed_only_when_there_are_some() -> None:
    plan = _plan(problems_total=1, not_applied_total=1)
    assert "referencesRewritten" not in plan_document(plan)
    rewriting = Plan(**{**plan.__dict__, "rewrites": ("own_job",), "rewrites_total": 3})
    doc = plan_document(rewriting)
    assert doc["referencesRewritten"] == [{"kind": "job", "name": "own_job"}]
    assert doc["referencesRewrittenTotal"] == 3
    assert list(doc)[-4:] == [
        "referencesRewritten",
        "referencesRewrittenTotal",
        "objects",
        "objectsTotal",
    ]
    assert stored_plan_document(rewriting.stored()) == doc


def test_a_job_a_rename_rewrites_over_another_user_s_lock_says_whose() -> None:
    plan = _plan(problems_total=1, not_applied_total=1)
    locked = (("own_job", "dana"),)
    rewriting = Plan(
        **{
            **plan.__dict__,
            "rewrites": ("own_job", "another_job"),
            "rewrites_total": 2,
            "rewrites_locked": locked,
        }
    )
    doc = plan_document(rewriting)
    assert doc["referencesRewritten"] == [
        {"kind": "job", "name": "own_job", "lockedBy": "dana"},
        {"kind": "job", "name": "another_job"},
    ]
    assert stored_plan_document(rewriting.stored()) == doc
    earlier = {k: v for k, v in rewriting.stored().items() if k != "rewrites_locked"}
    assert Plan.of_stored(earlier).rewrites_locked == ()  # kept before plans said it


def test_the_jobs_whose_description_a_remote_will_not_get_are_listed_only_when_there_are_some() -> (
    None
):
    plan = _plan(problems_total=1, not_applied_total=1)
    assert "descriptionsNotSent" not in plan_document(plan)
    unsent = Plan(**{**plan.__dict__, "unsent": ("daily_sales",), "unsent_total": 2})
    doc = plan_document(unsent)
    assert doc["descriptionsNotSent"] == [{"kind": "job", "name": "daily_sales"}]
    assert doc["descriptionsNotSentTotal"] == 2
    assert stored_plan_document(unsent.stored()) == doc
    earlier = {k: v for k, v in plan.stored().items() if not k.startswith("unsent")}
    assert Plan.of_stored(earlier).unsent == ()  # kept before plans said it
