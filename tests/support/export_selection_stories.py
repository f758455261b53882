"""Generated stories of export selections for
``tests/unit/services/exporting/test_generated_selections.py``: two workspaces of drawn jobs
(each running a script, some naming a resource, some depending on jobs made before them or on
a job the workspace lacks; some naming a script or resource the workspace lacks), then users of
each role export from either: one job, a ``jobList`` (with unknown, repeated or too many
names, or none), a checked name list (with blank, padded, case-slipped, illegal, repeated or
too many names), a background export by names (pasted or ticked) or of the whole workspace,
with and without ``exportDepend`` and ``withUpstream``; and an admin renames a job (to a
new name, back, or to a name taken) or deletes one no other job depends on.

The model of what the documents promise is ``support/export_selection_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.export_selection_model import ADMIN, DEVELOPER, OPERATOR, VIEWER, JobSpec

PLACES = ("w0", "w1")
JOBS = ("a", "a-b", "b_2", "Daily", "c", "a.x")
"""Job names whose entry order differs from their name order ('a-b.job' < 'a.job')."""
SCRIPTS = ("s1", "s2")
RESOURCES = ("r1",)
MISSING = ("s9", "r9", "ghost")
"""A script, a resource and an upstream job the stories name but never make."""
RENAMED = ("n1", "n2")
"""Names jobs are renamed to."""
SENT = (*JOBS, *JOBS, *RENAMED, "A", "ghost", "bad/name", " a ")
"""Names a call sends: jobs, a case slip, an absent, an illegal and a padded one."""
PASTED = (*SENT, "DAILY", "", "  ", "x" * 129)
"""Names a user pastes: those, and blank and overlong ones."""
CALLERS = (ADMIN, ADMIN, DEVELOPER, DEVELOPER, OPERATOR, VIEWER)


@dataclass(frozen=True)
class Options:
    """An export's options: ``exportDepend``, ``withUpstream``."""

    depend: bool
    upstream: bool

    def body(self) -> dict[str, Any]:
        return {"exportDepend": self.depend, "withUpstream": self.upstream, "withManifest": True}


@dataclass(frozen=True)
class Step:
    """One step: what it does, where, by whom, and its arguments."""

    act: str
    place: str
    role: str
    args: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        return f"{self.act}({self.place}, {self.role}, {self.args!r})"


@dataclass(frozen=True)
class Story:
    """The workspaces' jobs and scripts as made, then the steps."""

    jobs: tuple[tuple[JobSpec, ...], ...]
    scripts: tuple[tuple[str, ...], ...]
    steps: tuple[Step, ...]


@st.composite
def workspace_jobs(draw: st.DrawFn) -> tuple[JobSpec, ...]:
    """Jobs in the order they are made, each depending only on jobs made before it (or on a
    job the workspace lacks)."""
    names = draw(st.lists(st.sampled_from(JOBS), min_size=1, max_size=6, unique=True))
    made: list[JobSpec] = []
    for i, name in enumerate(names):
        uppers = [*names[:i], "ghost"]
        upstream = draw(st.lists(st.sampled_from(uppers), max_size=2, unique=True))
        if "ghost" in upstream and draw(st.integers(0, 2)):
            upstream.remove("ghost")
        script = draw(st.sampled_from((*SCRIPTS, *SCRIPTS, "s9")))
        resource = draw(st.sampled_from((None, None, "r1", "r9")))
        made.append(JobSpec(name, script, resource, tuple(sorted(upstream))))
    return tuple(made)


options = st.builds(Options, st.sampled_from((True, True, False)), st.booleans())


@st.composite
def steps(draw: st.DrawFn, held: dict[str, list[str]]) -> Step:
    """One step of a story (``held``: the jobs each workspace was made with, which most
    names are drawn from)."""
    place, role = draw(st.sampled_from(PLACES)), draw(st.sampled_from(CALLERS))
    act = draw(
        st.sampled_from(("single", "batch", "batch", "check", "names", "names", "all", "change"))
    )
    own = st.sampled_from(held[place])
    sent = own | st.sampled_from(SENT) if draw(st.integers(0, 2)) else own
    if act == "single":
        return Step(act, place, role, (draw(sent), draw(options)))
    if act == "batch":
        names = draw(st.lists(sent, max_size=draw(st.sampled_from((2, 4, 6)))))
        return Step(act, place, role, (tuple(names), draw(options)))
    pasted = own | st.sampled_from(PASTED) if draw(st.integers(0, 2)) else own
    if act == "check":
        return Step(act, place, role, (tuple(draw(st.lists(pasted, max_size=7))),))
    if act == "names":
        if draw(st.booleans()):  # ticked in a listing: as many as the workspace holds
            ticked = draw(st.lists(sent, min_size=1, max_size=7))
            return Step(act, place, role, (tuple(ticked), draw(options), True))
        names = draw(st.lists(pasted, max_size=draw(st.sampled_from((3, 5, 7)))))
        return Step(act, place, role, (tuple(names), draw(options), False))
    if act == "all":
        return Step(act, place, role, (draw(options),))
    if draw(st.integers(0, 2)) == 0:
        return Step("delete", place, ADMIN, (draw(own | st.sampled_from(RENAMED)),))
    new = draw(st.sampled_from((*RENAMED, *JOBS)))  # a new name, one taken, or back
    return Step("rename", place, ADMIN, (draw(own | st.sampled_from(RENAMED)), new))


@st.composite
def selection_stories(draw: st.DrawFn) -> Story:
    """A whole story: two workspaces made, then four to ten steps."""
    jobs = tuple(draw(workspace_jobs()) for _ in PLACES)
    scripts = tuple(
        tuple(draw(st.lists(st.sampled_from(SCRIPTS), min_size=1, unique=True))) for _ in PLACES
    )
    held = {place: [j.name for j in made] for place, made in zip(PLACES, jobs, strict=True)}
    return Story(jobs, scripts, tuple(draw(st.lists(steps(held), min_size=4, max_size=10))))
