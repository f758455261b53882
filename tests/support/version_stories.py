"""Generated stories of submitted versions and target statuses for
``tests/unit/services/test_generated_versions.py``: users of each role save jobs and scripts
(created or updated, in one of two texts, with each ``targetStatus`` or none, with approvers
or without), show a job's development state, a version (one that exists, one past the last,
``0``, ``-1``) or its latest one, read the versions back, compare a job's or script's
development state with its latest version and a version (the latest, or one or two before
it) with the one before it and with itself, start and stop jobs, roll back the
newest import, and import a package holding a script and two jobs in one of the two texts
(saved, submitted, in production or with no target status; ``sameNamePolicy`` OVERWRITE or
SKIP; planned first or not), in a workspace without the approval switch and one with it on.

The model of what the documents promise is ``support/version_model.py``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from support.builders import make_job, make_script
from support.release_stories import Step
from support.version_model import ADMIN, DEVELOPER, OPERATOR, VIEWER

PLACES = ("plain", "gated")
"""A workspace without the approval switch, and one with it on."""
TEXTS = ("one", "two")
"""The two texts an object is saved or imported in (objects collide on them)."""
JOBS = ("ja", "jb")
SCRIPT = "sa"
STATUSES = (None, "SAVED", "SUBMITTED", "SUBMITTED", "PRODUCTION")
CALLERS = (ADMIN, ADMIN, DEVELOPER, DEVELOPER, OPERATOR, VIEWER)
"""Whose role a step is taken with (writers weigh most)."""


def job_document(name: str, text: str) -> dict[str, Any]:
    """Job ``name`` in ``text``: one node running script ``sa``, a parameter saying the text."""
    node = {
        "name": "load",
        "type": "DWSSQL",
        "location": {"x": "10", "y": "20"},
        "properties": [
            {"name": "scriptName", "value": SCRIPT},
            {"name": "connectionName", "value": "dws_conn"},
        ],
    }
    params = [{"name": "text", "value": text, "type": "variable"}]
    return make_job(name, nodes=[node], params=params)


def script_document(text: str) -> dict[str, Any]:
    """Script ``sa`` in ``text``."""
    return make_script(SCRIPT, content=f"select '{text}';", connectionName="dws_conn")


def document(kind: str, name: str, text: str) -> dict[str, Any]:
    return job_document(name, text) if kind == "job" else script_document(text)


def package(text: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The package of ``text``: (kind, name) → definition."""
    held = {("script", SCRIPT): script_document(text)}
    return held | {("job", name): job_document(name, text) for name in JOBS}


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of a story."""
    place, role = draw(st.sampled_from((PLACES[0], *PLACES))), draw(st.sampled_from(CALLERS))
    act = draw(
        st.sampled_from(
            (
                *("save", "save", "save", "import", "import", "show", "versions"),
                *("start", "undo", "compare", "compare"),
            )
        )
    )
    job = draw(st.sampled_from(JOBS))
    if act == "save":
        kind = draw(st.sampled_from(("job", "job", "script")))
        name = job if kind == "job" else SCRIPT
        text, status = draw(st.sampled_from(TEXTS)), draw(st.sampled_from(STATUSES))
        return Step(act, (place, role, kind, name, text, status, draw(st.booleans())))
    if act == "import":
        text, status = draw(st.sampled_from(TEXTS)), draw(st.sampled_from(STATUSES))
        policy = draw(st.sampled_from(("OVERWRITE", "OVERWRITE", "SKIP")))
        planned = draw(st.integers(0, 2)) == 0
        return Step(act, (place, role, text, status, draw(st.booleans()), policy, planned))
    if act == "show":
        version = draw(st.none() | st.sampled_from((-1, 0, 1, 2, 3, 4)))
        return Step(act, (place, role, job, version, draw(st.booleans())))
    if act == "undo":
        return Step(act, (place, role))
    if act in ("versions", "compare"):
        kind = draw(st.sampled_from(("job", "script")))
        named = (place, role, kind, job if kind == "job" else SCRIPT)
        return Step(act, named if act == "versions" else (*named, draw(st.integers(0, 2))))
    return Step(act, (place, role, job, draw(st.booleans())))


@st.composite
def version_stories(draw: st.DrawFn, max_steps: int = 9) -> tuple[Step, ...]:
    """A whole story, most of them opened by an import of the first text that only saves."""
    opening = Step("import", ("plain", ADMIN, "one", "SAVED", False, "OVERWRITE", False))
    first = (opening,) if draw(st.integers(0, 2)) else ()
    return (*first, *draw(st.lists(steps(), min_size=4, max_size=max_steps)))


def saved_then_submitted() -> tuple[Step, ...]:
    """A package imported saved only, then imported again to submit it (the same text): the
    import planned it UNCHANGED and made no version, so the job stayed never submitted and
    could not start."""
    return (
        Step("import", ("plain", ADMIN, "one", "SAVED", False, "OVERWRITE", False)),
        Step("import", ("plain", DEVELOPER, "one", "SUBMITTED", False, "OVERWRITE", True)),
        Step("start", ("plain", OPERATOR, "ja", True)),
        Step("show", ("plain", VIEWER, "ja", None, True)),
    )


def resaved_then_submitted() -> tuple[Step, ...]:
    """A job submitted, saved otherwise, saved back to its text unsubmitted, then an import of
    that text with approvers where the approval switch is on: its version is due."""
    return (
        Step("import", ("gated", ADMIN, "one", "SUBMITTED", True, "OVERWRITE", False)),
        Step("save", ("gated", DEVELOPER, "job", "ja", "two", "SUBMITTED", True)),
        Step("save", ("gated", DEVELOPER, "job", "ja", "one", "SAVED", False)),
        Step("import", ("gated", ADMIN, "one", "PRODUCTION", False, "OVERWRITE", True)),
        Step("versions", ("gated", VIEWER, "job", "ja")),
        Step("show", ("gated", VIEWER, "ja", 3, False)),
    )


def submitted_then_undone() -> tuple[Step, ...]:
    """The import whose submit was due rolled back (the job back to never submitted), then
    the first import's rollback refused once a job it made is started."""
    return (
        Step("import", ("plain", ADMIN, "one", "SAVED", False, "OVERWRITE", False)),
        Step("import", ("plain", DEVELOPER, "one", "SUBMITTED", False, "OVERWRITE", True)),
        Step("undo", ("plain", DEVELOPER)),
        Step("start", ("plain", OPERATOR, "ja", True)),
        Step("save", ("plain", DEVELOPER, "job", "jb", "two", "SUBMITTED", False)),
        Step("undo", ("plain", ADMIN)),
        Step("versions", ("plain", VIEWER, "script", "sa")),
    )


