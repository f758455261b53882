"""The release ledger read back: its entries at a moment, a page of them at a time, what
production held then, and the documents the API, the command line and the console show
(JSON and CSV).

*Decision: a page of entries, production whole.* A workspace releasing every day for years
holds thousands of entries, each with the objects it touched; a page (the console's, the
command line's table) reads only its own entries' objects, and what production held comes from
one grouped query (the newest state of each object), never from replaying every entry in
memory. The API without ``limit`` answers every entry (the ledger's export).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from jobferry.domain.bounds import LAST_MOMENT_MS
from jobferry.errors import InvalidRequestError
from jobferry.storage import Tx
from jobferry.storage import ledger as repo
from jobferry.storage.importing import expiry as expiry_repo
from jobferry.storage.ledger import PUT, EntryRecord, ObjectState

DAY_MS = 86_400_000


@dataclass(frozen=True)
class LedgerAt:
    """The ledger as it stood at a moment: its entries (oldest first; a page of them when
    asked) with the states each left, and what production held then of every object a
    release ever touched."""

    at: int | None
    entries: tuple[tuple[EntryRecord, tuple[ObjectState, ...]], ...]
    production: tuple[ObjectState, ...]
    newest_expired: bool = False
    """The newest entry's import is past ``JOBFERRY_ROLLBACK_DAYS``: it cannot be rolled back."""
    total: int = 0
    """How many entries the ledger held at the moment (``entries`` may be a page of them)."""
    offset: int = 0
    """How many newer entries the page skipped (0: it starts at the newest)."""
    newest: EntryRecord | None = None
    """The ledger's newest entry at the moment, on the page or not."""
    held_by: tuple[EntryRecord, ...] = ()
    """The entries that left what production held (``production``'s), for the CSV."""


def rollback_expired(tx: Tx, entry: EntryRecord | None) -> bool:
    """Whether the rollback of ``entry``'s import expired (``JOBFERRY_ROLLBACK_DAYS``)."""
    task = entry.task_id if entry is not None else None
    return bool(task) and bool(expiry_repo.expiries_of(tx, [str(task)]))


def ledger_at(
    tx: Tx, workspace_id: str, at: int | None, page: tuple[int, int] | None = None
) -> LedgerAt:
    """The workspace's ledger as it stood at ``at`` (epoch ms; ``None``: now): every entry,
    or ``page`` (limit, offset) of them counted from the newest."""
    made = repo.entries(tx, workspace_id, at, page)
    by_entry: dict[int, list[ObjectState]] = {}
    for found in repo.objects_of(tx, [e.id for e in made]):
        by_entry.setdefault(found.entry_id, []).append(found)
    states = repo.newest_states(tx, workspace_id, at)
    held = sorted(_newest_by_name(states), key=lambda s: (s.kind, s.name))
    total = len(made) if page is None else repo.count_entries(tx, workspace_id, at)
    offset = 0 if page is None else page[1]
    newest = made[-1] if made and offset == 0 else _newest(tx, workspace_id, at, total)
    return LedgerAt(
        at,
        tuple((e, tuple(by_entry.get(e.id, ()))) for e in made),
        tuple(held),
        rollback_expired(tx, newest),
        total,
        offset,
        newest,
        _held_by(tx, workspace_id, made, held),
    )


def _held_by(
    tx: Tx, workspace_id: str, made: Sequence[EntryRecord], held: Iterable[ObjectState]
) -> tuple[EntryRecord, ...]:
    """The entries that left what production holds: from the page, else read by id."""
    shown = {e.id: e for e in made}
    wanted = {s.entry_id for s in held}
    found = [shown[i] for i in wanted if i in shown]
    return (*found, *repo.entries_by_id(tx, workspace_id, wanted - set(shown)))


def _newest(tx: Tx, workspace_id: str, at: int | None, total: int) -> EntryRecord | None:
    """The newest entry at ``at`` (a page past the first does not hold it)."""
    if not total:
        return None
    found = repo.entries(tx, workspace_id, at, (1, 0))
    return found[0] if found else None


def _newest_by_name(states: Iterable[ObjectState]) -> list[ObjectState]:
    """What production holds of each name: the newest state any identity left of it, kept
    if a put. One object may have two identities: one released from the development side,
    then the same name taken in from another server's signed release (an import matches by
    name), or the other way round. A put beats a delete of the same entry (a name freed and
    taken again)."""
    newest: dict[tuple[str, str], ObjectState] = {}
    for state in states:
        key = (state.kind, state.name)
        other = newest.get(key)
        if other is None or (state.entry_id, state.action == PUT) > (
            other.entry_id,
            other.action == PUT,
        ):
            newest[key] = state
    return [state for state in newest.values() if state.action == PUT]


