"""What the working set keeps of each planned object (``services.importing.recording``): a
record carries what apply writes only for an object it writes, the target's definition only
when the import replaces it, the diff of an overwrite, the package's text once when the ledger
needs it, a relink for an unchanged object whose ledger row is missing or out of date; and only
new objects without problems are written ahead of the plan."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import orjson

from jobferry.domain.diff import Change
from jobferry.domain.enums import ObjectKind, PlanAction, ProblemReason
from jobferry.services.definitions.documents import dump
from jobferry.services.importing.model import PlannedObject, Problem, Record
from jobferry.services.importing.recording import record_of, writes_ahead
from jobferry.storage.importing.ledger import LedgerRow
from jobferry.storage.importing.target import TargetObject
from support.builders import make_job

INVALID = Problem(ProblemReason.INVALID_DEFINITION, "job", "daily_sales", "bad", "fix it")


def planned(action: PlanAction = PlanAction.CREATE, **fields: Any) -> PlannedObject:
    """daily_sales as a package holds it, planned as ``action``."""
    job = make_job("daily_sales")
    return PlannedObject(ObjectKind.JOB, "daily_sales", "jobs/daily_sales.job", job,
                         action=action, **fields)  # fmt: skip


def held(document: dict[str, Any], status: str = "STOPPED") -> TargetObject:
    """The target's object of that name, holding ``document``."""
    return TargetObject("7", "daily_sales", dump(document), status, 3, 0, "target-uid")


def ledger_row(written: str, target_uid: str = "target-uid") -> LedgerRow:
    """What the last import from ws-src wrote as daily_sales."""
    sha = hashlib.sha256(written.encode()).hexdigest()
    return LedgerRow("ws-src", "job", "src-1", target_uid, "daily_sales", sha, written,
                     written, "task-0", 1)  # fmt: skip


def test_a_new_object_s_record_carries_what_apply_writes_and_no_target() -> None:
    item = planned()

    record = record_of(item, [])

    assert (record.kind, record.name, record.action) == ("job", "daily_sales", "CREATE")
    assert record.text == item.text
    assert record.columns == item.columns
    assert record.refs is not None
    assert ("script", "daily_sales_sql", "") in record.refs
    assert (record.target, record.target_uid, record.diff) == (None, None, None)
    assert record.problems == []
    assert record.raw is None  # no stable identifier: nothing for the ledger
    assert Record.unpacked(record.packed()) == record


def test_an_overwrite_keeps_the_target_s_definition_and_the_diff() -> None:
    before = make_job("daily_sales", description="in the target")
    item = planned(PlanAction.OVERWRITE, target=held(before))
    item.changes = [Change("description", "changed", "in the target", None)]

    record = record_of(item, [INVALID])

    assert record.target == ("7", 3, "STOPPED", dump(before))
    assert record.target_uid == "target-uid"
    assert record.diff is not None
    [line] = orjson.loads(record.diff)
    assert (line["path"], line["before"]) == ("description", "in the target")
    assert record.problems == [INVALID.packed()]


def test_an_object_left_as_it_is_carries_nothing_to_write_nor_the_target_s_text() -> None:
    item = planned(PlanAction.UNCHANGED, target=held(make_job("daily_sales")))

    record = record_of(item, [])

    assert (record.text, record.columns, record.refs, record.schedule) == (None,) * 4
    assert record.target == ("7", 3, "STOPPED", None)
    assert record.diff is None
    assert record.relink is False  # no identity: no ledger row to write


def test_the_package_s_text_is_kept_once_when_it_is_the_text_written() -> None:
    item = planned(uid="src-1")
    item.raw = item.text.encode().decode()  # equal, but another copy
    assert item.raw is not item.text
    assert record_of(item, []).raw is item.text  # marshal stores one object once

    transformed = planned(uid="src-1", raw=dump(make_job("daily_sales", owner="source_owner")))
    record = record_of(transformed, [])
    assert record.raw == transformed.raw
    assert record.raw != record.text


def test_an_unchanged_identified_object_is_relinked_only_when_its_ledger_row_is_stale() -> None:
    document = make_job("daily_sales")
    target = held(document)
    unknown = planned(PlanAction.UNCHANGED, target=target, uid="src-1", raw=dump(document))
    current = replace(unknown, ledger=ledger_row(target.document))
    elsewhere = replace(current, ledger=ledger_row(target.document, target_uid="other-uid"))
    edited = replace(current, ledger=ledger_row(dump(make_job("daily_sales", owner="x"))))

    assert record_of(unknown, []).relink is True  # no ledger row yet
    assert record_of(elsewhere, []).relink is True  # the row points at another object
    assert record_of(edited, []).relink is True  # the target changed since it was written
    # The source changed (a field the profile maps, or the target took the same change):
    # what landed is this package's version now.
    other = dump(make_job("daily_sales", owner="source_owner"))
    moved = replace(current, raw=other)
    assert record_of(moved, []).relink is True
    fresh = record_of(current, [])
    assert fresh.relink is False
    assert fresh.raw is None  # nothing of the package to keep for the ledger
    relinked = record_of(unknown, [])
    assert relinked.raw == unknown.raw
    assert relinked.target == ("7", 3, "STOPPED", target.document)  # the ledger records it
    # The row a relink replaces goes into its change record's undo (a rollback puts it back).
    assert relinked.ledger is None
    assert record_of(moved, []).ledger == tuple(current.ledger or ())
    assert fresh.ledger is None  # not relinked: nothing of the ledger to keep


def test_only_new_objects_without_problems_under_a_free_name_are_written_ahead() -> None:
    assert writes_ahead(planned(), []) is True
    assert writes_ahead(planned(), [INVALID]) is False
    assert writes_ahead(planned(holder="someone-else"), []) is False
    assert writes_ahead(planned(target=held(make_job("daily_sales"))), []) is False
    assert writes_ahead(planned(PlanAction.OVERWRITE, target=held({})), []) is False
    cdm = PlannedObject(ObjectKind.CDM_JOB, "sync", "cdm/sync.json", {"name": "sync"})
    assert writes_ahead(cdm, []) is False  # an environment object waits for the plan
