"""Validation of job, script and resource documents: every violation, at once, with its path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jobferry.domain.names import check_object_name, check_param_name
from jobferry.domain.report import Violation
from jobferry.domain.validation import validate_job, validate_resource, validate_script
from support.builders import FIXTURES


def fixture(name: str) -> dict[str, Any]:
    """A DataArts example document from tests/data (provenance in its SOURCES.md)."""
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def node(name: str, *upstreams: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": "Shell",
        "location": {"x": "0.0", "y": "0.0"},
        "preNodeName": list(upstreams),
        "properties": [{"name": "scriptName", "value": f"{name}_sh"}],
        **extra,
    }


def job(*nodes: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"name": "daily", "processType": "BATCH", "nodes": list(nodes), **top}


def cron(**fields: Any) -> dict[str, Any]:
    block = {"startTime": "2025-01-01T00:00:00+08", "expression": "0 30 2 * * ?", **fields}
    return {"type": "CRON", "cron": block}


def found(violations: list[Violation]) -> set[tuple[str, str]]:
    return {(v.field, v.rule) for v in violations}


def only(violations: list[Violation]) -> Violation:
    assert len(violations) == 1, violations
    return violations[0]


# --- fixtures and lenient shapes -------------------------------------------------------------


def test_job_fixture_hivesql_is_valid() -> None:
    assert validate_job(fixture("otc_doc_job_myJob_hivesql.job")) == []


def test_job_fixture_with_review_fields_is_valid() -> None:
    assert validate_job(fixture("otc_doc_job_myJob_hivesql_review.json")) == []


def test_job_fixture_realtime_with_event_trigger_is_valid() -> None:
    assert validate_job(fixture("otc_doc_job_realtime_myJob_dis_cs_dli.job")) == []


@pytest.mark.parametrize(
    "name",
    [
        "otc_doc_script_echoTimeShell.script",
        "hwdocs_dgc_script_dlisql1.script",
        "dwtoolkit_query1.script",
        "dwtoolkit_load_data.script",
    ],
)
def test_script_fixtures_are_valid(name: str) -> None:
    assert validate_script(fixture(name)) == []


def test_resource_fixture_is_valid() -> None:
    assert validate_resource(fixture("otc_doc_resource_test_jar.resource")) == []


def test_job_without_nodes_passes() -> None:
    doc = {"name": "bare", "schedule": {"type": "EXECUTE_ONCE"}, "processType": "BATCH"}

    assert validate_job(doc) == []


def test_cron_schedule_without_cron_block_passes() -> None:
    assert validate_job(job(node("a"), schedule={"type": "CRON"})) == []


def test_job_without_schedule_passes() -> None:
    assert validate_job({"name": "no_schedule", "nodes": [node("a")]}) == []


def test_lenient_shapes_pass() -> None:
    loose = node(
        "a",
        location={"x": 10, "y": "-5.5"},
        pollingInterval="20",
        maxExecutionTime=60.0,
        execTimeOutRetry="false",
        properties=[
            {"name": "scriptName", "value": "s", "value_is_sensitive": False},
            {"name": "retries", "value": 3},
            {"name": "flag", "value": True},
        ],
        lineageInfo='[{"outputs":[],"inputs":[]}]',
    )
    doc = job(
        loose,
        schedule=cron(
            expressionTimeZone="Asia/Shanghai",
            calendarScheduling="false",
            dependJobs=["upstream_job"],
        ),
        basicConfig={"priority": "1", "instanceTimeout": 0, "tags": ["daily"], "encrypt": False},
        resouces=[],
        version="2",
    )

    assert validate_job(doc) == []


def test_full_documented_cron_example_passes() -> None:
    doc = job(
        node("load_dws"),
        node("notify", "load_dws", conditions=[{"preNodeName": "load_dws", "expression": "#{1}"}]),
        params=[{"name": "bizdate", "value": "#{Job.planTime}", "type": "variable"}],
        schedule=cron(
            endTime="2099-12-31T23:59:59+08",
            expressionTimeZone="GMT+08:00",
            dependJobs={"jobs": ["ods_ingest"], "sameWorkSpaceJobs": []},
        ),
    )

    assert validate_job(doc) == []


# --- all problems at once --------------------------------------------------------------------


def test_validate_job_reports_every_violation_at_once() -> None:
    doc = {
        "name": "bad name!",
        "processType": "NIGHTLY",
        "nodes": [
            node("a", "ghost", retryTimes=9),
            node("a", failPolicy="EXPLODE"),
            node("b", "b", properties=[{"name": "scriptName", "value": {"x": 1}}]),
        ],
        "params": [{"name": "bad param", "value": "x"}],
        "basicConfig": {"priority": 5},
        "schedule": cron(expression="0 99 2 * * ?", expressionTimeZone="Mars/Base"),
    }

    violations = validate_job(doc)

    assert found(violations) == {
        ("name", "name.charset"),
        ("processType", "enum"),
        ("nodes[0].preNodeName[0]", "node.upstream"),
        ("nodes[0].retryTimes", "range"),
        ("nodes[1].name", "node.unique"),
        ("nodes[1].failPolicy", "enum"),
        ("nodes[2].preNodeName[0]", "node.self"),
        ("nodes[2].properties[0].value", "type"),
        ("params[0].name", "name.charset"),
        ("basicConfig.priority", "enum"),
        ("schedule.cron.expression", "cron.invalid"),
        ("schedule.cron.expressionTimeZone", "timezone.invalid"),
    }
    codes = {v.field: v.code for v in violations}
    assert codes["name"] == "DLF.3018"
    assert codes["schedule.cron.expression"] == "DLF.3025"
    assert codes["nodes[1].name"] == "DLF.3051"


def test_messages_name_the_value_and_the_fix() -> None:
    violations = validate_job(job(node("a", pollingInterval=0), node("b", "nope")))
    messages = {v.field: v.message for v in violations}

    assert "pollingInterval is 0" in messages["nodes[0].pollingInterval"]
    assert "from 1 to 60" in messages["nodes[0].pollingInterval"]
    assert "'nope'" in messages["nodes[1].preNodeName[0]"]
    assert "(nodes: a, b)" in messages["nodes[1].preNodeName[0]"]  # lists the nodes that exist


# --- job name ---------------------------------------------------------------------------------


def test_missing_job_name_is_dlf_3004() -> None:
    violation = only(validate_job({"nodes": []}))

    assert (violation.field, violation.rule, violation.code) == ("name", "required", "DLF.3004")


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("x" * 129, "name.length"),
        (" padded", "name.whitespace"),
        ("a/b", "name.charset"),
        (".", "name.dots"),
        ("..", "name.dots"),
        (42, "type"),
    ],
)
def test_invalid_job_name_is_dlf_3018(name: object, rule: str) -> None:
    violation = only(validate_job({"name": name}))

    assert (violation.rule, violation.code) == (rule, "DLF.3018")


@pytest.mark.parametrize("name", ["作业_日报", "ETL.load-v2", "x" * 128, "7", ".hidden", "v1..2"])
def test_job_names_allow_unicode_letters_digits_and_punctuation(name: str) -> None:
    assert validate_job({"name": name}) == []


def test_check_object_name_says_what_and_how_to_fix() -> None:
    assert check_object_name("daily_sales", "job") is None
    assert check_object_name("daily sales", "job") == (
        "job name 'daily sales' contains ' ', which is not allowed; use only letters, digits, "
        "'_', '-' and '.', e.g. 'daily_sales'"
    )
    assert check_object_name("", "workspace name") == (
        "workspace name is missing; give a name of 1–128 characters"
    )


def test_check_param_name_allows_ascii_only() -> None:
    assert check_param_name("biz-date_1") is None
    assert "e.g. 'biz_date'" in (check_param_name("biz.date") or "")
    assert check_param_name("日期") is not None
    assert check_param_name("p" * 64) is None


# --- nodes ------------------------------------------------------------------------------------


def test_node_cycle_is_reported_with_node_names() -> None:
    doc = job(node("extract", "report"), node("load", "extract"), node("report", "load"))

    violation = only(validate_job(doc))

    assert violation.rule == "dag.cycle"
    assert violation.field == "nodes[0].preNodeName"
    assert "extract → load → report → extract" in violation.message


def test_too_many_nodes() -> None:
    doc = job(*(node(f"n{i}") for i in range(4)))

    assert found(validate_job(doc, max_nodes=3)) == {("nodes", "limit")}
    assert validate_job(doc, max_nodes=4) == []


def test_nodes_must_be_a_list_of_objects() -> None:
    assert found(validate_job(job() | {"nodes": {"a": 1}})) == {("nodes", "type")}
    assert found(validate_job(job("oops"))) == {("nodes[0]", "type")}  # type: ignore[arg-type]


def test_node_type_is_required_but_an_open_set() -> None:
    assert validate_job(job(node("a", type="SomeFutureNodeType"))) == []
    assert found(validate_job(job(node("a", type="")))) == {("nodes[0].type", "required")}
    assert found(validate_job(job(node("a", type=3)))) == {("nodes[0].type", "type")}


def test_node_name_rules() -> None:
    doc = job(node("has space"), {"type": "Dummy"})

    assert found(validate_job(doc)) == {
        ("nodes[0].name", "name.charset"),
        ("nodes[1].name", "required"),
    }


def test_property_shape() -> None:
    props = [
        {"value": "x"},
        {"name": "a"},
        {"name": "b", "value": ["x"]},
        "c",
        {"name": 1, "value": "x"},
    ]

    assert found(validate_job(job(node("a", properties=props)))) == {
        ("nodes[0].properties[0].name", "required"),
        ("nodes[0].properties[1].value", "required"),
        ("nodes[0].properties[2].value", "type"),
        ("nodes[0].properties[3]", "type"),
        ("nodes[0].properties[4].name", "type"),
    }


def test_location_coordinates_must_be_numbers() -> None:
    doc = job(node("a", location={"x": "left", "y": "1"}))

    assert found(validate_job(doc)) == {("nodes[0].location.x", "type")}


@pytest.mark.parametrize(
    ("key", "good", "bad"),
    [
        ("pollingInterval", [1, 60], [0, 61]),
        ("maxExecutionTime", [5, 1440], [4, 1441]),
        ("retryTimes", [0, 5], [-1, 6]),
        ("retryInterval", [5, 120], [4, 121]),
    ],
)
def test_node_numeric_ranges(key: str, good: list[int], bad: list[int]) -> None:
    for value in good:
        assert validate_job(job(node("a", **{key: value}))) == []
    for value in bad:
        assert found(validate_job(job(node("a", **{key: value})))) == {(f"nodes[0].{key}", "range")}
    assert found(validate_job(job(node("a", **{key: "ten"})))) == {(f"nodes[0].{key}", "type")}


def test_fail_policy_values() -> None:
    for policy in ("FAIL", "IGNORE", "SUSPEND", "FAIL_CHILD"):
        assert validate_job(job(node("a", failPolicy=policy))) == []
    assert found(validate_job(job(node("a", failPolicy="RETRY")))) == {
        ("nodes[0].failPolicy", "enum")
    }


def test_exec_timeout_retry_must_be_boolean_like() -> None:
    assert validate_job(job(node("a", execTimeOutRetry=True))) == []
    bad = validate_job(job(node("a", execTimeOutRetry="maybe")))
    assert found(bad) == {("nodes[0].execTimeOutRetry", "type")}


def test_condition_must_name_an_upstream() -> None:
    conditions = [
        {"preNodeName": "a", "expression": "#{true}"},
        {"preNodeName": "c", "expression": "#{true}"},
        {"preNodeName": "a"},
    ]
    doc = job(node("a"), node("c"), node("b", "a", conditions=conditions))

    assert found(validate_job(doc)) == {
        ("nodes[2].conditions[1].preNodeName", "node.condition"),
        ("nodes[2].conditions[2].expression", "required"),
    }


def test_node_event_trigger_needs_channel() -> None:
    doc = job(node("a", eventTrigger={"engineType": "DIS"}))

    assert found(validate_job(doc)) == {("nodes[0].eventTrigger.channel", "required")}


def test_node_cron_trigger_is_checked_like_a_schedule() -> None:
    trigger = {"expression": "0 0 2 * *", "startTime": "2025-01-01T00:00:00+08", "period": "1 days"}

    violation = only(validate_job(job(node("a", cronTrigger=trigger))))

    assert (violation.field, violation.rule) == ("nodes[0].cronTrigger.expression", "cron.invalid")


# --- params and basicConfig -------------------------------------------------------------------


def test_param_rules() -> None:
    params = [
        {"name": "ok", "value": "1"},
        {"name": "ok", "value": "2"},
        {"name": "p" * 65, "value": "x"},
        {"name": "long", "value": "v" * 1025},
        {"name": "missing"},
        {"name": "obj", "value": {"a": 1}},
        {"name": "fine-name_2", "value": 7},
    ]

    assert found(validate_job(job(params=params))) == {
        ("params[1].name", "param.unique"),
        ("params[2].name", "name.length"),
        ("params[3].value", "length"),
        ("params[4].value", "required"),
        ("params[5].value", "type"),
    }


def test_basic_config_rules() -> None:
    config = {"priority": 3, "owner": "o" * 129, "tags": ["ok", 5], "instanceTimeout": 2}

    assert found(validate_job(job(basicConfig=config))) == {
        ("basicConfig.priority", "enum"),
        ("basicConfig.owner", "length"),
        ("basicConfig.tags[1]", "type"),
        ("basicConfig.instanceTimeout", "range"),
    }
    assert validate_job(job(basicConfig={"priority": 2, "owner": "o" * 128})) == []


def test_empty_tags_object_means_no_tags_as_in_dataarts_own_answers() -> None:
    assert validate_job(job(basicConfig={"owner": "o", "tags": {}})) == []
    assert found(validate_job(job(basicConfig={"tags": {"finance": True}}))) == {
        ("basicConfig.tags", "type")
    }
    assert found(validate_job(job(basicConfig={"tags": "finance"}))) == {
        ("basicConfig.tags", "type")
    }


# --- schedule ---------------------------------------------------------------------------------


def test_schedule_type_must_be_known() -> None:
    violation = only(validate_job(job(schedule={"type": "HOURLY"})))

    assert (violation.field, violation.rule, violation.code) == (
        "schedule.type",
        "enum",
        "DLF.3025",
    )
    for kind in ("EXECUTE_ONCE", "RUN_ONCE", "EVENT_TRIGGER", "SCHEDULE"):
        assert validate_job(job(schedule={"type": kind})) == []


def test_event_schedule_needs_event_type_and_channel() -> None:
    assert found(validate_job(job(schedule={"type": "EVENT"}))) == {("schedule.event", "required")}
    assert found(validate_job(job(schedule={"type": "EVENT", "event": {}}))) == {
        ("schedule.event.eventType", "required"),
        ("schedule.event.channel", "required"),
    }
    good = {"type": "EVENT", "event": {"eventType": "DIS", "channel": "clicks"}}
    assert validate_job(job(schedule=good)) == []


def test_cron_block_needs_expression_and_start_time() -> None:
    violations = validate_job(job(schedule={"type": "CRON", "cron": {}}))

    assert found(violations) == {
        ("schedule.cron.expression", "required"),
        ("schedule.cron.startTime", "required"),
    }
    assert {v.code for v in violations} == {"DLF.3025"}


def test_cron_times_must_parse_and_be_ordered() -> None:
    bad_times = cron(startTime="yesterday", endTime="2025-13-01T00:00:00")
    reversed_times = cron(endTime="2024-12-31T23:59:59+08")

    assert found(validate_job(job(schedule=bad_times))) == {
        ("schedule.cron.startTime", "time.invalid"),
        ("schedule.cron.endTime", "time.invalid"),
    }
    assert found(validate_job(job(schedule=reversed_times))) == {
        ("schedule.cron.endTime", "time.order")
    }


def test_naive_end_time_is_read_in_the_expression_time_zone() -> None:
    # 2025-01-01T00:00+08 is 2024-12-31T16:00Z; a naive end of 20:00 in GMT+8 is before it.
    schedule = cron(endTime="2024-12-31T20:00:00", expressionTimeZone="GMT+8")

    assert found(validate_job(job(schedule=schedule))) == {("schedule.cron.endTime", "time.order")}


@pytest.mark.parametrize("zone", ["GMT+8", "GMT+08:00", "Asia/Shanghai", "UTC"])
def test_cron_time_zones_accepted(zone: str) -> None:
    assert validate_job(job(schedule=cron(expressionTimeZone=zone))) == []


@pytest.mark.parametrize("zone", [{"id": "GMT+8"}, ["GMT+8"], 8])
def test_a_time_zone_that_is_not_text_is_a_violation_not_a_crash(zone: object) -> None:
    # Objects and lists are not hashable: the parser's cache used to raise TypeError (a 500).
    [violation] = validate_job(job(schedule=cron(expressionTimeZone=zone)))

    assert (violation.field, violation.rule) == (
        "schedule.cron.expressionTimeZone",
        "timezone.invalid",
    )
    assert f"time zone {zone!r} is not text" in violation.message


def test_depend_jobs_shapes_and_self_dependency() -> None:
    depend = {
        "jobs": ["up", "daily", 3],
        "sameWorkSpaceJobs": [{"jobName": "daily"}],
        "otherWorkSpaceJobs": [{"jobName": "daily"}, {"jobName": "daily", "workSpace": "fin"}],
    }

    assert found(validate_job(job(schedule=cron(dependJobs=depend)))) == {
        ("schedule.cron.dependJobs.jobs[1]", "depend.self"),
        ("schedule.cron.dependJobs.jobs[2]", "type"),
        ("schedule.cron.dependJobs.sameWorkSpaceJobs[0].jobName", "depend.self"),
        ("schedule.cron.dependJobs.otherWorkSpaceJobs[0].workSpace", "required"),
    }
    legacy = found(validate_job(job(schedule=cron(dependJobs=["daily", {"jobs": ["x"]}]))))
    assert legacy == {("schedule.cron.dependJobs[0]", "depend.self")}


def test_dependency_period_and_fail_policy_are_dataarts_values() -> None:
    """DataArts' DependJob: dependPeriod SAME_PERIOD or PRE_PERIOD, dependFailPolicy FAIL,
    IGNORE or SUSPEND; absent or empty, DataArts' defaults apply."""
    good = {"jobs": ["up"], "dependPeriod": "PRE_PERIOD", "dependFailPolicy": "SUSPEND"}
    assert found(validate_job(job(schedule=cron(dependJobs=good)))) == set()
    assert (
        found(validate_job(job(schedule=cron(dependJobs={"jobs": ["up"], "dependPeriod": ""}))))
        == set()
    )
    bad = {"jobs": ["up"], "dependPeriod": "SAME", "dependFailPolicy": "fail"}
    problems = validate_job(job(schedule=cron(dependJobs=bad)))
    assert found(problems) == {
        ("schedule.cron.dependJobs.dependPeriod", "enum"),
        ("schedule.cron.dependJobs.dependFailPolicy", "enum"),
    }
    assert "SAME_PERIOD, PRE_PERIOD" in " ".join(v.message for v in problems)
    trigger = node("a", cronTrigger=cron(dependJobs=bad)["cron"])
    assert ("nodes[0].cronTrigger.dependJobs.dependPeriod", "enum") in found(
        validate_job(job(trigger))
    )


