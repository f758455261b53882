"""Field-level diff of two definitions: what an overwriting import would change."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import pytest

from jobferry.domain.diff import Change, diff, line_diff, same
from support.builders import FIXTURES


def fixture(name: str) -> dict[str, Any]:
    """A DataArts example document from tests/data."""
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def props(**values: str) -> list[dict[str, Any]]:
    return [{"name": k, "value": v} for k, v in values.items()]


def job() -> dict[str, Any]:
    """The contract's §6.9 (b) batch job with a full CRON schedule (fresh copy each call)."""
    return {
        "name": "dws_daily_load",
        "directory": "/etl/daily",
        "processType": "BATCH",
        "params": [
            {"name": "bizdate", "value": "#{Job.planTime}", "type": "variable"},
            {"name": "region", "value": "cn-north-4", "type": "variable"},
        ],
        "basicConfig": {
            "owner": "etl_user",
            "priority": 1,
            "instanceTimeout": 120,
            "customFields": {},
            "tags": ["daily", "etl"],
        },
        "schedule": {
            "type": "CRON",
            "cron": {
                "startTime": "2025-01-01T00:00:00+08",
                "expression": "0 30 2 * * ?",
                "expressionTimeZone": "GMT+08:00",
                "dependPrePeriod": False,
                "dependJobs": {
                    "jobs": ["ods_ingest"],
                    "dependPeriod": "SAME_PERIOD",
                    "sameWorkSpaceJobs": [
                        {"jobName": "ods_ingest", "dependOnLastPeriod": False},
                        {"jobName": "ods_dims", "dependOnLastPeriod": False},
                    ],
                },
            },
        },
        "nodes": [
            {
                "name": "extract",
                "type": "HiveSQL",
                "location": {"x": "0.0", "y": "100.0"},
                "preNodeName": [],
                "properties": props(scriptName="extract_sql", connectionName="hive_conn"),
            },
            {
                "name": "load",
                "type": "DWSSQL",
                "location": {"x": "100.0", "y": "100.0"},
                "preNodeName": ["extract"],
                "properties": props(
                    scriptName="load_dws_sql", connectionName="dws_conn", database="postgres"
                ),
                "maxExecutionTime": 60,
            },
            {
                "name": "notify",
                "type": "SMN",
                "location": {"x": "300.0", "y": "100.0"},
                "preNodeName": ["load"],
                "properties": props(topic="urn:smn:topic", subject="done"),
            },
        ],
        "approvers": [{"approverName": "alice"}, {"approverName": "bob"}],
    }


