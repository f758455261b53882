"""Import, plan (deletes), once the package is read: what to delete, and names that clash.

With ``propagateDeletes``, an object the target received from the package's source (its ledger
says so) is deleted when the source no longer has it: the package holds its kind whole
(``inventory``) and does not list it, or the package says the source deleted it (``deleted``).
Nothing the target did not receive from that source is ever deleted. A package without a source
(a folder, ``jobferry apply -f DIR --prune``) that holds kinds whole is the whole of those
kinds: every object of them the target holds and no object of the package is matched to is
deleted (*pruned*); such a package has no ledger to consult. A DELETE that would leave a
remaining job using the object is a problem, not an action; deletes of jobs go
downstream-first. Without ``propagateDeletes`` the plan lists the DELETEs it leaves out
(``deletionsNotApplied``: each with why the source no longer has it and the option that would
apply it).

An object whose name is held in the target by another object that the import neither renames
away nor deletes cannot be written: a ``name_conflict`` problem.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterator
from dataclasses import replace

from jobferry.domain.enums import (
    DriftPolicy,
    JobStatus,
    ObjectKind,
    PlanAction,
    ProblemReason,
    SchedulingPolicy,
    TargetStatus,
)
from jobferry.domain.graph import ranked_order
from jobferry.services.context import Scope
from jobferry.services.definitions.usage import Users
from jobferry.services.importing.decide import older_problem
from jobferry.services.importing.locks import locked_problem, soft_lock_holder
from jobferry.services.importing.matching import IDENTIFIED, Matcher
from jobferry.services.importing.model import NotApplied, Problem, Record
from jobferry.services.importing.ports import TargetReader
from jobferry.services.importing.request import ImportRequest
from jobferry.storage.importing.ledger import LedgerRow
from jobferry.storage.importing.target import TargetObject
from jobferry.storage.importing.workset import Workset

BATCH = 500
SHOWN_NOT_APPLIED = 1000
"""DELETEs left out that a plan lists (it counts them all)."""
SHOWN_USERS = 10
"""Jobs an in-use problem names of each kind of use."""
_RANK: dict[str, int] = {ObjectKind.JOB: 0, ObjectKind.SCRIPT: 1, ObjectKind.RESOURCE: 2}


class Deletes:
    """The DELETEs of one plan."""

    def __init__(
        self, scope: Scope, request: ImportRequest, matcher: Matcher, workset: Workset
    ) -> None:
        self.scope, self.request = scope, request
        self.matcher, self.workset = matcher, workset
        self.target: TargetReader = matcher.state
        self._deleted: set[tuple[str, str]] = set()
        self._version_users: list[tuple[str, str, str, str]] = []
        self._written: set[str] | None = None

    def candidates(self) -> Iterator[tuple[LedgerRow | None, str, TargetObject]]:
        """(ledger row, kind, target object) of what the import deletes: objects the source
        no longer has (their ledger rows), and for a package without a source, the target's
        objects it does not hold (``pruned``: no ledger row)."""
        if not self.request.propagate_deletes:
            return
        if self.matcher.source.workspace_id is None:
            yield from self.pruned()
            return
        for row, target in self.from_source():
            yield row, row.kind, target

    def from_source(self) -> Iterator[tuple[LedgerRow, TargetObject]]:
        """Ledger rows of objects the source no longer has, with their target object (when the
        target still holds it and no object of the package took it over)."""
        source = self.matcher.source.workspace_id
        if source is None:
            return
        for rows in self._ledger_batches(source):
            inventory = self.matcher.source.inventory
            listed = self.matcher.reader.listed_uids(
                [r.source_uid for r in rows if r.kind in inventory]
            )
            gone = [r for r in rows if r.kind in IDENTIFIED and self.matcher.goes_away(r, listed)]
            wanted: dict[str, list[str]] = {}
            for row in gone:
                wanted.setdefault(row.kind, []).append(row.target_uid)
            found = self.matcher.state.stored_by_uid(wanted)
            claimed = self.workset.matched(sorted({t.uid for t in found.values()}))
            for row in gone:
                target = found.get((row.kind, row.target_uid))
                if target is not None and target.uid not in claimed:
                    yield row, target

    def _ledger_batches(self, source: str) -> Iterator[list[LedgerRow]]:
        """What the target received from the source, a batch at a time by (kind, source uid):
        every row when the package holds some kind whole (what it does not list is gone),
        else only the rows of the objects its manifest says were deleted (nothing else can
        go; a release of 100 items into a 10,000-job side reads those, not 20,000 rows)."""
        if self.matcher.source.inventory:
            after: tuple[str, str] | None = None
            while rows := self.target.source_ledger(source, after, BATCH):
                after = (rows[-1].kind, rows[-1].source_uid)
                yield rows
            return
        by_kind: dict[str, list[str]] = {}
        for kind, uid in sorted(self.matcher.source.deleted):
            by_kind.setdefault(kind, []).append(uid)
        for kind, uids in sorted(by_kind.items()):
            found = self.target.ledger_rows(source, kind, uids)
            ordered = [found[uid] for uid in uids if uid in found]
            for start in range(0, len(ordered), BATCH):
                yield ordered[start : start + BATCH]

    def pruned(self) -> Iterator[tuple[None, str, TargetObject]]:
        """The target's objects of the kinds a package without a source holds whole that no
        object of the package is matched to."""
        whole = {str(kind) for kind in IDENTIFIED} & self.matcher.source.inventory
        for kind in sorted(whole, key=_RANK.__getitem__):  # plain texts: a record is marshalled
            after = ""
            while held := self.target.objects_after(kind, after, BATCH):
                after = held[-1].uid
                claimed = self.workset.matched([t.uid for t in held])
                yield from ((None, kind, t) for t in held if t.uid not in claimed)

    def plan(self, first_seq: int) -> list[tuple[int, Record, list[Problem]]]:
        """The DELETE records, downstream-first, numbered from ``first_seq``."""
        picked = list(self.candidates())
        if not picked:
            return []
        names = {(kind, target.name) for _, kind, target in picked}
        self._deleted = names
        self._version_users = self.target.version_users(sorted(names))
        out: list[tuple[int, Record, list[Problem]]] = []
        for offset, (row, kind, target) in enumerate(_ordered(self.target, picked)):
            problems = self._problems(row, kind, target, names)
            record = Record(
                kind=kind,
                name=target.name,
                path="",
                action=str(PlanAction.DELETE),
                text=None,
                columns=None,
                target=(target.id, target.latest_version, target.status, target.document),
                refs=None,
                problems=[p.packed() for p in problems],
                diff=None,
                schedule=None,
                uid=row.source_uid if row is not None else None,
                # Only an import that pauses scheduled jobs stops one before deleting it; under
                # REFUSE the job is a problem, never paused.
                pause=self._pauses(kind, target),
                ledger=tuple(row) if row is not None else None,
                target_uid=target.uid,
                locked_by=soft_lock_holder(self.scope, self.target, kind, target.name),
            )
            out.append((first_seq + offset, record, problems))
        return out

    def _pauses(self, kind: str, target: TargetObject) -> bool:
        """Whether the import stops this job before deleting it (scheduled, and paused)."""
        return (
            kind == ObjectKind.JOB
            and target.status != JobStatus.STOPPED.value
            and self.request.scheduling is SchedulingPolicy.PAUSE_AND_RESTORE
        )

    def _problems(
        self,
        row: LedgerRow | None,
        kind: str,
        target: TargetObject,
        deleted: set[tuple[str, str]],
    ) -> list[Problem]:
        problems = self._older(row, kind, target.name)
        problems += locked_problem(
            self.scope, self.target, kind, target.name, target.name, deleting=True
        )
        ws = self.scope.workspace
        label = f"{kind} '{target.name}'"
        gone = "is gone from the source" if row is not None else "is not in the package"
        scheduled = kind == ObjectKind.JOB and target.status != JobStatus.STOPPED.value
        if scheduled and self.request.scheduling is not SchedulingPolicy.PAUSE_AND_RESTORE:
            problems.append(
                Problem(
                    ProblemReason.SCHEDULED,
                    kind,
                    target.name,
                    f"{label} is scheduled ({target.status}) in workspace '{ws.name}' and "
                    "must be stopped before it is deleted",
                    "stop it, import with scheduling PAUSE_AND_RESTORE (the import "
                    "stops it before deleting it), or import without propagating deletions",
                    action=PlanAction.DELETE,
                )
            )
        users = Users(self._users(kind, target.name, deleted), self._versions(kind, target.name))
        if users:
            problems.append(
                Problem(
                    ProblemReason.IN_USE,
                    kind,
                    target.name,
                    f"{label} {gone}, but {users.said()} would still use it "
                    f"in workspace '{ws.name}'",
                    users.fix(
                        "remove those references (in the source, then export again, or in "
                        "the target)"
                    )
                    + ", or import without propagating deletions",
                    action=PlanAction.DELETE,
                )
            )
        return problems

    def _users(self, kind: str, name: str, deleted: set[tuple[str, str]]) -> list[str]:
        """The jobs that would still use (kind, name) by their definition: the target's (but
        those the import deletes), those the import writes, other workspaces' (a job)."""
        users = [
            job
            for _, job, _ in self.target.jobs_using(kind, [name])
            if (ObjectKind.JOB, job) not in deleted and job != name
        ]
        users += self._written_users(kind, name)
        if kind == ObjectKind.JOB:
            users += [f"{other}/{job}" for other, _, job in self.target.dependents_elsewhere(name)]
        return sorted(set(users))[:SHOWN_USERS]

    def _versions(self, kind: str, name: str) -> list[str]:
        """The jobs whose latest submitted version alone would still use (kind, name): but
        those the import deletes, and those it submits again (their new version replaces it)."""
        here = self.scope.workspace.name
        users = {
            job if where == here else f"{where}/{job}"
            for k, n, where, job in self._version_users
            if (k, n) == (kind, name)
            and not (where == here and ((ObjectKind.JOB, job) in self._deleted or job == name))
            and not (where == here and job in self._resubmitted())
        }
        return sorted(users)[:SHOWN_USERS]

    def _resubmitted(self) -> set[str]:
        """The jobs the import writes as a new submitted version (none when it saves only)."""
        if self._written is None:
            self._written = set()
            if self.request.target_status is not TargetStatus.SAVED:
                for seqs in self.workset.written_jobs_seqs(BATCH):
                    records = self.workset.records(seqs).values()
                    self._written |= {Record.unpacked(data).name for data, _ in records}
        return self._written

    def _older(self, row: LedgerRow | None, kind: str, name: str) -> list[Problem]:
        """A deletion of what a newer package of the same source wrote (this older one does
        not hold it), unless ``onDrift`` TAKE_PACKAGE."""
        newer = row.package_created_at if row is not None else None
        created = self.matcher.source.created_at
        if newer is None or created is None or newer <= created:
            return []
        if self.request.on_drift is DriftPolicy.TAKE_PACKAGE:
            return []
        times = (newer, created)
        return [
            older_problem(kind, name, self.scope.workspace.name, times, action=PlanAction.DELETE)
        ]

    def _written_users(self, kind: str, name: str) -> list[str]:
        """Jobs the import writes whose new definitions use (kind, name)."""
        users: list[str] = []
        for seqs in self.workset.written_jobs_seqs(BATCH):
            for data, _ in self.workset.records(seqs).values():
                record = Record.unpacked(data)
                if any(k == kind and n == name and not w for k, n, w in record.refs or ()):
                    users.append(record.name)
        return users


