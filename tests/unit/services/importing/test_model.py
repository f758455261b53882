"""The plan's values (``services.importing.model``): problems and records survive the working
set's packing, problems found late follow an object's own, the outcome's counts in words, and a
planned object derives its text and references again once changed."""

from __future__ import annotations

import marshal
from array import array
from dataclasses import replace
from typing import Any

import orjson

from jobferry.domain.enums import ObjectKind, PlanAction, ProblemReason
from jobferry.services.importing import kept as kept_module
from jobferry.services.importing.model import (
    PlannedObject,
    PlanOutcome,
    Problem,
    Record,
    definition_violations,
)
from support.builders import make_job, make_script

MISSING = Problem(
    ProblemReason.MISSING_REFERENCE,
    "job",
    "daily_sales",
    "job 'daily_sales' node 'load' references connection 'dws_conn', which does not exist",
    "register it",
    ("connection", "dws_conn"),
)


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


def test_a_record_survives_packing_with_every_field() -> None:
    written = record(
        PlanAction.RENAME,
        text='{"name":"daily_sales"}',
        columns=("daily_sales", "/sales", "BATCH"),
        target=("7", 2, "STOPPED", '{"name":"old"}'),
        refs=[("script", "daily_sales_sql", "")],
        problems=[MISSING.packed()],
        diff=b"[]",
        previous_name="old",
        pause=True,
    )
    assert Record.unpacked(written.packed()) == written
    assert written.target_name() == "old"
    assert record(PlanAction.CREATE).target_name() == "daily_sales"


def test_problems_found_after_the_object_was_planned_follow_its_own() -> None:
    cycle = Problem(ProblemReason.DEPENDENCY_CYCLE, "job", "daily_sales", "a cycle", "break it")
    own = record(PlanAction.CREATE, problems=[MISSING.packed()])
    late = [marshal.dumps(cycle.packed())]
    assert own.all_problems(late) == [MISSING, cycle]


def test_the_outcome_names_renames_and_deletes_only_when_there_are_some() -> None:
    counts = {str(a): 0 for a in PlanAction} | {"CREATE": 3, "UNCHANGED": 2}
    plain = PlanOutcome("f", counts, [], 0, array("l"))
    assert plain.describe() == "3 to create, 0 to overwrite, 0 skipped, 2 unchanged"
    moved = PlanOutcome("f", counts | {"RENAME": 1, "DELETE": 4}, [], 0, array("l", [1, 2]))
    assert moved.describe() == (
        "3 to create, 0 to overwrite, 1 to rename, 4 to delete, 0 skipped, 2 unchanged"
    )
    assert moved.objects == 2


def test_a_planned_object_derives_its_text_and_references_again_once_changed() -> None:
    item = PlannedObject(ObjectKind.JOB, "daily_sales", "jobs/daily_sales.job", make_job())
    assert ("script", "daily_sales_sql") in {(str(r.kind), r.name) for r in item.distinct_refs}
    before = item.text
    item.document["nodes"][0]["properties"][0]["value"] = "other_sql"
    assert item.text == before  # derived once ...
    item.changed()
    assert item.text != before  # ... and again when told
    assert ("script", "other_sql") in {(str(r.kind), r.name) for r in item.distinct_refs}
    summary = '{"owner":"alice","priority":0}'
    assert item.columns == ("daily_sales", "/sales", "BATCH", summary)


def test_a_definition_given_as_text_is_parsed_only_when_its_document_is_asked_for() -> None:
    text = orjson.dumps(make_script()).decode()
    item = PlannedObject(ObjectKind.SCRIPT, "daily_sales_sql", "scripts/x.script", text)
    assert item.text == text
    assert isinstance(item.definition, str)
    assert item.document["connectionName"] == "dws_conn"


def test_rules_apply_per_kind() -> None:
    assert definition_violations("job", make_job(processType="SOMETIMES"), 200)
    assert definition_violations("job", make_job(), 200) == []
    assert definition_violations("script", make_script(type="NOPE"), 200)
    assert definition_violations("cdm_job", {"anything": 1}, 200) == []