def parse_moment(value: str | None) -> int | None:
    """``at`` as epoch ms: epoch milliseconds (to the end of year 9999, the last moment a
    time can be written as), an ISO-8601 time (with a zone, or UTC when it names none) or a
    date (the end of that day, UTC); ``None`` when absent."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        if int(text) > LAST_MOMENT_MS:
            raise InvalidRequestError(
                f"at {text} is out of range: epoch milliseconds go to {LAST_MOMENT_MS} "
                "(9999-12-31T23:59:59.999Z); give a moment up to then.",
                parameter="at",
            )
        return int(text)
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return int(day.timestamp() * 1000) + DAY_MS - 1
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidRequestError(
            f"at '{text}' is not a moment: give epoch milliseconds, an ISO-8601 time such as "
            "2026-11-26T08:00:00+08:00 (UTC when it names no zone) or a date such as "
            "2026-11-26 (its end, UTC).",
            parameter="at",
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _iso(epoch_ms: int) -> str:
    # Whole milliseconds from the epoch, not seconds as a float (which loses the last
    # millisecond of times far from 1970).
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=epoch_ms)
    return moment.isoformat(timespec="milliseconds")


def _state(found: ObjectState) -> dict[str, Any]:
    return {
        "kind": found.kind,
        "uid": found.uid,
        "name": found.name,
        "action": found.action,
        "version": found.version,
        "sha256": found.sha256,
    }


def entry_document(entry: EntryRecord, objects: Sequence[ObjectState]) -> dict[str, Any]:
    """One entry as the API, the command line and the console show it (snake_case)."""
    return {
        "entry_id": entry.id,
        "action": entry.action,
        "package_id": str(entry.package_id) if entry.package_id is not None else None,
        "package_name": entry.package_name,
        "plan_id": entry.plan_id,
        "plan_hash": entry.plan_hash,
        "approvers": entry.approver_list(),
        "approvals": json.loads(entry.approvals),
        "deployer": entry.deployer,
        "startup_mode": entry.startup_mode,
        "at": entry.at,
        "at_iso": _iso(entry.at),
        "task_id": entry.task_id,
        "target_entry": entry.target_entry,
        "source_workspace_id": entry.source_id,
        "objects": [_state(o) for o in objects],
    }


def ledger_document(view: LedgerAt, offset: int = 0) -> dict[str, Any]:
    """The ledger at a moment: its entries (or a page of them), newest first, how many it
    holds, and what production held then; ``offset`` as the call gave it (a page number under
    the page offset mode: ``view.offset`` counts rows)."""
    return {
        "at": view.at,
        "at_iso": _iso(view.at) if view.at is not None else None,
        "total": view.total,
        "offset": offset,
        "entries": [entry_document(e, objects) for e, objects in reversed(view.entries)],
        "production": [{**_state(o), "entry_id": o.entry_id} for o in view.production],
    }


CSV_COLUMNS = (
    "kind",
    "name",
    "uid",
    "version",
    "sha256",
    "entry_id",
    "action",
    "package_id",
    "package_name",
    "plan_hash",
    "approvers",
    "approved_by",
    "deployer",
    "startup_mode",
    "at",
)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula rather than text."""


def csv_cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula (a package named
    ``=HYPERLINK("https://…"&A2, "open")`` by whoever packaged it, opened by an auditor) with an
    apostrophe before it, which spreadsheets read as "text" and do not show; other values as
    they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def ledger_csv(view: LedgerAt) -> str:
    """What production held at the moment, one object a row with the entry that put it
    there (the ledger's export; the JSON holds every entry too)."""
    by_id = {e.id: e for e in view.held_by}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for o in view.production:
        e = by_id[o.entry_id]
        row = (
            o.kind,
            o.name,
            o.uid,
            o.version if o.version is not None else "",
            o.sha256 or "",
            e.id,
            e.action,
            e.package_id if e.package_id is not None else "",
            e.package_name or "",
            e.plan_hash or "",
            " ".join(a.get("user_name", "") for a in e.approver_list()),
            " ".join(f"{a['user_name']}:{a['key_id']}" for a in json.loads(e.approvals)),
            e.deployer,
            e.startup_mode if e.startup_mode is not None else "",
            _iso(e.at),
        )
        writer.writerow(tuple(csv_cell(value) for value in row))
    return out.getvalue()