def deletions_not_applied(
    scope: Scope, request: ImportRequest, matcher: Matcher, workset: Workset
) -> tuple[list[NotApplied], int]:
    """The DELETEs ``propagateDeletes`` would add to this plan, when it is not asked: the first
    :data:`SHOWN_NOT_APPLIED` (kind, name, why, the option) and how many in all."""
    source = matcher.source
    if request.propagate_deletes or source.workspace_id is None:
        return [], 0
    asked = replace(request, propagate_deletes=True)
    widened = Matcher(matcher.state, source, matcher.reader, asked)
    shown: list[NotApplied] = []
    total = 0
    for row, target in Deletes(scope, asked, widened, workset).from_source():
        total += 1
        if len(shown) >= SHOWN_NOT_APPLIED:
            continue
        label = f"{row.kind} '{target.name}'"
        if (row.kind, row.source_uid) in source.deleted:
            named = source.names.get((row.kind, row.source_uid), target.name)
            called = f" (as '{named}')" if named != target.name else ""
            why = f"{label} was deleted in the source{called}"
        else:
            why = f"the package holds every {row.kind} of its source, and not {label}"
        shown.append(
            NotApplied(
                kind=row.kind,
                name=target.name,
                reason=why + ": the import leaves it in the target",
                option="propagateDeletes",
                fix="import with propagateDeletes to delete it",
            )
        )
    return shown, total


