"""Import, keep and apply once: a kept plan's working set, and the apply that makes its reads
again instead of planning again.

A plan an import may name (``planId``) keeps, beside its rows in the database, what its apply
needs, in the scratch folder (``kept-plans/<plan id>``, :class:`KeptPlans`): its working set
(the records planning made: :meth:`~jobferry.storage.importing.workset.Workset.keep`), the
outcome's part an apply reads (order, failing objects, counts, problems; ``outcome.json`` and
``order``), and every read the plan made of its target, in order (which read, with which
arguments: :class:`~.recorded.Recorded`), with a hash of every answer, the *witness*.

The apply of a kept plan (:meth:`KeptPlan.verified`), under the import's lock and in its
transaction, makes those reads again on the locking reader (:func:`~.recorded.replay`: rows
locked as a plan for an apply locks them) and derives again what the fingerprint hashes beside
them from the package's manifest and signature (:func:`~.planner.header_extra`). Then:

- the same fingerprint and the same witness: the target answered every read as it did; the
  kept plan is applied as it was made;
- another fingerprint: the target changed since, refused as ever (``PlanStaleError``);
- the same fingerprint but another witness: something the fingerprint has never hashed (the
  promotion ledger, a policy, a workspace's name, a field of an object beside its definition
  and state) changed since; planned again as every apply did before plans were kept, so that
  what is applied is what a plan made now decides, as before.

A plan whose files are not here (kept by another server process on another machine, or before
plans kept them, or lost with the scratch folder) is planned again too, and compared by
fingerprint. The files go with their plan: when it is forgotten (:meth:`KeptPlans.sweep`, the
plans' expiry) or refused while being kept (:meth:`KeptPlans.forget`).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
from array import array
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from jobferry import __version__
from jobferry.package.basisblock import basis_block
from jobferry.services.context import Scope
from jobferry.services.importing.basis import check_basis
from jobferry.services.importing.model import PlanOutcome, Problem
from jobferry.services.importing.planner import header_extra
from jobferry.services.importing.ports import OpenedPackage, TargetReader
from jobferry.services.importing.recorded import replay
from jobferry.services.importing.request import ImportRequest
from jobferry.services.support.scratch import scratch_root
from jobferry.settings import Settings
from jobferry.storage.importing.workset import Workset

log = logging.getLogger("jobferry.import")
FORMAT = 1
"""The kept files' format: files of another, or kept by another version of jobferry (whose
records may differ), are not read (the plan is planned again)."""
FOLDER = "kept-plans"
_PLAN_ID = re.compile(r"[0-9a-f]{32}")
_PART = ".part"
# -- the kept files -------------------------------------------------------------------------------


def _problem(problem: Problem) -> list[Any]:
    used_by = [list(user) for user in problem.used_by]
    return [*problem.packed(), used_by, problem.used_by_total]


def _unproblem(values: list[Any]) -> Problem:
    *packed, users, total = values  # packed is six values or more (a deletion's, a rule's)
    used_by = tuple((str(kind), str(name)) for kind, name in users)
    return replace(Problem.unpacked(packed), used_by=used_by, used_by_total=int(total))


def _stored(outcome: PlanOutcome, witness: str) -> bytes:
    """What an apply reads of the outcome, and the plan's witness."""
    return orjson.dumps(
        {
            "format": FORMAT,
            "version": __version__,
            "witness": witness,
            "fingerprint": outcome.fingerprint,
            "counts": outcome.counts,
            "problems": [_problem(p) for p in outcome.problems],
            "problemsTotal": outcome.problems_total,
            "packageProblems": [_problem(p) for p in outcome.package_problems],
            "failing": [[seq, why] for seq, why in outcome.failing.items()],
            "notAppliedTotal": outcome.not_applied_total,
            "rewrites": outcome.rewrites,
            "typecode": outcome.order.typecode,
        }
    )


def _outcome(data: dict[str, Any], order: bytes) -> PlanOutcome:
    if (data.get("format"), data.get("version")) != (FORMAT, __version__):
        raise ValueError(f"kept by jobferry {data.get('version')!r}, not {__version__}")
    seqs = array(data["typecode"])
    seqs.frombytes(order)
    return PlanOutcome(
        fingerprint=data["fingerprint"],
        counts={str(k): int(v) for k, v in data["counts"].items()},
        problems=[_unproblem(p) for p in data["problems"]],
        problems_total=int(data["problemsTotal"]),
        order=seqs,
        failing={int(seq): str(why) for seq, why in data["failing"]},
        package_problems=[_unproblem(p) for p in data["packageProblems"]],
        not_applied_total=int(data["notAppliedTotal"]),
        rewrites=int(data["rewrites"]),
    )


