"""The kept plan as typed values (``services.importing.plan``): a record's line carries what its
action needs and nothing else, the counts stand apart from the problems, and a plan and its
lines come back from their stored form equal to what was kept (an earlier version's wire form
is refused, not misread)."""

from __future__ import annotations

import marshal
from array import array
from typing import Any

import orjson
import pytest

from jobferry.domain.enums import ObjectKind, PlanAction, ProblemReason, SameNamePolicy, SkipReason
from jobferry.package.signature import SignatureCheck
from jobferry.services.importing.model import NotApplied, PlanOutcome, Problem, Record
from jobferry.services.importing.plan import (
    Plan,
    PlanLine,
    PlanSummary,
    RemoteRead,
    SkipNote,
    UnreadablePlanError,
    UsedProfile,
)
from jobferry.services.importing.policy import PolicyChoice

MISSING = Problem(
    ProblemReason.MISSING_REFERENCE,
    "job",
    "daily_sales",
    "job 'daily_sales' references connection 'dws_conn', which does not exist",
    "register it",
    ("connection", "dws_conn"),
    used_by=(("job", "daily_sales"), ("job", "hourly_sales")),
    used_by_total=40,
)
DIFF = [{"path": "description", "op": "added", "after": "x", "origin": "source"}]


def record(action: PlanAction, **fields: Any) -> Record:
    base: dict[str, Any] = {
        "kind": "job",
        "name": "daily_sales",
        "path": "jobs/daily_sales.job",
        "action": str(action),
        "text": None,
        "columns": None,
        "target": None,
        "refs": None,
        "problems": [],
        "diff": None,
        "schedule": None,
    }
    return Record(**{**base, **fields})


def test_a_rename_line_carries_its_old_name_diff_pause_and_schedule() -> None:
    moves = orjson.dumps([{"field": "cron", "mode": "shift"}])
    renamed = PlanLine.of(
        record(
            PlanAction.RENAME,
            diff=orjson.dumps(DIFF),
            previous_name="old",
            pause=True,
            schedule=moves,
        ),
        [],
    )
    assert (renamed.kind, renamed.action) == (ObjectKind.JOB, PlanAction.RENAME)
    assert (renamed.previous_name, renamed.target_name) == ("old", "old")
    assert renamed.diff == tuple(DIFF)
    assert renamed.pause is True
    assert renamed.schedule == ({"field": "cron", "mode": "shift"},)
    assert renamed.skip is None
    assert renamed.drift is False


def test_a_skip_line_says_why_and_carries_nothing_of_a_write() -> None:
    skipped = PlanLine.of(record(PlanAction.SKIP, diff=orjson.dumps(DIFF), pause=True), [])
    assert skipped.skip == SkipNote.of(SkipReason.SAME_NAME_POLICY, "job", "daily_sales")
    assert (skipped.previous_name, skipped.diff, skipped.pause, skipped.schedule) == (
        None,
        None,
        False,
        None,
    )
    drifted = PlanLine.of(record(PlanAction.SKIP, skip="KEPT_DRIFT", drift=b"[]"), [])
    assert drifted.skip is not None
    assert drifted.skip.reason is SkipReason.KEPT_DRIFT
    assert drifted.drift is True
    assert drifted.drift_diff == ()
    assert "onDrift TAKE_PACKAGE" in drifted.skip.fix


def test_a_skip_line_names_the_object_as_the_target_holds_it_when_the_package_renamed_it() -> None:
    skipped = PlanLine.of(record(PlanAction.SKIP, skip="KEPT_DRIFT", previous_name="old"), [])
    assert (skipped.previous_name, skipped.target_name) == ("old", "old")
    assert skipped.skip is not None
    assert skipped.skip.detail.startswith("job 'old' (the package's 'daily_sales') changed in")
    assert PlanLine.of_stored(orjson.loads(orjson.dumps(skipped.stored()))) == skipped
    same = PlanLine.of(record(PlanAction.SKIP, previous_name="daily_sales"), [])
    assert same.previous_name is None
    assert same.skip == SkipNote.of(SkipReason.SAME_NAME_POLICY, "job", "daily_sales")


