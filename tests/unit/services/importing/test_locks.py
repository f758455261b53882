"""Another user's lock on an object an import changes (``services.importing.locks``): under the
hard policy a ``locked`` problem (of the write, or of the deletion), under the soft policy no
problem but the holder's name for the plan line; one's own lock says nothing either way."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from jobferry.domain.enums import LockPolicy, PlanAction, ProblemReason
from jobferry.services.container import Services
from jobferry.services.context import Scope
from jobferry.services.importing.locks import locked_problem, soft_lock_holder
from support.console import admin_scope


def _as(scope: Scope, policy: LockPolicy, user_id: int | None = None) -> Scope:
    actor = scope.actor if user_id is None else replace(scope.actor, user_id=user_id)
    return replace(scope, actor=actor, workspace=replace(scope.workspace, lock_policy=policy.value))


def _target(holder_id: int) -> Any:
    """A target reader as far as locks go: job 'a_job' locked by 'dana'."""
    return SimpleNamespace(locks={("job", "a_job"): (holder_id, "dana")})


def test_another_user_s_lock_is_a_problem_under_hard_and_a_warning_under_soft(
    services: Services,
) -> None:
    scope = admin_scope(services)
    target = _target(scope.actor.user_id + 1000)
    hard, soft = _as(scope, LockPolicy.HARD), _as(scope, LockPolicy.SOFT)

    [problem] = locked_problem(hard, target, "job", "a_job", "a_job")
    assert (problem.reason, problem.action) == (ProblemReason.LOCKED, None)
    assert "locked by 'dana'" in problem.detail
    [deleting] = locked_problem(hard, target, "job", "a_job", "a_job", deleting=True)
    assert deleting.action is PlanAction.DELETE
    assert soft_lock_holder(hard, target, "job", "a_job") is None

    assert locked_problem(soft, target, "job", "a_job", "a_job") == []
    assert soft_lock_holder(soft, target, "job", "a_job") == "dana"
    assert soft_lock_holder(soft, target, "job", "b_job") is None  # nobody's
    assert soft_lock_holder(soft, target, "script", "a_job") is None  # another kind


def test_one_s_own_lock_says_nothing_under_either_policy(services: Services) -> None:
    scope = admin_scope(services)
    target = _target(scope.actor.user_id)
    for policy in LockPolicy:
        assert locked_problem(_as(scope, policy), target, "job", "a_job", "a_job") == []
        assert soft_lock_holder(_as(scope, policy), target, "job", "a_job") is None
