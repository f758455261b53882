"""A plan's problem (``services.importing.problem``): it survives a record's packing, a kept
plan's file and its older forms, and says on the wire what was missing, which action it is of,
the rule it breaks and what the package says a missing object is."""

from __future__ import annotations

import marshal
from dataclasses import replace

import orjson

from jobferry.domain.enums import PlanAction, ProblemReason
from jobferry.services.importing import kept as kept_module
from jobferry.services.importing.problem import Problem, creation_fix

MISSING = Problem(
    ProblemReason.MISSING_REFERENCE,
    "job",
    "daily_sales",
    "job 'daily_sales' node 'load' references connection 'dws_conn', which does not exist",
    "register it",
    ("connection", "dws_conn"),
)


def test_a_problem_survives_packing_and_names_what_was_missing_on_the_wire() -> None:
    assert Problem.unpacked(MISSING.packed()) == MISSING
    assert MISSING.as_json()["reference"] == {"kind": "connection", "name": "dws_conn"}
    plain = Problem(ProblemReason.SCHEDULED, "job", "a", "scheduled", "stop it")
    assert "reference" not in plain.as_json()
    assert Problem.unpacked(plain.packed()) == plain


def test_a_deletion_s_problem_and_a_policy_s_rule_survive_packing_and_its_older_forms() -> None:
    deleting = Problem(
        ProblemReason.SCHEDULED, "job", "a", "scheduled", "keep it", action=PlanAction.DELETE
    )
    ruled = Problem(ProblemReason.POLICY, "job", "b", "breaks", "rename it", rule="naming")
    both = Problem(
        ProblemReason.POLICY, "job", "c", "breaks", "keep it", action=PlanAction.DELETE, rule="x"
    )
    for problem in (deleting, ruled, both):
        assert Problem.unpacked(problem.packed()) == problem
        assert Problem.unpacked(list(marshal.loads(marshal.dumps(problem.packed())))) == problem
    assert ruled.as_json()["rule"] == "naming"
    assert "rule" not in deleting.as_json()
    older = ("policy", "job", "b", "breaks", "rename it", None)  # packed before rules were kept
    assert Problem.unpacked(older) == replace(ruled, rule=None)
    marked = ("scheduled", "job", "a", "scheduled", "keep it", None, True)  # before actions
    assert Problem.unpacked(marked) == deleting
    again = Problem(ProblemReason.OLDER_PACKAGE, "job", "b", "d", "f", action=PlanAction.CREATE)
    assert Problem.unpacked(again.packed()) == again
    assert again.as_json()["action"] == "CREATE"


def test_a_kept_plan_s_problems_read_back_whole_a_deletion_s_too() -> None:
    for problem in (
        replace(MISSING, used_by=(("job", "a"), ("job", "b")), used_by_total=3),
        Problem(
            ProblemReason.SCHEDULED, "job", "a", "scheduled", "keep it", action=PlanAction.DELETE
        ),
        Problem(ProblemReason.POLICY, "job", "b", "breaks", "rename it", rule="naming"),
    ):
        stored = orjson.loads(orjson.dumps(kept_module._problem(problem)))
        assert kept_module._unproblem(stored) == problem


def test_what_a_missing_object_is_survives_packing_and_kept_plans() -> None:
    """What the manifest says a missing connection is (its type and secret names) is on the
    wire as ``needs`` and comes back from a record, a kept plan's file and a kept plan."""
    needs = replace(MISSING, needs=("DWS", ("password", "user")))
    assert needs.as_json()["needs"] == {"type": "DWS", "secrets": ["password", "user"]}
    assert "needs" not in MISSING.as_json()
    untyped = replace(MISSING, needs=(None, ("password",)))
    assert untyped.as_json()["needs"] == {"secrets": ["password"]}
    for problem in (needs, untyped, replace(needs, action=PlanAction.CREATE, rule="x")):
        assert Problem.unpacked(problem.packed()) == problem
        assert Problem.unpacked(list(marshal.loads(marshal.dumps(problem.packed())))) == problem
        stored = orjson.loads(orjson.dumps(kept_module._problem(problem)))
        assert kept_module._unproblem(stored) == problem
    assert len(MISSING.packed()) == 6  # nothing more packed when nothing more is said


def test_a_missing_object_is_made_with_the_package_or_where_the_target_s_come_from() -> None:
    plain = creation_fix("script", "x", "prod", None)
    assert plain == "add script 'x' to the package (export with exportDepend) or create it"
    assert creation_fix("script", "x", "prod", "prod") == plain
    # a production side's objects come from its development workspace, by a release
    assert creation_fix("cdm_job", "c", "dev (production)", "dev") == (
        "add cdm_job 'c' to the package (export with exportDepend) or create it in 'dev'"
    )
    released = creation_fix("job", "j", "dev (production)", "dev")
    assert "package its pending item too" in released
    assert "or create it in 'dev' and release it first" in released
    assert "before its switch to enterprise mode has no pending item" in released
    assert released.endswith("import it into 'dev' as released (targetStatus PRODUCTION)")
