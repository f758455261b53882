"""The reference table: which field of a job or script names which kind of object."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest

from jobferry.domain.enums import AnyRefKind, EnvironmentKind, RefKind
from jobferry.domain.references import (
    JOB_RESOURCE_TYPE_KINDS,
    NODE_PROPERTY_RULES,
    Reference,
    distinct_references,
    first_occurrences,
    job_references,
    references_of,
    rename_references,
    script_references,
    values_of,
)
from support.builders import FIXTURES


def fixture(name: str) -> dict[str, Any]:
    """A DataArts example document from tests/data (provenance in its SOURCES.md)."""
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return loaded


def node(name: str, node_type: str, **props: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": node_type,
        "location": {"x": "0", "y": "0"},
        "properties": [{"name": k, "value": v} for k, v in props.items()],
    }


def job(*nodes: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"name": "daily", "processType": "BATCH", "nodes": list(nodes), **top}


def kinds_and_names(doc: dict[str, Any]) -> list[tuple[AnyRefKind, str]]:
    return [(ref.kind, ref.name) for ref in job_references(doc)]


# One case per (node type, property) the table covers; a meta-test checks every row has one.
PROPERTY_CASES = [
    ("HiveSQL", "scriptName", RefKind.SCRIPT),
    ("Shell", "scriptName", RefKind.SCRIPT),
    ("CSJob", "scriptName", RefKind.SCRIPT),
    ("HiveSQL", "connectionName", EnvironmentKind.CONNECTION),
    ("DLISQL", "queueName", EnvironmentKind.DLI_QUEUE),
    ("CDMJob", "clusterName", EnvironmentKind.CDM_CLUSTER),
    ("CDMJob", "jobName", EnvironmentKind.CDM_JOB),
    ("MRSSpark", "clusterName", EnvironmentKind.MRS_CLUSTER),
    ("MapReduce", "clusterName", EnvironmentKind.MRS_CLUSTER),
    ("MRSFlink", "clusterName", EnvironmentKind.MRS_CLUSTER),
    ("MRSFlinkJob", "clusterName", EnvironmentKind.MRS_CLUSTER),
    ("MRSHetuEngine", "clusterName", EnvironmentKind.MRS_CLUSTER),
    ("MRSSparkPython", "clusterName", EnvironmentKind.MRS_CLUSTER),
    ("DLISpark", "clusterName", EnvironmentKind.DLI_QUEUE),
    ("DISStream", "streamName", EnvironmentKind.DIS_STREAM),
    ("DISTransferTask", "streamName", EnvironmentKind.DIS_STREAM),
    ("ImportGES", "graphName", EnvironmentKind.GES_GRAPH),
    ("GES", "graphName", EnvironmentKind.GES_GRAPH),
    ("Shell", "resourceName", RefKind.RESOURCE),
    ("MRSSpark", "resourcePath", RefKind.RESOURCE),
    ("MapReduce", "resourcePath", RefKind.RESOURCE),
    ("DLISpark", "resourcePath", RefKind.RESOURCE),
    ("MRSFlink", "resourcePath", RefKind.RESOURCE),
    ("SubJob", "subJobName", RefKind.JOB),
    ("SubJob", "jobName", RefKind.JOB),
    ("DataQualityMonitor", "qualityRuleName", EnvironmentKind.QUALITY_RULE),
    ("DQMJob", "qualityRuleName", EnvironmentKind.QUALITY_RULE),
    ("Shell", "resourceGroup", EnvironmentKind.RESOURCE_GROUP),
    ("DLISQL", "resourceGroupName", EnvironmentKind.RESOURCE_GROUP),
]


@pytest.mark.parametrize(("node_type", "prop", "kind"), PROPERTY_CASES)
def test_node_property_names_its_kind(node_type: str, prop: str, kind: AnyRefKind) -> None:
    doc = job(node("n1", node_type, **{prop: "target_1", "unrelated": "target_2"}))

    assert job_references(doc) == [
        Reference(kind, "target_1", "nodes[0].properties[0].value", node="n1")
    ]


def test_every_node_property_rule_has_a_case() -> None:
    for rule in NODE_PROPERTY_RULES:
        covered = [
            case
            for case in PROPERTY_CASES
            if case[1] == rule.property
            and case[2] == rule.kind
            and (rule.node_types is None or case[0] in rule.node_types)
        ]
        assert covered, f"no test case for {rule}"
        if rule.node_types is not None:
            assert {c[0] for c in covered} == rule.node_types, rule


@pytest.mark.parametrize(
    ("node_type", "prop"),
    [
        ("CSJob", "clusterName"),  # no CS cluster kind; "-1" means no cluster anyway
        ("CSJob", "jobName"),  # the Flink job's own name, not a reference
        ("HiveSQL", "clusterName"),
        ("MRSSpark", "jobName"),
        ("HiveSQL", "database"),
        ("Shell", "resourcePath"),
    ],
)
def test_properties_outside_the_table_are_not_references(node_type: str, prop: str) -> None:
    assert job_references(job(node("n1", node_type, **{prop: "something"}))) == []


@pytest.mark.parametrize(
    "value", ["", "  ", "-1", "obs://bucket/lib/app.jar", "/opt/app.jar", '#{Env.get("conn")}']
)
def test_values_that_cannot_name_an_object_are_skipped(value: str) -> None:
    doc = job(node("n1", "MRSSpark", clusterName=value, resourcePath=value, scriptName=value))

    assert job_references(doc) == []


def test_partly_parametrised_value_is_skipped() -> None:
    assert job_references(job(node("n1", "DWSSQL", connectionName="dws_${env}"))) == []


def test_non_string_property_values_are_ignored() -> None:
    doc = job({"name": "n1", "type": "Shell", "properties": [{"name": "scriptName", "value": 7}]})

    assert job_references(doc) == []


def test_reference_table_finds_cdm_cluster_and_job() -> None:
    doc = job(node("sync", "CDMJob", clusterName="cdm-prod", jobName="orders_to_dws"))

    assert job_references(doc) == [
        Reference(
            EnvironmentKind.CDM_CLUSTER, "cdm-prod", "nodes[0].properties[0].value", node="sync"
        ),
        Reference(
            EnvironmentKind.CDM_JOB, "orders_to_dws", "nodes[0].properties[1].value", node="sync"
        ),
    ]


def test_cron_depend_jobs_name_same_workspace_jobs() -> None:
    depend = {"jobs": ["ods_ingest"], "dependPeriod": "SAME_PERIOD"}
    doc = job(
        schedule={"type": "CRON", "cron": {"expression": "0 0 2 * * ?", "dependJobs": depend}}
    )

    assert job_references(doc) == [
        Reference(RefKind.JOB, "ods_ingest", "schedule.cron.dependJobs.jobs[0]")
    ]


def test_same_and_other_workspace_dependencies() -> None:
    depend = {
        "jobs": [],
        "sameWorkSpaceJobs": [{"jobName": "local_up"}],
        "otherWorkSpaceJobs": [{"jobName": "remote_up", "workSpace": "finance"}],
    }
    doc = job(schedule={"type": "CRON", "cron": {"dependJobs": depend}})

    assert job_references(doc) == [
        Reference(RefKind.JOB, "local_up", "schedule.cron.dependJobs.sameWorkSpaceJobs[0].jobName"),
        Reference(
            RefKind.JOB,
            "remote_up",
            "schedule.cron.dependJobs.otherWorkSpaceJobs[0].jobName",
            workspace="finance",
        ),
    ]


def test_other_workspace_falls_back_to_workspace_id() -> None:
    depend = {"otherWorkSpaceJobs": [{"jobName": "up", "workSpaceId": "ws-42"}]}
    doc = job(schedule={"type": "CRON", "cron": {"dependJobs": depend}})

    assert [ref.workspace for ref in job_references(doc)] == ["ws-42"]


def test_legacy_depend_jobs_list_is_tolerated() -> None:
    as_names = job(schedule={"type": "CRON", "cron": {"dependJobs": ["a", "b"]}})
    as_objects = job(schedule={"type": "CRON", "cron": {"dependJobs": [{"jobs": ["c"]}]}})

    assert [(r.name, r.field) for r in job_references(as_names)] == [
        ("a", "schedule.cron.dependJobs[0]"),
        ("b", "schedule.cron.dependJobs[1]"),
    ]
    assert [(r.name, r.field) for r in job_references(as_objects)] == [
        ("c", "schedule.cron.dependJobs[0].jobs[0]")
    ]


def test_node_cron_trigger_depend_jobs_are_references() -> None:
    trigger = {"expression": "0 0 2 * * ?", "dependJobs": {"jobs": ["up"]}}
    doc = job({**node("n1", "Dummy"), "cronTrigger": trigger})

    assert job_references(doc) == [
        Reference(RefKind.JOB, "up", "nodes[0].cronTrigger.dependJobs.jobs[0]", node="n1")
    ]


def test_dis_event_channel_names_a_stream() -> None:
    dis = job(schedule={"type": "EVENT", "event": {"eventType": "DIS", "channel": "clicks"}})
    kafka = job(schedule={"type": "EVENT", "event": {"eventType": "KAFKA", "channel": "topic"}})

    assert job_references(dis) == [
        Reference(EnvironmentKind.DIS_STREAM, "clicks", "schedule.event.channel")
    ]
    assert job_references(kafka) == []


def test_basic_config_tags_and_agency() -> None:
    doc = job(basicConfig={"owner": "me", "agency": "dlf_agency", "tags": ["daily", "finance"]})
    no_agency = job(basicConfig={"agency": "", "tags": []})

    assert kinds_and_names(doc) == [
        (EnvironmentKind.AGENCY, "dlf_agency"),
        (RefKind.TAG, "daily"),
        (RefKind.TAG, "finance"),
    ]
    assert job_references(no_agency) == []


def test_realtime_fixture_references_in_document_order() -> None:
    refs = job_references(fixture("otc_doc_job_realtime_myJob_dis_cs_dli.job"))

    assert [(r.kind, r.name, r.node) for r in refs] == [
        (EnvironmentKind.DIS_STREAM, "csinput", "DIS_INPUT"),
        (RefKind.SCRIPT, "CS_PROCESS_TRIP", "CS_PROCESS"),
        (EnvironmentKind.DIS_STREAM, "dis-event", "DIS_EVENT"),
        (
            EnvironmentKind.DIS_STREAM,
            "dis-event",
            "TRIP_RAW_STANDARD",
        ),  # eventTrigger (engineType DIS)
        (RefKind.SCRIPT, "TRIP_RAW_STANDARD", "TRIP_RAW_STANDARD"),
        (EnvironmentKind.DLI_QUEUE, "default", "TRIP_RAW_STANDARD"),
    ]
    assert refs[3].field == "nodes[3].eventTrigger.channel"


def test_hivesql_fixture_references_script_and_connection() -> None:
    assert kinds_and_names(fixture("otc_doc_job_myJob_hivesql.job")) == [
        (RefKind.SCRIPT, "test_hive_sql"),
        (EnvironmentKind.CONNECTION, "mrs_hive_test"),
    ]


def test_distinct_references_keeps_first_occurrence_order() -> None:
    refs = job_references(fixture("otc_doc_job_realtime_myJob_dis_cs_dli.job"))

    assert distinct_references(refs) == [
        (EnvironmentKind.DIS_STREAM, "csinput", None),
        (RefKind.SCRIPT, "CS_PROCESS_TRIP", None),
        (EnvironmentKind.DIS_STREAM, "dis-event", None),
        (RefKind.SCRIPT, "TRIP_RAW_STANDARD", None),
        (EnvironmentKind.DLI_QUEUE, "default", None),
    ]


def test_distinct_references_separates_workspaces() -> None:
    refs = [
        Reference(RefKind.JOB, "up", "a"),
        Reference(RefKind.JOB, "up", "b", workspace="finance"),
        Reference(RefKind.JOB, "up", "c"),
    ]

    assert distinct_references(refs) == [(RefKind.JOB, "up", None), (RefKind.JOB, "up", "finance")]


def test_script_references_connection_and_queue() -> None:
    refs = script_references(fixture("hwdocs_dgc_script_dlisql1.script"))

    assert refs == [
        Reference(EnvironmentKind.CONNECTION, "dliCon1", "connectionName"),
        Reference(EnvironmentKind.DLI_QUEUE, "queue1", "queueName"),
    ]
    assert script_references({"name": "s", "connectionName": ""}) == []


def test_rename_references_rewrites_connection_only_where_referenced() -> None:
    doc = job(
        node("load", "DWSSQL", scriptName="dws_dev", connectionName="dws_dev", database="dws_dev"),
        params=[{"name": "conn", "value": "dws_dev"}],
        description="reads dws_dev",
    )
    before = copy.deepcopy(doc)

    renamed = rename_references(doc, {(EnvironmentKind.CONNECTION, "dws_dev"): "dws_prod"})

    assert doc == before  # the input is not touched
    expected = copy.deepcopy(doc)
    expected["nodes"][0]["properties"][1]["value"] = "dws_prod"
    assert renamed == expected
    assert json.dumps(renamed) == json.dumps(expected)  # key order too


def test_rename_references_keeps_unknown_keys_and_key_order() -> None:
    doc = fixture("otc_doc_job_realtime_myJob_dis_cs_dli.job")

    renamed = rename_references(doc, {(EnvironmentKind.DIS_STREAM, "dis-event"): "prod-event"})

    text = json.dumps(doc, ensure_ascii=False)
    assert json.dumps(renamed, ensure_ascii=False) == text.replace('"dis-event"', '"prod-event"')
    assert renamed["nodes"][3]["eventTrigger"]["channel"] == "prod-event"
    assert renamed["version"] == "1.0"
    assert renamed["resources"] == []


def test_rename_references_covers_job_level_sources() -> None:
    depend = {
        "jobs": ["up"],
        "otherWorkSpaceJobs": [{"jobName": "up", "workSpace": "finance"}],
    }
    doc = job(
        node("sync", "CDMJob", clusterName="cdm-dev", jobName="up"),
        schedule={"type": "CRON", "cron": {"dependJobs": depend}},
        basicConfig={"tags": ["dev"]},
    )

    renamed = rename_references(
        doc,
        {
            (RefKind.JOB, "up"): "up_v2",
            (EnvironmentKind.CDM_CLUSTER, "cdm-dev"): "cdm-prod",
            (RefKind.TAG, "dev"): "prod",
        },
    )

    assert renamed["schedule"]["cron"]["dependJobs"]["jobs"] == ["up_v2"]
    # a job of another workspace is another object; the CDM job "up" is another kind
    assert renamed["schedule"]["cron"]["dependJobs"]["otherWorkSpaceJobs"][0]["jobName"] == "up"
    assert renamed["nodes"][0]["properties"] == [
        {"name": "clusterName", "value": "cdm-prod"},
        {"name": "jobName", "value": "up"},
    ]
    assert renamed["basicConfig"]["tags"] == ["prod"]


def test_job_resource_types_map_to_kinds() -> None:
    assert JOB_RESOURCE_TYPE_KINDS == {
        "DWS_CONNECTION": EnvironmentKind.CONNECTION,
        "MRS_HIVE_CONNECTION": EnvironmentKind.CONNECTION,
        "MRS_SPARK_CONNECTION": EnvironmentKind.CONNECTION,
        "CDM_CLUSTER": EnvironmentKind.CDM_CLUSTER,
        "MRS_CLUSTER": EnvironmentKind.MRS_CLUSTER,
        "DIS_STREAM": EnvironmentKind.DIS_STREAM,
        "GES_GRAPH": EnvironmentKind.GES_GRAPH,
    }
    assert "ROMA_INSTANCE" not in JOB_RESOURCE_TYPE_KINDS


def test_malformed_documents_yield_no_references_rather_than_errors() -> None:
    odd: dict[str, Any] = {
        "nodes": [None, "x", {"type": "Shell", "properties": "scriptName"}],
        "schedule": {"cron": {"dependJobs": 5}, "event": []},
        "basicConfig": {"tags": "daily"},
    }

    assert job_references(odd) == []
    assert job_references({}) == []


def test_references_travel_as_plain_values_and_come_back_the_same() -> None:
    doc = {
        "name": "j",
        "nodes": [node("a", "DWSSQL", scriptName="s1", connectionName="c1")],
        "schedule": {"type": "CRON", "cron": {"dependJobs": {"jobs": ["up"]}}},
    }
    refs = job_references(doc)
    assert {(ref.kind, ref.name) for ref in refs} >= {
        (RefKind.SCRIPT, "s1"),
        (EnvironmentKind.CONNECTION, "c1"),
        (RefKind.JOB, "up"),
    }
    values = values_of(refs)
    # Plain tuples: pickling them calls no Python code per reference.
    assert all(type(value) is tuple for value in values)
    back = references_of(pickle.loads(pickle.dumps(values, pickle.HIGHEST_PROTOCOL)))
    assert back == refs
    assert all(type(ref) is Reference for ref in back)
    assert [ref.kind for ref in back] == [ref.kind for ref in refs]


def test_first_occurrences_keep_each_reference_once_where_it_first_appears() -> None:
    doc = {
        "name": "j",
        "nodes": [
            node("a", "DWSSQL", scriptName="s1", connectionName="c1"),
            node("b", "DWSSQL", scriptName="s2", connectionName="c1"),
            node("c", "DWSSQL", scriptName="s1", connectionName="c2"),
        ],
    }
    refs = job_references(doc)
    first = first_occurrences(refs)
    assert [(r.kind, r.name, r.workspace) for r in first] == distinct_references(refs)
    assert [r.node for r in first if r.name in ("s1", "c1")] == ["a", "a"]
    assert len(first) == 4 < len(refs)
