"""What the documents promise of a job's document, its references and the jobs depending on
it (docs/api.md: ``create_job``, ``show_job``'s ``dependencies=true``, ``delete_job``, the
script and resource deletes, ``update_factory_job_name``, ``GET …/jobs/{name}/references``;
docs/design.md, "Deleting"; the contract's ``dependJobs``, ``DependWorkSpaceJob`` and first-level
``downstreamJobs``), as a model the generated stories of
``tests/unit/services/test_generated_job_graphs.py`` are checked against.

A job's nodes have unique names, each ``preNodeName`` names another node of the job, the links
form no cycle, every node has a type and a condition tests one of its node's upstreams; a job
depends on no job of its own name in its own workspace, whichever way it names it (by name,
``sameWorkSpaceJobs``, or ``otherWorkSpaceJobs`` naming its own workspace). A save breaking a
rule is refused with every violation named by field and rule (``DLF.3025`` when each is a
schedule's, else ``DLF.3051``); a node naming a script no one created is saved. A script,
resource or job a saved job names is not deleted (``DLF.9013``, naming the jobs); a job's
downstream jobs are the jobs of any workspace of the project whose dependencies or SubJob
nodes name it, each once, whether they name its workspace by name or by id. A rename rewrites
the jobs of its workspace depending on it, and is refused while a job of another workspace
depends on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from support.job_graph_stories import JOBS, PLACES, Depend, JobSpec, Node

INVALID = "DLF.3051"
SCHEDULE = "DLF.3025"
IN_USE = "DLF.9013"
JOB_MISSING = "DLF.0100"
JOB_TAKEN = "DLF.0102"
RENAME_MISSING = "DLF.30100"
SCRIPT_MISSING = "DLF.6201"
SCRIPT_TAKEN = "DLF.0202"
RESOURCE_MISSING = "DLF.6241"
RESOURCE_TAKEN = "DLF.6259"
CONNECTION = "mrs_hive_test"
PROPERTY = {"HiveSQL": "scriptName", "Shell": "scriptName", "DLISpark": "resourcePath"}
PROPERTY_KIND = {"scriptName": "script", "resourcePath": "resource", "subJobName": "job"}
Line = tuple[str, str, str | None, str | None]
"""An audit entry: (actor, action, object kind, object name)."""
Where = tuple[str, str]
"""A workspace's (name, id)."""
LOCAL = ("jobs", "same", "own", "own_id")
"""The dependencies naming a job of the depending job's own workspace."""


def node_name(i: int) -> str:
    return f"node_{i}"


def for_job(spec: JobSpec, job: str) -> JobSpec:
    """``spec`` as job ``job`` saves it: a SubJob node runs another job than itself (a job
    calling itself is refused, as one depending on itself; the domain tests tell that)."""
    other = JOBS[(JOBS.index(job) + 1) % len(JOBS)]
    nodes = tuple(
        replace(n, names=other) if n.kind == "SubJob" and n.names == job else n for n in spec.nodes
    )
    return replace(spec, nodes=nodes)


def _node(node: Node, i: int) -> dict[str, Any]:
    """A node as the documented HiveSQL job has it."""
    props = [{"name": PROPERTY.get(node.kind, "subJobName"), "value": node.names}]
    if node.connection:
        props.append({"name": "connectionName", "value": CONNECTION})
    return {
        "failPolicy": "FAIL_CHILD",
        "location": {"x": f"{-45.5 + 100 * i}", "y": "-134.5"},
        "maxExecutionTime": 360,
        "name": node_name(i),
        "pollingInterval": 20,
        "preNodeName": [node_name(up) for up in node.ups],
        "properties": props,
        "retryInterval": 120,
        "retryTimes": 0,
        "type": node.kind,
    }