def node(definition: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(n for n in definition["nodes"] if n["name"] == name)
    return found


def prop(definition: dict[str, Any], node_name: str, prop_name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        p for p in node(definition, node_name)["properties"] if p["name"] == prop_name
    )
    return found


def reversed_keys(value: Any) -> Any:
    """The same value with every dict's keys in reverse order (lists keep their order)."""
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


def as_tuples(changes: list[Change]) -> list[tuple[str, str, Any, Any]]:
    return [(c.path, c.op, c.before, c.after) for c in changes]


# --- identical and key order ------------------------------------------------------------------


def test_identical_definitions_have_no_changes() -> None:
    assert diff(job(), job()) == []
    assert same(job(), job())


@pytest.mark.parametrize(
    "name",
    ["otc_doc_job_myJob_hivesql.job", "otc_doc_job_realtime_myJob_dis_cs_dli.job"],
)
def test_a_documented_job_is_unchanged_against_its_own_copy(name: str) -> None:
    original = fixture(name)

    assert diff(original, copy.deepcopy(original)) == []
    assert diff(original, original) == []


def test_key_order_alone_is_no_change_and_same_is_true() -> None:
    before = job()
    after = reversed_keys(job())
    assert list(after) != list(before)

    assert diff(before, after) == []
    assert same(before, after)


# --- identified lists ---------------------------------------------------------------------------


def test_a_property_value_change_is_one_change_at_the_node_and_property_path() -> None:
    before, after = job(), job()
    prop(after, "load", "connectionName")["value"] = "dws_conn_prod"

    assert diff(before, after) == [
        Change(
            "nodes[load].properties[connectionName].value", "changed", "dws_conn", "dws_conn_prod"
        )
    ]
    assert not same(before, after)


def test_an_added_node_is_reported_whole_under_its_name() -> None:
    before, after = job(), job()
    audit = {"name": "audit", "type": "Dummy", "location": {"x": "1", "y": "1"}, "properties": []}
    after["nodes"].append(audit)

    assert as_tuples(diff(before, after)) == [("nodes[audit]", "added", None, audit)]


def test_a_node_inserted_in_the_middle_is_an_addition_not_a_shift() -> None:
    before, after = job(), job()
    audit = {"name": "audit", "type": "Dummy", "location": {"x": "1", "y": "1"}, "properties": []}
    after["nodes"].insert(1, audit)

    assert as_tuples(diff(before, after)) == [("nodes[audit]", "added", None, audit)]


def test_a_removed_node_is_reported_whole_under_its_name() -> None:
    before, after = job(), job()
    notify = after["nodes"].pop()

    assert as_tuples(diff(before, after)) == [("nodes[notify]", "removed", notify, None)]


def test_params_are_matched_by_name_not_position() -> None:
    before, after = job(), job()
    after["params"] = [
        {"name": "bizdate", "value": "#{Job.planTime}", "type": "variable"},
        {"name": "env", "value": "prod", "type": "variable"},
    ]
    after["params"][0]["value"] = "20250101"

    assert as_tuples(diff(before, after)) == [
        ("params[bizdate].value", "changed", "#{Job.planTime}", "20250101"),
        ("params[env]", "added", None, {"name": "env", "value": "prod", "type": "variable"}),
        (
            "params[region]",
            "removed",
            {"name": "region", "value": "cn-north-4", "type": "variable"},
            None,
        ),
    ]


def test_approvers_are_matched_by_approver_name() -> None:
    before, after = job(), job()
    after["approvers"] = [{"approverName": "bob"}, {"approverName": "carol"}]

    assert as_tuples(diff(before, after)) == [
        ("approvers[carol]", "added", None, {"approverName": "carol"}),
        ("approvers[alice]", "removed", {"approverName": "alice"}, None),
    ]


def test_same_workspace_dependencies_are_matched_by_job_name() -> None:
    before, after = job(), job()
    depends = after["schedule"]["cron"]["dependJobs"]["sameWorkSpaceJobs"]
    depends.reverse()
    depends[0]["dependOnLastPeriod"] = True  # ods_dims, now first

    path = "schedule.cron.dependJobs.sameWorkSpaceJobs"
    assert as_tuples(diff(before, after)) == [
        (f"{path}(order)", "changed", ["ods_ingest", "ods_dims"], ["ods_dims", "ods_ingest"]),
        (f"{path}[ods_dims].dependOnLastPeriod", "changed", False, True),
    ]


def test_a_pure_reorder_of_nodes_is_one_order_change_and_nothing_else() -> None:
    before, after = job(), job()
    after["nodes"].reverse()

    assert as_tuples(diff(before, after)) == [
        ("nodes(order)", "changed", ["extract", "load", "notify"], ["notify", "load", "extract"])
    ]
    assert not same(before, after)


def test_a_reorder_of_properties_is_an_order_change_inside_the_node() -> None:
    before, after = job(), job()
    node(after, "notify")["properties"].reverse()

    assert as_tuples(diff(before, after)) == [
        ("nodes[notify].properties(order)", "changed", ["topic", "subject"], ["subject", "topic"])
    ]


def test_adding_and_removing_items_alone_is_no_order_change() -> None:
    before, after = job(), job()
    del after["nodes"][0]
    after["nodes"].append({"name": "zz", "type": "Dummy"})

    assert [(c.path, c.op) for c in diff(before, after)] == [
        ("nodes[zz]", "added"),
        ("nodes[extract]", "removed"),
    ]


def test_a_reorder_with_an_addition_lists_the_full_orders_first() -> None:
    before, after = job(), job()
    after["nodes"] = [after["nodes"][2], after["nodes"][0], {"name": "new"}, after["nodes"][1]]

    assert as_tuples(diff(before, after)) == [
        (
            "nodes(order)",
            "changed",
            ["extract", "load", "notify"],
            ["notify", "extract", "new", "load"],
        ),
        ("nodes[new]", "added", None, {"name": "new"}),
    ]


def test_duplicate_identities_fall_back_to_positions() -> None:
    before = {"params": [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}]}
    after = {"params": [{"name": "a", "value": "1"}, {"name": "a", "value": "3"}]}

    assert as_tuples(diff(before, after)) == [("params[1].value", "changed", "2", "3")]


