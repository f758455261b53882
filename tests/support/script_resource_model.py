"""What the v1 script and resource calls answer, written from the contract (``ScriptInfo``,
``ResourceInfo``, dataarts-api.md) and docs/api.md and docs/errors.md, not from the code: the
model the wire stories (``support/script_resource_stories.py``) are checked against.

- a script is created (204) with a ``name`` (the name rule, "Names": 1–128 letters, digits,
  ``_``, ``-``, ``.``), a ``type`` of the contract's enum and ``content``; a missing type is
  ``DLF.6247``, another broken rule ``DLF.3051`` (an unknown type, a missing content or name,
  a name too long or with a forbidden character, a description past 255 characters); a taken
  name ``DLF.0202``; update (204) replaces it whole and cannot rename it (``DLF.3051``); an
  unknown script is ``DLF.6201``; a delete while a job names it ``DLF.9013``;
- a resource is created (200 ``{"resourceId"}``) with a ``name``, a ``type`` of ``archive``,
  ``file``, ``jar``, ``pyFile`` (else ``DLF.6263``), a ``location`` ``obs://``/``hdfs://``
  and ``dependFiles`` of ``obs://`` paths (else ``DLF.6264``), a ``desc`` of at most 255
  (``DLF.6265``), a ``directory`` from ``/`` (``DLF.3051``; a script's is kept as sent, and
  read as the folder of its non-empty names); a taken name ``DLF.6259``; update (204) may
  rename it; an unknown id 404 ``DLF.6241``; a delete or rename while a job names it ``DLF.9013``;
- show answers what was saved (a script with ``id``, ``version``, ``modifyTime``,
  ``createUser`` beside it; a resource with ``id``, ``resourceId``, ``jobRelation``, and its
  ``directory``, ``/`` when it was saved without one), the lists name every object held.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SCRIPT_TYPES = (
    "FlinkSQL",
    "DLISQL",
    "SparkSQL",
    "HiveSQL",
    "DWSSQL",
    "RDSSQL",
    "Shell",
    "PRESTO",
    "ClickHouseSQL",
    "HetuEngineSQL",
    "PYTHON",
    "ImpalaSQL",
    "SparkPython",
)
"""``ScriptInfo.type``, the contract's enum."""
RESOURCE_TYPES = ("archive", "file", "jar", "pyFile")
"""``ResourceInfo.type``."""
SCRIPT_ADDED = frozenset({"id", "version", "modifyTime", "createUser"})
RESOURCE_ADDED = frozenset({"id", "resourceId", "jobRelation"})
"""What show adds to what was saved (docs/api.md)."""
STEERING = frozenset({"targetStatus", "approvers"})
"""Fields that steer a save and are not stored."""

INVALID = "DLF.3051"
NO_SCRIPT, TAKEN_SCRIPT, NO_TYPE = "DLF.6201", "DLF.0202", "DLF.6247"
NO_RESOURCE, TAKEN_RESOURCE = "DLF.6241", "DLF.6259"
BAD_TYPE, BAD_LOCATION, LONG_DESC = "DLF.6263", "DLF.6264", "DLF.6265"
USED = "DLF.9013"

SCRIPT_FAULTS = {
    "too_long": INVALID,
    "forbidden": INVALID,
    "no_name": INVALID,
    "no_type": NO_TYPE,
    "unknown_type": INVALID,
    "no_content": INVALID,
    "long_description": INVALID,
}
"""A script body broken one way, and the code that refuses it."""
RESOURCE_FAULTS = {
    "too_long": INVALID,
    "forbidden": INVALID,
    "no_name": INVALID,
    "unknown_type": BAD_TYPE,
    "no_location": BAD_LOCATION,
    "bad_location": BAD_LOCATION,
    "bad_depend": BAD_LOCATION,
    "long_desc": LONG_DESC,
    "bad_directory": INVALID,
}


@dataclass(frozen=True)
class Answer:
    """What a call must answer: its status and, for a refusal, the codes that may say why."""

    status: int
    codes: frozenset[str] = frozenset()


