"""Import, plan: what the working set keeps of each planned object (its :class:`Record`: the
action, the target, the diff, what apply writes and what the ledger learns), and which objects
an ATOMIC import on SQLite may write before the plan is whole (design §5, "Writing ahead")."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from jobferry.domain.enums import ObjectKind, PlanAction
from jobferry.services.importing.decide import change_lines, drift_lines
from jobferry.services.importing.model import WRITES, PlannedObject, Problem, Record, shift_json
from jobferry.services.importing.prepare import ledger_pack

_AHEAD_KINDS = frozenset({ObjectKind.SCRIPT, ObjectKind.RESOURCE, ObjectKind.JOB})


def writes_ahead(item: PlannedObject, problems: list[Problem]) -> bool:
    """Whether the object can be written before the plan is whole: a script, resource or job
    the import creates under a name no object of the target holds (so no rename, delete or
    clash found later concerns it), without a problem of its own. A problem found later
    (pending references, cycles, name conflicts, a stale plan) refuses the whole ATOMIC import,
    and the transaction takes back what was written ahead with everything else. Overwrites are
    written after the plan: writing them ahead measured no faster (the plan's own thread is
    the busy one when it compares every object with the target) and held both connections'
    page caches at once (+77 MB at 100,000 jobs)."""
    return (
        item.action is PlanAction.CREATE
        and item.kind in _AHEAD_KINDS
        and item.target is None
        and item.holder is None
        and not problems
    )


def record_of(item: PlannedObject, problems: list[Problem]) -> Record:
    """The record of one planned object."""
    writes = item.action in WRITES
    relink = _relink(item)
    return Record(
        kind=str(item.kind),
        name=item.name,
        path=item.path,
        action=str(item.action),
        target=_target(item, relink),
        problems=[p.packed() for p in problems],
        diff=_diff(item),
        uid=item.uid,
        raw=_raw(item, writes, relink),
        previous_name=item.previous_name,
        drift=orjson.dumps(drift_lines(item)) if item.drift is not None else None,
        pause=item.pause,
        adopted=tuple(item.adopted) if item.adopted is not None else None,
        target_uid=item.target.uid if item.target is not None else None,
        relink=relink,
        skip=None if item.skip is None else str(item.skip),
        kept=tuple(path for path, mine, _ in item.kept if mine is not None),
        deleted=tuple(item.deleted) if item.deleted is not None and writes else None,
        locked_by=item.locked_by if writes else None,
        **(_to_write(item) if writes else _linked(item, relink)),
    )


def _raw(item: PlannedObject, writes: bool, relink: bool) -> str | None:
    """The package's text, as the record keeps it.

    It goes into the ledger (objects written or relinked), the old ledger row into the change
    record's undo (the same objects): an object left as it is keeps neither in the working set
    (a 30,000-job re-import's records: 238 → 10 MB). When it is the text written, as it is for
    every object a transform left alone, the record holds the text itself twice, which
    :mod:`marshal` stores once: an equal copy of it was stored again (a 100,000-job import's
    working set: a third of its objects, 606 → 498 MB)."""
    if item.raw is None or not (writes or relink):
        return None
    if writes and item.raw == item.text:
        return item.text
    return item.raw


_NOTHING_TO_WRITE: dict[str, Any] = {"text": None, "columns": None, "refs": None, "schedule": None}


def _linked(item: PlannedObject, relink: bool) -> dict[str, Any]:
    """The record's fields of an object apply does not write: nothing but, when its ledger
    row is rewritten (``relink``), the row it replaces (the change record's undo puts it
    back)."""
    if relink and (row := _row_before(item)) is not None:
        return {**_NOTHING_TO_WRITE, "ledger": row}
    return _NOTHING_TO_WRITE


def _row_before(item: PlannedObject) -> tuple[Any, ...] | None:
    """The object's ledger row before the import, which its row replaces: its match's, or
    one naming a target object deleted since (``stale``)."""
    row = item.ledger if item.ledger is not None else item.stale
    return tuple(row) if row is not None else None


def _to_write(item: PlannedObject) -> dict[str, Any]:
    """The record's fields only an object apply writes carries."""
    return {
        "text": item.text,
        "columns": item.columns,
        "refs": [(str(r.kind), r.name, r.workspace or "") for r in item.distinct_refs],
        "schedule": orjson.dumps([shift_json(s) for s in item.schedule]) if item.schedule else None,
        "ledger": _row_before(item),
        "prepacked": item.prepacked if item.prepacked is not None else _prepacked(item),
    }


def _prepacked(item: PlannedObject) -> tuple[str, bytes, bytes] | None:
    """The ledger's copy of an object read but not prepared, made from the package entry's own
    deflate stream (``None``: an object without one, packed when apply writes its ledger row)."""
    if item.raw is None or item.stored is None:
        return None
    return ledger_pack(item.text, item.raw, item.stored)


def _target(item: PlannedObject, relink: bool) -> tuple[str, int | None, str, str | None] | None:
    """(id, latest version, status, definition) of the target object; the definition only
    when the import replaces it (or must record it in the ledger)."""
    target = item.target
    if target is None:
        return None
    keep = relink or item.action in (PlanAction.OVERWRITE, PlanAction.RENAME)
    return (target.id, target.latest_version, target.status, target.document if keep else None)


def _diff(item: PlannedObject) -> bytes | None:
    if item.action not in (PlanAction.OVERWRITE, PlanAction.RENAME):
        return None
    return orjson.dumps(change_lines(item))


def _relink(item: PlannedObject) -> bool:
    """Whether an UNCHANGED object's ledger row must be written: none yet, or out of date (it
    names another target object, another definition written, or another version of the
    source than this package's: the target holds this one now, and a route reads from the
    row which version of the source landed, :mod:`jobferry.services.routes.behind`)."""
    if item.action is not PlanAction.UNCHANGED or item.raw is None or item.target is None:
        return False
    row = item.ledger
    if row is None or item.adopted is not None or row.target_uid != item.target.uid:
        return True
    if row.source != item.raw:
        return True
    return row.written_sha256 != hashlib.sha256(item.target.document.encode()).hexdigest()
