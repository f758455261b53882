"""The import wizard's state: the import request body, carried from step to step in hidden
form fields (the server keeps nothing between steps, so the back button and several tabs work).

A promotion along a route (the Routes page's "Promote now") goes through the same steps: its
state starts from the route's settings and also carries the route, the promotion (so the
import is recorded on it) and a profile the route writes inline (``ROUTE_FIELDS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData

from jobferry.domain.enums import (
    DriftPolicy,
    ImportMode,
    SameNamePolicy,
    SchedulingPolicy,
    TargetStatus,
)
from jobferry.domain.profile import RENAME_KINDS, RESOURCE_TYPES
from jobferry.domain.references import JOB_RESOURCE_TYPE_KINDS
from jobferry.domain.timeshift import ShiftMode
from jobferry.web import json_object

# Kinds a DataArts ``resources`` replacement can rename, with the type that names each kind.
# Other kinds an environment profile can rename (DLI queues, resource groups…) are mapped with
# the type ``profile:<kind>`` and sent as the renames of an inline profile.
MAPPING_TYPES = dict(RESOURCE_TYPES)
for _rename_kind in RENAME_KINDS:
    if _rename_kind != "workspace":
        MAPPING_TYPES.setdefault(_rename_kind, f"profile:{_rename_kind}")
PROFILE_TYPE = "profile:"

# Form values are strings: the enums' values (a StrEnum member is one).
OPTION_DEFAULTS: dict[str, str] = {
    "sameNamePolicy": SameNamePolicy.AUTO,
    "targetStatus": TargetStatus.SUBMITTED,
    "targetDirectory": "",
    "mode": ImportMode.ATOMIC,
    "approvers": "",
    "profile": "",
    "tzZone": "",
    "tzMode": ShiftMode.KEEP_WALL_CLOCK,
    "tzSource": "",
    "propagateDeletes": "",
    "onDrift": DriftPolicy.FAIL,
    "scheduling": SchedulingPolicy.REFUSE,
}


ROUTE_FIELDS = ("route", "promotion", "profileInline")
"""What a promotion's wizard carries besides the options: the route's name, the promotion's id
and the route's inline profile (JSON; empty when it names a stored one or none)."""


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def mappings(form: FormData) -> list[dict[str, str]]:
    """The ``resources`` replacements carried so far, plus one added on this step (``map``),
    less one removed on it (``unmap``: ``<type>:<name>``).

    A later mapping of the same (type's kind, name) replaces an earlier one; a mapping whose
    ``replace`` is emptied is dropped.
    """
    names, types, replaces = (form.getlist(k) for k in ("map_name", "map_type", "map_replace"))
    rows = [
        {"name": str(n).strip(), "type": str(t).strip(), "replace": str(r).strip()}
        for n, t, r in zip(names, types, replaces, strict=False)
    ]
    row = _field(form, "map")
    if row:
        rows.append(
            {
                "name": _field(form, f"ref_name_{row}"),
                "type": _field(form, f"ref_type_{row}"),
                "replace": _field(form, f"replace_{row}"),
            }
        )
    removed = _field(form, "unmap")
    rows = [r for r in rows if f"{r['type']}:{r['name']}" != removed]
    kept: dict[tuple[str, str], dict[str, str]] = {}
    for item in rows:
        kind = JOB_RESOURCE_TYPE_KINDS.get(item["type"], None)
        kind_name = str(kind) if kind is not None else item["type"]
        key = (kind_name.removeprefix(PROFILE_TYPE), item["name"])
        if item["name"] and item["replace"]:
            kept[key] = item
        else:
            kept.pop(key, None)
    return list(kept.values())


def wizard_state(form: FormData) -> dict[str, Any]:
    """The package path and every option chosen so far (strings, as in the form)."""
    state: dict[str, Any] = {"path": _field(form, "path")}
    for key, default in OPTION_DEFAULTS.items():
        state[key] = _field(form, key) or default
    for key in ROUTE_FIELDS:
        state[key] = _field(form, key)
    state["resources"] = mappings(form)
    return state


