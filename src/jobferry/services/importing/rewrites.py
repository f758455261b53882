"""Import, plan (rewrites), once the plan is whole: the target's jobs outside the package whose
references to a renamed object the import rewrites to its new name.

A RENAME changes an object's name in the target; every job of the target that refers to it by
its old name and that the import neither writes nor deletes is rewritten in the same
transaction (``promote.Promotion.rewrite_dependents``). Which jobs those are is decided here,
at plan time, and kept in the working set: the plan lists them (``Plan.rewrites``), the apply
rewrites exactly them, and what the plan read of them is in its fingerprint (a job that
changes between the plan and the import makes the plan stale). A job to rewrite that another
user holds a lock on is written over anyway under the soft lock policy: the plan says who holds
it, as it does on the line of an object the import overwrites (``locks.soft_lock_holder``).
Under the hard policy it is refused, as the rename call refuses it: the rename has a ``locked``
problem (:func:`locked_rewrites`), found before the plan decides what fails, so that in
PER_OBJECT mode the rename fails and rewrites nothing, and what needs its new name fails with it.
"""

from __future__ import annotations

import marshal
from collections.abc import Container, Iterator
from typing import NamedTuple

from jobferry.domain.enums import ObjectKind, ProblemReason
from jobferry.services.context import Scope
from jobferry.services.importing.locks import hard_locked_jobs, soft_lock_holder
from jobferry.services.importing.model import Problem, Record
from jobferry.services.importing.ports import TargetReader
from jobferry.storage.importing.workset import Workset

BATCH = 500
_JOB = str(ObjectKind.JOB)


def renamed(workset: Workset, failing: Container[int]) -> Iterator[list[tuple[str, str, str]]]:
    """(kind, old name, new name) of the objects the import renames (not those that fail), a
    batch at a time."""
    for batch in _renames(workset, failing):
        yield [(kind, old, new) for _, kind, old, new in batch]


def _renames(
    workset: Workset, failing: Container[int]
) -> Iterator[list[tuple[int, str, str, str]]]:
    """(seq, kind, old name, new name) of the renames not in ``failing``, a batch at a time."""
    seqs = [seq for seq in workset.renames() if seq not in failing]
    for start in range(0, len(seqs), BATCH):
        batch = []
        for seq, (data, _) in workset.records(seqs[start : start + BATCH]).items():
            record = Record.unpacked(data)
            if record.target is not None and record.previous_name is not None:
                batch.append((seq, record.kind, record.previous_name, record.name))
        yield batch


def locked_rewrites(
    scope: Scope, target: TargetReader, workset: Workset
) -> list[tuple[int, Problem]]:
    """Under the hard lock policy, a ``locked`` problem of each rename for each job of the
    target it would rewrite that another user holds a lock on (kept in ``workset`` as the
    rename's late problems). Every such job counts, the package's own too: the import cannot
    write or delete one (its own ``locked`` problem), so it keeps the old name and is
    rewritten unless the rename fails."""
    held = hard_locked_jobs(scope, target)
    found: list[tuple[int, Problem]] = []
    for batch in _renames(workset, ()) if held else ():
        found += _locked_users(scope, target, batch, held)
    unique = list(dict.fromkeys(found))
    workset.add_late((seq, marshal.dumps(p.packed())) for seq, p in unique)
    return unique


def _locked_users(
    scope: Scope,
    target: TargetReader,
    batch: list[tuple[int, str, str, str]],
    held: dict[str, str],
) -> Iterator[tuple[int, Problem]]:
    """The problems of these renames (seq, kind, old name, new name) for the jobs of ``held``
    (name → holder) that use an old name."""
    by_old = {(kind, old): (seq, new) for seq, kind, old, new in batch}
    for kind in sorted({kind for kind, _ in by_old}):
        olds = sorted(old for k, old in by_old if k == kind)
        for _, job, used in target.jobs_using(kind, olds):
            holder = held.get(job)
            if holder is None or (kind, used) not in by_old or (kind, job) == (_JOB, used):
                continue  # nobody else's lock; not this rename's; the renamed job itself
            seq, new = by_old[(kind, used)]
            yield seq, _locked(scope, (kind, used, new), job, holder)


def _locked(scope: Scope, rename: tuple[str, str, str], job: str, holder: str) -> Problem:
    """The problem of renaming (kind, old name, new name) over ``holder``'s lock on ``job``."""
    kind, old, new = rename
    return Problem(
        ProblemReason.LOCKED,
        kind,
        new,
        f"job '{job}' is locked by '{holder}' and workspace '{scope.workspace.name}' uses the "
        f"hard lock policy; renaming {kind} '{old}' to '{new}' would rewrite its reference to "
        "the old name",
        f"ask '{holder}' to release the lock (or an admin to release it for them), or leave the "
        f"rename out: keep the name '{old}' in the source, or import with sameNamePolicy SKIP",
    )


class Rewrites(NamedTuple):
    """The jobs a plan rewrites for its renames: how many, and (name, holder) of each one
    another user's lock is passed over on (the soft lock policy), by name."""

    total: int
    locked: tuple[tuple[str, str], ...]


def plan_rewrites(
    scope: Scope, target: TargetReader, workset: Workset, failing: Container[int]
) -> Rewrites:
    """Keep in ``workset`` the jobs whose references the import rewrites (a batch of renames
    at a time: memory stays flat); how many, and those locked by another user (no more than
    the workspace's locks)."""
    locked: dict[str, str] = {}
    for batch in renamed(workset, failing):
        old_names: dict[str, list[str]] = {}
        for kind, old, _ in batch:
            old_names.setdefault(kind, []).append(old)
        users: dict[int, str] = {}
        for kind, names in old_names.items():
            users.update((job_id, job) for job_id, job, _ in target.jobs_using(kind, names))
        if users:
            rewritten = _not_written(target, workset, failing, users)
            workset.add_rewrites(rewritten)
            for _, name in rewritten:
                if (holder := soft_lock_holder(scope, target, ObjectKind.JOB, name)) is not None:
                    locked[name] = holder
    return Rewrites(workset.rewrites_count(), tuple(sorted(locked.items())))


def _not_written(
    target: TargetReader, workset: Workset, failing: Container[int], users: dict[int, str]
) -> list[tuple[int, str]]:
    """Of these jobs, those the import neither writes (they carry the package's references
    already) nor deletes; read as the plan reads every target object it depends on (into its
    fingerprint)."""
    found = target.stored({str(ObjectKind.JOB): sorted(set(users.values()))})
    by_uid = {t.uid: int(t.id) for t in found.values()}
    taken = {
        by_uid[uid] for uid, seq in workset.written_targets(list(by_uid)) if seq not in failing
    }
    return [(job_id, name) for job_id, name in users.items() if job_id not in taken]