def test_a_dependency_naming_its_own_workspace_as_another_s_is_on_itself() -> None:
    depend = {"jobs": [], "otherWorkSpaceJobs": [{"jobName": "daily", "workSpace": "etl"}]}
    document = job(schedule=cron(dependJobs=depend))

    by_id = {"jobs": [], "otherWorkSpaceJobs": [{"jobName": "daily", "workSpaceId": "7"}]}
    own = ("schedule.cron.dependJobs.otherWorkSpaceJobs[0].jobName", "depend.self")

    assert found(validate_job(document, workspace=("etl", "7"))) == {own}
    assert found(validate_job(job(schedule=cron(dependJobs=by_id)), workspace=("etl", "7"))) == {
        own
    }
    assert validate_job(document, workspace=("fin", "8")) == []


# --- scripts ----------------------------------------------------------------------------------


def test_script_type_missing_is_dlf_6247() -> None:
    violation = only(validate_script({"name": "s", "content": "select 1"}))

    assert (violation.field, violation.rule, violation.code) == ("type", "required", "DLF.6247")


def test_validate_script_reports_every_violation() -> None:
    doc = {
        "name": "bad/name",
        "type": "COBOL",
        "content": 5,
        "description": "d" * 256,
        "configuration": ["x"],
    }

    assert found(validate_script(doc)) == {
        ("name", "name.charset"),
        ("type", "enum"),
        ("content", "type"),
        ("description", "length"),
        ("configuration", "type"),
    }


