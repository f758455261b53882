"""Generated Terraform configurations of ``huaweicloud_dataarts_factory_job``, ``_script`` and
``_resource``, drawn over their schemas (``support.terraform_state``): every optional argument
present or absent, nested blocks and lists, Unicode names, and in a job a node of each type
``tests/clients/terraform/shapes.py`` knows (RESTAPI, DLISQL, Dummy). Values stay within what
the DataArts docs accept (docs/api.md, the contract's field constraints), so every drawn
configuration is one a user could apply; an update redraws a subset of the arguments.

Configurations are HCL arguments as Terraform holds them: nested blocks are lists of dicts, an
argument left out is missing (never ``""`` or an empty list).
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

from jobferry.domain.enums import FAIL_POLICIES, RESOURCE_TYPES, SCRIPT_TYPES
from jobferry.domain.schedule_rules import DEPEND_FAIL_POLICIES, DEPEND_PERIODS, EVENT_TYPES

NODE_KINDS = ("RESTAPI", "DLISQL", "Dummy")
"""The node types of the provider's docs and acceptance tests (``shapes.py``)."""

_RESTAPI_PROPERTIES = [
    ("url", "https://www.huaweicloud.com/"),
    ("method", "GET"),
    ("retry", "false"),
    ("requestMode", "sync"),
    ("securityAuthentication", "NONE"),
    ("agentName", "cdm-agent"),
]
_DLISQL_PROPERTIES = [
    ("database", "tf_db"),
    ("queueName", "default"),
    ("statementOrScript", "SCRIPT"),
    ("overloadRetryInterval", "300 sec"),
    ("maximumOverloadRetries", "0"),
]

_WORD = st.text(alphabet="abxyzAZ09_-订单数据", min_size=1, max_size=8)
"""A piece of a name: Latin letters, digits, ``_``, ``-`` and Chinese (one script with Latin)."""
NAMES = (
    st.sampled_from(("abxyzAZ09_-.订单数据", "отчёт09_-", "データ名09_", "보고서09_"))
    .flatmap(lambda letters: st.text(alphabet=letters, min_size=1, max_size=40))
    .filter(lambda name: name.strip(".") != "")
)
"""A name's stem in one script (Latin with CJK, Cyrillic, Japanese, Korean), dots too."""
_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda text: text.strip() == text)
"""A free text value: any printable Unicode, no blanks at either end."""
_LINES = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\n\t"
    ),
    min_size=1,
    max_size=40,
).filter(lambda text: text.strip())
"""Text as a heredoc gives it (SQL, a description): lines, tabs, blanks at either end, the
closing newline."""
_TIME = st.sampled_from(("+08", "+0800", "+08:00", "Z", "-05"))
"""The zones of a schedule's times as users write them (the docs' ``+08`` first)."""


def _path(draw: st.DrawFn, *, slash: bool = True) -> str:
    """A folder path as a user writes it: from ``/`` (or not), a closing ``/`` or not."""
    parts = draw(st.lists(_WORD, min_size=1, max_size=3))
    lead = "/" if slash or draw(st.booleans()) else ""
    return lead + "/".join(parts) + draw(st.sampled_from(("", "/")))


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _drop_none(config: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in config.items() if value is not None}


@st.composite
def _event(draw: st.DrawFn) -> list[dict[str, Any]]:
    return [
        _drop_none(
            {
                "event_type": draw(st.sampled_from(EVENT_TYPES)),
                "channel": draw(_WORD),
                "fail_policy": draw(_maybe(st.sampled_from(("SUSPEND", "IGNORE")))),
                "concurrent": draw(_maybe(st.integers(1, 128))),
                "read_policy": draw(_maybe(st.sampled_from(("LAST", "NEW")))),
            }
        )
    ]


@st.composite
def _cron(draw: st.DrawFn, own: str) -> list[dict[str, Any]]:
    depend = None
    if draw(st.booleans()):
        jobs = draw(st.lists(_WORD.map(lambda w: f"up_{w}"), max_size=2, unique=True))
        depend = [
            _drop_none(
                {
                    "jobs": [job for job in jobs if job != own],
                    "depend_period": draw(_maybe(st.sampled_from(DEPEND_PERIODS))),
                    "depend_fail_policy": draw(_maybe(st.sampled_from(DEPEND_FAIL_POLICIES))),
                }
            )
        ]
    day = draw(st.integers(1, 28))
    return [
        _drop_none(
            {
                "start_time": f"2024-01-{day:02d}T00:00:00{draw(_TIME)}",
                "end_time": draw(_maybe(_TIME.map(lambda zone: f"2099-12-31T23:59:59{zone}"))),
                "expression": draw(st.sampled_from(("0 0 2 * * ?", "0 30 1 * * ?", "0 0 * * * ?"))),
                "expression_time_zone": draw(
                    _maybe(st.sampled_from(("Asia/Shanghai", "GMT+08:00", "UTC")))
                ),
                "depend_pre_period": draw(_maybe(st.booleans())),
                "depend_jobs": depend,
            }
        )
    ]