def test_a_duplicate_identity_on_one_side_only_also_falls_back_to_positions() -> None:
    before = {"params": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}]}
    after = {"params": [{"name": "a", "value": "1"}, {"name": "a", "value": "2"}]}

    assert as_tuples(diff(before, after)) == [("params[1].name", "changed", "b", "a")]


def test_an_item_without_the_identity_key_falls_back_to_positions() -> None:
    before = {"nodes": [{"name": "a", "type": "Shell"}, {"type": "Dummy"}]}
    after = {"nodes": [{"name": "a", "type": "Shell"}, {"type": "SMN"}, {"type": "Dummy"}]}

    assert as_tuples(diff(before, after)) == [
        ("nodes[1].type", "changed", "Dummy", "SMN"),
        ("nodes[2]", "added", None, {"type": "Dummy"}),
    ]


def test_objects_without_identities_are_compared_by_position() -> None:
    before = {"conditions": [{"preNodeName": "a", "expression": "x"}]}
    after: dict[str, Any] = {"conditions": []}

    assert as_tuples(diff(before, after)) == [
        ("conditions[0]", "removed", {"preNodeName": "a", "expression": "x"}, None)
    ]


def test_unusual_identities_are_quoted_so_they_cannot_be_misread() -> None:
    before = {"params": [{"name": "42", "value": "a"}, {"name": "my param", "value": "a"}]}
    after = {"params": [{"name": "42", "value": "b"}, {"name": "my param", "value": "b"}]}

    assert [c.path for c in diff(before, after)] == ['params["42"].value', "params[my param].value"]


# --- dicts and scalars --------------------------------------------------------------------------


def test_a_cron_expression_change_is_reported_at_its_path() -> None:
    before, after = job(), job()
    after["schedule"]["cron"]["expression"] = "0 0 3 * * ?"

    assert as_tuples(diff(before, after)) == [
        ("schedule.cron.expression", "changed", "0 30 2 * * ?", "0 0 3 * * ?")
    ]


def test_dict_keys_are_reported_in_after_order_then_keys_only_in_before() -> None:
    before = {"a": 1, "gone": 1, "b": 1}
    after = {"new": 1, "b": 2, "a": 3}

    assert [(c.path, c.op) for c in diff(before, after)] == [
        ("new", "added"),
        ("b", "changed"),
        ("a", "changed"),
        ("gone", "removed"),
    ]


def test_unknown_keys_are_diffed_like_known_ones() -> None:
    before, after = job(), job()
    before["resouces"] = []
    after["resouces"] = [{"name": "udf.jar"}]
    prop(after, "load", "database")["value_is_sensitive"] = False
    after["basicConfig"]["customFields"]["team"] = "finance"
    after["useCdmCache"] = True

    assert as_tuples(diff(before, after)) == [
        ("basicConfig.customFields.team", "added", None, "finance"),
        ("nodes[load].properties[database].value_is_sensitive", "added", None, False),
        ("resouces[udf.jar]", "added", None, {"name": "udf.jar"}),
        ("useCdmCache", "added", None, True),
    ]


def test_keys_that_are_not_plain_words_are_quoted() -> None:
    before = {"basicConfig": {"customFields": {"cost center": "a", "a.b": "a", "成本": "a"}}}
    after = {"basicConfig": {"customFields": {"cost center": "b", "a.b": "b", "成本": "b"}}}

    assert [c.path for c in diff(before, after)] == [
        'basicConfig.customFields["cost center"]',
        'basicConfig.customFields["a.b"]',
        "basicConfig.customFields.成本",
    ]


def test_a_value_changing_kind_is_one_change_of_the_whole_value() -> None:
    before = {"dependJobs": [{"jobs": ["a"]}], "x": {"a": 1}, "y": "1"}
    after = {"dependJobs": {"jobs": ["a"]}, "x": None, "y": ["1"]}

    assert as_tuples(diff(before, after)) == [
        ("dependJobs", "changed", [{"jobs": ["a"]}], {"jobs": ["a"]}),
        ("x", "changed", {"a": 1}, None),
        ("y", "changed", "1", ["1"]),
    ]


