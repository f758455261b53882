"""Generated provenance stories for property tests of where a job came from
(``tests/unit/services/test_generated_provenance.py``): three workspaces in a chain, dev →
test → prod, two routes between them ("up": dev into test, "out": test into prod), and a drawn
list of steps — jobs made and edited in dev, renamed there, edited, copied, made and deleted by
hand in test and prod, promotions along either route (``onDrift`` and ``propagateDeletes``
overridden), rollbacks of a route's newest promotion, a route removed and saved again, and the
reads a user may get wrong (a job no workspace holds, another route's promotion, a page of a
route's history).

Names come from small pools so that steps collide: a hand-made job in test takes the name of one
dev will promote, a job deleted in prod by hand is promoted again, a renamed job's old name is
made again in dev.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

JOBS = ("ja", "jb", "jc")
"""The names jobs are made under (in every workspace)."""
RENAMED = ("jx", "jy")
"""The names dev renames its jobs to (no workspace makes a job under them by hand)."""
PLACES = ("dev", "test", "prod")
ROUTES = {"up": ("dev", "test"), "out": ("test", "prod")}
"""Each route's (source, target)."""
DRIFT = (None, None, "TAKE_PACKAGE", "KEEP_TARGET", "FAIL")
"""A promotion's ``onDrift`` override (``None``: the route's, ``TAKE_PACKAGE``)."""


@dataclass(frozen=True)
class Step:
    """One step of a story: what it does (``act``) and its arguments."""

    act: str
    args: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        return f"Step({self.act!r}, {self.args!r})"


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step: a job made or edited (in dev mostly), deleted or renamed, a promotion, a
    rollback, or a read that may be refused."""
    kind = draw(
        st.sampled_from(
            ["job"] * 4
            + ["hand"] * 3
            + ["copy"] * 2
            + ["delete", "rename"]
            + ["promote"] * 5
            + ["rollback"] * 3
            + ["unknown", "history", "record", "reroute"]
        )
    )
    if kind == "job":
        return Step("job", ("dev", draw(st.sampled_from(JOBS + RENAMED))))
    if kind == "hand":
        place = draw(st.sampled_from(PLACES[1:]))
        return Step("job", (place, draw(st.sampled_from(JOBS))))
    if kind == "copy":
        place = draw(st.sampled_from(PLACES[1:]))
        return Step("copy", (place, draw(st.sampled_from(JOBS))))
    if kind == "delete":
        return Step("delete", (draw(st.sampled_from(PLACES)), draw(st.sampled_from(JOBS))))
    if kind == "rename":
        return Step(
            "rename", (draw(st.sampled_from(JOBS + RENAMED)), draw(st.sampled_from(RENAMED)))
        )
    if kind == "promote":
        route, drift = draw(st.sampled_from(sorted(ROUTES))), draw(st.sampled_from(DRIFT))
        return Step("promote", (route, drift, draw(st.booleans())))
    if kind == "rollback":
        return Step("rollback", (draw(st.sampled_from(sorted(ROUTES))),))
    if kind == "reroute":
        return Step("reroute", (draw(st.sampled_from(sorted(ROUTES))),))
    if kind == "unknown":
        return Step("unknown", (draw(st.sampled_from(PLACES)),))
    if kind == "history":
        route = draw(st.sampled_from(sorted(ROUTES)))
        return Step("history", (route, draw(st.integers(1, 3)), draw(st.integers(0, 3))))
    return Step("record", (draw(st.sampled_from(sorted(ROUTES))),))


@st.composite
def provenance_stories(draw: st.DrawFn, max_steps: int = 6) -> tuple[Step, ...]:
    """One or two jobs made in dev, then up to ``max_steps`` steps, the first a promotion up
    half the time."""
    first = draw(st.permutations(JOBS))[: draw(st.integers(1, 2))]
    made = tuple(Step("job", ("dev", name)) for name in first)
    drawn = tuple(draw(st.lists(steps(), max_size=max_steps)))
    return made + drawn


def a_chain() -> tuple[Step, ...]:
    """Made in dev, promoted up and out; edited by hand in test (drift), deleted by hand in
    prod, changed in dev and promoted along both routes again (prod's job imported anew); the
    last promotion rolled back."""
    return (
        Step("job", ("dev", "ja")),
        Step("job", ("dev", "jb")),
        Step("promote", ("up", None, False)),
        Step("promote", ("out", None, False)),
        Step("job", ("test", "ja")),
        Step("delete", ("prod", "jb")),
        Step("job", ("dev", "jb")),
        Step("promote", ("up", None, False)),
        Step("promote", ("out", None, False)),
        Step("rollback", ("out",)),
        Step("history", ("out", 1, 0)),
        Step("unknown", ("prod",)),
    )


def a_renamed_drift() -> tuple[Step, ...]:
    """Copied into test by hand before its first promotion (linked, not written), edited there
    (drift), renamed and edited in dev, promoted up keeping the target's edit, failing on it,
    then taking the package (renamed in test) and deleting what dev deleted; the route removed
    and saved again (test's jobs name no route)."""
    return (
        Step("job", ("dev", "ja")),
        Step("job", ("dev", "jc")),
        Step("copy", ("test", "ja")),
        Step("promote", ("up", None, False)),
        Step("job", ("test", "ja")),
        Step("rename", ("ja", "jx")),
        Step("job", ("dev", "jx")),
        Step("delete", ("dev", "jc")),
        Step("promote", ("up", "KEEP_TARGET", False)),
        Step("promote", ("up", "FAIL", False)),
        Step("promote", ("up", "TAKE_PACKAGE", True)),
        Step("record", ("out",)),
        Step("reroute", ("up",)),
    )