Picked = tuple[LedgerRow | None, str, TargetObject]


def _ordered(target: TargetReader, picked: list[Picked]) -> list[Picked]:
    """Jobs first, downstream before upstream; then scripts, then resources."""
    jobs = sorted((p for p in picked if p[1] == ObjectKind.JOB), key=lambda p: p[2].name)
    others = sorted(
        (p for p in picked if p[1] != ObjectKind.JOB),
        key=lambda p: (_RANK.get(p[1], 9), p[2].name),
    )
    number = {target.name: n for n, (_, _, target) in enumerate(jobs)}
    edges = []
    for n, (_, _, held) in enumerate(jobs):
        for _, upstream in target.upstream_edges([held.name]):
            if upstream in number:
                edges.append((number[upstream], n))  # downstream first: reversed edges
    order, left = ranked_order(len(jobs), edges)
    return [jobs[n] for n in (order if not left else range(len(jobs)))] + others


def name_conflicts(workset: Workset, ws_name: str) -> list[tuple[int, Problem]]:
    """Objects whose name a target object holds that the import neither renames away nor
    deletes."""
    out: list[tuple[int, Problem]] = []
    for seq, kind, name in workset.held_names():
        out.append(
            (
                seq,
                Problem(
                    ProblemReason.NAME_CONFLICT,
                    kind,
                    name,
                    f"{kind} '{name}' in workspace '{ws_name}' is another object than the one "
                    "this was promoted as (a different object of the source, or one made in "
                    "the target), and the import neither renames nor deletes it",
                    f"rename or delete that {kind} in the target, or import with "
                    "propagateDeletes if the source deleted it",
                ),
            )
        )
    workset.add_late((seq, marshal.dumps(p.packed())) for seq, p in out)
    return out
