"""Kept plans: a plan's head and its lines stored row by row, and read back a page at a time.

A dry run or a plan call keeps its plan so that an import can name it (``planId``: the import
is refused if the target changed since) and so that a person can read it. The lines are typed
(:mod:`.plan`) from the working set's records, written in plan order in their stored form, a
batch per short transaction (a 200,000-object plan never sits in one text or one list), then
the head; the :class:`~.plan.Plan` answered holds its first lines and says how many there are:
the rest are read with :meth:`PlanStore.objects`. The lines are listed (answered first, and
paged) with what matters first: every change and every problem in plan order, then the
unchanged objects (:class:`Listing`); the apply keeps its own order (the working set's), and
the fingerprint hashes what the plan read, not how its lines are listed. Its working set is
kept with it, for an import naming it to apply (:mod:`.kept`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import orjson

from jobferry.domain.enums import ObjectKind, PlanAction, TaskStatus
from jobferry.domain.remedies import Remedy
from jobferry.errors import InvalidRequestError, PlanStaleError
from jobferry.services.context import WRITERS, Scope, now_ms
from jobferry.services.definitions.documents import dump
from jobferry.services.importing.delivery import Deliveries
from jobferry.services.importing.kept import KeptPlans
from jobferry.services.importing.model import PlanOutcome, Record
from jobferry.services.importing.plan import Plan, PlanLine, RemoteRead, UnreadablePlanError
from jobferry.services.importing.request import ImportRequest
from jobferry.services.support.paging import Given, window
from jobferry.storage import Database, Tx
from jobferry.storage import tasks as task_repo
from jobferry.storage.importing import plans as plan_repo
from jobferry.storage.importing.plans import PlanObjectRow, PlanRecord
from jobferry.storage.importing.workset import Workset

INLINE_OBJECTS = 2000
"""Objects a plan's view lists itself; the rest are paged."""
SHOWN_REWRITES = 1000
"""Jobs rewritten for renames a plan names (it counts them all)."""
MAX_PAGE = 1000
DEFAULT_PAGE = 200
"""A page of a plan's objects when the call names no ``limit``."""
BATCH = 1000


@dataclass(frozen=True)
class PlanPage:
    """A page of a kept plan's lines, and how many lines the page's filter matches."""

    plan_id: str
    total: int
    lines: tuple[PlanLine, ...]


