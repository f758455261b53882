"""Stories of a workspace's scripts and resources as the official SDK sends them (camelCase
``ScriptInfo``/``ResourceInfo`` bodies, names in the path percent-encoded): creates, updates,
shows, lists and deletes, valid or broken one way (``support/script_resource_model.py`` says
what each answers), and jobs saved naming a script and a resource, or deleted, so that a
script or resource in use is deleted or renamed.

A step is ``Step(act, args)``:

- ``create_script`` / ``update_script`` (name, body, fault or ``None``), ``show_script`` /
  ``delete_script`` (name), ``list_scripts`` ();
- ``create_resource`` (body, fault), ``update_resource`` (pick, body, fault),
  ``show_resource`` / ``delete_resource`` (pick), ``list_resources`` (): ``pick`` chooses
  among the resources the story made, in order, one past them an id never made;
- ``save_job`` (job, script, resource), ``delete_job`` (job).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from support.release_stories import Step
from support.script_resource_model import RESOURCE_TYPES, SCRIPT_TYPES

SCRIPTS = ("s_a", "s.b", "脚本_1", "s" * 128)
RESOURCES = ("r_a", "r-b", "资源_1", "r" * 128)
JOBS = ("j_a", "j_b")
TOO_LONG = "n" * 129
FORBIDDEN = ("bad name", "a/b", "a*b", "?q", "..", "tail ", "аdmin")
"""Names the name rule refuses: a blank, a slash, other signs, only dots, a blank at the end,
letters of two scripts (a Cyrillic ``а``)."""
BAD_DIRECTORIES = ("libs", "libs/udf")
"""Resource directories a save refuses: not a path from ``/`` (a script's is kept as sent)."""
SQL_TYPES = frozenset(
    {"DLISQL", "SparkSQL", "HiveSQL", "DWSSQL", "RDSSQL", "PRESTO", "ClickHouseSQL", "ImpalaSQL"}
)
UPDATE_SCRIPT_FAULTS = (
    "too_long",
    "forbidden",
    "no_type",
    "unknown_type",
    "no_content",
    "long_description",
)
CREATE_SCRIPT_FAULTS = (*UPDATE_SCRIPT_FAULTS, "no_name")
UPDATE_RESOURCE_FAULTS = (
    "too_long",
    "forbidden",
    "unknown_type",
    "no_location",
    "bad_location",
    "bad_depend",
    "long_desc",
    "bad_directory",
)
CREATE_RESOURCE_FAULTS = (*UPDATE_RESOURCE_FAULTS, "no_name")


def _faulty(draw: st.DrawFn, faults: tuple[str, ...]) -> str | None:
    return draw(st.one_of(st.none(), st.none(), st.sampled_from(faults)))


def _named(body: dict[str, Any], fault: str | None, draw: st.DrawFn) -> None:
    if fault == "too_long":
        body["name"] = TOO_LONG
    elif fault == "forbidden":
        body["name"] = draw(st.sampled_from(FORBIDDEN))
    elif fault == "no_name":
        del body["name"]


@st.composite
def script_body(draw: st.DrawFn, name: str, fault: str | None) -> dict[str, Any]:
    """A ``ScriptInfo`` as the SDK sends it, broken by ``fault``."""
    kind = draw(st.sampled_from(SCRIPT_TYPES))
    body: dict[str, Any] = {
        "name": name,
        "type": kind,
        "content": draw(st.sampled_from(("select 1;", "echo ${day}", "print('数据')"))),
    }
    if kind in SQL_TYPES and draw(st.booleans()):
        body |= {"connectionName": "dws_conn", "database": "sales"}
    if kind == "DLISQL" and draw(st.booleans()):
        body |= {"queueName": "default", "configuration": {"spark.sql.shuffle": "8"}}
    if kind in ("Shell", "PYTHON") and draw(st.booleans()):
        body["connectionName"] = "ssh_conn"
    if draw(st.booleans()):
        body["directory"] = draw(
            st.sampled_from(("/", "/sales", "/sales/daily/", "etl//daily", "/数据"))
        )
    if draw(st.booleans()):
        body["description"] = draw(st.sampled_from(("", "daily load", "d" * 255)))
    if draw(st.booleans()):
        body["targetStatus"] = draw(st.sampled_from(("SAVED", "SUBMITTED")))
        if draw(st.booleans()):
            body["approvers"] = [{"approverName": "admin"}]
    if draw(st.booleans()):
        body["owner"] = "bob"
    _named(body, fault, draw)
    if fault == "no_type":
        del body["type"]
    elif fault == "unknown_type":
        body["type"] = draw(st.sampled_from(("MySQL", "shell", "")))
    elif fault == "no_content":
        del body["content"]
    elif fault == "long_description":
        body["description"] = "d" * 256
    return body


@st.composite
def resource_body(draw: st.DrawFn, name: str, fault: str | None) -> dict[str, Any]:
    """A ``ResourceInfo`` as the SDK sends it, broken by ``fault``."""
    body: dict[str, Any] = {
        "name": name,
        "type": draw(st.sampled_from(RESOURCE_TYPES)),
        "location": draw(
            st.sampled_from(
                (
                    "obs://bucket-a/libs/udf.jar",
                    "hdfs://namenode/apps/x.py",
                    "obs://my-bucket/a.zip",
                )
            )
        ),
    }
    if draw(st.booleans()):
        body["dependFiles"] = draw(
            st.sampled_from(([], ["obs://bucket-a/dep/a.jar"], ["obs://b-2/x.py", "obs://b-2/y"]))
        )
    if draw(st.booleans()):
        body["desc"] = draw(st.sampled_from(("", "UDFs", "d" * 255)))
    if draw(st.booleans()):
        body["directory"] = draw(st.sampled_from(("/libs", "/libs//udf/", "/资源")))
    _named(body, fault, draw)
    if fault == "bad_directory":
        body["directory"] = draw(st.sampled_from(BAD_DIRECTORIES))
    elif fault == "unknown_type":
        body["type"] = draw(st.sampled_from(("exe", "JAR", "python")))
    elif fault == "no_location":
        del body["location"]
    elif fault == "bad_location":
        body["location"] = draw(st.sampled_from(("http://host/a.jar", "/tmp/a.jar", "obs://")))
    elif fault == "bad_depend":
        body["dependFiles"] = draw(st.sampled_from((["ftp://x/a"], ["hdfs://namenode/a"])))
    elif fault == "long_desc":
        body["desc"] = "d" * 256
    return body


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of a story."""
    act = draw(
        st.sampled_from(
            (
                "create_script",
                "create_script",
                "update_script",
                "show_script",
                "delete_script",
                "list_scripts",
                "create_resource",
                "create_resource",
                "update_resource",
                "show_resource",
                "delete_resource",
                "list_resources",
                "save_job",
                "delete_job",
            )
        )
    )
    script = draw(st.sampled_from(SCRIPTS))
    if act in ("create_script", "update_script"):
        faults = CREATE_SCRIPT_FAULTS if act == "create_script" else UPDATE_SCRIPT_FAULTS
        fault = _faulty(draw, faults)
        return Step(act, (script, draw(script_body(script, fault)), fault))
    if act in ("show_script", "delete_script"):
        return Step(act, (script,))
    pick = draw(st.integers(0, 3))
    if act in ("create_resource", "update_resource"):
        faults = CREATE_RESOURCE_FAULTS if act == "create_resource" else UPDATE_RESOURCE_FAULTS
        fault = _faulty(draw, faults)
        body = draw(resource_body(draw(st.sampled_from(RESOURCES)), fault))
        if act == "update_resource" and fault is None and draw(st.booleans()):
            del body["name"]  # an update may leave the name out: the resource keeps its own
        return Step(act, (body, fault) if act == "create_resource" else (pick, body, fault))
    if act in ("show_resource", "delete_resource"):
        return Step(act, (pick,))
    if act == "save_job":
        return Step(act, (draw(st.sampled_from(JOBS)), script, draw(st.sampled_from(RESOURCES))))
    if act == "delete_job":
        return Step(act, (draw(st.sampled_from(JOBS)),))
    return Step(act)


def script_resource_stories(max_steps: int = 14) -> st.SearchStrategy[list[Step]]:
    """A story: up to ``max_steps`` steps."""
    return st.lists(steps(), min_size=1, max_size=max_steps)


def job_naming(job: str, script: str, resource: str) -> dict[str, Any]:
    """A saved batch job whose one node runs ``script`` with the resource ``resource``."""
    return {
        "name": job,
        "processType": "BATCH",
        "schedule": {"type": "EXECUTE_ONCE"},
        "nodes": [
            {
                "name": "load",
                "type": "DWSSQL",
                "location": {"x": "10", "y": "20"},
                "properties": [
                    {"name": "scriptName", "value": script},
                    {"name": "resourceName", "value": resource},
                ],
            }
        ],
    }
