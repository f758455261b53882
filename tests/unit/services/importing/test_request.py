"""The import request is parsed once into a typed value: its canonical form is what a task
stores and what a plan's fingerprint hashes, so two spellings of one request are one request.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobferry.domain.enums import (
    DriftPolicy,
    EnvironmentKind,
    ImportMode,
    SameNamePolicy,
    SchedulingPolicy,
    TargetStatus,
    TaskKind,
)
from jobferry.errors import InvalidRequestError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.definitions.documents import load
from jobferry.services.importing.request import ImportRequest, parse_import_request
from jobferry.storage import tasks as task_repo
from support.clients import ADMIN_AK, PROJECT_ID
from support.packages import write_package

PATH = "upload://0123456789abcdef"

# One request, as the CLI sends it: defaults left out.
TERSE: dict[str, Any] = {"path": PATH, "sameNamePolicy": "SKIP"}

# The same request as the console sends it: defaults written out, keys in another order.
VERBOSE: dict[str, Any] = {
    "scheduling": "REFUSE",
    "mode": "ATOMIC",
    "targetStatus": "SUBMITTED",
    "sameNamePolicy": "SKIP",
    "onDrift": "FAIL",
    "propagateDeletes": False,
    "params": {},
    "resources": [],
    "approvers": [],
    "path": PATH,
}

# A request using every option, for the round trip.
FULL: dict[str, Any] = {
    "path": PATH,
    "params": {"env": "prod", "retries": 3},
    "jobsParam": [{"name": "daily", "params": {"day": "mon"}}],
    "sameNamePolicy": "OVERWRITE",
    "executeUser": "etl",
    "targetStatus": "SAVED",
    "approvers": [{"approverName": "ann"}],
    "resources": [
        {"name": "dws_test", "type": "DWS_CONNECTION", "replace": "dws_prod"},
        {"name": "cluster_a", "type": "CDM_CLUSTER", "replace": "cluster_b"},
    ],
    "targetDirectory": "/release/42",
    "dryRun": True,
    "planId": "plan-1",
    "mode": "PER_OBJECT",
    "profile": {"name": "prod", "renames": {"dli_queue": {"q_test": "q_prod"}}},
    "timeZone": {"zone": "Asia/Shanghai", "mode": "keepInstant", "sourceZone": "UTC"},
    "propagateDeletes": True,
    "onDrift": "TAKE_PACKAGE",
    "scheduling": "PAUSE_AND_RESTORE",
}


def test_two_spellings_of_one_request_have_one_fingerprint_and_one_canonical_form() -> None:
    terse, verbose = parse_import_request(TERSE), parse_import_request(VERBOSE)
    assert terse.fingerprint() == verbose.fingerprint()
    assert terse.to_wire() == verbose.to_wire()
    without_policy = parse_import_request({"path": PATH})
    assert without_policy.fingerprint() == terse.fingerprint()


def test_mode_left_out_is_mode_atomic() -> None:
    atomic = parse_import_request({"path": PATH, "mode": "ATOMIC"})
    assert parse_import_request({"path": PATH}).fingerprint() == atomic.fingerprint()
    assert atomic.mode is ImportMode.ATOMIC


def test_key_order_and_mapping_spelling_do_not_change_the_fingerprint() -> None:
    reordered = dict(reversed(list(FULL.items())))
    assert parse_import_request(reordered).fingerprint() == parse_import_request(FULL).fingerprint()
    # jobsParam as DataArts' list or the SDK's object; a connection under either of its types.
    as_map = {**FULL, "jobsParam": {"daily": {"day": "mon"}}}
    other_type = {
        **FULL,
        "resources": [
            {"name": "cluster_a", "type": "CDM_CLUSTER", "replace": "cluster_b"},
            {"name": "dws_test", "type": "MRS_HIVE_CONNECTION", "replace": "dws_prod"},
        ],
    }
    fingerprint = parse_import_request(FULL).fingerprint()
    assert parse_import_request(as_map).fingerprint() == fingerprint
    assert parse_import_request(other_type).fingerprint() == fingerprint


def test_dry_run_plan_id_and_path_are_not_part_of_the_fingerprint() -> None:
    planned = parse_import_request({**TERSE, "dryRun": True, "path": "obs://bucket/p.zip"})
    applied = parse_import_request({**TERSE, "planId": "abc"})
    assert planned.fingerprint() == applied.fingerprint()


@pytest.mark.parametrize(
    "change",
    [
        {"sameNamePolicy": "OVERWRITE"},
        {"targetStatus": "SAVED"},
        {"mode": "PER_OBJECT"},
        {"params": {"env": "prod"}},
        {"jobsParam": [{"name": "daily", "params": {"day": "mon"}}]},
        {"executeUser": "etl"},
        {"targetDirectory": "/release"},
        {"resources": [{"name": "a", "type": "DWS_CONNECTION", "replace": "b"}]},
        {"profile": "prod"},
        {"profile": {"renames": {"dli_queue": {"q": "r"}}}},
        {"timeZone": {"zone": "UTC", "mode": "keepWallClock"}},
        {"timeZone": {"zone": "UTC", "mode": "keepInstant"}},
        {"propagateDeletes": True},
        {"onDrift": "KEEP_TARGET"},
        {"scheduling": "PAUSE_AND_RESTORE"},
        {"approvers": [{"approverName": "ann"}]},
    ],
)
def test_a_request_that_means_something_else_has_another_fingerprint(
    change: dict[str, Any],
) -> None:
    assert parse_import_request({**TERSE, **change}).fingerprint() != (
        parse_import_request(TERSE).fingerprint()
    )


def test_the_stored_form_round_trips_to_the_same_typed_request() -> None:
    request = parse_import_request(FULL)
    stored = request.to_wire()
    assert list(stored) == sorted(stored), "the canonical form's keys are sorted"
    back = ImportRequest.from_stored(stored)
    assert back == request
    assert back.to_wire() == stored
    assert back.same_name_policy is SameNamePolicy.OVERWRITE
    assert back.mode is ImportMode.PER_OBJECT
    assert back.on_drift is DriftPolicy.TAKE_PACKAGE
    assert back.scheduling is SchedulingPolicy.PAUSE_AND_RESTORE
    assert back.status_asked is TargetStatus.SAVED
    assert back.renames == {
        (EnvironmentKind.CONNECTION, "dws_test"): "dws_prod",
        (EnvironmentKind.CDM_CLUSTER, "cluster_a"): "cluster_b",
    }
    assert back.params == {"env": "prod", "retries": "3"}


def test_the_canonical_form_writes_every_default() -> None:
    stored = parse_import_request({"path": PATH}).to_wire()
    assert stored["sameNamePolicy"] == "SKIP"
    assert stored["mode"] == "ATOMIC"
    assert stored["targetStatus"] == "SUBMITTED"
    assert stored["onDrift"] == "FAIL"
    assert stored["scheduling"] == "REFUSE"
    assert stored["propagateDeletes"] is False
    assert stored["dryRun"] is False
    assert {"executeUser", "targetDirectory", "profile", "timeZone", "planId"} <= set(stored)


def test_wrong_vocabulary_is_refused_naming_the_enums_values() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        parse_import_request({"path": PATH, "sameNamePolicy": "REPLACE", "mode": "SOME"})
    assert "sameNamePolicy must be SKIP, OVERWRITE or AUTO, not 'REPLACE'" in refused.value.message
    assert "mode must be ATOMIC or PER_OBJECT, not 'SOME'" in refused.value.message


def test_a_job_named_twice_in_jobs_param_gets_both_entries_the_later_value_winning() -> None:
    request = parse_import_request(
        {
            "path": PATH,
            "jobsParam": [
                {"name": "daily", "params": {"day": "mon", "hour": "1"}},
                {"name": "daily", "params": {"hour": "2"}},
                {"name": "daily"},
            ],
        }
    )
    assert request.jobs_param == {"daily": {"day": "mon", "hour": "2"}}


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"jobsParam": [{"name": " ", "params": {}}]}, "jobsParam[0] needs a job name"),
        ({"jobsParam": {"": {"day": "mon"}}}, "jobsParam's keys must name jobs of the package"),
        (
            {"resources": [{"name": "", "type": "DWS_CONNECTION", "replace": "b"}]},
            "resources[0].name must name the object the jobs use",
        ),
        (
            {
                "resources": [
                    {"name": "a", "type": "DWS_CONNECTION", "replace": "b"},
                    {"name": "a", "type": "MRS_HIVE_CONNECTION", "replace": "c"},
                ]
            },
            "resources[1] renames 'a' to 'c', but an entry before it renames it to 'b'",
        ),
    ],
)
def test_a_nameless_or_ambiguous_entry_is_refused_naming_it(
    body: dict[str, Any], said: str
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        parse_import_request({"path": PATH, **body})
    assert refused.value.code == "DLF.3051"
    assert said in refused.value.message


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"params": {" ": "prod"}}, "params has an empty name"),
        (
            {"jobsParam": [{"name": "daily", "params": {"": "mon"}}]},
            "jobsParam[0].params has an empty name",
        ),
        ({"jobsParam": {"daily": {"": "mon"}}}, "jobsParam.daily has an empty name"),
    ],
)
def test_a_parameter_of_a_blank_name_is_refused_as_a_profile_refuses_it(
    body: dict[str, Any], said: str
) -> None:
    # No job parameter has a blank name: the value would set nothing, silently.
    with pytest.raises(InvalidRequestError) as refused:
        parse_import_request({"path": PATH, **body})
    assert said in refused.value.message


def test_an_approver_of_a_blank_name_is_refused_as_naming_nobody() -> None:
    with pytest.raises(InvalidRequestError) as refused:
        parse_import_request({"path": PATH, "approvers": [{"approverName": " "}]})
    assert refused.value.context["parameter"] == "approvers"
    assert "an approverName is empty" in refused.value.message


def test_the_same_rename_given_twice_is_one_rename() -> None:
    rename = {"name": "a", "type": "DWS_CONNECTION", "replace": "b"}
    request = parse_import_request({"path": PATH, "resources": [rename, dict(rename)]})
    assert list(request.renames.values()) == ["b"]


def test_an_import_task_stores_the_canonical_request_and_resumes_from_it(
    services: Services, tmp_path: Path
) -> None:
    scope: Scope = services.accounts.scope(services.accounts.actor_for(ADMIN_AK), PROJECT_ID, None)
    package = write_package(tmp_path / "pkg.zip")
    with package.open("rb") as fh:
        path = services.imports.upload(scope, fh, "pkg.zip").path
    asked = parse_import_request({"path": path, "dryRun": True, "mode": "PER_OBJECT"})
    prepared = services.imports.prepare(scope, asked)
    with services.db.transaction(readonly=True) as tx:
        task = task_repo.get_task(tx, scope.workspace.id, prepared.task_id)
    assert task is not None
    assert task.request is not None
    assert load(task.request) == prepared.request.to_wire()
    claimed = services.tasks.claim((TaskKind.PLAN,))
    assert claimed is not None
    assert claimed.id == prepared.task_id
    resumed = services.imports.resume(claimed)
    assert resumed.request == prepared.request