def test_a_skip_line_kept_before_skips_named_the_target_s_object_still_reads() -> None:
    reason = ["KEPT_DRIFT", "job 'jd' changed in the target since the last import", "fix"]
    older = ["job", "jd", "SKIP", "jobs/jd.job", None, None, [], reason, False, None, [], None]
    line = PlanLine.of_stored(older)
    assert (line.action, line.previous_name, line.target_name) == (
        PlanAction.SKIP,
        None,
        "jd",
    )


def test_another_user_s_lock_is_said_on_the_lines_that_change_the_object_only() -> None:
    for action in (PlanAction.OVERWRITE, PlanAction.RENAME, PlanAction.DELETE):
        assert PlanLine.of(record(action, locked_by="dana"), []).locked_by == "dana"
    for action in (PlanAction.CREATE, PlanAction.SKIP, PlanAction.UNCHANGED):
        assert PlanLine.of(record(action, locked_by="dana"), []).locked_by is None
    older = ["job", "jd", "OVERWRITE", "jobs/jd.job", None, [], None, None, False, None, [], None]
    assert PlanLine.of_stored(older).locked_by is None  # kept before lines said a lock


def test_a_scheduled_job_the_import_deletes_is_listed_as_paused_first() -> None:
    deleted = PlanLine.of(record(PlanAction.DELETE, pause=True), [])
    assert (deleted.action, deleted.pause) == (PlanAction.DELETE, True)
    assert PlanLine.of(record(PlanAction.UNCHANGED, pause=True), []).pause is False


def test_an_overwrite_without_field_changes_has_an_empty_diff() -> None:
    assert PlanLine.of(record(PlanAction.OVERWRITE), []).diff == ()
    assert PlanLine.of(record(PlanAction.CREATE, diff=orjson.dumps(DIFF)), []).diff is None


def test_problems_found_late_follow_the_line_s_own() -> None:
    cycle = Problem(ProblemReason.DEPENDENCY_CYCLE, "job", "daily_sales", "a cycle", "break it")
    line = PlanLine.of(
        record(PlanAction.CREATE, problems=[MISSING.packed()]), [marshal.dumps(cycle.packed())]
    )
    assert [p.reason for p in line.problems] == [
        ProblemReason.MISSING_REFERENCE,
        ProblemReason.DEPENDENCY_CYCLE,
    ]


def test_a_line_comes_back_from_storage_equal() -> None:
    line = PlanLine(
        ObjectKind.JOB,
        "daily_sales",
        PlanAction.RENAME,
        "jobs/daily_sales.job",
        previous_name="old",
        diff=tuple(DIFF),
        drift_diff=({"path": "x", "op": "changed"},),
        pause=True,
        schedule=({"field": "cron"},),
        problems=(MISSING,),
        remote_read=RemoteRead(None),
        locked_by="dana",
    )
    stored = orjson.loads(orjson.dumps(line.stored()))
    assert PlanLine.of_stored(stored) == line
    skipped = PlanLine(
        ObjectKind.SCRIPT,
        "s",
        PlanAction.SKIP,
        "scripts/s.script",
        skip=SkipNote.of(SkipReason.FIRST_IMPORT, "script", "s"),
        remote_read=RemoteRead("ab" * 32),
    )
    assert PlanLine.of_stored(orjson.loads(orjson.dumps(skipped.stored()))) == skipped


def test_a_line_kept_by_an_earlier_version_is_refused_not_misread() -> None:
    wire = {"kind": "job", "name": "a", "action": "CREATE", "path": "jobs/a.job"}
    with pytest.raises(UnreadablePlanError):
        PlanLine.of_stored(wire)


def test_the_summary_counts_actions_apart_from_problems() -> None:
    counts = {str(a): 0 for a in PlanAction} | {"CREATE": 3, "UNCHANGED": 2, "DELETE": 1}
    summary = PlanSummary.of(counts, problems=7)
    assert list(summary.by_action()) == [
        (PlanAction.CREATE, 3),
        (PlanAction.OVERWRITE, 0),
        (PlanAction.SKIP, 0),
        (PlanAction.UNCHANGED, 2),
        (PlanAction.RENAME, 0),
        (PlanAction.DELETE, 1),
    ]
    assert summary.problems == 7
    assert sum(n for _, n in summary.by_action()) == 6  # the problems are not an action
    assert summary.describe() == "3 to create, 0 to overwrite, 0 skipped, 2 unchanged"