@st.composite
def _schedule(draw: st.DrawFn, own: str) -> list[dict[str, Any]]:
    kind = draw(st.sampled_from(("EXECUTE_ONCE", "CRON", "EVENT")))
    block: dict[str, Any] = {"type": kind}
    if kind == "CRON":
        block["cron"] = draw(_cron(own))
    if kind == "EVENT":
        block["event"] = draw(_event())
    return [block]


def _properties(kind: str, draw: st.DrawFn) -> list[dict[str, Any]]:
    if kind == "RESTAPI":
        pairs = _RESTAPI_PROPERTIES
    elif kind == "DLISQL":
        pairs = _DLISQL_PROPERTIES
    else:
        pairs = draw(
            st.lists(st.tuples(_WORD, _LINES), min_size=1, max_size=3, unique_by=lambda p: p[0])
        )
    return [{"name": name, "value": value} for name, value in pairs]


@st.composite
def _node(
    draw: st.DrawFn, kind: str, name: str, earlier: list[str], real_time: bool
) -> dict[str, Any]:
    before = draw(_maybe(st.lists(st.sampled_from(earlier), unique=True))) if earlier else None
    conditions = None
    if before and draw(st.booleans()):
        conditions = [
            {"pre_node_name": pre, "expression": f'#{{Job.getNodeStatus("{pre}")=="success"}}'}
            for pre in before
        ]
    return _drop_none(
        {
            "name": name,
            "type": kind,
            "location": [{"x": draw(st.integers(-500, 2000)), "y": draw(st.integers(-500, 2000))}],
            "pre_node_name": before or None,
            "conditions": conditions,
            "properties": _properties(kind, draw),
            "polling_interval": draw(_maybe(st.integers(1, 60))),
            "max_execution_time": draw(_maybe(st.integers(5, 1440))),
            "retry_times": draw(_maybe(st.integers(1, 5))),
            "retry_interval": draw(_maybe(st.integers(5, 120))),
            "fail_policy": draw(_maybe(st.sampled_from(FAIL_POLICIES))),
            "event_trigger": draw(_maybe(_event())) if real_time else None,
        }
    )


@st.composite
def _nodes(draw: st.DrawFn, real_time: bool) -> list[dict[str, Any]]:
    kinds = draw(st.permutations(NODE_KINDS))
    names: list[str] = []
    nodes = []
    for k, kind in enumerate(kinds):
        name = f"{draw(_WORD)}_{k}"
        nodes.append(draw(_node(kind, name, list(names), real_time)))
        names.append(name)
    return nodes


