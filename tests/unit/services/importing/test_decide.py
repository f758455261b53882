"""Deciding one matched object (``services.importing.decide``), without a database: CREATE,
UNCHANGED, SKIP, OVERWRITE and RENAME against the target's definition, target-owned fields kept,
and drift (a change made in the target since the last import wrote the object) under each
``onDrift`` policy, with where each change of the diff comes from."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

from jobferry.domain.enums import DriftPolicy, ObjectKind, PlanAction, SameNamePolicy, SkipReason
from jobferry.domain.fieldpaths import FieldPath, parse_field_path
from jobferry.services.definitions.documents import dump
from jobferry.services.importing.decide import change_lines, decide, drift_lines
from jobferry.services.importing.model import PlannedObject
from jobferry.services.importing.policy import PolicyChoice
from jobferry.services.importing.request import ImportRequest
from jobferry.storage.importing.ledger import LedgerRow
from jobferry.storage.importing.target import TargetObject
from support.builders import make_job

OVERWRITE = ImportRequest(path="upload://p", same_name_policy=SameNamePolicy.OVERWRITE)
EXPRESSION = (parse_field_path("schedule.cron.expression"),)


def decided(planned: PlannedObject, request: ImportRequest, owned: tuple[FieldPath, ...]) -> None:
    """Decide under the policy the request asks for (the planner settles AUTO first)."""
    asked = request.same_name_policy
    decide(planned, request, owned, PolicyChoice(asked, asked, f"sameNamePolicy {asked}"))


def item(document: dict[str, Any], **fields: Any) -> PlannedObject:
    return PlannedObject(ObjectKind.JOB, document["name"], "jobs/x.job", document, **fields)


def target(document: dict[str, Any], name: str | None = None) -> TargetObject:
    return TargetObject("7", name or document["name"], dump(document), "STOPPED", 1, 0, "uid-7")


def ledger(written: dict[str, Any], source: dict[str, Any] | None = None) -> LedgerRow:
    text = dump(written)
    sha = hashlib.sha256(text.encode()).hexdigest()
    return LedgerRow("ws-src", "job", "src-1", "uid-7", written["name"], sha, text,
                     dump(source or written), "task-1", 1)  # fmt: skip


def test_an_object_the_target_lacks_is_created() -> None:
    planned = item(make_job())
    decided(planned, OVERWRITE, ())
    assert planned.action is PlanAction.CREATE
    assert planned.changes == []


def test_the_same_definition_is_unchanged_even_with_server_fields_and_another_key_order() -> None:
    job = make_job()
    stored = {"id": 12, "createTime": 3, **dict(reversed(list(job.items())))}
    planned = item(make_job(), target=target(stored))
    decided(planned, OVERWRITE, ())
    assert planned.action is PlanAction.UNCHANGED


def test_a_changed_definition_is_skipped_under_skip_and_overwritten_with_its_diff_otherwise() -> (
    None
):
    skipped = item(make_job(description="new"), target=target(make_job()))
    decided(skipped, ImportRequest(path="upload://p", same_name_policy=SameNamePolicy.SKIP), ())
    assert skipped.action is PlanAction.SKIP
    assert skipped.skip is SkipReason.SAME_NAME_POLICY

    planned = item(make_job(description="new"), target=target(make_job()))
    decided(planned, OVERWRITE, ())
    assert planned.action is PlanAction.OVERWRITE
    assert [(c.path, c.op, c.after) for c in planned.changes] == [("description", "added", "new")]


def test_an_object_matched_under_another_name_is_renamed_even_when_nothing_else_differs() -> None:
    renamed = {**make_job("old_name"), "name": "new_name"}
    planned = item(renamed, target=target(make_job("old_name")))
    planned.previous_name = "old_name"
    decided(planned, OVERWRITE, ())
    assert planned.action is PlanAction.RENAME
    assert planned.changes == []  # the name itself is not a change of the diff


def test_target_owned_fields_keep_the_target_s_values_and_are_listed_as_kept() -> None:
    package = make_job()
    package["schedule"]["cron"]["expression"] = "0 0 1 * * ?"
    planned = item(package, target=target(make_job()))
    decided(planned, OVERWRITE, EXPRESSION)

    assert planned.action is PlanAction.UNCHANGED  # the only difference is the target's to make
    assert planned.document["schedule"]["cron"]["expression"] == "0 30 2 * * ?"
    assert planned.kept == [("schedule.cron.expression", "0 0 1 * * ?", "0 30 2 * * ?")]


def _drifted(policy: DriftPolicy, owned: tuple[Any, ...] = ()) -> PlannedObject:
    """The last import wrote make_job(); the target then changed its owner; the package now
    brings a new description."""
    in_target = make_job(basicConfig={"owner": "bob", "priority": 0, "tags": ["daily"]})
    planned = item(make_job(description="new"), target=target(in_target), ledger=ledger(make_job()))
    planned.raw = dump(make_job(description="new"))
    decided(planned, replace(OVERWRITE, on_drift=policy), owned)
    return planned


def test_a_change_made_in_the_target_since_the_last_import_is_drift() -> None:
    failing = _drifted(DriftPolicy.FAIL)
    assert failing.action is PlanAction.OVERWRITE
    assert [line["path"] for line in drift_lines(failing)] == ["basicConfig.owner"]

    kept = _drifted(DriftPolicy.KEEP_TARGET)
    assert (kept.action, kept.skip) == (PlanAction.SKIP, SkipReason.KEPT_DRIFT)
    taken = _drifted(DriftPolicy.TAKE_PACKAGE)
    assert taken.action is PlanAction.OVERWRITE
    assert taken.drift is not None


def test_a_change_to_a_target_owned_field_is_not_drift() -> None:
    planned = _drifted(DriftPolicy.KEEP_TARGET, (parse_field_path("basicConfig.owner"),))
    assert planned.drift is None
    assert planned.action is PlanAction.OVERWRITE


def test_a_target_change_carried_back_to_the_source_is_no_longer_drift() -> None:
    """A hot-fix of the owner in the target, carried back: the package now has the same owner
    (and a new description): the overwrite changes no field the target changed."""
    hot_fix = {"owner": "bob", "priority": 0, "tags": ["daily"]}
    carried = make_job(description="new", basicConfig=hot_fix)
    planned = item(carried, target=target(make_job(basicConfig=hot_fix)), ledger=ledger(make_job()))
    planned.raw = dump(carried)
    decided(planned, OVERWRITE, ())  # onDrift FAIL
    assert planned.action is PlanAction.OVERWRITE
    assert [c.path for c in planned.changes] == ["description"]
    assert planned.drift is None


def test_no_drift_when_the_target_still_holds_what_the_last_import_wrote() -> None:
    planned = item(
        make_job(description="new"), target=target(make_job()), ledger=ledger(make_job())
    )
    decided(planned, replace(OVERWRITE, on_drift=DriftPolicy.KEEP_TARGET), ())
    assert planned.action is PlanAction.OVERWRITE
    assert planned.drift is None


def test_each_change_says_where_it_comes_from_and_canvas_moves_are_cosmetic() -> None:
    planned = _drifted(DriftPolicy.TAKE_PACKAGE)
    lines = {line["path"]: line for line in change_lines(planned)}
    assert lines["description"]["origin"] == "source"  # the source changed it
    assert lines["basicConfig.owner"]["origin"] == "target"  # undoes the target's change

    moved = make_job()
    moved["nodes"][0]["location"] = {"x": "99", "y": "20"}
    cosmetic = item(moved, target=target(make_job()))
    decided(cosmetic, OVERWRITE, ())
    [line] = change_lines(cosmetic)
    assert line["cosmetic"] is True
    assert "origin" not in line  # no ledger: nothing to tell origins apart by


def _older_case(
    newer_at: int | None, this_at: int | None, on_drift: DriftPolicy = DriftPolicy.FAIL
) -> PlannedObject:
    """The target holds what a package made at ``newer_at`` wrote; this package (made at
    ``this_at``) holds another definition of the object."""
    written = make_job(description="newer")
    row = ledger(written)._replace(package_created_at=newer_at)
    mine = make_job(description="older")
    planned = item(mine, target=target(written), ledger=row, raw=dump(mine))
    decide(
        planned,
        replace(OVERWRITE, on_drift=on_drift),
        (),
        PolicyChoice(SameNamePolicy.OVERWRITE, SameNamePolicy.OVERWRITE, "asked"),
        this_at,
    )
    return planned


def test_an_older_package_of_the_source_is_marked_and_kept_target_skips_it() -> None:
    marked = _older_case(2000, 1000)
    assert (marked.action, marked.newer) == (PlanAction.OVERWRITE, 2000)
    kept = _older_case(2000, 1000, DriftPolicy.KEEP_TARGET)
    assert (kept.action, kept.skip) == (PlanAction.SKIP, SkipReason.KEPT_NEWER)
    taken = _older_case(2000, 1000, DriftPolicy.TAKE_PACKAGE)
    assert (taken.action, taken.newer) == (PlanAction.OVERWRITE, 2000)


def test_a_package_or_ledger_row_without_a_time_and_a_newer_package_are_never_older() -> None:
    for newer_at, this_at in ((None, 1000), (2000, None), (2000, 2000), (1000, 2000)):
        planned = _older_case(newer_at, this_at, DriftPolicy.KEEP_TARGET)
        assert (planned.action, planned.newer) == (PlanAction.OVERWRITE, None), (newer_at, this_at)
