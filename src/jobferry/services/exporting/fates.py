"""What became of a job a name no longer finds: renamed (to which name, when) or deleted (when).

An export by names that names a job renamed or deleted since says so ("renamed to
customers_daily on 2026-11-20", "deleted on 2026-11-21") instead of "no job": the workspace's
renames are in its audit log (``job.rename``, from the old name), its deletions in its
tombstones (which a target's import reads too).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime

import orjson

from jobferry.domain.enums import ObjectKind
from jobferry.storage import Tx
from jobferry.storage import audit as audit_repo
from jobferry.storage.importing import ledger as ledger_repo

RENAME_ACTION = "job.rename"
"""The audit action a job's rename leaves (its detail names the old name, ``from``)."""


def _day(at: int) -> str:
    return datetime.fromtimestamp(at / 1000, UTC).date().isoformat()


def _renames(tx: Tx, workspace_id: str) -> dict[str, tuple[str, int]]:
    """Old name → (the name now of the job that last left it by a rename, when it left).

    The renames are replayed oldest first, following each job rather than each name: a job
    renamed from x to a and then to b is b, even when another job took the name a since."""
    jobs = itertools.count()
    holder: dict[str, int] = {}  # name → the job holding it (a number)
    named: dict[int, str] = {}  # job → its name after the renames so far
    left: dict[str, tuple[int, int]] = {}  # name → (the job that last left it, when)
    for new, detail, at in audit_repo.entries_of(tx, workspace_id, RENAME_ACTION):
        try:
            old = orjson.loads(detail or "{}").get("from")
        except (orjson.JSONDecodeError, AttributeError):
            continue
        if isinstance(old, str) and old != new:
            job = holder.pop(old) if old in holder else next(jobs)
            holder[new], named[job], left[old] = job, new, (job, at)
    return {old: (named[job], at) for old, (job, at) in left.items()}


def job_fates(tx: Tx, workspace_id: str, names: Sequence[str]) -> dict[str, str]:
    """For each of ``names`` (jobs the workspace does not hold) that was renamed or deleted,
    what became of it, latest event first: "renamed to X on D" (following later renames, and
    saying so when the new name was deleted in turn), or "deleted on D"."""
    if not names:
        return {}
    renames = _renames(tx, workspace_id)
    followed = {name: renames[name] for name in names if name in renames}
    asked = set(names) | {last for last, _ in followed.values()}
    deleted = ledger_repo.deleted_named(tx, workspace_id, ObjectKind.JOB, sorted(asked))
    out: dict[str, str] = {}
    for name in names:
        gone_at = deleted.get(name)
        if name in followed and (gone_at is None or followed[name][1] >= gone_at):
            last, at = followed[name]
            fate = f"renamed to {last} on {_day(at)}"
            if last in deleted and deleted[last] >= at:
                fate += f", deleted on {_day(deleted[last])}"
            out[name] = fate
        elif gone_at is not None:
            out[name] = f"deleted on {_day(gone_at)}"
    return out