def _depend_jobs(depends: tuple[Depend, ...], own: Where, other: Where) -> dict[str, Any]:
    block: dict[str, Any] = {
        "jobs": [d.job for d in depends if d.how == "jobs"],
        "dependPeriod": "SAME_PERIOD",
        "dependFailPolicy": "FAIL",
    }
    same = [{"jobName": d.job} for d in depends if d.how == "same"]
    if same:
        block["sameWorkSpaceJobs"] = same
    elsewhere = []
    for d in depends:
        if d.how in ("other", "own"):
            elsewhere.append(
                {"jobName": d.job, "workSpace": (other if d.how == "other" else own)[0]}
            )
        elif d.how in ("other_id", "own_id"):
            where = other if d.how == "other_id" else own
            elsewhere.append({"jobName": d.job, "workSpaceId": where[1]})
    if elsewhere:
        block["otherWorkSpaceJobs"] = elsewhere
    return block


def document(job: str, spec: JobSpec, own: Where, other: Where) -> dict[str, Any]:
    """The job document of ``spec`` (its faults made), grown from the documented one."""
    nodes = [_node(n, i) for i, n in enumerate(spec.nodes)]
    cron: dict[str, Any] = {
        "expression": "0 30 2 * * ?",
        "expressionTimeZone": "Asia/Shanghai",
        "startTime": "2024-01-01T00:00:00+08",
    }
    if spec.depends or "depend_self" in spec.faults:
        cron["dependJobs"] = _depend_jobs(spec.depends, own, other)
    doc: dict[str, Any] = {
        "name": job,
        "nodes": nodes,
        "processType": "BATCH",
        "schedule": {"type": "CRON", "cron": cron},
        "basicConfig": {"owner": "test_user", "priority": 0, "instanceTimeout": 0},
        "directory": "/myDir",
        "logPath": "obs://dlf-test-log",
    }
    _break(doc, spec.faults)
    return doc


def _break(doc: dict[str, Any], faults: frozenset[str]) -> None:
    nodes = doc["nodes"]
    if "cycle" in faults:
        if len(nodes) == 1:
            nodes.append({**nodes[0], "name": node_name(1), "preNodeName": []})
        if node_name(0) not in nodes[-1]["preNodeName"]:
            nodes[-1]["preNodeName"] = [node_name(0), *nodes[-1]["preNodeName"]]
        nodes[0]["preNodeName"] = [*nodes[0]["preNodeName"], nodes[-1]["name"]]
    last = nodes[-1]
    if "dangling" in faults:
        last["preNodeName"] = [*last["preNodeName"], "ghost"]
    if "self" in faults:
        last["preNodeName"] = [*last["preNodeName"], last["name"]]
    if "no_type" in faults:
        del nodes[0]["type"]
    if "condition" in faults:
        test = '#{Job.getNodeStatus("node_0")=="success"}'
        nodes[0]["conditions"] = [{"preNodeName": node_name(0), "expression": test}]
    if "duplicate" in faults:
        nodes.append({"name": node_name(0), "type": "Shell", "preNodeName": []})
    if "depend_self" in faults:
        jobs = doc["schedule"]["cron"]["dependJobs"]["jobs"]
        jobs.append(doc["name"])


def violations(doc: dict[str, Any], faults: frozenset[str], own: Where) -> set[tuple[str, str]]:
    """(field, rule) of every rule ``doc`` breaks in workspace ``own``: its faults and a
    dependency on itself."""
    nodes, found = doc["nodes"], set()
    real = len(nodes) - (1 if "duplicate" in faults else 0)
    last = real - 1
    pre = nodes[last]["preNodeName"]
    if "dangling" in faults:
        found.add((f"nodes[{last}].preNodeName[{pre.index('ghost')}]", "node.upstream"))
    if "self" in faults:
        found.add((f"nodes[{last}].preNodeName[{pre.index(nodes[last]['name'])}]", "node.self"))
    if "cycle" in faults:
        found.add(("nodes[0].preNodeName", "dag.cycle"))
    if "no_type" in faults:
        found.add(("nodes[0].type", "required"))
    if "condition" in faults:
        found.add(("nodes[0].conditions[0].preNodeName", "node.condition"))
    if "duplicate" in faults:
        found.add((f"nodes[{real}].name", "node.unique"))
    block = doc["schedule"]["cron"].get("dependJobs", {})
    base = "schedule.cron.dependJobs"
    for k, name in enumerate(block.get("jobs", [])):
        if name == doc["name"]:
            found.add((f"{base}.jobs[{k}]", "depend.self"))
    for key in ("sameWorkSpaceJobs", "otherWorkSpaceJobs"):
        for k, item in enumerate(block.get(key, [])):
            named = item.get("workSpace") or item.get("workSpaceId")
            here = key == "sameWorkSpaceJobs" or named in own
            if here and item["jobName"] == doc["name"]:
                found.add((f"{base}.{key}[{k}].jobName", "depend.self"))
    return found


