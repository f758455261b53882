"""How long a test of generated input may run. pytest-timeout's limit (``timeout`` in
pyproject.toml) holds for a test function whole, every example hypothesis tells it included: a
longer run asked for (``JOBFERRY_FUZZ_EXAMPLES``, as CONTRIBUTING.md and the generated stories
say) outgrew it on a loaded machine, and the limit's interruption, raised in the middle of an
example (a push half made, its journal left open), was then taken by hypothesis for a failure
of the example, replayed against what it left: an "inconsistent results" failure naming no
bug. Such a run gets a limit in proportion to its examples (the conftest marks each ``fuzz``
test that names none of its own), and the time hypothesis may spend shrinking a failure on
top: without it, a 30-example run that found a failure (seeds 7101 and 7102 on PostgreSQL)
was cut in its shrinking, and the cut was reported beside the real failure as one more,
"unreliable" (a ``FlakyFailure`` whose traceback ends in pytest-timeout). And which examples a
run tells: the suite's own, the same every run, or a seed's (:func:`derandomized`)."""

from __future__ import annotations

SEEDED = False
"""The run was given ``--hypothesis-seed`` (the conftest says so before it collects)."""
SECONDS_PER_EXAMPLE = 10.0
"""What one generated example may take on a loaded machine (a story of two pushes, a refresh
and a rollback on PostgreSQL took up to 3 s under a load of 6 on 2 cores)."""

SHRINK_SECONDS = 360.0
"""What shrinking a failure may add: hypothesis gives up shrinking after five minutes
(``MAX_SHRINKING_SECONDS`` of its engine), then tells the smallest failing example again, once
for each distinct failure."""


def fuzz_timeout(examples: str | None, default: float) -> float | None:
    """The time limit of a ``fuzz`` test when ``JOBFERRY_FUZZ_EXAMPLES`` is ``examples``
    (``None``: the ``default`` limit stands, or there is none)."""
    if not examples or default <= 0:
        return None
    return max(default, SECONDS_PER_EXAMPLE * int(examples)) + SHRINK_SECONDS


def derandomized(examples: int, fixed_up_to: int = 25) -> bool:
    """Whether a generated test tells the same examples every run: a run of at most
    ``fixed_up_to`` does (the suite's own counts), unless ``--hypothesis-seed`` was given.
    Hypothesis lets ``derandomize`` win over the seed: a run of 20 stories with a new seed
    told the suite's own stories again, whatever the seed."""
    return examples <= fixed_up_to and not SEEDED