@st.composite
def _basic_config(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A ``basic_config`` block setting one argument or more: an empty block is sent as
    ``{}``, answered so (by DataArts too: show answers the definition as saved) and read as no
    block, a change in every plan (docs/api.md, "Compatibility")."""
    fields = st.dictionaries(_WORD, _TEXT, min_size=1, max_size=2)
    block = draw(_basic_fields(fields))
    return [block] if block else [{"owner": draw(_WORD)}]


@st.composite
def _basic_fields(draw: st.DrawFn, fields: st.SearchStrategy[dict[str, str]]) -> dict[str, Any]:
    return _drop_none(
        {
            "owner": draw(_maybe(_WORD)),
            "priority": draw(_maybe(st.integers(1, 2))),
            "execute_user": draw(_maybe(_WORD)),
            "instance_timeout": draw(_maybe(st.integers(5, 1440))),
            "custom_fields": draw(_maybe(fields)),
        }
    )


_PARAM = st.fixed_dictionaries(
    {"name": st.text(alphabet="abcXYZ019_-", min_size=1, max_size=10), "value": _TEXT},
    optional={"type": st.sampled_from(("variable", "constant"))},
)


@st.composite
def jobs(draw: st.DrawFn, workspace: str, name: str) -> dict[str, Any]:
    """A job's configuration named ``name`` (each story's own) in ``workspace``."""
    process_type = draw(st.sampled_from(("BATCH", "REAL_TIME")))
    params = draw(_maybe(st.lists(_PARAM, min_size=1, max_size=3, unique_by=lambda p: p["name"])))
    return _drop_none(
        {
            "name": name,
            "workspace_id": workspace,
            "process_type": process_type,
            "nodes": draw(_nodes(process_type == "REAL_TIME")),
            "schedule": draw(_schedule(name)),
            "params": params,
            "directory": _path(draw, slash=False) if draw(st.booleans()) else None,
            "log_path": f"obs://tf-logs{_path(draw)}" if draw(st.booleans()) else None,
            "basic_config": draw(_maybe(_basic_config())),
        }
    )


@st.composite
def job_updates(draw: st.DrawFn, config: dict[str, Any]) -> dict[str, Any]:
    """``config`` with some of its arguments redrawn or left out (the name kept: the provider
    updates by the name it created, its resource id)."""
    fresh = draw(jobs(config["workspace_id"], config["name"]))
    keys = ("process_type", "nodes", "schedule", "params", "directory", "log_path", "basic_config")
    chosen = draw(st.sets(st.sampled_from(keys), min_size=1))
    updated = copy.deepcopy(config)
    for key in chosen:
        if key in fresh:
            updated[key] = fresh[key]
        else:
            updated.pop(key, None)
    if "process_type" in chosen and "nodes" not in chosen:
        updated["nodes"] = fresh["nodes"]  # event triggers belong to real-time nodes
    updated["nodes"] = _renamed(updated["nodes"], [node["name"] for node in config["nodes"]])
    for node, old in zip(updated["nodes"], config["nodes"], strict=True):
        if "conditions" in old and "conditions" not in node:
            # Left out, the conditions are planned as held; their upstream nodes stay with them.
            node["pre_node_name"], node["conditions"] = old["pre_node_name"], old["conditions"]
    return updated


def _renamed(nodes: list[dict[str, Any]], names: list[str]) -> list[dict[str, Any]]:
    """``nodes`` under ``names``, in order: a node's Optional+Computed ``pre_node_name`` and
    ``conditions`` left out are planned as the node at its place held them, which name the
    nodes that were there (Terraform matches list items by place, not by name)."""
    new = dict(zip((node["name"] for node in nodes), names, strict=True))
    out = copy.deepcopy(nodes)
    for node in out:
        node["name"] = new[node["name"]]
        if "pre_node_name" in node:
            node["pre_node_name"] = [new[pre] for pre in node["pre_node_name"]]
        for condition in node.get("conditions", []):
            pre = new[condition["pre_node_name"]]
            condition["pre_node_name"] = pre
            condition["expression"] = f'#{{Job.getNodeStatus("{pre}")=="success"}}'
    return out


@st.composite
def scripts(draw: st.DrawFn, workspace: str, name: str) -> dict[str, Any]:
    """A script's configuration (``target_status`` and ``approvers`` as the docs use them)."""
    approvers = draw(_maybe(st.lists(_WORD, min_size=1, max_size=2, unique=True)))
    return _drop_none(
        {
            "workspace_id": workspace,
            "name": name,
            "type": draw(st.sampled_from(SCRIPT_TYPES)),
            "content": draw(_LINES),
            "connection_name": draw(_WORD),
            "directory": _path(draw, slash=False) if draw(st.booleans()) else None,
            "database": draw(_maybe(_WORD)),
            "queue_name": draw(_maybe(_WORD)),
            "description": draw(_maybe(_LINES)),
            "target_status": draw(_maybe(st.just("SUBMITTED"))),
            "approvers": None if approvers is None else [{"approver_name": a} for a in approvers],
            "configuration": draw(_maybe(st.dictionaries(_WORD, _TEXT, min_size=1, max_size=2))),
        }
    )


SCRIPT_UPDATABLE = (
    "content",
    "connection_name",
    "directory",
    "database",
    "queue_name",
    "description",
    "configuration",
)
"""A script's arguments an update may change (``name`` and ``type`` force a new one)."""


@st.composite
def resources(draw: st.DrawFn, workspace: str, name: str) -> dict[str, Any]:
    """A resource's configuration."""
    scheme = draw(st.sampled_from(("obs://", "hdfs://")))
    packages = st.lists(
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(("file", "jar", "pyFile")),  # an archive depends on none
                "location": _WORD.map(lambda w: f"obs://tf-deps/{w}.jar"),
            }
        ),
        min_size=1,
        max_size=2,
    )
    return _drop_none(
        {
            "workspace_id": workspace,
            "name": name,
            "type": draw(st.sampled_from(RESOURCE_TYPES)),
            "location": f"{scheme}tf-bucket/{draw(_WORD)}/main.jar",
            "directory": _path(draw) if draw(st.booleans()) else "/",
            "depend_packages": draw(_maybe(packages)),
            "description": draw(_maybe(_LINES)),
        }
    )


@st.composite
def updates(
    draw: st.DrawFn, config: dict[str, Any], fresh: dict[str, Any], keys: tuple[str, ...]
) -> dict[str, Any]:
    """``config`` with a drawn subset of ``keys`` taken from ``fresh`` (left out where
    ``fresh`` leaves them out)."""
    chosen = draw(st.sets(st.sampled_from(keys), min_size=1))
    updated = copy.deepcopy(config)
    for key in chosen:
        if key in fresh:
            updated[key] = fresh[key]
        else:
            updated.pop(key, None)
    return updated