def saved_again_then_undone() -> tuple[Step, ...]:
    """A job saved before an import that made the script it runs, which the import left
    UNCHANGED, saved again since (the same text): it now uses a name the import made, so the
    import's rollback is refused (docs/api.md), as it is not before that second save."""
    return (
        Step("save", ("plain", ADMIN, "job", "ja", "one", None, False)),
        Step("import", ("plain", ADMIN, "one", None, False, "OVERWRITE", True)),
        Step("save", ("plain", ADMIN, "job", "ja", "one", None, False)),
        Step("undo", ("plain", ADMIN)),
        Step("undo", ("plain", ADMIN)),
    )


def compared_across_submits() -> tuple[Step, ...]:
    """A job submitted in each text, then saved back to the first: its development state
    differs from its latest version by its parameters, as version 2 does from version 1; a
    script saved only has no version to compare with."""
    return (
        Step("save", ("plain", ADMIN, "job", "ja", "one", "SUBMITTED", False)),
        Step("compare", ("plain", VIEWER, "job", "ja", 0)),
        Step("save", ("plain", DEVELOPER, "job", "ja", "two", None, False)),
        Step("save", ("plain", DEVELOPER, "job", "ja", "one", "SAVED", False)),
        Step("compare", ("plain", OPERATOR, "job", "ja", 0)),
        Step("save", ("plain", ADMIN, "script", SCRIPT, "one", "SAVED", False)),
        Step("compare", ("plain", VIEWER, "script", SCRIPT, 1)),
    )