def test_script_content_limit_counts_utf8_bytes() -> None:
    fits = "a" * (4 * 1024 * 1024)
    too_big = "é" * (2 * 1024 * 1024 + 1)  # fewer characters than the limit, more bytes

    assert validate_script({"name": "s", "type": "Shell", "content": fits}) == []
    assert found(validate_script({"name": "s", "type": "Shell", "content": too_big})) == {
        ("content", "length")
    }


def test_script_content_is_required() -> None:
    assert found(validate_script({"name": "s", "type": "Shell"})) == {("content", "required")}
    assert validate_script({"name": "s", "type": "Shell", "content": ""}) == []


# --- resources --------------------------------------------------------------------------------


def test_validate_resource_uses_dataarts_codes() -> None:
    doc = {
        "name": "lib",
        "type": "zip",
        "location": "s3://bucket/lib.jar",
        "desc": "x" * 256,
        "dependFiles": ["obs://dlf-test/ok.jar", "/local/dep.jar"],
        "directory": "resources",
    }

    codes = {(v.field, v.rule, v.code) for v in validate_resource(doc)}

    assert codes == {
        ("type", "enum", "DLF.6263"),
        ("location", "obs.path", "DLF.6264"),
        ("desc", "length", "DLF.6265"),
        ("dependFiles[1]", "obs.path", "DLF.6264"),
        ("directory", "directory", "DLF.3051"),
    }


