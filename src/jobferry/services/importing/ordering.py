"""Import, order, once the whole package was read: pending references decided, dependency
cycles found, the apply order, and (PER_OBJECT) what cannot be imported.

Jobs are numbered in name order and the dependency graph is held as arrays of those numbers
(:func:`jobferry.domain.graph.ranked_order`), so ordering 100,000 jobs costs a few megabytes;
names are only read back for what a message must show.
"""

from __future__ import annotations

import marshal
from array import array
from collections.abc import Callable, Iterator, Sequence

from jobferry.domain.enums import ENVIRONMENT_KINDS, ObjectKind, PlanAction, ProblemReason
from jobferry.domain.graph import find_cycle, ranked_order
from jobferry.services.importing.checks import PACKAGE_KINDS
from jobferry.services.importing.model import WRITES, Problem, Record
from jobferry.services.importing.ports import TargetReader
from jobferry.storage.importing.workset import Workset

Present = Callable[[str, Sequence[str]], set[str]]
"""Which of these names the package holds as this kind."""
BATCH = 500


def resolve_pending(
    workset: Workset, present: Present, report: dict[tuple[str, str], list[str]] | None
) -> list[tuple[int, Problem]]:
    """Decide the references left pending: the package holds them, or they are problems (and,
    for environment objects, lines of the environment report)."""
    late: list[tuple[int, Problem]] = []
    for refs in workset.pending_references():
        by_kind: dict[str, list[str]] = {}
        for kind, name in refs:
            by_kind.setdefault(kind, []).append(name)
        held = {(k, n) for k, names in by_kind.items() for n in present(k, names)}
        missing = [ref for ref in refs if ref not in held]
        for seq, kind, name, detail in workset.pending_of(missing):
            job, packed = marshal.loads(detail)
            if packed is not None:
                late.append((seq, Problem.unpacked(packed)))
            if report is not None and kind in ENVIRONMENT_KINDS:
                users = report.setdefault((kind, name), [])
                if job not in users:
                    users.append(job)
    workset.add_late((seq, marshal.dumps(p.packed())) for seq, p in late)
    return late


class JobGraph:
    """The package's jobs numbered in name order, with the dependencies of those the import
    writes (the others keep the target's, which are read only when a cycle is looked for)."""

    def __init__(self, workset: Workset) -> None:
        self.workset = workset
        jobs = workset.jobs_by_name()
        self.seqs = array("l", (seq for seq, _ in jobs))
        top = max(self.seqs, default=0)
        self.number = array("l", bytes(8 * (top + 1)))
        for number, seq in enumerate(self.seqs):
            self.number[seq] = number
        self.written = bytearray(1 if PlanAction(action) in WRITES else 0 for _, action in jobs)
        self._pairs: array[int] | None = None
        self._ranked: tuple[list[int], list[int]] | None = None

    def _edges(self) -> Iterator[tuple[int, int]]:
        """(job, upstream job) numbers between the jobs the import writes, read from the
        working set once (two arrays of ints: a few megabytes at 100,000 jobs)."""
        if self._pairs is None:
            self._pairs = array("l")
            for a, b in self.workset.job_edges():
                self._pairs.append(self.number[a])
                self._pairs.append(self.number[b])
        pairs = self._pairs
        return ((pairs[k], pairs[k + 1]) for k in range(0, len(pairs), 2))

    def apply_order(self) -> list[int]:
        """The jobs' seqs, upstream first (among the jobs the import writes), ties by name;
        by name alone when those jobs depend on each other in a cycle."""
        # The cycle search ranked these very edges when no job outside the import was upstream.
        order, left = self._ranked or ranked_order(len(self.seqs), self._edges())
        if left:
            return list(self.seqs)
        return [self.seqs[n] for n in order]

    def cycle(self, target: TargetReader) -> tuple[list[str], int] | None:
        """A dependency cycle the import would make, and the seq of the first job of the cycle
        that the import writes (``None``: there is none). Only a written job can close a new
        cycle, so the graph is the written jobs' dependencies and, upstream of them, the
        target's dependJobs of every other job they reach."""
        if not any(self.written):
            return None
        extra: dict[str, int] = {}  # jobs the import does not write → their number
        edges = list(self._edges())
        outside = self._outside_edges(target, extra)
        edges += outside
        ranked = ranked_order(len(self.seqs) + len(extra), edges)
        if not outside:
            self._ranked = ranked
        left = ranked[1]
        if not left:
            return None
        names = self._names(left, extra)
        graph: dict[str, list[str]] = {names[n]: [] for n in left}
        for a, b in edges:
            if a in names and b in names:
                graph[names[a]].append(names[b])
        found = find_cycle(graph)
        if not found:
            return None
        by_name = {name: n for n, name in names.items()}
        for name in found:
            number = by_name[name]
            if number < len(self.seqs) and self.written[number]:
                return found, self.seqs[number]
        return None

    def _outside_edges(self, target: TargetReader, extra: dict[str, int]) -> list[tuple[int, int]]:
        """From the written jobs to the jobs they depend on that the import does not write,
        and the target's dependJobs from there on upstream."""
        outside = self.workset.outside_upstreams()

        def number(name: str) -> int:
            return extra.setdefault(name, len(self.seqs) + len(extra))

        edges = [(self.number[seq], number(name)) for seq, name in self.workset.edges_to(outside)]
        frontier, seen = outside, set(outside)
        while frontier:
            rows = target.upstream_edges(frontier)
            written = self.workset.written_jobs(sorted({up for _, up in rows}))
            following: set[str] = set()
            for job, up in rows:
                seq = written.get(up)
                edges.append((number(job), self.number[seq] if seq is not None else number(up)))
                if seq is None and up not in seen:
                    following.add(up)
            seen |= following
            frontier = sorted(following)
        return edges

    def _names(self, numbers: list[int], extra: dict[str, int]) -> dict[int, str]:
        """number → job name, for the numbers a cycle search looks at."""
        outside = {n: name for name, n in extra.items()}
        own = [self.seqs[n] for n in numbers if n < len(self.seqs)]
        by_seq = self.workset.names_of(own)
        return {n: by_seq[self.seqs[n]] if n < len(self.seqs) else outside[n] for n in numbers}


