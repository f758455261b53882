"""What is decided once the whole package was read (``services.importing.ordering``), over a
working set filled by hand: pending references resolved or reported, the apply order (upstream
first, by name when jobs loop), dependency cycles (through the target's own jobs too), and what
fails in PER_OBJECT mode with what needs it."""

from __future__ import annotations

import marshal
from collections.abc import Iterator, Sequence

import pytest

from jobferry.domain.enums import PlanAction, ProblemReason
from jobferry.services.container import Services
from jobferry.services.importing.local import LocalWorkspace
from jobferry.services.importing.model import Problem, Record
from jobferry.services.importing.ordering import (
    JobGraph,
    cycle_problems,
    failing_objects,
    resolve_pending,
)
from jobferry.storage.importing.workset import Workset
from support.builders import make_job
from support.console import add_connections, admin_scope

RANK = {"script": 0, "resource": 1, "job": 3}


@pytest.fixture
def workset() -> Iterator[Workset]:
    with Workset(None) as held:
        yield held


def add(
    workset: Workset,
    seq: int,
    name: str,
    *,
    kind: str = "job",
    action: PlanAction = PlanAction.CREATE,
    upstream: Sequence[str] = (),
    uses: Sequence[tuple[str, str]] = (),
    problems: Sequence[Problem] = (),
) -> None:
    """One planned object: a job depending on ``upstream`` and using ``uses`` (kind, name)."""
    refs = [("job", up, "") for up in upstream] + [(k, n, "") for k, n in uses]
    record = Record(kind, name, f"{kind}s/{name}", str(action), None, None, None, refs,
                    [p.packed() for p in problems], None, None)  # fmt: skip
    row = (seq, RANK[kind], kind, name, "", str(action), record.packed(), None, None)
    workset.add([row])
    workset.add_edges((seq, up) for up in upstream)


def invalid(name: str) -> Problem:
    return Problem(ProblemReason.INVALID_DEFINITION, "job", name, "processType: bad", "fix it")


def names(workset: Workset, seqs: Sequence[int]) -> list[str]:
    found = workset.names_of(list(seqs))
    return [found[seq] for seq in seqs]


def test_jobs_go_upstream_first_and_ties_by_name(workset: Workset) -> None:
    add(workset, 1, "a_report", upstream=["m_load"])
    add(workset, 2, "m_load", upstream=["z_extract"])
    add(workset, 3, "z_extract")
    add(workset, 4, "b_alone")
    assert names(workset, JobGraph(workset).apply_order()) == [
        "b_alone",
        "z_extract",
        "m_load",
        "a_report",
    ]


def test_jobs_on_a_cycle_go_by_name_and_the_cycle_is_a_problem_of_a_written_job(
    services: Services, workset: Workset
) -> None:
    add(workset, 1, "job_b", upstream=["job_a"])
    add(workset, 2, "job_a", upstream=["job_b"])
    add(workset, 3, "job_c", upstream=["job_a"])
    graph = JobGraph(workset)
    assert names(workset, graph.apply_order()) == ["job_a", "job_b", "job_c"]

    with services.db.transaction(readonly=True) as tx:
        target = LocalWorkspace(tx, admin_scope(services)).reader(lock_rows=False)
        [(seq, problem)] = cycle_problems(graph, target)
    assert problem.reason is ProblemReason.DEPENDENCY_CYCLE
    assert set(problem.detail.split(": ")[1].split(" → ")) == {"job_a", "job_b"}
    assert workset.records([seq])[seq][1] == [marshal.dumps(problem.packed())]  # kept as late


def test_no_cycle_without_a_loop_or_when_the_import_writes_none_of_its_jobs(
    services: Services, workset: Workset
) -> None:
    add(workset, 1, "job_b", upstream=["job_a"])
    add(workset, 2, "job_a", action=PlanAction.UNCHANGED)
    scope = admin_scope(services)
    with services.db.transaction(readonly=True) as tx:
        target = LocalWorkspace(tx, scope).reader(lock_rows=False)
        assert cycle_problems(JobGraph(workset), target) == []
    with Workset(None) as unchanged, services.db.transaction(readonly=True) as tx:
        add(unchanged, 1, "job_a", action=PlanAction.SKIP, upstream=["job_b"])
        add(unchanged, 2, "job_b", action=PlanAction.SKIP, upstream=["job_a"])
        assert JobGraph(unchanged).cycle(LocalWorkspace(tx, scope).reader(False)) is None


def test_a_cycle_closed_through_jobs_the_target_keeps_is_found(
    services: Services, workset: Workset
) -> None:
    scope = add_connections(services, admin_scope(services), "dws_conn", "ssh_conn")
    kept = make_job("kept_job")
    kept["schedule"]["cron"]["dependJobs"] = {"jobs": ["new_job"], "dependPeriod": "SAME_PERIOD"}
    services.jobs.create(scope, make_job("new_job"))
    services.jobs.create(scope, kept)  # the target's: kept_job depends on new_job
    add(workset, 1, "new_job", action=PlanAction.OVERWRITE, upstream=["kept_job"])

    with services.db.transaction(readonly=True) as tx:
        found = JobGraph(workset).cycle(LocalWorkspace(tx, scope).reader(lock_rows=False))
    assert found is not None
    cycle, seq = found
    assert set(cycle) == {"new_job", "kept_job"}
    assert seq == 1


def test_pending_references_the_package_holds_are_settled_and_the_rest_reported(
    workset: Workset,
) -> None:
    missing = Problem(ProblemReason.MISSING_REFERENCE, "job", "job_a", "no script", "add it",
                      ("script", "gone_sql"))  # fmt: skip
    add(workset, 1, "job_a")
    add(workset, 2, "job_b")
    workset.add_pending(
        [
            (1, "script", "held_sql", marshal.dumps(("job_a", missing.packed()))),
            (1, "script", "gone_sql", marshal.dumps(("job_a", missing.packed()))),
            (2, "connection", "dws_conn", marshal.dumps(("job_b", None))),  # report only
        ]
    )

    def present(kind: str, asked: Sequence[str]) -> set[str]:
        return {"held_sql"} & set(asked) if kind == "script" else set()

    report: dict[tuple[str, str], list[str]] = {}
    late = resolve_pending(workset, present, report)

    assert late == [(1, missing)]
    assert report == {("connection", "dws_conn"): ["job_b"]}
    assert len(workset.records([1])[1][1]) == 1


def test_per_object_fails_an_object_with_problems_and_the_jobs_that_need_it(
    workset: Workset,
) -> None:
    add(workset, 1, "bad_sql", kind="script", problems=[invalid("bad_sql")])
    add(workset, 2, "uses_bad", uses=[("script", "bad_sql")])
    add(workset, 3, "downstream", upstream=["uses_bad"])
    add(workset, 4, "fine", uses=[("script", "ok_sql")])
    add(workset, 5, "other_ws", uses=[("job", "bad_sql")])  # a job of that name, not the script
    order = [1, 3, 2, 4, 5]  # downstream first: found failing in a second round

    failing = failing_objects(workset, order, problem_seqs={1})

    assert set(failing) == {1, 2, 3}
    assert "processType: bad — fix: fix it" in failing[1]
    assert failing[2] == "it needs script 'bad_sql' of the package, which cannot be imported"
    assert failing[3] == "it needs job 'uses_bad' of the package, which cannot be imported"