def refused_with(doc: dict[str, Any], faults: frozenset[str], own: Where) -> tuple[str, set[Any]]:
    """The code a save of ``doc`` into workspace ``own`` is refused with ('' when it is
    saved) and the (field, rule) of each violation."""
    found = violations(doc, faults, own)
    if not found:
        return "", found
    schedule = all(rule == "depend.self" for _, rule in found)
    return (SCHEDULE if schedule else INVALID), found


@dataclass
class Place:
    """What one workspace holds."""

    name: str
    id: str
    jobs: dict[str, JobSpec] = field(default_factory=dict)
    scripts: set[str] = field(default_factory=set)
    resources: dict[str, str] = field(default_factory=dict)
    """Each resource's id."""


class Model:
    """The workspaces of a story, what they hold, and the audit entries each change writes."""

    def __init__(self, places: dict[str, tuple[str, str]], actor: str) -> None:
        self.places = {p: Place(name, ws_id) for p, (name, ws_id) in places.items()}
        self.actor = actor
        self.audit: list[Line] = []

    def other(self, place: str) -> str:
        return PLACES[1 - PLACES.index(place)]

    def where(self, place: str) -> tuple[Where, Where]:
        own, other = self.places[place], self.places[self.other(place)]
        return (own.name, own.id), (other.name, other.id)

    def doc(self, place: str, job: str) -> dict[str, Any]:
        """The development state of job ``job`` of ``place``."""
        return document(job, self.places[place].jobs[job], *self.where(place))

    def _wrote(self, action: str, kind: str, name: str) -> None:
        self.audit = [(self.actor, action, kind, name)]

    def save_job(self, place: str, job: str, spec: JobSpec) -> tuple[str, set[Any]]:
        """Create or update ``job``; the refusal's code ('' when saved) and violations."""
        held = self.places[place]
        own, other = self.where(place)
        code, found = refused_with(document(job, spec, own, other), spec.faults, own)
        if not code:
            action = "job.update" if job in held.jobs else "job.create"
            held.jobs[job] = spec
            self._wrote(action, "job", job)
        return code, found

    def create_script(self, place: str, name: str) -> str:
        held = self.places[place]
        if name in held.scripts:
            return SCRIPT_TAKEN
        held.scripts.add(name)
        self._wrote("script.create", "script", name)
        return ""

    def create_resource(self, place: str, name: str) -> str:
        if name in self.places[place].resources:
            return RESOURCE_TAKEN
        self._wrote("resource.create", "resource", name)
        return ""

    def users(self, place: str, kind: str, name: str) -> list[str]:
        """The jobs of ``place`` whose saved definition names the script or resource."""
        jobs = self.places[place].jobs
        return sorted(
            job
            for job, spec in jobs.items()
            if any(
                PROPERTY_KIND[PROPERTY.get(n.kind, "")] == kind and n.names == name
                for n in spec.nodes
                if n.kind != "SubJob"
            )
        )

    def delete_script(self, place: str, name: str) -> tuple[str, list[str]]:
        held = self.places[place]
        if name not in held.scripts:
            return SCRIPT_MISSING, []
        users = self.users(place, "script", name)
        if users:
            return IN_USE, users
        held.scripts.discard(name)
        self._wrote("script.delete", "script", name)
        return "", []

    def delete_resource(self, place: str, name: str) -> tuple[str, list[str]]:
        held = self.places[place]
        if name not in held.resources:
            return RESOURCE_MISSING, []
        users = self.users(place, "resource", name)
        if users:
            return IN_USE, users
        del held.resources[name]
        self._wrote("resource.delete", "resource", name)
        return "", []

    def downstream(self, place: str, job: str) -> list[tuple[str, str]]:
        """(workspace name, job) of the jobs whose saved definition depends on ``job`` of
        ``place`` (its dependencies or a SubJob node), each once, by workspace and name."""
        found = set()
        for there, held in self.places.items():
            for name, spec in held.jobs.items():
                if _depends_on(spec, there == place, job):
                    found.add((held.name, name))
        return sorted(found)

    def delete_job(self, place: str, job: str) -> tuple[str, list[tuple[str, str]]]:
        held = self.places[place]
        if job not in held.jobs:
            return JOB_MISSING, []
        waiting = [d for d in self.downstream(place, job) if d != (held.name, job)]
        if waiting:
            return IN_USE, waiting
        del held.jobs[job]
        self._wrote("job.delete", "job", job)
        return "", []

    def rename(self, place: str, job: str, new: str) -> tuple[str, list[str]]:
        """Rename ``job`` to ``new``; the refusal's code ('' when renamed) and the jobs of
        its workspace rewritten."""
        held = self.places[place]
        if job not in held.jobs:
            return RENAME_MISSING, []
        if new == job:
            self.audit = []
            return "", []
        if new in held.jobs:
            return JOB_TAKEN, []
        spec = held.jobs[job]
        calls = any(n.kind == "SubJob" and n.names == new for n in spec.nodes)
        if calls or any(d.job == new and d.how in LOCAL for d in spec.depends):
            return SCHEDULE, []  # renamed, it would depend on itself, or call itself
        if [d for d in self.downstream(place, job) if d[0] != held.name]:
            return IN_USE, []
        rewritten = sorted(
            name for name, spec in held.jobs.items() if name != job and _depends_on(spec, True, job)
        )
        for name in rewritten:
            held.jobs[name] = _renamed(held.jobs[name], job, new)
        held.jobs[new] = held.jobs.pop(job)
        self._wrote("job.rename", "job", new)
        return "", rewritten

    def references(self, place: str, job: str) -> list[tuple[str, str, str, str | None, Any]]:
        """What ``GET …/jobs/{job}/references`` answers: (kind, name, field, node, workspace)
        of every name the job's development state refers to, in document order."""
        doc, found = self.doc(place, job), []
        for i, node in enumerate(doc["nodes"]):
            for j, prop in enumerate(node["properties"]):
                kind = PROPERTY_KIND.get(prop["name"], "connection")
                field_ = f"nodes[{i}].properties[{j}].value"
                found.append((kind, prop["value"], field_, node["name"], None))
        block = doc["schedule"]["cron"].get("dependJobs", {})
        base = "schedule.cron.dependJobs"
        for k, name in enumerate(block.get("jobs", [])):
            found.append(("job", name, f"{base}.jobs[{k}]", None, None))
        for key in ("sameWorkSpaceJobs", "otherWorkSpaceJobs"):
            for k, item in enumerate(block.get(key, [])):
                workspace = item.get("workSpace") or item.get("workSpaceId")
                found.append(
                    ("job", item["jobName"], f"{base}.{key}[{k}].jobName", None, workspace)
                )
        return found


def _depends_on(spec: JobSpec, here: bool, job: str) -> bool:
    """Whether a job of ``spec`` depends on ``job`` of the workspace that is its own
    (``here``) or the other one."""
    local = LOCAL if here else ("other", "other_id")
    subjob = here and any(n.kind == "SubJob" and n.names == job for n in spec.nodes)
    return subjob or any(d.how in local and d.job == job for d in spec.depends)


def _renamed(spec: JobSpec, old: str, new: str) -> JobSpec:
    """``spec`` with its dependencies on ``old`` of its own workspace renamed ``new``."""
    nodes = tuple(
        replace(n, names=new) if n.kind == "SubJob" and n.names == old else n for n in spec.nodes
    )
    depends = tuple(
        replace(d, job=new) if d.how in LOCAL and d.job == old else d for d in spec.depends
    )
    return replace(spec, nodes=nodes, depends=depends)
