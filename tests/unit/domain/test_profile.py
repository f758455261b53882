"""Environment profile documents: parsing, every problem at once, directory rewrite."""

from __future__ import annotations

import pytest

from jobferry.domain.enums import EnvironmentKind
from jobferry.domain.profile import (
    ProfileError,
    RenameClash,
    load_profile_text,
    merge_renames,
    parse_profile,
)
from jobferry.domain.timeshift import ShiftMode

YAML = """
description: prod
renames:
  connection: {dws_test: dws_prod}
  workspace: {test: prod}
params: {env: prod}
jobParams:
  daily: {batch: 500}
executeUser: etl
owner: ops
directory: {from: /test, to: /prod}
timeZone: {zone: Europe/Berlin, mode: keepInstant, sourceZone: GMT+8}
targetOwned: [schedule.cron.expression, "nodes[*].retryTimes"]
"""


def test_a_yaml_profile_parses_into_every_part() -> None:
    profile = parse_profile(load_profile_text(YAML))
    assert profile.reference_renames() == {(EnvironmentKind.CONNECTION, "dws_test"): "dws_prod"}
    assert profile.workspace_renames == {"test": "prod"}
    assert profile.params == {"env": "prod"}
    assert profile.job_params == {"daily": {"batch": "500"}}
    assert (profile.execute_user, profile.owner) == ("etl", "ops")
    assert profile.time_zone is not None
    assert profile.time_zone.mode is ShiftMode.KEEP_INSTANT
    assert profile.time_zone.source_zone == "GMT+8"
    assert [p.text for p in profile.target_owned] == [
        "schedule.cron.expression",
        "nodes[*].retryTimes",
    ]


def test_json_text_is_accepted_too() -> None:
    profile = parse_profile(load_profile_text(b'{"owner": "ops"}'))
    assert profile.owner == "ops"


@pytest.mark.parametrize(
    ("directory", "expected"),
    [
        ("/test", "/prod"),
        ("/test/sales", "/prod/sales"),
        ("/testing", "/testing"),
        ("/other/test", "/other/test"),
    ],
)
def test_directory_prefix_is_rewritten_on_folder_boundaries(directory: str, expected: str) -> None:
    profile = parse_profile({"directory": {"from": "/test", "to": "/prod"}})
    assert profile.rewrite_directory(directory) == expected


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile(
            {
                "renamez": {},
                "renames": {"queue": {"a": "b"}, "connection": ["x"]},
                "params": {"a": {"nested": 1}},
                "jobParams": ["x"],
                "owner": "",
                "timeZone": {"mode": "keepInstant", "extra": 1},
                "targetOwned": ["schedule.cron.expresion", "nodes[*].properties[retryTimes]"],
            }
        )
    text = " | ".join(caught.value.problems)
    for words in (
        "renamez",
        "renames.queue",
        "renames.connection must be a map",
        "params.a",
        "jobParams must be a map",
        "owner must be non-empty",
        "timeZone.zone is required",
        "timeZone has unknown key(s) extra",
        "targetOwned[0]: 'schedule.cron.expresion' names no field: schedule.cron has no field "
        "'expresion' (did you mean expression?)",
        "targetOwned[1]: 'nodes[*].properties[retryTimes]' names no field: retryTimes is a "
        "field of the node",
    ):
        assert words in text, text


def test_a_zone_no_time_zone_has_is_refused_naming_its_path_value_and_a_close_one() -> None:
    with pytest.raises(ProfileError) as caught:
        parse_profile(
            {"timeZone": {"zone": "Mars/Base", "mode": "keepInstant", "sourceZone": "asia/tokyo"}}
        )
    zone, source = caught.value.problems
    assert zone.startswith("timeZone.zone: time zone 'Mars/Base' is not known; use GMT")
    assert "did you mean" not in zone  # nothing is close
    assert source.startswith("timeZone.sourceZone: time zone 'asia/tokyo' is not known; did you ")
    assert "mean 'Asia/Tokyo'? Otherwise use GMT" in source


def test_bad_text_names_the_line() -> None:
    with pytest.raises(ValueError, match="YAML error at line"):
        load_profile_text("owner: ops\nrenames: [a, b\nowner: x\n")
    with pytest.raises(ProfileError):
        parse_profile(["not", "a", "map"])


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 5000 + "]" * 5000,  # past libyaml's own limit of 1,000 levels
        "a: " + "[" * 900 + "]" * 900,  # within it: the document's depth rule refuses it
    ],
)
def test_yaml_nested_too_deeply_is_refused_as_too_deep(text: str) -> None:
    with pytest.raises(ValueError, match="levels deep"):
        load_profile_text(text)


def test_merging_renames_adds_the_new_ones_and_lists_those_mapped_otherwise() -> None:
    document = {"owner": "ops", "renames": {"connection": {"a": "a_prod", "b": "b_prod"}}}

    merged, clashes, added = merge_renames(
        document, {"connection": {"a": "a_prod", "b": "b_new", "c": "c_prod"}, "dli_queue": {}}
    )

    assert merged == {
        "owner": "ops",
        "renames": {"connection": {"a": "a_prod", "b": "b_prod", "c": "c_prod"}},
    }
    assert clashes == [RenameClash("connection", "b", "b_prod", "b_new")]
    assert added == 1
    assert document["renames"] == {"connection": {"a": "a_prod", "b": "b_prod"}}  # untouched
