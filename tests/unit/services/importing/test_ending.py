"""How an apply ends (``services.importing.ending``): refused before it writes (a kept plan
made on another state of the target, problems that stop an ATOMIC import), or its task's
status, message and result from what it did."""

from __future__ import annotations

from array import array

import pytest

from jobferry.domain.enums import ImportMode, PlanAction, ProblemReason, TaskStatus
from jobferry.errors import InvalidRequestError, PlanStaleError
from jobferry.services.importing.ending import Outcome, ended, recount_versions, refuse_unfit
from jobferry.services.importing.model import PlanOutcome, Problem
from jobferry.storage.importing.plans import PlanRecord
from support.planning import overwriting

COUNTS = {str(a): 0 for a in PlanAction} | {"CREATE": 2, "DELETE": 1}
MISSING = Problem(ProblemReason.MISSING_REFERENCE, "job", "daily", "no dws_conn", "add it")


def plan(problems: list[Problem] | None = None, fingerprint: str = "f1") -> PlanOutcome:
    found = problems or []
    return PlanOutcome(fingerprint, COUNTS, found, len(found), array("l", [1, 2, 3]))


def kept(fingerprint: str) -> PlanRecord:
    return PlanRecord("plan-1", "ws", "sha", "req", fingerprint, "{}", "admin", 0)


def test_a_kept_plan_made_on_another_state_of_the_target_is_refused() -> None:
    refuse_unfit(kept("f1"), plan(), overwriting())  # the same state: goes ahead
    refuse_unfit(None, plan(), overwriting())  # no kept plan: nothing to compare
    with pytest.raises(PlanStaleError) as caught:
        refuse_unfit(kept("f0"), plan(), overwriting())
    assert caught.value.context["plan_id"] == "plan-1"
    assert (
        caught.value.problem
        == "The target changed since plan plan-1 was made; nothing was imported."
    )


def test_a_stale_plan_s_refusal_names_what_changed_in_the_target_since() -> None:
    # Another operator deleted a job of the target between the plan shown and the import.
    deleted = {"action": "job.delete", "kind": "job", "name": "daily", "by": "bob", "at": 60_000}
    asked: list[int] = []

    def since(at: int) -> tuple[int, list[dict[str, object]]]:
        asked.append(at)
        return 7, [deleted]

    with pytest.raises(PlanStaleError) as caught:
        refuse_unfit(kept("f0"), plan(), overwriting(), since)

    assert asked == [0]  # since the plan was made
    assert caught.value.problem == (
        "The target changed since plan plan-1 was made (job.delete of job 'daily' by bob at "
        "1970-01-01 00:01:00 UTC and 6 more); nothing was imported."
    )
    assert (caught.value.context["changed"], caught.value.context["changed_total"]) == (
        [deleted],
        7,
    )


def test_problems_stop_an_atomic_import_and_not_a_per_object_one() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        refuse_unfit(None, plan([MISSING]), overwriting(mode=ImportMode.ATOMIC))
    assert "no dws_conn" in caught.value.message
    assert caught.value.context["problems"][0]["name"] == "daily"
    refuse_unfit(None, plan([MISSING]), overwriting(mode=ImportMode.PER_OBJECT))


def test_the_task_s_end_says_what_the_apply_did() -> None:
    status, message, result = ended(Outcome(versions=1, written=2, deleted=1), plan(), "ab", "ann")
    assert status is TaskStatus.SUCCESSFUL
    assert message.startswith("Imported 2 object(s), deleted 1, 0 failed (2 to create")
    assert message.endswith("1 version(s) submitted.")
    assert (result["written"], result["versionsCreated"], result["packageSha256"]) == (2, 1, "ab")
    assert ended(Outcome(written=1, failed=1), plan(), "ab", "ann")[0] is TaskStatus.WARNING
    assert ended(Outcome(failed=1), plan(), "ab", "ann")[0] is TaskStatus.FAILED
    # a deletion is a change too: the import that made only deletions did something
    assert ended(Outcome(deleted=1, failed=1), plan(), "ab", "ann")[0] is TaskStatus.WARNING
    said = ended(Outcome(written=1, over_drift=1), plan(), "ab", "ann")[1]
    assert said.endswith("drift protection overridden by ann.")


def test_versions_taken_back_or_given_after_the_end_are_counted_again() -> None:
    _, message, result = ended(Outcome(versions=3, written=3, over_drift=1), plan(), "ab", "ann")
    said, counted = recount_versions(message, result, -2)
    assert "; 1 version(s) submitted." in said
    assert "3 version(s)" not in said
    assert said.endswith("drift protection overridden by ann.")
    assert counted["versionsCreated"] == 1
    assert counted["written"] == 3
    assert recount_versions(message, result, 0) == (message, result)
    assert recount_versions(message, result, 1)[1]["versionsCreated"] == 4
