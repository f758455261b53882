"""Generated stories of the console's definition editor and library pages, for
``tests/console/test_generated_editor.py``: in a plain workspace, an enterprise one or its
production side, people of each role (admin, developer, operator, viewer) create jobs and
scripts in the editor from DataArts' own examples (``BODIES``), good or harmed (``HARMS``: not
JSON, no text, a list, a key DataArts has not, a field of the wrong type, no name, a name
taken, a job running a script the workspace lacks), with each status a save may ask; edit the
ones there (the same harms, and a rename), now and then from a page opened before someone else
saved (two tabs); read the scripts' and resources' pages; and delete scripts, used by a job or
not, or not there.

What the editor and the pages promise is ``support/editor_model.py``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

from support.release_stories import Step

PLACES = ("plain", "plain", "approval", "enterprise", "production")
"""Where a story happens: a plain workspace, one with approval on, an enterprise one, or its
production side."""
APPROVERS = ("", "", "", "ed_developer", "admin, ed_developer", "nobody", "ed_viewer")
"""The approvers typed (names, comma-separated): none, people of the project, one who is not."""
WHO = ("admin", "admin", "admin", "developer", "developer", "operator", "viewer")
TARGETS = ("SUBMITTED", "SAVED", "SAVED", "PRODUCTION")

BODIES: dict[str, dict[str, Any]] = {
    "hive_job": {
        "basicConfig": {"customFields": {}, "executeUser": "", "instanceTimeout": 0},
        "directory": "/myDir",
        "logPath": "obs://dlf-test-log",
        "name": "myJob",
        "nodes": [
            {
                "failPolicy": "FAIL_CHILD",
                "location": {"x": "-45.5", "y": "-134.5"},
                "maxExecutionTime": 360,
                "name": "MRS_Hive_SQL",
                "pollingInterval": 20,
                "preNodeName": [],
                "properties": [
                    {"name": "scriptName", "value": "daily_sales_sql"},
                    {"name": "connectionName", "value": "dws_conn"},
                    {"name": "database", "value": "default"},
                    {"name": "scriptArgs", "value": "test_var=111"},
                ],
                "retryInterval": 120,
                "retryTimes": 0,
                "type": "HiveSQL",
            }
        ],
        "processType": "BATCH",
        "schedule": {"type": "EXECUTE_ONCE"},
    },
    "spark_job": {
        "name": "sparkJob",
        "directory": "/spark",
        "processType": "BATCH",
        "nodes": [
            {
                "name": "spark_app",
                "type": "DLISpark",
                "location": {"x": "10", "y": "10"},
                "properties": [
                    {"name": "clusterName", "value": "q_spark"},
                    {"name": "resourceName", "value": "udf_jar"},
                    {"name": "jobName", "value": "spark_app"},
                ],
            }
        ],
        "schedule": {"type": "EXECUTE_ONCE"},
        "params": [],
    },
    "chinese_script": {
        "name": "销售_汇总",
        "type": "DWSSQL",
        "content": "select '销售' from t;",
        "directory": "/报表",
    },
    "shell_script": {
        "name": "echoTimeShell",
        "type": "Shell",
        "content": "echo a",
        "connectionName": "ssh_conn",
    },
    "dli_script": {
        "name": "dlisql1",
        "type": "DLISQL",
        "content": "show tables",
        "database": "testDatabase1",
        "queueName": "queue1",
        "directory": "/dli",
    },
    "spark_script": {
        "configuration": {},
        "content": "INSERT INTO target_table\nSELECT id, name FROM source_table;\n",
        "currentDatabase": "",
        "description": "",
        "directory": "/etl",
        "name": "load_data",
        "owner": "datalake",
        "templateVersion": "1.0",
        "type": "SparkSQL",
    },
}
"""Definitions as DataArts' documentation and users' repositories write them
(``otc_doc_job_myJob_hivesql.job``, ``otc_doc_script_echoTimeShell.script``,
``hwdocs_dgc_script_dlisql1.script``, ``dwtoolkit_load_data.script``; the job's script and
connection renamed to ones the seeded workspace holds, its CRON schedule made a run-once)."""
KIND_OF = {body: ("jobs" if body.endswith("_job") else "scripts") for body in BODIES}
HARMS = (
    "none",
    "none",
    "none",
    "bad_json",
    "empty",
    "list",
    "unknown_key",
    "wrong_type",
    "no_name",
    "taken",
    "missing_ref",
)
EDIT_HARMS = (*HARMS, "none", "none", "none", "rename", "rename")
UNREADABLE = frozenset({"bad_json", "empty", "list"})
"""Texts the editor itself refuses to read as a definition (besides a rename)."""
TAKEN = {"jobs": "daily_sales", "scripts": "daily_sales_sh"}
EDITABLE = {
    "jobs": ("daily_sales", "daily_sales", "myJob", "sparkJob", "gone"),
    "scripts": ("daily_sales_sql", "daily_sales_sh", "echoTimeShell", "销售_汇总", "gone"),
}
DELETABLE = ("daily_sales_sql", "daily_sales_sh", "echoTimeShell", "销售_汇总", "load_data", "gone")
READABLE = (
    ("scripts", "daily_sales_sql"),
    ("scripts", "daily_sales_sh"),
    ("scripts", "echoTimeShell"),
    ("scripts", "销售_汇总"),
    ("resources", "udf_jar"),
    ("scripts", "gone"),
    ("resources", "gone"),
)


def harmed(kind: str, body: dict[str, Any], harm: str) -> str:
    """The text typed: ``body`` as JSON, harmed by ``harm``."""
    body = copy.deepcopy(body)
    if harm == "bad_json":
        return json.dumps(body, indent=2)[:-2]
    if harm == "empty":
        return ""
    if harm == "list":
        return json.dumps([body])
    if harm == "unknown_key":
        body["colour"] = "red"
    elif harm == "wrong_type":
        body["nodes" if kind == "jobs" else "content"] = 5 if kind == "scripts" else "none"
    elif harm == "no_name":
        body.pop("name", None)
    elif harm == "taken":
        body["name"] = TAKEN[kind]
    elif harm == "rename":
        body["name"] = f"{body.get('name')}_2"
    elif harm == "missing_ref":
        _name_missing(kind, body)
    else:
        body["description"] = "typed in the editor"
    return json.dumps(body, indent=2, ensure_ascii=False)


def _name_missing(kind: str, body: dict[str, Any]) -> None:
    """A job's first node runs a script the workspace lacks; a script names a connection it
    lacks."""
    if kind == "scripts":
        body["connectionName"] = "no_such_conn"
        return
    for node in body.get("nodes") or []:
        for prop in node.get("properties") or []:
            if prop.get("name") == "scriptName":
                prop["value"] = "no_such_script"
                return


def _create() -> st.SearchStrategy[Step]:
    args = st.tuples(
        st.sampled_from(sorted(BODIES)),
        st.sampled_from(HARMS),
        st.sampled_from(TARGETS),
        st.sampled_from(WHO),
        st.sampled_from(APPROVERS),
    )
    return st.builds(Step, st.just("create"), args)


def _edit() -> st.SearchStrategy[Step]:
    kind = st.sampled_from(("jobs", "scripts"))
    args = kind.flatmap(
        lambda k: st.tuples(
            st.just(k),
            st.sampled_from(EDITABLE[k]),
            st.sampled_from(EDIT_HARMS),
            st.sampled_from(TARGETS),
            st.sampled_from(WHO),
            st.sampled_from((False, False, True)),  # opened before someone else saved it
            st.sampled_from(APPROVERS),
        )
    )
    return st.builds(Step, st.just("edit"), args)


def _delete() -> st.SearchStrategy[Step]:
    args = st.tuples(st.sampled_from(DELETABLE), st.sampled_from(WHO))
    return st.builds(Step, st.just("delete"), args)


def _read() -> st.SearchStrategy[Step]:
    args = st.tuples(st.sampled_from(READABLE), st.sampled_from(WHO))
    return st.builds(Step, st.just("read"), args)


def editor_stories() -> st.SearchStrategy[tuple[str, tuple[Step, ...]]]:
    """A place and a story of 1–7 steps there."""
    step = st.one_of(_create(), _create(), _edit(), _edit(), _delete(), _read())
    steps = st.lists(step, min_size=1, max_size=7).map(tuple)
    return st.tuples(st.sampled_from(PLACES), steps)


def a_story_of_every_step() -> tuple[str, tuple[Step, ...]]:
    """Each step once with what it takes, then refused (a hand-written example)."""
    return (
        "plain",
        (
            Step("create", ("shell_script", "none", "SUBMITTED", "admin", "")),
            Step("create", ("hive_job", "missing_ref", "SAVED", "developer", "")),
            Step("create", ("dli_script", "bad_json", "SAVED", "admin", "")),
            Step("create", ("shell_script", "none", "SAVED", "admin", "")),
            Step("create", ("dli_script", "none", "SAVED", "viewer", "")),
            Step("edit", ("jobs", "daily_sales", "none", "SUBMITTED", "admin", True, "")),
            Step("edit", ("scripts", "echoTimeShell", "rename", "SAVED", "developer", False, "")),
            Step("edit", ("scripts", "daily_sales_sh", "wrong_type", "SAVED", "admin", False, "")),
            Step("read", (("scripts", "daily_sales_sql"), "viewer")),
            Step("delete", ("daily_sales_sql", "admin")),
            Step("delete", ("echoTimeShell", "operator")),
            Step("delete", ("echoTimeShell", "developer")),
            Step("read", (("resources", "udf_jar"), "operator")),
        ),
    )
