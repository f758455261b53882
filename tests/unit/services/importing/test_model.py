"""The plan's values (``services.importing.model``): problems and records survive the working
set's packing, problems found late follow an object's own, the outcome's counts in words, and a
planned object derives its text and references again once changed."""

from __future__ import annotations

import marshal
from array import array
from typing import Any

import orjson

from jobferry.domain.enums import ObjectKind, PlanAction, ProblemReason
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