@pytest.mark.parametrize(
    ("before", "after", "equal"),
    [
        (1, 1.0, True),
        (0, -0.0, True),
        (2.5, 2.5, True),
        (1, 1.5, False),
        ("1", 1, False),
        ("false", False, False),
        (True, 1, False),
        (False, 0, False),
        (False, 0.0, False),
        (True, True, True),
        (None, None, True),
        (None, "", False),
        (None, False, False),
        ("", "", True),
        (float("nan"), float("nan"), True),
    ],
)
def test_scalar_equality_rules(before: Any, after: Any, equal: bool) -> None:
    assert same({"v": before}, {"v": after}) is equal
    assert same([before], [after]) is equal
    assert same(before, after) is equal
    expected = [] if equal else [Change("v", "changed", before, after)]
    assert diff({"v": before}, {"v": after}) == expected


def test_a_top_level_scalar_change_has_the_empty_path() -> None:
    assert diff("a", "b") == [Change("", "changed", "a", "b")]


# --- lists of scalars ---------------------------------------------------------------------------


def test_a_replaced_tag_is_a_change_at_its_position() -> None:
    before, after = job(), job()
    after["basicConfig"]["tags"] = ["daily", "finance"]

    assert as_tuples(diff(before, after)) == [("basicConfig.tags[1]", "changed", "etl", "finance")]


def test_a_removed_tag_is_reported_as_that_value_not_as_shifted_positions() -> None:
    before, after = job(), job()
    before["basicConfig"]["tags"] = ["daily", "etl", "finance"]
    after["basicConfig"]["tags"] = ["etl", "finance"]

    assert as_tuples(diff(before, after)) == [("basicConfig.tags[0]", "removed", "daily", None)]


def test_an_added_tag_is_reported_at_its_position_in_after() -> None:
    before, after = job(), job()
    after["basicConfig"]["tags"] = ["daily", "hourly", "etl"]

    assert as_tuples(diff(before, after)) == [("basicConfig.tags[1]", "added", None, "hourly")]


def test_a_reordered_scalar_list_is_one_order_change() -> None:
    before, after = job(), job()
    after["basicConfig"]["tags"] = ["etl", "daily"]

    assert as_tuples(diff(before, after)) == [
        ("basicConfig.tags(order)", "changed", ["daily", "etl"], ["etl", "daily"])
    ]


def test_a_stretch_of_different_length_is_removals_then_additions() -> None:
    before = {"preNodeName": ["a", "b", "c", "z"]}
    after = {"preNodeName": ["a", "x", "z"]}

    assert as_tuples(diff(before, after)) == [
        ("preNodeName[1]", "removed", "b", None),
        ("preNodeName[2]", "removed", "c", None),
        ("preNodeName[1]", "added", None, "x"),
    ]


def test_scalar_lists_use_the_same_equality_rules() -> None:
    assert same({"v": [1, "a", None]}, {"v": [1.0, "a", None]})
    assert not same({"v": [1, 2]}, {"v": ["1", 2]})
    assert not same({"v": [True]}, {"v": [1]})
    assert diff({"v": [True, 1]}, {"v": [1, True]}) == [
        Change("v(order)", "changed", [True, 1], [1, True])
    ]


def test_a_duplicated_value_is_not_a_reorder() -> None:
    assert as_tuples(diff({"v": ["a", "b"]}, {"v": ["a", "b", "b"]})) == [
        ("v[2]", "added", None, "b")
    ]


# --- ignore, output, equivalence ----------------------------------------------------------------


def test_ignored_top_level_keys_are_skipped() -> None:
    before, after = job(), job()
    before.update(id="1", createTime=1700000000000, version="1")
    after.update(id="2", version="2")
    ignore = frozenset({"id", "createTime", "version"})

    assert diff(before, after, ignore=ignore) == []
    assert same(before, after, ignore=ignore)
    assert [c.path for c in diff(before, after)] == ["id", "version", "createTime"]


def test_ignore_applies_to_top_level_keys_only() -> None:
    before, after = job(), job()
    node(before, "load")["version"] = "1"
    node(after, "load")["version"] = "2"

    assert [c.path for c in diff(before, after, ignore=frozenset({"version"}))] == [
        "nodes[load].version"
    ]