def test_resource_requires_name_type_and_location() -> None:
    codes = {(v.field, v.rule, v.code) for v in validate_resource({})}

    assert codes == {
        ("name", "required", "DLF.3051"),
        ("type", "required", "DLF.6263"),
        ("location", "required", "DLF.6264"),
    }


@pytest.mark.parametrize(
    "location", ["obs://bucket", "obs://bucket/", "obs://B/x.jar", "obs:/bucket/x.jar"]
)
def test_resource_location_must_be_an_obs_object_path(location: str) -> None:
    doc = {"name": "lib", "type": "jar", "location": location}

    assert found(validate_resource(doc)) == {("location", "obs.path")}


def test_non_object_documents_are_refused_not_crashed() -> None:
    for validate in (validate_job, validate_script, validate_resource):
        assert found(validate([])) == {("", "type")}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("validate", "doc"),
    [
        (validate_job, job()),
        (validate_script, {"name": "s", "type": "Shell", "content": "echo"}),
        (validate_resource, {"name": "r", "type": "jar", "location": "obs://bucket/a.jar"}),
    ],
    ids=["job", "script", "resource"],
)
def test_a_folder_path_is_at_most_1024_bytes_of_utf8(validate: Any, doc: dict[str, Any]) -> None:
    fits = "/" + "数" * 341  # 1,024 bytes
    assert not [v for v in validate({**doc, "directory": fits}) if v.field == "directory"]

    found = [v for v in validate({**doc, "directory": fits + "a"}) if v.field == "directory"]

    assert [v.rule for v in found] == ["length"]
    assert "1025 bytes" in found[0].message
    assert "limit is 1024 bytes" in found[0].message


