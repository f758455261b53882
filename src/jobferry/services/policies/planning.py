"""Policies, when a plan is made: every rule of the policies the plan keeps, as plan problems.

The planner calls :func:`policy_problems` once, when every object is planned: it reads the
plan's records from the working set a batch at a time (only when a policy has a rule about
objects) and answers each object's problems (naming, owners, protected connections), which
fail that object as any problem does; the rules about the whole plan (the deletion limit, a
freeze window) become problems of the package, which refuse the import in every mode. The
import plans again in its own transaction when it is applied, so the policy as it is then
(and the clock then) is checked again there.
"""

from __future__ import annotations

import marshal
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from jobferry.domain.enums import EnvironmentKind, ObjectKind, PlanAction, ProblemReason
from jobferry.domain.policies import RULE_WORDS, Policy, PolicyRule
from jobferry.domain.policy_rules import (
    Breach,
    WrittenObject,
    deletion_breach,
    freeze_breach,
    written_breaches,
)
from jobferry.services.importing.model import WRITES, Problem, Record
from jobferry.services.policies.governing import HeldPolicy
from jobferry.storage.importing.workset import Workset

BATCH = 1000
"""Records read from the working set at a time."""
_CONNECTION = str(EnvironmentKind.CONNECTION)


def policy_problems(
    held: Sequence[HeldPolicy],
    package: str,
    workset: Workset,
    package_problems: list[Problem],
    now: datetime | None = None,
) -> list[tuple[int, Problem]]:
    """The problems of the planned objects (``seq``, problem) under ``held``; the problems of
    the whole plan are added to ``package_problems`` (``package``: how they name it)."""
    if not held:
        return []
    moment = now or datetime.now(UTC)
    for item in held:
        breach = freeze_breach(item.policy, moment)
        if breach is not None:
            package_problems.append(problem_of(item, breach, package))
    if not any(_reads_objects(item.policy) for item in held):
        return []
    found, deleted = _object_problems(held, workset)
    for item in held:
        breach = deletion_breach(item.policy, deleted)
        if breach is not None:
            package_problems.append(problem_of(item, breach, package))
    workset.add_late((seq, marshal.dumps(p.packed())) for seq, p in found)
    return found


def _object_problems(
    held: Sequence[HeldPolicy], workset: Workset
) -> tuple[list[tuple[int, Problem]], list[tuple[str, str]]]:
    """The problems of each object the plan writes, and (kind, name) of each it deletes."""
    found: list[tuple[int, Problem]] = []
    deleted: list[tuple[str, str]] = []
    for seq, record in _records(workset):
        action = PlanAction(record.action)
        if action is PlanAction.DELETE:
            deleted.append((record.kind, record.target_name()))
        elif action in WRITES:
            written = written_object(record)
            for item in held:
                found += [
                    (seq, problem_of(item, b)) for b in written_breaches(item.policy, written)
                ]
    return found, deleted


def _reads_objects(policy: Policy) -> bool:
    return bool(
        policy.max_deletions is not None
        or policy.job_names
        or policy.script_names
        or policy.owners
        or policy.protected_connections
    )


def _records(workset: Workset) -> Iterator[tuple[int, Record]]:
    total = workset.count()
    for start in range(1, total + 1, BATCH):
        seqs = list(range(start, min(start + BATCH, total + 1)))
        for seq, (data, _) in sorted(workset.records(seqs).items()):
            yield seq, Record.unpacked(data)


def written_object(record: Record) -> WrittenObject:
    """What the rules read of a record the plan writes: a job's owner and the connections it
    uses, a script's connection."""
    kind = record.kind
    if kind == ObjectKind.JOB:
        connections = {name for ref_kind, name, _ in record.refs or () if ref_kind == _CONNECTION}
        owner = _field(record.text, "basicConfig", "owner")
        return WrittenObject(kind, record.name, owner, frozenset(connections))
    if kind == ObjectKind.SCRIPT:
        connection = _field(record.text, "connectionName")
        return WrittenObject(kind, record.name, None, frozenset([connection] if connection else []))
    return WrittenObject(kind, record.name)


def _field(text: str | None, *path: str) -> str | None:
    """A text field of a definition (``None``: absent, or not text)."""
    value: Any = orjson.loads(text) if text else None
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value if isinstance(value, str) and value else None


def problem_of(item: HeldPolicy, breach: Breach, package: str = "") -> Problem:
    """The plan problem of a rule broken: the rule, whose policy, the object, why, and what
    to do."""
    rule = RULE_WORDS[breach.rule]
    whole = breach.kind == "package"
    what = "the plan" if whole else f"{breach.kind} '{breach.name}'"
    detail = f"{what} breaks the {rule} of {item.said()}: {breach.detail}"
    fix = (
        f"change the plan so it keeps the {rule}, or have an admin of "
        f"{item.holder.said()} change its policy"
    )
    if breach.rule is PolicyRule.FREEZE:
        fix = f"apply it after the freeze window, or have an admin of {item.holder.said()} lift it"
    return Problem(
        ProblemReason.POLICY,
        breach.kind,
        package if whole else breach.name,
        detail,
        fix,
    )