def kept_plan() -> Plan:
    counts = {str(a): 0 for a in PlanAction} | {"CREATE": 1, "SKIP": 1}
    outcome = PlanOutcome(
        "fp",
        counts,
        [MISSING],
        1500,
        array("l", [1, 2, 3]),
        signature=SignatureCheck("valid", "ed25519:abc", "signed by ops"),
        policy=PolicyChoice(SameNamePolicy.AUTO, SameNamePolicy.SKIP, "first import"),
        not_applied=[NotApplied("job", "gone", "deleted", "propagateDeletes", "import with it")],
        not_applied_total=3,
    )
    lines = (PlanLine(ObjectKind.JOB, "a", PlanAction.CREATE, "jobs/a.job"),)
    plan = Plan.of(outcome, "p1", "sha", lines, {"remote": "far", "refreshedAt": 5})
    return plan


def test_a_plan_takes_its_head_from_the_planner_s_outcome() -> None:
    plan = kept_plan()
    assert (plan.plan_id, plan.package_sha256, plan.fingerprint) == ("p1", "sha", "fp")
    assert (plan.summary.create, plan.summary.skip, plan.summary.problems) == (1, 1, 1500)
    assert plan.problems == (MISSING,)
    assert (plan.lines_total, len(plan.lines)) == (3, 1)
    assert plan.not_applied_total == 3


def test_a_plan_comes_back_from_storage_equal_with_or_without_its_lines() -> None:
    plan = kept_plan()
    plan = Plan(**{**plan.__dict__, "profile": UsedProfile(None, None)})
    assert Plan.of_stored(orjson.loads(orjson.dumps(plan.stored()))) == plan
    head = orjson.loads(orjson.dumps(plan.stored(with_lines=False)))
    assert head["lines"] == []
    assert Plan.of_stored(head, plan.lines) == plan
    assert Plan.of_stored(head).lines == ()


def test_a_plan_kept_in_an_earlier_version_s_wire_form_is_refused() -> None:
    with pytest.raises(UnreadablePlanError):
        Plan.of_stored({"planId": "p1", "summary": {"CREATE": 1, "problems": 0}})


def test_a_problem_s_action_and_rule_come_back_from_storage() -> None:
    """A plan read back (the API's plan, the console's and the CLI's, a promotion's) said a
    deletion's problem without ``action`` and a policy's without ``rule``, so a client told the
    fix of another problem: storage kept neither."""
    deleting = Problem(
        ProblemReason.SCHEDULED, "job", "a", "scheduled", "stop it", action=PlanAction.DELETE
    )
    again = Problem(
        ProblemReason.OLDER_PACKAGE, "job", "b", "deleted", "keep", action=PlanAction.CREATE
    )
    ruled = Problem(ProblemReason.POLICY, "job", "c", "too many", "split", rule="maxDeletions")
    line = PlanLine(
        ObjectKind.JOB,
        "a",
        PlanAction.DELETE,
        "jobs/a.job",
        problems=(deleting, again, ruled),
    )
    back = PlanLine.of_stored(orjson.loads(orjson.dumps(line.stored())))
    assert back == line
    assert [p.as_json().get("action") for p in back.problems] == ["DELETE", "CREATE", None]
    assert back.problems[2].as_json()["rule"] == "maxDeletions"
    earlier = line.stored()
    earlier[10] = [p[:8] for p in earlier[10]]  # kept before actions and rules were
    assert PlanLine.of_stored(earlier).problems[0] == Problem(
        ProblemReason.SCHEDULED, "job", "a", "scheduled", "stop it"
    )


def test_what_a_missing_object_is_comes_back_from_storage() -> None:
    """A kept plan read back still says what the package says its missing connection is, so
    the fix shown again registers one of that type with those secrets."""
    needs = Problem(
        ProblemReason.MISSING_REFERENCE,
        "connection",
        "dws_conn",
        "missing",
        "register it",
        ("connection", "dws_conn"),
        needs=("DWS", ("password",)),
    )
    line = PlanLine(ObjectKind.JOB, "a", PlanAction.CREATE, "jobs/a.job", problems=(needs,))
    back = PlanLine.of_stored(orjson.loads(orjson.dumps(line.stored())))
    assert back.problems == (needs,)
