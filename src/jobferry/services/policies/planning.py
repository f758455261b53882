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
_READ_KINDS = frozenset({str(ObjectKind.JOB), str(ObjectKind.SCRIPT)})


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
    found: list[tuple[int, Problem]] = []
    if any(_reads_objects(item.policy) for item in held):
        found = _object_problems(held, workset)
    if any(item.policy.max_deletions is not None for item in held):
        package_problems += _deletion_problems(held, workset, package)
    workset.add_late((seq, marshal.dumps(p.packed())) for seq, p in found)
    return found


def _deletion_problems(held: Sequence[HeldPolicy], workset: Workset, package: str) -> list[Problem]:
    """The deletion limits the plan's DELETEs (in plan order) go over."""
    seqs = workset.deletes_in_order()
    names = workset.names(seqs)
    deleted = [names[seq] for seq in seqs]
    found = []
    for item in held:
        breach = deletion_breach(item.policy, deleted)
        if breach is not None:
            found.append(problem_of(item, breach, package))
    return found


def _object_problems(held: Sequence[HeldPolicy], workset: Workset) -> list[tuple[int, Problem]]:
    """The problems of each job and script the plan writes (the rules read no other kind)."""
    owners = any(item.policy.owners for item in held)
    connections = any(item.policy.protected_connections for item in held)
    found: list[tuple[int, Problem]] = []
    for seq, record in _records(workset):
        if record.kind not in _READ_KINDS or PlanAction(record.action) not in WRITES:
            continue
        written = written_object(record, owners=owners, connections=connections)
        for item in held:
            found += [(seq, problem_of(item, b)) for b in written_breaches(item.policy, written)]
    return found


def _reads_objects(policy: Policy) -> bool:
    return bool(
        policy.job_names or policy.script_names or policy.owners or policy.protected_connections
    )


def _records(workset: Workset) -> Iterator[tuple[int, Record]]:
    total = workset.count()
    for start in range(1, total + 1, BATCH):
        seqs = list(range(start, min(start + BATCH, total + 1)))
        for seq, (data, _) in sorted(workset.records(seqs).items()):
            yield seq, Record.unpacked(data)


def written_object(
    record: Record, *, owners: bool = True, connections: bool = True
) -> WrittenObject:
    """What the rules read of a record the plan writes: a job's owner and the connections it
    uses, a script's connection (each only when a rule reads it: the definition is parsed for
    them)."""
    kind, name = record.kind, record.name
    if kind == ObjectKind.JOB:
        used = {n for ref_kind, n, _ in record.refs or () if ref_kind == _CONNECTION}
        owner = _field(record.text, "basicConfig", "owner") if owners else None
        return WrittenObject(kind, name, owner, frozenset(used))
    if kind == ObjectKind.SCRIPT and connections:
        connection = _field(record.text, "connectionName")
        return WrittenObject(kind, name, None, frozenset([connection] if connection else []))
    return WrittenObject(kind, name)


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
        rule=breach.rule.value,
    )
