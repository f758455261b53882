"""A job's stored document answered with each field in the JSON type the SDKs' models give it.

A job is stored as it was sent, and validation takes a whole number as ``10``, ``10.0`` or
``"10"`` (DataArts' own examples and older clients differ). The Go SDK decodes strictly: its
``Node.retryTimes`` is an ``*int32``, ``Property.value`` a ``string``, ``Location.x`` a
``string``, ``Cron.dependPrePeriod`` a ``*bool``; one field in another type fails the whole
``ShowJob`` (and a listed ``priority`` the whole ``ListJobs``). So the answer carries each
such field in its model's type; the stored document, what exports carry and what plans
compare, is left as it was sent.
"""

from __future__ import annotations

from typing import Any

from jobferry.domain.report import as_int

JOB_WHOLE = ("cleanOverdueDays",)
JOB_FLAGS = ("singleNodeJobFlag",)
JOB_TEXTS = ("description", "version")
NODE_WHOLE = ("pollingInterval", "maxExecutionTime", "retryTimes", "retryInterval")
BASIC_WHOLE = ("priority", "instanceTimeout", "isIgnoreWaiting")
TRIGGER_WHOLE = ("concurrent",)
FLAGS = ("dependPrePeriod",)


def typed_job(doc: dict[str, Any]) -> dict[str, Any]:
    """The job document with its typed fields in their models' types (a copy where any
    changes; key order kept)."""
    doc = _typed(doc, whole=JOB_WHOLE, flags=JOB_FLAGS, texts=JOB_TEXTS)
    if isinstance(doc.get("basicConfig"), dict):
        doc["basicConfig"] = _typed(doc["basicConfig"], whole=BASIC_WHOLE)
    if isinstance(doc.get("nodes"), list):
        doc["nodes"] = [_node(node) for node in doc["nodes"]]
    if isinstance(doc.get("params"), list):
        doc["params"] = [_typed(p, texts=("value",)) for p in doc["params"]]
    schedule = doc.get("schedule")
    if isinstance(schedule, dict) and isinstance(schedule.get("cron"), dict):
        doc["schedule"] = {**schedule, "cron": _typed(schedule["cron"], flags=FLAGS)}
    return doc


def whole_number(value: Any) -> Any:
    """A whole number as an ``int`` (``"1"``, ``1.0`` → ``1``); anything else as it is."""
    number = as_int(value)
    return value if number is None else number


def _node(node: Any) -> Any:
    """A node: its whole numbers, its properties' values as texts, its trigger's fields, and
    ``location.x``/``.y`` as strings, an axis left out as ``"0"`` (the Terraform provider
    leaves out a zero and requires both back)."""
    if not isinstance(node, dict):
        return node
    node = _typed(node, whole=NODE_WHOLE)
    if isinstance(node.get("properties"), list):
        node["properties"] = [_typed(p, texts=("value",)) for p in node["properties"]]
    if isinstance(node.get("cronTrigger"), dict):
        node["cronTrigger"] = _typed(node["cronTrigger"], whole=TRIGGER_WHOLE, flags=FLAGS)
    location = node.get("location")
    if isinstance(location, dict):
        node["location"] = {**location, **{a: str(location.get(a, 0)) for a in ("x", "y")}}
    return node


def _typed(
    item: Any,
    *,
    whole: tuple[str, ...] = (),
    flags: tuple[str, ...] = (),
    texts: tuple[str, ...] = (),
) -> Any:
    """``item`` (a copy) with its ``whole`` fields as ints, ``flags`` as booleans and
    ``texts`` as strings, where they can be read so; other fields and values as they are."""
    if not isinstance(item, dict):
        return item
    found = dict(item)
    for key in whole:
        if key in found:
            found[key] = whole_number(found[key])
    for key in flags:
        if found.get(key) in ("true", "false"):
            found[key] = found[key] == "true"
    for key in texts:
        value = found.get(key)
        if value is not None and not isinstance(value, (str, dict, list)):
            found[key] = _text(value)
    return found


def _text(value: Any) -> str:
    """A scalar as JSON would spell it (``True`` → ``"true"``, ``5`` → ``"5"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