def cycle_problems(graph: JobGraph, target: TargetReader) -> list[tuple[int, Problem]]:
    """The one dependency-cycle problem of the plan, if the import would make a cycle."""
    found = graph.cycle(target)
    if found is None:
        return []
    cycle, seq = found
    name = graph.workset.names_of([seq])[seq]
    problem = cycle_problem(cycle, name)
    graph.workset.add_late([(seq, marshal.dumps(problem.packed()))])
    return [(seq, problem)]


def failing_objects(
    workset: Workset, order: Sequence[int], problem_seqs: set[int]
) -> dict[int, str]:
    """Objects that cannot be imported, with why: their own problems, or something of the
    package they need, or the name a failing rename or deletion would free (PER_OBJECT mode
    imports the rest). ``order`` is the apply order, so a job's upstreams are decided before
    it; a cycle takes another round."""
    failing: dict[int, str] = {}
    failed: set[tuple[str, str]] = set()
    held: dict[tuple[str, str], str] = {}
    """(kind, name) → the failing object that keeps holding that name in the target."""
    for start in range(0, len(order), BATCH):
        part = [seq for seq in order[start : start + BATCH] if seq in problem_seqs]
        for seq, (data, late) in workset.records(part).items():
            record = Record.unpacked(data)
            failing[seq] = "; ".join(
                f"{p.detail} — fix: {p.fix}" for p in record.all_problems(late)
            )
            failed.add((record.kind, record.name))
            _still_held(record, held)
    changed = bool(failing)
    while changed:
        changed = False
        for start in range(0, len(order), BATCH):
            records = workset.records(order[start : start + BATCH])
            for seq in order[start : start + BATCH]:
                if seq in failing:
                    continue
                record = Record.unpacked(records[seq][0])
                reason = _needs_failing(record, failed) or _name_held(record, held)
                if reason is not None:
                    failing[seq] = reason
                    failed.add((record.kind, record.name))
                    _still_held(record, held)
                    changed = True
    return failing


def _still_held(record: Record, held: dict[tuple[str, str], str]) -> None:
    """Note the name a failing rename (its old name) or deletion leaves taken in the target."""
    action = PlanAction(record.action)
    if action is PlanAction.RENAME and record.previous_name:
        held[(record.kind, record.previous_name)] = f"the rename of {record.kind} '{record.name}'"
    elif action is PlanAction.DELETE:
        held[(record.kind, record.name)] = f"the deletion of {record.kind} '{record.name}'"


def _name_held(record: Record, held: dict[tuple[str, str], str]) -> str | None:
    """Why an object the plan writes cannot take its name: a failing object keeps it."""
    if PlanAction(record.action) not in (PlanAction.CREATE, PlanAction.RENAME):
        return None
    holder = held.get((record.kind, record.name))
    if holder is None:
        return None
    return f"it takes the name {holder} frees, which cannot be imported"


def _needs_failing(record: Record, failed: set[tuple[str, str]]) -> str | None:
    if record.kind != ObjectKind.JOB or PlanAction(record.action) not in WRITES:
        return None
    for kind, name, other in record.refs or ():
        if not other and kind in PACKAGE_KINDS and (kind, name) in failed:
            return f"it needs {kind} '{name}' of the package, which cannot be imported"
    return None


def cycle_problem(cycle: list[str], job: str) -> Problem:
    """The problem of the first job of the package on a dependency cycle."""
    return Problem(
        ProblemReason.DEPENDENCY_CYCLE,
        ObjectKind.JOB,
        job,
        f"importing would make the jobs depend on each other in a cycle: {' → '.join(cycle)}",
        "remove one of these dependJobs in the source and export again",
    )
