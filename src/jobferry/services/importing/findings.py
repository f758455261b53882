"""Import steps 5 and 6, what planning found beyond the records: the counts, the first
problems, and each missing environment object once (and, for ``POST /profiles/check``, each
one with the jobs and the scripts using it: :func:`environment_report`).

A connection that 40 jobs use is one thing to fix, not 40: every object using it keeps its own
problem (its plan line, its subtask, its failure), but the plan's problem list says the missing
object once, with the objects that use it (``usedBy``) and the one fix that supplies it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobferry.domain.enums import ENVIRONMENT_KINDS, PlanAction, ProblemReason, ref_kind
from jobferry.services.importing.checks import PACKAGE_KINDS, mapping_fix
from jobferry.services.importing.model import (
    SHOWN_PROBLEMS,
    EnvironmentReport,
    MissingEnvironmentObject,
    Problem,
)
from jobferry.services.importing.problem import Needs

NAMED_IN_DETAIL = 10
"""Users a missing object's detail names (``usedBy`` lists up to SHOWN_PROBLEMS of them)."""


def missing_key(problem: Problem) -> tuple[str, str] | None:
    """(kind, name) of the environment object a problem says the target lacks, or ``None``
    for a problem of another kind."""
    ref = problem.reference
    if problem.reason is not ProblemReason.MISSING_REFERENCE or ref is None:
        return None
    return (str(ref[0]), str(ref[1])) if ref[0] in ENVIRONMENT_KINDS else None


@dataclass
class _Users:
    """The objects found using one missing object so far."""

    seq: int
    """The plan sequence number of its first user (where the plan lists the problem)."""
    fix: str
    listed: list[tuple[str, str]] = field(default_factory=list)
    total: int = 0


@dataclass
class Findings:
    """What planning found so far, beyond the records."""

    counts: dict[str, int] = field(default_factory=lambda: {str(a): 0 for a in PlanAction})
    problems: list[tuple[int, Problem]] = field(default_factory=list)
    """The first problems but missing environment objects, with their objects' seqs."""
    problems_total: int = 0
    """Every problem, a missing environment object counted once."""
    problem_seqs: set[int] = field(default_factory=set)
    absent: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """Environment objects neither the target nor the package has → the jobs using them (the
    environment report of ``POST /profiles/check``)."""
    absent_in_scripts: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """The same → the scripts using them (their connection and DLI queue)."""
    missing: dict[tuple[str, str], _Users] = field(default_factory=dict)
    needs: dict[tuple[str, str], Needs] = field(default_factory=dict)
    """What the package says each environment object it requires is (its manifest)."""

    def note(self, seq: int, problems: list[Problem]) -> None:
        """The problems of the object numbered ``seq``."""
        if not problems:
            return
        self.problem_seqs.add(seq)
        listed: list[Problem] = []
        for problem in problems:
            key = missing_key(problem)
            if key is None:
                listed.append(problem)
            else:
                self._uses(seq, key, problem)
        self.problems_total += len(listed)
        room = SHOWN_PROBLEMS - len(self.problems)
        self.problems += [(seq, p) for p in listed[:room]] if room > 0 else []

    def _uses(self, seq: int, key: tuple[str, str], problem: Problem) -> None:
        """The object of ``problem`` uses the missing ``key``."""
        users = self.missing.get(key)
        if users is None:
            users = self.missing[key] = _Users(seq, problem.fix)
            self.problems_total += 1
        users.total += 1
        if len(users.listed) < SHOWN_PROBLEMS:
            users.listed.append((str(problem.kind), problem.name))

    def found(self, ws_name: str) -> list[tuple[int, Problem]]:
        """The problems kept, each missing environment object once (at its first user)."""
        return self.problems + [
            (users.seq, _missing_problem(kind, name, users, ws_name, self.needs.get((kind, name))))
            for (kind, name), users in self.missing.items()
        ]


def _missing_problem(
    kind: str, name: str, users: _Users, ws_name: str, needs: Needs | None
) -> Problem:
    named = ", ".join(f"{k} '{n}'" for k, n in users.listed[:NAMED_IN_DETAIL])
    more = users.total - min(len(users.listed), NAMED_IN_DETAIL)
    # a CDM job may come with the package; a connection, queue or cluster only the target has
    where = (
        f"the package or workspace '{ws_name}'"
        if kind in PACKAGE_KINDS
        else f"workspace '{ws_name}'"
    )
    detail = (
        f"{kind} '{name}' does not exist in {where}; {users.total} object(s) use it: {named}"
        + (f" and {more} more" if more > 0 else "")
    )
    return Problem(
        ProblemReason.MISSING_REFERENCE,
        kind,
        name,
        detail,
        users.fix,
        (kind, name),
        tuple(users.listed),
        users.total,
        needs=needs,
    )


Users = dict[tuple[str, str], list[str]]
"""Each missing environment object (kind, name) → the names of the objects using it."""


def note_users(absent: list[tuple[str, str]], user: str, into: Users) -> None:
    """Note ``user`` (a job or a script) as a user of each environment object it names that
    neither the target nor the package has (``absent``; other kinds are left out)."""
    for kind, name in absent:
        if kind in ENVIRONMENT_KINDS:
            users = into.setdefault((kind, name), [])
            if user not in users:
                users.append(user)


def environment_report(
    jobs: Users,
    ws_name: str,
    secrets: dict[str, str],
    scripts: Users | None = None,
    registry: str | None = None,
) -> EnvironmentReport:
    """Is the profile enough? Every environment reference missing, with the jobs (``jobs``)
    and the scripts (``scripts``) using it (registered in ``registry``, by default
    ``ws_name``)."""
    scripts = scripts or {}
    rows = []
    for value, name in sorted(jobs.keys() | scripts.keys()):
        kind = ref_kind(value)
        rows.append(
            MissingEnvironmentObject(
                kind,
                name,
                tuple(jobs.get((value, name), ())),
                mapping_fix(kind, name, ws_name, registry),
                tuple(scripts.get((value, name), ())),
            )
        )
    return EnvironmentReport(tuple(rows), tuple(sorted(secrets.items())))