def test_as_json_leaves_out_the_missing_side() -> None:
    assert Change("a", "added", None, 1).as_json() == {"path": "a", "op": "added", "after": 1}
    assert Change("a", "removed", 1, None).as_json() == {"path": "a", "op": "removed", "before": 1}
    assert Change("a", "changed", None, 1).as_json() == {
        "path": "a",
        "op": "changed",
        "before": None,
        "after": 1,
    }


def test_as_json_is_serialisable_json() -> None:
    before, after = job(), job()
    after["nodes"].pop()
    after["schedule"]["cron"]["expression"] = "0 0 3 * * ?"

    text = json.dumps([c.as_json() for c in diff(before, after)])

    assert json.loads(text)[0] == {
        "path": "schedule.cron.expression",
        "op": "changed",
        "before": "0 30 2 * * ?",
        "after": "0 0 3 * * ?",
    }


def test_changes_come_in_document_order_of_after() -> None:
    before, after = job(), job()
    after["name"] = "renamed"
    prop(after, "extract", "scriptName")["value"] = "x"
    prop(after, "notify", "subject")["value"] = "y"
    after["basicConfig"]["owner"] = "ops"

    assert [c.path for c in diff(before, after)] == [
        "name",
        "basicConfig.owner",
        "nodes[extract].properties[scriptName].value",
        "nodes[notify].properties[subject].value",
    ]


def test_same_agrees_with_diff_on_every_kind_of_change() -> None:
    variants: list[dict[str, Any]] = [job() for _ in range(5)]
    variants[1]["nodes"].reverse()
    variants[2]["basicConfig"]["tags"].append("x")
    variants[3]["schedule"]["cron"]["dependJobs"]["jobs"] = []
    variants[4]["params"][1]["type"] = "constants"

    for variant in variants:
        assert same(job(), variant) == (diff(job(), variant) == [])
    assert [same(job(), v) for v in variants] == [True, False, False, False, False]


def test_deeply_nested_documents_do_not_exhaust_the_stack() -> None:
    before: Any = "leaf"
    after: Any = "other"
    for _ in range(5000):
        before, after = {"k": before}, {"k": after}

    changes = diff(before, after)

    assert len(changes) == 1
    assert changes[0].path == ".".join(["k"] * 5000)


# --- size ---------------------------------------------------------------------------------------


def big_job(nodes: int, properties: int) -> dict[str, Any]:
    return {
        "name": "big",
        "schedule": {"type": "EXECUTE_ONCE"},
        "nodes": [
            {
                "name": f"node_{n}",
                "type": "Shell",
                "location": {"x": str(n), "y": "0"},
                "preNodeName": [f"node_{n - 1}"] if n else [],
                "properties": [
                    {"name": f"p{p}", "value": f"v{n}_{p}", "value_is_sensitive": False}
                    for p in range(properties)
                ],
            }
            for n in range(nodes)
        ],
    }


def test_a_job_with_200_nodes_of_20_properties_diffs_without_pairwise_blowup() -> None:
    """Nodes and properties are matched by name, not compared pairwise. The bound is loose on
    purpose (a pairwise match takes seconds here; the real figure, a few milliseconds, is the
    benchmark's to report): a busy CI machine must not turn it red."""
    before, after = big_job(200, 20), big_job(200, 20)
    after["nodes"][199]["properties"][19]["value"] = "changed"
    after["nodes"].reverse()
    for n in after["nodes"]:
        n["properties"].reverse()

    timings = []
    for _ in range(3):
        began = time.perf_counter()
        changes = diff(before, after)
        timings.append(time.perf_counter() - began)

    assert min(timings) < 1.0
    assert [c.path for c in changes if not c.path.endswith("(order)")] == [
        "nodes[node_199].properties[p19].value"
    ]
    assert len(changes) == 1 + 200 + 1  # nodes order, each node's property order, the value


def test_a_text_s_line_diff_keeps_lines_that_look_like_a_diff_s_own_headers() -> None:
    before = "--- a comment\nselect 1;\n+++ another\n"
    after = "select 2;\n+++ another\n"

    assert line_diff(before, after) == [
        "@@ -1,3 +1,2 @@",
        "---- a comment",
        "-select 1;",
        "+select 2;",
        " +++ another",
    ]
    assert line_diff("same\n", "same\n") == []
