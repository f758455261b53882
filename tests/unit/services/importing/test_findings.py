"""What planning found (``services.importing.findings``): a missing environment object is one
problem, listing its users."""

from __future__ import annotations

from jobferry.domain.enums import ProblemReason
from jobferry.services.importing.findings import Findings
from jobferry.services.importing.model import SHOWN_PROBLEMS, Problem


def missing(job: str, kind: str = "connection", name: str = "dws_conn") -> Problem:
    return Problem(
        ProblemReason.MISSING_REFERENCE,
        "job",
        job,
        f"job '{job}' node 'n' references {kind} '{name}', which does not exist",
        "register it",
        (kind, name),
    )


def test_a_missing_object_is_counted_once_and_listed_at_its_first_user() -> None:
    found = Findings()
    locked = Problem(ProblemReason.LOCKED, "job", "b", "job 'b' is locked", "ask")
    found.note(1, [missing("a")])
    found.note(2, [missing("b"), locked])
    found.note(3, [missing("c", "dli_queue", "q1")])
    assert found.problems_total == 3  # dws_conn, the lock, q1
    assert found.problem_seqs == {1, 2, 3}
    listed = found.found("prod")
    by_name = {p.name: (seq, p) for seq, p in listed}
    seq, dws = by_name["dws_conn"]
    assert seq == 1
    assert dws.used_by == (("job", "a"), ("job", "b"))
    assert dws.detail == (
        "connection 'dws_conn' does not exist in workspace 'prod'; 2 object(s) use it: "
        "job 'a', job 'b'"
    )
    assert dws.as_json()["usedBy"] == [{"kind": "job", "name": "a"}, {"kind": "job", "name": "b"}]
    assert by_name["q1"][1].used_by == (("job", "c"),)


def test_a_missing_cdm_job_may_come_with_the_package_and_a_dependency_is_not_grouped() -> None:
    found = Findings()
    found.note(1, [missing("a", "cdm_job", "copy")])
    other = Problem(ProblemReason.MISSING_REFERENCE, "job", "a", "d", "f", ("script", "s"))
    found.note(1, [other])
    problems = {p.name: p for _, p in found.found("prod")}
    assert "in the package or workspace 'prod'" in problems["copy"].detail
    assert problems["a"].used_by == ()  # a missing script stays the job's own problem


def test_many_users_are_named_ten_in_the_detail_and_listed_up_to_the_cap() -> None:
    found = Findings()
    for n in range(SHOWN_PROBLEMS + 5):
        found.note(n + 1, [missing(f"job{n:05}")])
    [(_, problem)] = found.found("prod")
    assert problem.detail.endswith(f"job 'job00009' and {SHOWN_PROBLEMS + 5 - 10} more")
    wire = problem.as_json()
    assert len(wire["usedBy"]) == SHOWN_PROBLEMS
    assert wire["usedByTotal"] == SHOWN_PROBLEMS + 5
    assert found.problems_total == 1


def test_a_missing_object_the_manifest_describes_says_what_it_is() -> None:
    """The package's manifest says the missing connection's type and secrets: the problem
    listing it once says them (``needs``), so its fix registers one as the source has it."""
    found = Findings(needs={("connection", "dws_conn"): ("DWS", ("password",))})
    found.note(1, [missing("a"), missing("b", "dli_queue", "q1")])
    problems = {p.name: p for _, p in found.found("prod")}
    assert problems["dws_conn"].needs == ("DWS", ("password",))
    assert problems["dws_conn"].as_json()["needs"] == {"type": "DWS", "secrets": ["password"]}
    assert problems["q1"].needs is None