def import_body(
    state: dict[str, Any], stored_profile: Callable[[str], dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The import request body (POST /jobs/import) the wizard's state stands for.

    Mappings of kinds ``resources`` cannot name become renames of an inline profile: the chosen
    stored profile's document (read with ``stored_profile``) plus those renames.
    """
    body: dict[str, Any] = {
        "path": state["path"],
        "sameNamePolicy": state["sameNamePolicy"],
        "targetStatus": state["targetStatus"],
        "mode": state["mode"],
    }
    if state.get("targetDirectory"):
        body["targetDirectory"] = state["targetDirectory"]
    body.update(_promotion(state))
    mappings = state.get("resources") or []
    resources = [dict(m) for m in mappings if not m["type"].startswith(PROFILE_TYPE)]
    if resources:
        body["resources"] = resources
    profile = _profile(state, mappings, stored_profile)
    if profile:
        body["profile"] = profile
    if state.get("tzZone"):
        body["timeZone"] = _time_zone(state)
    approvers = [a.strip() for a in str(state.get("approvers") or "").split(",") if a.strip()]
    if approvers:
        body["approvers"] = [{"approverName": a} for a in approvers]
    return body


def _promotion(state: dict[str, Any]) -> dict[str, Any]:
    """The repeated-promotion options (deletes, drift, scheduled jobs) chosen away from their
    defaults."""
    chosen: dict[str, Any] = {}
    if state.get("propagateDeletes") in ("on", "true"):
        chosen["propagateDeletes"] = True
    for key in ("onDrift", "scheduling"):
        if state.get(key) and state[key] != OPTION_DEFAULTS[key]:
            chosen[key] = state[key]
    return chosen


def _profile(
    state: dict[str, Any],
    mappings: list[dict[str, str]],
    stored_profile: Callable[[str], dict[str, Any]] | None,
) -> str | dict[str, Any]:
    """The profile option: the chosen name, or an inline document when renames were mapped
    or the route being promoted writes its profile inline."""
    profile_name = str(state.get("profile") or "")
    inline = str(state.get("profileInline") or "")
    renames = [m for m in mappings if m["type"].startswith(PROFILE_TYPE)]
    if not renames and not inline:
        return profile_name
    document: dict[str, Any] = {}
    if inline:
        document = json_object(inline, "The route's profile", "edit the route")
    elif profile_name and stored_profile is not None:
        document = dict(stored_profile(profile_name))
    if not renames:
        return document
    merged = {k: dict(v) for k, v in (document.get("renames") or {}).items()}
    for m in renames:
        merged.setdefault(m["type"].removeprefix(PROFILE_TYPE), {})[m["name"]] = m["replace"]
    document["renames"] = merged
    return document


def _time_zone(state: dict[str, Any]) -> dict[str, str]:
    move = {"zone": state["tzZone"], "mode": state.get("tzMode") or "keepWallClock"}
    if state.get("tzSource"):
        move["sourceZone"] = state["tzSource"]
    return move


def hidden_fields(state: dict[str, Any]) -> list[tuple[str, str]]:
    """The state as (name, value) pairs for hidden inputs."""
    fields = [("path", str(state["path"]))]
    fields += [(key, str(state.get(key) or "")) for key in OPTION_DEFAULTS]
    fields += [(key, str(state.get(key) or "")) for key in ROUTE_FIELDS if state.get(key)]
    for item in state.get("resources") or []:
        fields += [
            ("map_name", item["name"]),
            ("map_type", item["type"]),
            ("map_replace", item["replace"]),
        ]
    return fields


def added_mapping(form: FormData) -> dict[str, str] | None:
    """The mapping this step adds (``map``), if any: name, type and replacement."""
    row = _field(form, "map")
    if not row:
        return None
    return {
        "name": _field(form, f"ref_name_{row}"),
        "type": _field(form, f"ref_type_{row}"),
        "replace": _field(form, f"replace_{row}"),
    }


def kind_of_type(type_name: str) -> str:
    """The environment kind a mapping type renames (``profile:<kind>`` or a resources type)."""
    if type_name.startswith(PROFILE_TYPE):
        return type_name.removeprefix(PROFILE_TYPE)
    kind = JOB_RESOURCE_TYPE_KINDS.get(type_name)
    return kind.value if kind is not None else type_name


def mapped_renames(state: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The wizard's mappings as an environment profile's renames: per kind, the name in the
    package → the name in this workspace."""
    renames: dict[str, dict[str, str]] = {}
    for item in state.get("resources") or []:
        renames.setdefault(kind_of_type(item["type"]), {})[item["name"]] = item["replace"]
    return renames


OPTION_LABELS = {
    "sameNamePolicy": "“When a job, script or resource of that name exists”",
    "targetStatus": "“Target status”",
    "targetDirectory": "“Target folder for new jobs”",
    "timeZone.sourceZone": "“Zone of jobs that name none”",
    "timeZone.zone": "“Move schedules to zone”",
    "timeZone": "“Time-zone move”",
    "propagateDeletes": "“Delete what the source deleted”",
    "onDrift": "“When an object was changed here since the last import wrote it”",
    "planId": "the plan",
}
"""The import options the services name by their request fields, as the options step labels
them (longer names first, so a field's part is said before the field)."""
_OPTION_NAMES = re.compile(r"\b(" + "|".join(re.escape(k) for k in OPTION_LABELS) + r")\b")


def options_said(message: str) -> str:
    """A refusal of the wizard's options with the request fields it names said as the options
    step labels them (``targetDirectory must be…`` → ``“Target folder for new jobs” must
    be…``)."""
    return _OPTION_NAMES.sub(lambda m: OPTION_LABELS[m.group(1)], message)
