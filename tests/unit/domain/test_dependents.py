"""How a refused delete names the jobs depending on the job (``domain/dependents.py``)."""

from __future__ import annotations

from jobferry.domain.dependents import dependents_named


def test_a_dependent_elsewhere_is_named_with_its_workspace_one_here_by_name_alone() -> None:
    context = {
        "workspace": "dev",
        "dependents": ["jb", "jc"],
        "dependent_jobs": [
            {"workspace": "dev", "job_name": "jb"},
            {"workspace": "ops", "job_name": "jc"},
        ],
    }
    assert dependents_named(context) == "jb, jc (workspace 'ops')"


def test_an_answer_without_workspaces_is_named_by_names_alone() -> None:
    """An older server answers ``dependents`` only."""
    assert dependents_named({"dependents": ["jb", "jc"]}) == "jb, jc"
    assert dependents_named({}) == ""


def test_past_the_first_ten_the_rest_are_counted() -> None:
    jobs = [{"workspace": "dev", "job_name": f"j{i:02}"} for i in range(13)]
    said = dependents_named({"workspace": "dev", "dependent_jobs": jobs})
    assert said.startswith("j00, j01,")
    assert said.endswith("j09 and 3 more")
