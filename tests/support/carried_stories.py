"""Generated stories of a route carried across an air gap, for property tests
(``tests/unit/services/routes/test_generated_carried.py``): a source server whose workspace is
edited (jobs and scripts made, changed, renamed and deleted) and whose end of the route cuts
packages (sometimes whole, ``--full``), given a signing key now and then; a target server
whose end of the route takes those packages in, in a drawn order — the newest, an older one
(a package skipped, the same one again, an older one after a newer), one altered by a byte on
the way, one cut for another route — plans them and applies some, trusts and distrusts the
source's key, and rolls its newest import back.

The source's edits are those of the promotion stories (``support/promotion_stories.py``);
what each step of the target should give is said from the documentation, in
``support/carried_journeys.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.promotion_stories import JOBS, SCRIPTS, Step
from support.promotion_stories import steps as promotion_steps

HOW = ("as_cut", "as_cut", "as_cut", "altered", "bad_signature", "other_route")
"""How a package reaches the target: as it was cut, changed by one byte on the way, its
signature changed (a package signed; else one byte of it), or a package of another route of
the same source (each as often as listed)."""
KINDS = {
    "edit": 4,
    "cut": 4,
    "take": 5,
    "rollback": 2,
    "key": 1,
    "trust": 1,
    "distrust": 1,
    "require": 1,
}
"""How often each kind of step is drawn, against the others."""


@dataclass(frozen=True)
class CarriedStory:
    """The target's route settings, what the source holds before the first step, the steps."""

    route: dict[str, Any]
    first: tuple[Step, ...]
    steps: tuple[Step, ...]
    folder: str | None = None
    """The folder whose jobs the source's route selects (``None``: every job)."""

    def __repr__(self) -> str:
        return (
            f"CarriedStory(route={self.route}, first={self.first}, steps={self.steps}, "
            f"folder={self.folder!r})"
        )


def take(back: int, how: str = "as_cut", apply: bool = True) -> Step:
    """The target takes in the package cut ``back`` cuts before the newest (0: the newest),
    carried ``how``, and applies its plan (``apply``) or only plans it."""
    return Step("target", "take", (back, how, apply))


def cut(full: bool = False) -> Step:
    """The source cuts the route's next package (``full``: every selected object)."""
    return Step("source", "cut", (full,))


@st.composite
def carried_steps(draw: st.DrawFn) -> tuple[Step, ...]:
    """One step after the first (see the module docstring); a cut mostly after an edit of the
    source, so that there is something to cut."""
    kind = draw(st.sampled_from([k for k, n in KINDS.items() for _ in range(n)]))
    if kind == "edit":
        return (draw(promotion_steps(kinds={"source": 1})),)
    if kind == "cut":
        edits = draw(st.lists(promotion_steps(kinds={"source": 1}), max_size=2))
        return (*edits, cut(draw(st.sampled_from([False, False, True]))))
    if kind == "take":
        back = draw(st.sampled_from([0, 0, 1, 1, 2, 3]))
        how, apply = draw(st.sampled_from(HOW)), draw(st.sampled_from([True, True, False]))
        return (take(back, how, apply),)
    if kind == "key":
        return (Step("source", "key"),)
    return (Step("target", kind),)


@st.composite
def carried_stories(draw: st.DrawFn, max_steps: int = 8) -> CarriedStory:
    """A target route propagating deletes or not, requiring a signature or not; a source of one
    or two scripts and one to three jobs; a first cut taken in, then up to ``max_steps`` steps,
    ending with a cut taken in."""
    route = {
        "propagateDeletes": draw(st.booleans()),
        "requireSignature": draw(st.sampled_from([False, False, True])),
    }
    scripts = draw(st.permutations(SCRIPTS))[: draw(st.integers(1, 2))]
    first = [Step("source", "script", (name, 0)) for name in scripts]
    for name in draw(st.permutations(JOBS))[: draw(st.integers(1, 3))]:
        first.append(Step("source", "job", (name, draw(st.sampled_from(scripts)), None, 0)))
    begin = [Step("source", "key")] if draw(st.booleans()) else []
    if begin and draw(st.sampled_from([False, True, True])):
        begin.append(Step("target", "trust"))
    drawn = [
        step for group in draw(st.lists(carried_steps(), max_size=max_steps)) for step in group
    ]
    steps = (*begin, cut(), take(0), *drawn, cut(), take(0))
    folder = draw(st.sampled_from([None, None, "/ops", "/sales"]))
    return CarriedStory(route, tuple(first), steps, folder)


def _story(route: dict[str, Any], *steps: Step) -> CarriedStory:
    first = (Step("source", "script", ("sa", 0)), Step("source", "job", ("ja", "sa", None, 0)))
    return CarriedStory(route, first, steps)


PLAIN = {"propagateDeletes": True, "requireSignature": False}


def skipped_then_full() -> CarriedStory:
    """A package skipped is refused naming it; a full one recovers the chain; the skipped
    package's predecessor imported, the skipped one taken in after the full one is older: a
    problem for the job it would put back (the full one deleted it)."""
    edit = Step("source", "script", ("sa", 1))
    gone = Step("source", "delete", ("ja",))
    return _story(
        PLAIN, cut(), take(0), edit, cut(), gone, cut(), take(0), cut(True), take(0), take(2)
    )


def rolled_back_then_again() -> CarriedStory:
    """The newest import rolled back: the next package is refused (its predecessor was rolled
    back), the rolled-back one is taken in again, then the next."""
    edit = Step("source", "job", ("ja", "sa", None, 2))
    rollback = Step("target", "rollback")
    return _story(
        {"propagateDeletes": False, "requireSignature": True},
        Step("source", "key"),
        Step("target", "trust"),
        cut(),
        take(0),
        edit,
        cut(),
        take(0),
        rollback,
        Step("source", "script", ("sb", 1)),
        cut(),
        take(0),
        take(1),
        take(0),
    )


def distrusted_and_altered() -> CarriedStory:
    """A package altered by one byte, one whose signature was, one of another route, one
    signed by a distrusted key,
    one only planned; then a full package taken in after a newer full one: a problem for each
    object it would put back or delete; then the target workspace requires signed packages and
    the source signs with a new key: the route takes the package in, its plan refuses it
    until the target trusts that key."""
    return _story(
        PLAIN,
        Step("source", "key"),
        Step("target", "trust"),
        cut(True),
        take(0, "altered"),
        take(0, "bad_signature"),
        take(0, "other_route"),
        Step("target", "distrust"),
        take(0),
        Step("target", "trust"),
        take(0, apply=False),
        Step("source", "script", ("sa", 2)),
        Step("source", "job", ("jb", "sa", "ja", 1)),
        cut(True),
        take(0),
        take(1),
        take(0),
        Step("target", "require"),
        Step("source", "key"),
        Step("source", "script", ("sa", 3)),
        cut(),
        take(0),
        Step("target", "trust"),
        take(0),
    )