@dataclass
class KeptPlan:
    """A kept plan's files, opened: its working set (read-only), outcome and witness."""

    plan_id: str
    workset: Workset
    outcome: PlanOutcome
    witness: str

    def verified(
        self,
        readers: Callable[[], TargetReader],
        scope: Scope,
        request: ImportRequest,
        package: OpenedPackage,
    ) -> PlanOutcome | None:
        """The kept outcome with the target's fingerprint now (``refuse_unfit`` refuses it
        when that is not the plan's), read on a reader ``readers`` makes (locking what it
        reads, in the import's transaction); ``None`` when an input the fingerprint leaves
        out changed since: the import plans again."""
        if basis_block(package.manifest) is not None:
            # Refused as a plan refuses it, before the reads (on a reader of its own: the
            # plan's reads are hashed in the order the plan made them).
            check_basis(readers(), package.manifest, scope.workspace.name)
        target = readers()
        witness = replay(target, self.workset)
        fingerprint = target.fingerprint(header_extra(target, scope, request, package))
        if fingerprint == self.outcome.fingerprint and witness != self.witness:
            log.info("plan %s: the target answered otherwise; planning again", self.plan_id)
            return None
        return replace(self.outcome, fingerprint=fingerprint)


@dataclass(frozen=True)
class KeptPlans:
    """The kept plans' files, a folder per plan under ``root``."""

    root: Path
    budget: int = 4 * 1024 * 1024 * 1024
    """Most bytes the kept files take (``JOBFERRY_KEPT_PLANS_MAX_BYTES``): past it the oldest
    plans' files go first (their imports plan again); 0 keeps none."""

    @classmethod
    def of(cls, settings: Settings) -> KeptPlans:
        """The server's kept plans: ``kept-plans`` in the scratch root, every process's."""
        return cls(scratch_root(settings) / FOLDER, settings.kept_plans_max_bytes)

    def folder(self, plan_id: str) -> Path | None:
        """The folder of a plan id (``None``: not a plan id this server makes)."""
        return self.root / plan_id if _PLAN_ID.fullmatch(plan_id) else None

    def has(self, plan_id: str) -> bool:
        """Whether the plan's files are here."""
        folder = self.folder(plan_id)
        return folder is not None and folder.is_dir()

    def keep(self, plan_id: str, outcome: PlanOutcome, workset: Workset, witness: str) -> None:
        """Keep the plan's working set (handed over: ``workset`` is closed) and outcome, then
        drop the oldest kept plans' files while all of them take more than the budget."""
        folder = self.folder(plan_id)
        assert folder is not None
        if not self.budget:
            return
        part = folder.with_name(plan_id + _PART)
        try:
            workset.keep(part)
            (part / "order").write_bytes(outcome.order.tobytes())
            (part / "outcome.json").write_bytes(_stored(outcome, witness))
            os.replace(part, folder)
        except BaseException:
            shutil.rmtree(part, ignore_errors=True)
            raise
        self._within_budget()

    def _within_budget(self) -> None:
        """Drop kept plans' files, oldest first, until they take no more than the budget (the
        one just kept too, last, when it alone is larger)."""
        sizes = [
            (at, plan_id, size) for plan_id in self.held() for at, size in _sized(self, plan_id)
        ]
        total = sum(size for _, _, size in sizes)
        for _, plan_id, size in sorted(sizes):
            if total <= self.budget:
                return
            log.info("plan %s: its kept files dropped (over %d bytes)", plan_id, self.budget)
            self.forget(plan_id)
            total -= size

    def open(self, plan_id: str) -> KeptPlan | None:
        """The plan's files, opened; ``None`` when they are not here or cannot be read."""
        folder = self.folder(plan_id)
        if folder is None or not folder.is_dir():
            return None
        try:
            data = orjson.loads((folder / "outcome.json").read_bytes())
            outcome = _outcome(data, (folder / "order").read_bytes())
            workset = Workset.reopen(folder)
        except (OSError, ValueError, KeyError, TypeError, sqlite3.Error) as exc:
            log.warning("plan %s: its kept files cannot be read (%s); planning again", plan_id, exc)
            return None
        return KeptPlan(plan_id, workset, outcome, str(data["witness"]))

    def forget(self, plan_id: str) -> None:
        """Remove the plan's files."""
        folder = self.folder(plan_id)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(folder.with_name(plan_id + _PART), ignore_errors=True)

    def held(self) -> list[str]:
        """The plan ids whose files (or files being kept) are here."""
        if not self.root.is_dir():
            return []
        ids = {entry.name.removesuffix(_PART) for entry in self.root.iterdir()}
        return sorted(i for i in ids if _PLAN_ID.fullmatch(i))

    def sweep(self, known: Callable[[list[str]], set[str]]) -> int:
        """Remove the files of plans ``known`` does not know any more (forgotten, expired, or
        refused while being kept); how many plans' files went."""
        held = self.held()
        alive = known(held) if held else set()
        gone = [plan_id for plan_id in held if plan_id not in alive]
        for plan_id in gone:
            self.forget(plan_id)
        return len(gone)


def _sized(plans: KeptPlans, plan_id: str) -> list[tuple[float, int]]:
    """(when kept, bytes) of a kept plan's files; none when they are gone or being kept."""
    folder = plans.root / plan_id
    try:
        with os.scandir(folder) as entries:
            size = sum(entry.stat().st_size for entry in entries if entry.is_file())
        return [(folder.stat().st_mtime, size)]
    except OSError:
        return []