@dataclass
class PlanStore:
    """Stores plans and pages their objects."""

    db: Database
    deliveries: Deliveries
    kept: KeptPlans

    def keep(
        self,
        scope: Scope,
        outcome: PlanOutcome,
        workset: Workset,
        request: ImportRequest,
        package_sha256: str,
        witness: str | None = None,
    ) -> Plan:
        """Store the plan with its lines; answer it (its first lines with it). With the
        ``witness`` of its reads (:class:`.recorded.Recorded`), the working set is handed over to
        the kept plan (:class:`.kept.KeptPlans`)."""
        plan_id = uuid.uuid4().hex
        first = FirstLines()
        listed = Listing(len(outcome.order))
        delivery = self.deliveries.of(scope.workspace)
        basis = delivery.basis(scope)
        unsent = Unsent()
        try:
            for start in range(0, len(outcome.order), BATCH):
                seqs = outcome.order[start : start + BATCH]
                records = workset.records(seqs)
                unsent.add(delivery.unsent([Record.unpacked(records[s][0]) for s in seqs]))
                lines = [PlanLine.of(Record.unpacked(records[s][0]), records[s][1]) for s in seqs]
                if basis is not None:
                    asked = [(str(ln.kind), ln.target_name) for ln in lines]
                    lines = _with_reads(lines, delivery.read_of(scope, asked))
                first.add(lines)
                rows = [
                    PlanObjectRow(
                        listed.place(at, ln), str(ln.kind), str(ln.action), _json(ln.stored())
                    )
                    for at, ln in enumerate(lines, start=start + 1)
                ]
                with self.db.transaction() as tx:
                    plan_repo.insert_plan_objects(tx, plan_id, rows)
            rewrites = _first_rewrites(workset, [name for name, _ in outcome.rewrites_locked])
            plan = Plan.of(outcome, plan_id, package_sha256, first.lines(), basis, rewrites)
            plan = replace(plan, unsent=tuple(unsent.names), unsent_total=unsent.total)
            kept = PlanRecord(
                plan_id,
                scope.workspace.id,
                package_sha256,
                request.fingerprint(),
                outcome.fingerprint,
                dump(plan.stored(with_lines=False)),
                scope.actor.name,
                now_ms(),
            )
            with self.db.transaction() as tx:
                plan_repo.insert_plan(tx, kept)
            if witness is not None:  # its files after its row: a sweep keeps them
                self.kept.keep(plan_id, outcome, workset, witness)
        except BaseException:
            with self.db.transaction() as tx:
                plan_repo.delete_plan(tx, plan_id)
            self.kept.forget(plan_id)
            raise
        return plan

    def applied(self, scope: Scope, stored: PlanRecord | None, task_id: str) -> None:
        """Remove the kept files of the plan ``stored`` once the import ``task_id`` that applied
        it ended well (successful, or a warning: part written). The target changed (or, when
        it wrote nothing, an import naming the plan again plans again and compares); nothing
        else reads them: the plan's page, its lines and a rollback read the database. Its rows
        stay until the plans' expiry. An import that failed keeps them for its retry, and one
        whose change is pending on a remote workspace until that ends (the expiry's)."""
        if stored is None:  # the import named no plan
            return
        with self.db.transaction(readonly=True) as tx:
            task = task_repo.get_task(tx, scope.workspace.id, task_id)
        if task is not None and task.status in (TaskStatus.SUCCESSFUL, TaskStatus.WARNING):
            self.kept.forget(stored.id)

    def stored_for(self, scope: Scope, request: ImportRequest, sha256: str) -> PlanRecord:
        """The kept plan an import names, refused when it is not of this package (``sha256``)
        and these import options."""
        assert request.plan_id is not None
        with self.db.transaction(readonly=True) as tx:
            stored = self._stored(tx, scope, request.plan_id)
        if stored.package_sha256 != sha256 or stored.request_sha256 != request.fingerprint():
            raise PlanStaleError(
                f"Plan {stored.id} was made for another package or other import options; make "
                "a plan for this package and these options.",
                plan_id=stored.id,
            )
        return stored

    def require_kept(self, scope: Scope, plan_id: str, ttl_seconds: int) -> None:
        """Refuse (DLF.9015) an import naming a plan the workspace does not have, or one past
        its keep time (the package TTL after it was made) that the sweep has not removed yet:
        said before the import looks for its package, which expires with it."""
        with self.db.transaction(readonly=True) as tx:
            stored = self._stored(tx, scope, plan_id)
        until = stored.created_at + ttl_seconds * 1000
        if until <= now_ms():
            kept = datetime.fromtimestamp(until / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            raise PlanStaleError(
                f"Plan {plan_id} expired: plans are kept for the package TTL "
                f"(JOBFERRY_DOWNLOAD_TTL_SECONDS) after they are made, and this one until "
                f"{kept}.",
                fix="Make a plan again (POST /jobs/import/plan).",
                remedy=Remedy.PLAN_AGAIN,
                plan_id=plan_id,
                kept_until=until,
            )

    def sweep_kept(self) -> int:
        """Remove the kept files of plans forgotten (expired) or never kept; how many."""

        def known(plan_ids: list[str]) -> set[str]:
            with self.db.transaction(readonly=True) as tx:
                return plan_repo.plans_among(tx, plan_ids)

        return self.kept.sweep(known)

    def plan(self, scope: Scope, plan_id: str) -> Plan:
        """A kept plan, with its first lines."""
        scope.require(WRITERS, "read import plans")
        with self.db.transaction(readonly=True) as tx:
            stored = self._stored(tx, scope, plan_id)
            _, lines = plan_repo.plan_objects(tx, plan_id, offset=0, limit=INLINE_OBJECTS)
        try:
            return Plan.of_stored(orjson.loads(stored.plan), _lines(lines))
        except UnreadablePlanError as exc:
            raise _unreadable(plan_id) from exc

    def objects(
        self,
        scope: Scope,
        plan_id: str,
        *,
        offset: Given,
        limit: Given,
        action: str | None = None,
        kind: str | None = None,
    ) -> PlanPage:
        """A page of a kept plan's lines as it lists them (:class:`Listing`; optionally of one
        action or kind)."""
        scope.require(WRITERS, "read import plans")
        if action is not None and action not in set(PlanAction):
            raise InvalidRequestError(
                f"action '{action}' is not a plan action; use one of {', '.join(PlanAction)}.",
                parameter="action",
            )
        if kind is not None and kind not in set(ObjectKind):
            raise InvalidRequestError(
                f"kind '{kind}' is not an object kind; use one of {', '.join(ObjectKind)}.",
                parameter="kind",
            )
        p = window(limit, offset, MAX_PAGE, DEFAULT_PAGE)
        with self.db.transaction(readonly=True, seeking=True) as tx:
            self._stored(tx, scope, plan_id)
            total, lines = plan_repo.plan_objects(
                tx, plan_id, offset=p.skip, limit=p.limit, action=action, kind=kind
            )
        try:
            return PlanPage(plan_id, total, _lines(lines))
        except UnreadablePlanError as exc:
            raise _unreadable(plan_id) from exc

    @staticmethod
    def _stored(tx: Tx, scope: Scope, plan_id: str) -> PlanRecord:
        stored = plan_repo.get_plan(tx, scope.workspace.id, plan_id)
        if stored is None:
            raise PlanStaleError(
                f"Plan {plan_id} does not exist in workspace '{scope.workspace.name}' (plans "
                "expire with the package TTL).",
                fix="Make a plan first (POST /jobs/import/plan).",
                remedy=Remedy.PLAN_AGAIN,
                plan_id=plan_id,
            )
        return stored


@dataclass(frozen=True)
class Listing:
    """Where each line of a plan of ``size`` lines is listed (its row's ``seq``): a telling
    line (:attr:`.plan.PlanLine.telling`) at its place in plan order, an unchanged one after
    every line (``size`` further on), so that the changes and problems of a large promotion
    are among the first lines a client reads, whatever their place in the apply order (kept
    apart, in the working set)."""

    size: int

    def place(self, at: int, line: PlanLine) -> int:
        """The listing position of the line at ``at`` (from 1) in plan order."""
        return at if line.telling else self.size + at


@dataclass
class FirstLines:
    """The first lines a plan answers, as its listing orders them: its first telling lines,
    then as many of its first unchanged lines as there is room for (at most
    :data:`INLINE_OBJECTS` of each kept while the lines go by)."""

    telling: list[PlanLine] = field(default_factory=list)
    plain: list[PlanLine] = field(default_factory=list)

    def add(self, lines: list[PlanLine]) -> None:
        """Note a batch of lines, in plan order."""
        for line in lines:
            kept = self.telling if line.telling else self.plain
            if len(kept) < INLINE_OBJECTS:
                kept.append(line)

    def lines(self) -> tuple[PlanLine, ...]:
        """The first :data:`INLINE_OBJECTS` lines of the listing."""
        return tuple((self.telling + self.plain)[:INLINE_OBJECTS])


@dataclass
class Unsent:
    """The jobs whose description the workspace's truth will not get: the first names, and
    how many."""

    names: list[str] = field(default_factory=list)
    total: int = 0

    def add(self, names: list[str]) -> None:
        """Count ``names`` (a batch's), keeping the first."""
        self.names.extend(names[: max(0, SHOWN_REWRITES - len(self.names))])
        self.total += len(names)


def _first_rewrites(workset: Workset, locked: list[str]) -> tuple[str, ...]:
    """The names of the first jobs the plan rewrites for its renames: those another user's
    lock is passed over on (``locked``, by name) first, so that none goes unsaid, then the
    others by name."""
    first, passed = list(locked), set(locked)
    for users in workset.rewrites(SHOWN_REWRITES):
        first.extend(name for _, name in users if name not in passed)
        break
    return tuple(first[:SHOWN_REWRITES])


def _json(values: object) -> str:
    return orjson.dumps(values).decode()


def _lines(texts: list[str]) -> tuple[PlanLine, ...]:
    return tuple(PlanLine.of_stored(orjson.loads(text)) for text in texts)


def _unreadable(plan_id: str) -> PlanStaleError:
    return PlanStaleError(
        f"Plan {plan_id} was kept by an earlier version of jobferry and cannot be read.",
        fix="Make a plan again (POST /jobs/import/plan).",
        remedy=Remedy.PLAN_AGAIN,
        plan_id=plan_id,
    )


def _with_reads(lines: list[PlanLine], reads: Mapping[tuple[str, str], str]) -> list[PlanLine]:
    """Each line says what the plan read of its object in the workspace's truth (the hash of
    the definition read, ``None`` when it was not there)."""
    return [
        replace(ln, remote_read=RemoteRead(reads.get((str(ln.kind), ln.target_name))))
        for ln in lines
    ]
