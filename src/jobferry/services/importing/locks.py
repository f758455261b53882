"""Import, check: another user's lock on a job or script the import overwrites, renames or
deletes. Under the workspace's hard lock policy it refuses the change, as the job and script
calls do (a ``locked`` problem); under the soft policy it only warns: the object's plan line
says who holds it (``PlanLine.locked_by``) and nothing is refused. One's own lock says nothing.
A job of the target that a rename rewrites is changed too: under the hard policy another user's
lock on it is a problem of the rename (``rewrites.locked_rewrites``, :func:`hard_locked_jobs`).
"""

from __future__ import annotations

from jobferry.domain.enums import LockPolicy, ObjectKind, PlanAction, ProblemReason
from jobferry.services.context import Scope
from jobferry.services.importing.model import Problem
from jobferry.services.importing.ports import TargetReader


def _other_holder(scope: Scope, state: TargetReader, kind: str, name: str) -> str | None:
    """The name of the user other than the scope's actor holding a lock on ``kind`` ``name``
    of the target (``None``: nobody, or the actor)."""
    holder = state.locks.get((kind, name))
    return None if holder is None or holder[0] == scope.actor.user_id else holder[1]


def soft_lock_holder(scope: Scope, state: TargetReader, kind: str, name: str) -> str | None:
    """The user whose lock on the job or script ``name`` of the target the import passes
    over: another user's lock under the soft policy, which only warns (the plan line says
    so); under the hard policy the lock is a problem (:func:`locked_problem`)."""
    if scope.workspace.lock_policy == LockPolicy.HARD.value:
        return None
    return _other_holder(scope, state, kind, name)


def hard_locked_jobs(scope: Scope, state: TargetReader) -> dict[str, str]:
    """Name → holder of the target's jobs another user holds a lock on, under the hard policy
    (none under the soft policy, whose locks only warn)."""
    if scope.workspace.lock_policy != LockPolicy.HARD.value:
        return {}
    return {
        name: holder
        for (kind, name), (user_id, holder) in state.locks.items()
        if kind == ObjectKind.JOB and user_id != scope.actor.user_id
    }


def locked_problem(
    scope: Scope, state: TargetReader, kind: str, name: str, shown: str, *, deleting: bool = False
) -> list[Problem]:
    """Another user's lock on the job or script ``name`` of the target under the hard policy,
    which refuses its change as the job and script calls do: a problem of the object the plan
    writes as ``shown``, or (``deleting``) of its deletion."""
    holder = _other_holder(scope, state, kind, name)
    if holder is None or scope.workspace.lock_policy != LockPolicy.HARD.value:
        return []
    return [
        Problem(
            ProblemReason.LOCKED,
            kind,
            shown,
            f"{kind} '{shown}' is locked by '{holder}' and workspace "
            f"'{scope.workspace.name}' uses the hard lock policy",
            f"ask '{holder}' to release the lock, or "
            + (
                "import without propagating deletions"
                if deleting
                else "import with sameNamePolicy SKIP"
            ),
            action=PlanAction.DELETE if deleting else None,
        )
    ]
