"""What Terraform (plugin SDK v2) does around the provider's calls, restated for the three
DataArts Factory resources: their schemas with types and flags, ``d.Set`` of what Read found,
``d.Get`` of what Create and Update send, and the plan's comparison of state and configuration.

Restated from the SDK's documented behaviour and the provider's schemas (no code of either):

* ``d.Set`` decodes a value into the schema's type strictly (``mapstructure.Decode``, not weak):
  a ``TypeString`` takes text only, a ``TypeInt`` a number (a fraction is cut), a ``TypeBool`` a
  boolean, a ``TypeMap`` of strings text values; anything else fails the Read with an error.
  ``nil`` becomes the type's zero value (``""``, ``0``, ``false``, an empty list or map); a
  block's keys the schema does not name are dropped and those it names but the answer lacks
  are zero.
* ``d.Get`` in Create is the configuration with every argument it leaves out at its zero value
  (so an unset ``TypeBool`` is ``false``, which ``ValueIgnoreEmpty`` keeps); in Update an
  Optional+Computed argument left out is planned as what state holds, and sent so.
* The plan after a Read shows a change for an argument the configuration sets whose state
  differs, and for a non-Computed one it leaves out whose state is not empty. Computed-only
  arguments are never configured; they must come back set.

A schema here maps an argument to ``(flag, type)``: flag ``R`` required, ``O`` optional, ``OC``
optional and computed, ``C`` computed only; type ``s``, ``i``, ``b``, ``m`` (map of strings),
``ls`` (list of strings), or a nested schema for a block (``TypeList`` of a resource).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, tuple[str, Any]]

_EVENT: Schema = {
    "event_type": ("R", "s"),
    "channel": ("R", "s"),
    "fail_policy": ("OC", "s"),
    "concurrent": ("OC", "i"),
    "read_policy": ("OC", "s"),
}
_DEPEND: Schema = {
    "jobs": ("R", "ls"),
    "depend_period": ("OC", "s"),
    "depend_fail_policy": ("OC", "s"),
}
_CRON: Schema = {
    "start_time": ("R", "s"),
    "end_time": ("OC", "s"),
    "expression": ("R", "s"),
    "expression_time_zone": ("OC", "s"),
    "depend_pre_period": ("OC", "b"),
    "depend_jobs": ("OC", _DEPEND),
}
_NODE: Schema = {
    "name": ("R", "s"),
    "type": ("R", "s"),
    "location": ("R", {"x": ("R", "i"), "y": ("R", "i")}),
    "pre_node_name": ("OC", "ls"),
    "conditions": ("OC", {"pre_node_name": ("R", "s"), "expression": ("R", "s")}),
    "properties": ("R", {"name": ("OC", "s"), "value": ("OC", "s")}),
    "polling_interval": ("OC", "i"),
    "max_execution_time": ("OC", "i"),
    "retry_times": ("OC", "i"),
    "retry_interval": ("OC", "i"),
    "fail_policy": ("OC", "s"),
    "event_trigger": ("OC", _EVENT),
    "cron_trigger": (
        "OC",
        {**_CRON, "period": ("OC", "s"), "concurrent": ("OC", "i"), "depend_jobs": ("OC", _DEPEND)},
    ),
}
JOB: Schema = {
    "name": ("R", "s"),
    "nodes": ("R", _NODE),
    "schedule": ("R", {"type": ("R", "s"), "cron": ("OC", _CRON), "event": ("OC", _EVENT)}),
    "process_type": ("R", "s"),
    "workspace_id": ("OC", "s"),
    "params": ("OC", {"name": ("R", "s"), "value": ("R", "s"), "type": ("OC", "s")}),
    "directory": ("OC", "s"),
    "log_path": ("OC", "s"),
    "basic_config": (
        "OC",
        {
            "owner": ("OC", "s"),
            "priority": ("OC", "i"),
            "execute_user": ("OC", "s"),
            "instance_timeout": ("OC", "i"),
            "custom_fields": ("OC", "m"),
        },
    ),
}
"""``huaweicloud_dataarts_factory_job`` (``region`` aside)."""

SCRIPT: Schema = {
    "workspace_id": ("R", "s"),
    "name": ("R", "s"),
    "type": ("R", "s"),
    "content": ("R", "s"),
    "connection_name": ("R", "s"),
    "directory": ("O", "s"),
    "database": ("O", "s"),
    "queue_name": ("O", "s"),
    "description": ("O", "s"),
    "target_status": ("O", "s"),
    "approvers": ("O", {"approver_name": ("R", "s")}),
    "configuration": ("OC", "m"),
    "created_by": ("C", "s"),
    "auto_acquire_lock": ("C", "b"),
}
"""``huaweicloud_dataarts_factory_script`` (``region`` aside)."""

RESOURCE: Schema = {
    "workspace_id": ("R", "s"),
    "directory": ("R", "s"),
    "name": ("R", "s"),
    "type": ("R", "s"),
    "location": ("R", "s"),
    "depend_packages": ("O", {"type": ("R", "s"), "location": ("R", "s")}),
    "description": ("O", "s"),
}
"""``huaweicloud_dataarts_factory_resource`` (``region`` aside)."""

_ZERO: dict[str, Any] = {"s": "", "i": 0, "b": False, "m": {}, "ls": []}


def _zero(kind: Any) -> Any:
    return [] if isinstance(kind, dict) else _ZERO[kind]


def _set_leaf(kind: str, value: Any, at: str, errors: list[str]) -> Any:
    if value is None:
        return _ZERO[kind]
    if kind == "s" and isinstance(value, str):
        return value
    if kind == "i" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if kind == "b" and isinstance(value, bool):
        return value
    if kind == "m" and isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return dict(value)
    if kind == "ls" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    errors.append(f"{at}: {value!r} cannot be set as {kind}")
    return _ZERO[kind]


def d_set(schema: Schema, found: dict[str, Any], at: str = "") -> tuple[dict[str, Any], list[str]]:
    """State after Read's ``d.Set`` of ``found`` (what the flatten functions made of the
    answer); the errors ``d.Set`` would return (any fails the Read)."""
    errors: list[str] = []
    state: dict[str, Any] = {}
    for name, (_, kind) in schema.items():
        value = found.get(name)
        if not isinstance(kind, dict):
            state[name] = _set_leaf(kind, value, f"{at}{name}", errors)
        elif value is None:
            state[name] = []
        elif not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            errors.append(f"{at}{name}: {value!r} is not a list of blocks")
            state[name] = []
        else:
            state[name] = []
            for k, item in enumerate(value):
                block, more = d_set(kind, item, f"{at}{name}.{k}.")
                state[name].append(block)
                errors += more
    return state, errors


def d_get(
    schema: Schema, config: dict[str, Any], state: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What ``d.Get`` answers the body builders: the configuration, every argument it leaves
    out at its zero value, except Optional+Computed ones that ``state`` (the prior state, in
    an Update) holds, which are planned as held."""
    prior = state or {}
    out: dict[str, Any] = {}
    for name, (flag, kind) in schema.items():
        given, held = config.get(name), prior.get(name)
        if given is None:
            out[name] = held if flag in ("OC", "C") and held is not None else _zero(kind)
        elif isinstance(kind, dict):
            olds = held if isinstance(held, list) else []
            out[name] = [
                d_get(kind, item, olds[k] if k < len(olds) else None)
                for k, item in enumerate(given)
            ]
        else:
            out[name] = given
    return out


def _empty(value: Any) -> bool:
    return value in (None, "", 0, False, [], {})


def plan(schema: Schema, config: dict[str, Any], state: dict[str, Any], at: str = "") -> list[str]:
    """The changes ``terraform plan`` shows after a Read put ``state``: one line each."""
    lines: list[str] = []
    for name, (flag, kind) in schema.items():
        here, given, got = f"{at}{name}", config.get(name), state.get(name)
        if flag == "C":
            continue
        if given is None:
            if flag != "OC" and not _empty(got):
                lines.append(f"{here}: {got!r} -> (unset)")
        elif not isinstance(kind, dict):
            if given != got:
                lines.append(f"{here}: {got!r} -> {given!r}")
        elif len(given) != len(got):
            lines.append(f"{here}: {len(got)} block(s) -> {len(given)}")
        else:
            for k, (want, have) in enumerate(zip(given, got, strict=True)):
                lines += plan(kind, want, have, f"{here}.{k}.")
    return lines


def unset_computed(schema: Schema, found: dict[str, Any]) -> list[str]:
    """The Computed-only arguments Read left unset (``nil`` in the answer)."""
    return [name for name, (flag, _) in schema.items() if flag == "C" and found.get(name) is None]
