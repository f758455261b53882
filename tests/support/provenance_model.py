"""What docs/api.md promises of where a job came from ("Where a job came from", "Repeated
promotion", "Routes", "Rollback"), as a model of three workspaces in a chain
(``support/provenance_stories.py`` tells the stories, ``test_generated_provenance.py`` checks
them).

Each workspace holds jobs by name, each with its identity (a number the model gives it; the
test maps it to the job's stable identifier), its definition (a number: every edit makes a new
one) and when it last changed. Each target keeps a promotion ledger: per source job, the target
job the newest import from that source wrote and what it wrote. A job's provenance is the newest
ledger row naming it (``None``: no import from another workspace wrote it); it drifted when its
definition is not what that import wrote.

A promotion carries (selection ``ALL``) every job of the source changed since the snapshot of
the route's last applied promotion (its import succeeded and was not rolled back), and every
one whose version in the target's ledger is not the source's now (left behind). Each is matched
in the target by identity (the ledger), else by name (``OVERWRITE``); renamed when its name
changed; a target job changed since the import that wrote it is drift (``onDrift``: ``FAIL``
fails the import, nothing written; ``KEEP_TARGET`` leaves it; ``TAKE_PACKAGE`` overwrites). A
job the target holds as the package does is linked (a new ledger row), not written. With
``propagateDeletes`` the target's jobs taken from source jobs deleted since (every one the
source no longer has, for a route's first package) are deleted, unless a carried job took them.

Rolling back a route's newest promotion that wrote something is refused (DLF.9016) when a job it
wrote was saved since, or a name it must give back is taken; else every job it wrote or deleted
is as before it, provenance included (its links, and those of later imports that only linked,
forgotten), a job it made counts as deleted there, and the route's next package starts where
that promotion's did.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field, replace

from support.provenance_stories import ROUTES

CONFLICT = "DLF.9016"
NO_JOB = "DLF.0100"
NO_ROUTE = "DLF.9040"
INVALID = "DLF.3051"


@dataclass(frozen=True)
class Row:
    """A ledger row of a target: the source job it came from (identity and name in the
    package), the target job it wrote, what it wrote, and the import (route, task)."""

    source_key: int
    source_name: str
    target_key: int
    written: int
    route: str | None
    """The route whose promotion wrote it (``None``: the route was removed since)."""
    source: str
    task: str
    serial: int


@dataclass(frozen=True)
class Held:
    """A job a workspace holds: its identity, definition and when it last changed."""

    key: int
    look: int
    changed: int


@dataclass
class Promotion:
    """A promotion whose import was recorded: its task, whether it succeeded, its snapshot,
    and (when it wrote something) the target before it and the jobs it wrote."""

    task: str
    ok: bool
    snapshot: int
    wrote: frozenset[int] = frozenset()
    linked: frozenset[int] = frozenset()
    gone: frozenset[int] = frozenset()
    """Target jobs it deleted (their source deleted them)."""
    """Source jobs whose ledger row it wrote without writing the job (found identical)."""
    before: Place | None = None
    rolled_back: bool = False


@dataclass
class Place:
    """A workspace: its jobs by name and its promotion ledger (source identity → row)."""

    jobs: dict[str, Held] = field(default_factory=dict)
    ledger: dict[int, Row] = field(default_factory=dict)

    def named(self, key: int) -> str | None:
        return next((n for n, h in self.jobs.items() if h.key == key), None)

    def origin(self, name: str) -> Row | None:
        """The newest ledger row naming job ``name`` (``None``: made here)."""
        key = self.jobs[name].key
        rows = [r for r in self.ledger.values() if r.target_key == key]
        return max(rows, key=lambda r: r.serial) if rows else None


@dataclass
class Outcome:
    """What the model predicts of a promotion: whether a package is made (``None``: either),
    the jobs carried (by source name), and whether the import fails for drift."""

    package: bool | None
    carried: tuple[str, ...]
    fails: bool


class Model:
    """The three workspaces, the routes' recorded promotions, and the serials that order every
    change."""

    def __init__(self) -> None:
        self.places = {p: Place() for p in ("dev", "test", "prod")}
        self.promotions: dict[str, list[Promotion]] = {r: [] for r in ROUTES}
        self.deleted: dict[str, list[tuple[int, int]]] = {p: [] for p in self.places}
        """The jobs each workspace deleted: (identity, serial)."""
        self._serial = itertools.count(1)
        self._keys = itertools.count(1)
        self._looks = itertools.count(1)

    def tick(self) -> int:
        return next(self._serial)

    # -- people's steps -------------------------------------------------------------------

    def put(self, place: str, name: str) -> tuple[bool, int]:
        """Make or edit job ``name``: (made, its new definition)."""
        jobs = self.places[place].jobs
        look = next(self._looks)
        held = jobs.get(name)
        key = next(self._keys) if held is None else held.key
        jobs[name] = Held(key, look, self.tick())
        return held is None, look

    def copy(self, place: str, name: str) -> int | None:
        """Make or edit job ``name`` of ``place`` (test or prod) as the job of that name in the
        workspace it is promoted from (by hand); its definition (``None``: no such job)."""
        source = next(s for s, t in ROUTES.values() if t == place)
        held = self.places[source].jobs.get(name)
        if held is None:
            return None
        jobs = self.places[place].jobs
        key = next(self._keys) if name not in jobs else jobs[name].key
        jobs[name] = Held(key, held.look, self.tick())
        return held.look

    def delete(self, place: str, name: str) -> bool:
        jobs = self.places[place].jobs
        if name not in jobs:
            return False
        self.deleted[place].append((jobs.pop(name).key, self.tick()))
        return True

    def rename(self, old: str, new: str) -> bool:
        jobs = self.places["dev"].jobs
        if old not in jobs or new in jobs:
            return False
        jobs[new] = replace(jobs.pop(old), changed=self.tick())
        return True

    # -- promotions -----------------------------------------------------------------------

    def since(self, route: str) -> int:
        """The snapshot of the route's newest applied promotion (0: none)."""
        applied = [p for p in self.promotions[route] if p.ok and not p.rolled_back]
        return applied[-1].snapshot if applied else 0

    def outcome(self, route: str, on_drift: str) -> Outcome:
        source, target = (self.places[p] for p in ROUTES[route])
        since = self.since(route)
        changed = [n for n, h in source.jobs.items() if h.changed > since]
        behind = [
            n
            for n, h in source.jobs.items()
            if h.key in target.ledger and target.ledger[h.key].written != h.look
        ]
        carried = tuple(sorted(set(changed) | set(behind)))
        first = not any(p.ok and not p.rolled_back for p in self.promotions[route])
        deleted = any(d > since for _, d in self.deleted[ROUTES[route][0]])
        package: bool | None = bool(carried) or first or deleted
        if not package and self._only_rolled_back(route, since):
            package = None  # a rollback's restored jobs may count as changed, or not
        drifting = [n for n in carried if self._drifted(route, n)]
        return Outcome(package, carried, bool(drifting) and on_drift == "FAIL")

    def _only_rolled_back(self, route: str, since: int) -> bool:
        source = ROUTES[route][0]
        into = [r for r, (_, t) in ROUTES.items() if t == source]
        return any(p.rolled_back for r in into for p in self.promotions[r])

    def _match(self, route: str, name: str) -> str | None:
        """The target's job the source's job ``name`` is matched to (by identity, else by
        name)."""
        source, target = (self.places[p] for p in ROUTES[route])
        key = source.jobs[name].key
        row = target.ledger.get(key)
        found = target.named(row.target_key) if row is not None else None
        return found if found is not None else (name if name in target.jobs else None)

    def _drifted(self, route: str, name: str) -> bool:
        target = self.places[ROUTES[route][1]]
        matched = self._match(route, name)
        if matched is None:
            return False
        row, look = target.origin(matched), target.jobs[matched].look
        wanted = self.places[ROUTES[route][0]].jobs[name].look
        return row is not None and look not in (row.written, wanted)

    def promote(
        self, route: str, settings: tuple[str, bool], task: str, ok: bool, snapshot: int
    ) -> None:
        """Record the promotion's import (``ok``: it succeeded) with ``settings`` (``onDrift``,
        ``propagateDeletes``) and what it wrote and deleted."""
        on_drift, propagate = settings
        carried = self.outcome(route, on_drift).carried
        since = self.since(route)
        done = Promotion(task, ok, snapshot)
        self.promotions[route].append(done)
        if not ok:
            return
        source, target = (self.places[p] for p in ROUTES[route])
        before = copy.deepcopy(target)
        wrote: set[int] = set()
        linked: set[int] = set()
        matched = {n: self._match(route, n) for n in carried}
        kept = {n for n in carried if self._drifted(route, n) and on_drift == "KEEP_TARGET"}
        moving = {
            n: target.jobs.pop(m) for n, m in matched.items() if m is not None and n not in kept
        }
        for name in carried:
            if name in kept:
                continue
            held, was = source.jobs[name], moving.get(name)
            row = target.ledger.get(held.key)
            if was is not None and matched[name] == name and was.look == held.look:
                target.jobs[name] = was  # unchanged, linked anew unless linked so already
                if row is None or row.target_key != was.key or row.written != held.look:
                    target.ledger[held.key] = Row(
                        held.key,
                        name,
                        was.key,
                        held.look,
                        route,
                        ROUTES[route][0],
                        task,
                        self.tick(),
                    )
                    linked.add(held.key)
                continue
            key = next(self._keys) if was is None else was.key
            target.jobs[name] = Held(key, held.look, self.tick())
            source_name = ROUTES[route][0]
            row = Row(held.key, name, key, held.look, route, source_name, task, self.tick())
            target.ledger[held.key] = row
            wrote.add(key)
        gone = self._deletes(route, since, {m for m in matched.values() if m}) if propagate else {}
        for name, key in gone.items():
            del target.jobs[name]
            target.ledger = {k: r for k, r in target.ledger.items() if r.target_key != key}
        done.wrote, done.linked, done.before = frozenset(wrote), frozenset(linked), before
        done.gone = frozenset(gone.values())

    def _deletes(self, route: str, since: int, claimed: set[str]) -> dict[str, int]:
        """The target's jobs a promotion propagating deletes deletes: those its ledger took
        from source jobs deleted since ``since`` (every one the source no longer has, for a
        first package: it holds the source whole) that no carried job took over
        (``claimed``), by name."""
        source, target = ROUTES[route]
        held = {h.key for h in self.places[source].jobs.values()}
        first = not any(p.ok and not p.rolled_back for p in self.promotions[route][:-1])
        gone = {k for k, when in self.deleted[source] if when > since}
        found = {}
        for key, row in self.places[target].ledger.items():
            if first and row.source == source and key not in held:
                gone.add(key)
            name = self.places[target].named(row.target_key)
            if key in gone and name is not None and name not in claimed:
                found[name] = self.places[target].jobs[name].key
        return found

    def reroute(self, route: str) -> None:
        """Remove the route and save it again: its history is gone (the next promotion is its
        first), and the jobs its promotions wrote name no route."""
        self.promotions[route] = []
        target = self.places[ROUTES[route][1]]
        for key, row in target.ledger.items():
            if row.route == route:
                target.ledger[key] = replace(row, route=None)

    # -- rollbacks ------------------------------------------------------------------------

    def newest(self, route: str) -> Promotion | None:
        """The route's newest promotion that wrote something and is not rolled back."""
        found = [
            p for p in self.promotions[route] if p.ok and (p.wrote or p.gone) and not p.rolled_back
        ]
        return found[-1] if found else None

    def roll_back(self, route: str) -> str | None:
        """Roll back the route's newest promotion that wrote something: the code it is refused
        with (``None``: rolled back)."""
        done = self.newest(route)
        assert done is not None
        assert done.before is not None
        target = self.places[ROUTES[route][1]]
        for key in done.wrote:
            name = target.named(key)
            if name is None or self._since(done, target, name):
                return CONFLICT
            old = done.before.named(key)
            if old is not None and old != name and old in target.jobs:
                return CONFLICT
        for key in done.gone:
            if done.before.named(key) in target.jobs:
                return CONFLICT
        for key in done.wrote:
            name = target.named(key)
            assert name is not None
            del target.jobs[name]
            if done.before.named(key) is None:  # made by the import: deleted here now
                self.deleted[ROUTES[route][1]].append((key, self.tick()))
        for key in done.wrote | done.gone:
            old = done.before.named(key)
            if old is not None:
                target.jobs[old] = done.before.jobs[old]  # as it was, not saved anew
        later = self.promotions[route][self.promotions[route].index(done) :]
        undone = {p.task for p in later if p is done or (p.ok and not p.wrote and not p.gone)}
        ledger = {k: r for k, r in target.ledger.items() if r.task not in undone}
        for key, row in done.before.ledger.items():
            if key not in ledger and (key in target.ledger or row.target_key in done.gone):
                ledger[key] = row
        target.ledger = ledger
        done.rolled_back = True
        return None

    @staticmethod
    def _since(done: Promotion, target: Place, name: str) -> bool:
        """Whether job ``name`` (one ``done`` wrote) changed since ``done`` wrote it: saved
        since (even as it was), or written by a later import."""
        row = target.origin(name)
        return row is None or row.task != done.task or target.jobs[name].changed > row.serial