def refused(*codes: str, status: int = 400) -> Answer:
    return Answer(status, frozenset(codes))


@dataclass
class Model:
    """A workspace's scripts (by name), resources (by slot: the story's handle on an id) and
    the jobs that name them."""

    scripts: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Job name → (the script, the resource name) its node names."""

    def resource_named(self, name: str) -> str | None:
        return next((s for s, r in self.resources.items() if r["name"] == name), None)

    def used_script(self, name: str) -> bool:
        return any(script == name for script, _ in self.jobs.values())

    def used_resource(self, name: str) -> bool:
        return any(resource == name for _, resource in self.jobs.values())

    # -- scripts ------------------------------------------------------------------------

    def create_script(self, body: dict[str, Any], fault: str | None) -> Answer:
        if fault is not None:
            return refused(SCRIPT_FAULTS[fault])
        if body["name"] in self.scripts:
            return refused(TAKEN_SCRIPT)
        self.scripts[body["name"]] = stored(body)
        return Answer(204)

    def update_script(self, name: str, body: dict[str, Any], fault: str | None) -> Answer:
        if name not in self.scripts:
            # an unknown script, whatever the body: the existing-script check comes first
            # unless the body is itself invalid
            return refused(NO_SCRIPT, *([SCRIPT_FAULTS[fault]] if fault else []))
        if fault is not None:
            return refused(SCRIPT_FAULTS[fault])
        if body.get("name", name) != name:
            return refused(INVALID)
        self.scripts[name] = stored(body) | {"name": name}
        return Answer(204)

    def delete_script(self, name: str) -> Answer:
        if name not in self.scripts:
            return refused(NO_SCRIPT)
        if self.used_script(name):
            return refused(USED)
        del self.scripts[name]
        return Answer(204)

    def show_script(self, name: str) -> Answer:
        return Answer(200) if name in self.scripts else refused(NO_SCRIPT)

    # -- resources ----------------------------------------------------------------------

    def create_resource(self, slot: str, body: dict[str, Any], fault: str | None) -> Answer:
        if fault is not None:
            return refused(RESOURCE_FAULTS[fault])
        if self.resource_named(body["name"]) is not None:
            return refused(TAKEN_RESOURCE)
        self.resources[slot] = stored(body)
        return Answer(200)

    def update_resource(self, slot: str, body: dict[str, Any], fault: str | None) -> Answer:
        held = self.resources.get(slot)
        if held is None:
            return refused(NO_RESOURCE, status=404)
        if fault is not None:
            return refused(RESOURCE_FAULTS[fault])
        new = body.get("name", held["name"])
        codes = []
        other = self.resource_named(new)
        if other is not None and other != slot:
            codes.append(TAKEN_RESOURCE)
        if new != held["name"] and self.used_resource(held["name"]):
            codes.append(USED)
        if codes:
            return refused(*codes)
        self.resources[slot] = stored(body) | {"name": new}
        return Answer(204)

    def delete_resource(self, slot: str) -> Answer:
        held = self.resources.get(slot)
        if held is None:
            return refused(NO_RESOURCE, status=404)
        if self.used_resource(held["name"]):
            return refused(USED)
        del self.resources[slot]
        return Answer(204)

    def show_resource(self, slot: str) -> Answer:
        return Answer(200) if slot in self.resources else refused(NO_RESOURCE, status=404)

    # -- jobs naming them ---------------------------------------------------------------

    def save_job(self, job: str, script: str, resource: str) -> Answer:
        self.jobs[job] = (script, resource)
        return Answer(204)

    def delete_job(self, job: str) -> Answer:
        if job not in self.jobs:
            return refused("DLF.0100")
        del self.jobs[job]
        return Answer(204)


def stored(body: dict[str, Any]) -> dict[str, Any]:
    """What a save keeps of its body."""
    return {k: v for k, v in body.items() if k not in STEERING}