def test_a_node_event_trigger_breaks_a_schedule_rule() -> None:
    doc = job(node("a", eventTrigger={"eventType": "DIS"}))

    assert {v.code for v in validate_job(doc)} == {"DLF.3025"}


def test_an_event_type_is_dis_kafka_or_obs() -> None:
    for kind in ("DIS", "KAFKA", "OBS"):
        good = {"type": "EVENT", "event": {"eventType": kind, "channel": "clicks"}}
        assert validate_job(job(schedule=good)) == []
    bad = {"type": "EVENT", "event": {"eventType": "MQTT", "channel": "clicks"}}
    violation = only(validate_job(job(schedule=bad)))
    assert (violation.field, violation.rule, violation.code) == (
        "schedule.event.eventType",
        "enum",
        "DLF.3025",
    )
    trigger = only(validate_job(job(node("a", eventTrigger={**bad["event"], "eventType": "dis"}))))
    assert (trigger.field, trigger.code) == ("nodes[0].eventTrigger.eventType", "DLF.3025")


@pytest.mark.parametrize("field", ["subJobName", "jobName"])
def test_a_subjob_node_calling_the_job_it_is_in_breaks_a_rule(field: str) -> None:
    """DataArts' Subjob node calls another batch job, one without Subjob nodes: the job it is
    in would call itself for ever. Another job is taken."""
    calls = {"name": "call", "type": "SubJob", "location": {"x": "0", "y": "0"}}
    itself = job(node("load"), {**calls, "properties": [{"name": field, "value": "daily"}]})
    found = validate_job(itself)
    assert [(v.field, v.rule) for v in found] == [("nodes[1].properties[0].value", "subjob.self")]
    assert "'call' calls job 'daily', the job it is in" in found[0].message
    other = job(node("load"), {**calls, "properties": [{"name": field, "value": "weekly"}]})
    assert validate_job(other) == []
