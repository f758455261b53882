"""Generated stories of the command line's route commands and ``jobferry promote`` for
``tests/cli/test_generated_route_commands.py``: a ``dev`` workspace seeded through signed calls
with a few jobs and two scripts no job uses, an empty ``prod``, and a project admin and a
developer of dev who only views prod, each with a CLI of their own. The story's steps are
``jobferry routes create|edit|show|list|versions|history|delete`` and ``jobferry promote ROUTE``
(the plan alone, ``--apply`` with and without ``--yes``, the overrides ``--policy``,
``--propagate-deletes``/``--keep-deletes`` and ``--on-drift``; ``--plan PLAN_ID`` of the newest
plan shown) on the story's route or a route that does not exist,
each told for a person or with ``--json``, between changes made in dev through signed calls (a
new job, a changed one, a deleted one) so that promotions have something to carry.

The model of what the docs promise is ``support/cli_route_model.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

SEEDED = ("a_orders", "b_sales", "c_stock")
SCRIPTS = ("s_one", "s_two")
PEOPLE = ("admin", "admin", "admin", "dana")
"""Who runs a command (the admin most often; dana: a developer of dev, a viewer of prod)."""
POLICIES = (None, None, "auto", "overwrite", "skip")
PROPAGATE = (None, None, True, False)
DRIFT = (None, None, None, "fail", "keep-target", "take-package")
ROUTE, NOPE = "route", "nope"
"""The story's route and a route no story makes (each story names both uniquely)."""


@dataclass(frozen=True)
class Step:
    """One step: a change in dev (``new``, ``change``, ``drop``) or prod (``hotfix``), or a
    command run by ``who``,
    with its arguments, and whether it asks for ``--json``."""

    act: str
    args: tuple[Any, ...]
    who: str = "admin"
    json: bool = False

    def __repr__(self) -> str:
        by = f" by {self.who}" if self.who != "admin" else ""
        return f"{self.act}{self.args!r}{by}{' --json' if self.json else ''}"


def _job(draw: st.DrawFn) -> int:
    """A job of dev by its place among those dev holds then (the story's driver picks it)."""
    return draw(st.integers(0, 2))


def _settings(draw: st.DrawFn) -> tuple[str | None, bool | None, str | None]:
    """The import settings a step names: --policy, --propagate-deletes or --keep-deletes,
    --on-drift (``None``: not named)."""
    policy, propagate = draw(st.sampled_from(POLICIES)), draw(st.sampled_from(PROPAGATE))
    return policy, propagate, draw(st.sampled_from(DRIFT))


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of the story."""
    act = draw(
        st.sampled_from(
            (
                "new",
                "change",
                "change",
                "change",
                "drop",
                "hotfix",
                "hotfix",
                "create",
                "create",
                "edit",
                "show",
                "list",
                "versions",
                "history",
                "delete",
                "promote",
                "promote",
                "promote",
                "promote",
                "kept",
            )
        )
    )
    if act in ("new",):
        return Step(act, ())
    if act in ("change", "drop", "hotfix"):
        return Step(act, (_job(draw),))
    if act == "kept":  # promote --plan PLAN_ID of the newest plan shown, by the admin
        apply = draw(st.booleans())
        return Step(act, (apply, apply and draw(st.sampled_from((True, True, False)))))
    who, json = draw(st.sampled_from(PEOPLE)), draw(st.booleans())
    name = draw(st.sampled_from((ROUTE, ROUTE, ROUTE, NOPE)))
    args: tuple[Any, ...]
    if act == "create":
        picked = draw(st.sampled_from(((), (), (SEEDED[0], SEEDED[1]), (SEEDED[2],))))
        known = draw(st.sampled_from((True, True, True, False)))
        args = (picked, known)
    elif act == "edit":
        args = (name, *_settings(draw))
    elif act == "show":
        args = (name, draw(st.sampled_from((None, None, 1, 2, 5))))
    elif act in ("versions", "history", "delete"):
        args = (name,)
    elif act == "list":
        args = ()
    else:  # promote, most often along the route by the admin: the plans are the story
        who = draw(st.sampled_from((*("admin",) * 5, "dana")))
        name = draw(st.sampled_from((*(ROUTE,) * 5, NOPE)))
        apply = draw(st.booleans())
        yes = apply and draw(st.sampled_from((True, True, True, False)))
        args = (name, apply, yes, *_settings(draw))
    return Step(act, args, who, json)


@st.composite
def route_stories(draw: st.DrawFn) -> tuple[Step, ...]:
    """A route created first (most often), then 4 to 10 steps."""
    first = draw(st.sampled_from(((), (), (), (Step("create", ((), True)),))))
    first = first or (Step("create", (draw(st.sampled_from(((), (SEEDED[0],)))), True)),)
    return (*first, *draw(st.lists(steps(), min_size=4, max_size=10)))


A_WHOLE_ROUTE = (
    Step("create", ((), False)),
    Step("create", ((), True)),
    Step("promote", (ROUTE, False, False, None, None, None)),
    Step("promote", (ROUTE, True, True, None, None, None), json=True),
    Step("promote", (ROUTE, False, False, None, None, None)),
    Step("change", (1,)),
    Step("drop", (2,)),
    Step("new", ()),
    Step("promote", (ROUTE, True, False, None, None, None)),
    Step("promote", (ROUTE, False, False, "skip", None, None), json=True),
    Step("promote", (ROUTE, True, True, "skip", None, None)),
    Step("promote", (ROUTE, True, True, None, True, None), who="dana"),
    Step("promote", (ROUTE, True, True, None, True, None)),
    Step("history", (ROUTE,)),
    Step("history", (ROUTE,), json=True),
)
"""A route from a workspace the project lacks refused; one of every job promoted whole,
then a change, a deletion and a new job: planned, refused without --yes, skipped (nothing
imported), refused to dana, and imported with the deletion propagated for that run; the
history lists both promotions, newest first."""
ROUTE_MADE_AGAIN = (
    Step("create", ((SEEDED[0], SEEDED[1]), True)),
    Step("promote", (ROUTE, True, True, None, None, None)),
    Step("create", ((), True)),
    Step("drop", (0,)),
    Step("edit", (ROUTE, None, True, None), who="dana"),
    Step("edit", (ROUTE, "overwrite", None, "keep-target"), json=True),
    Step("show", (ROUTE, 2)),
    Step("versions", (ROUTE,)),
    Step("delete", (ROUTE,)),
    Step("history", (ROUTE,), json=True),
    Step("create", ((), True), json=True),
    Step("promote", (ROUTE, False, False, None, None, None)),
    Step("promote", (ROUTE, True, True, None, True, None)),
    Step("promote", (NOPE, False, False, None, None, None)),
)
"""A route of two jobs promoted, created again (refused: it exists), edited, deleted with its
history, and made again of every job: its first promotion carries every job whole, and the
job dev deleted is a deletion of that whole package."""
A_HOT_FIX = (
    Step("create", ((), True)),
    Step("promote", (ROUTE, True, True, None, None, None)),
    Step("hotfix", (0,)),
    Step("change", (0,)),
    Step("hotfix", (1,)),
    Step("promote", (ROUTE, False, False, None, None, None)),
    Step("promote", (ROUTE, True, True, None, None, None), json=True),
    Step("promote", (ROUTE, False, False, None, None, "keep-target"), json=True),
    Step("promote", (ROUTE, True, True, None, None, "keep-target")),
    Step("promote", (ROUTE, True, True, None, None, "take-package")),
    Step("history", (ROUTE,), json=True),
    Step("change", (1,)),
    Step("promote", (ROUTE, False, False, None, None, None)),
    Step("kept", (True, True), json=True),
    Step("kept", (False, False)),
    Step("change", (2,)),
    Step("promote", (ROUTE, False, False, None, None, None), json=True),
    Step("hotfix", (2,)),
    Step("kept", (True, True)),
)
"""A job changed in prod by hand and in dev: its promotion is a problem (exit 3, nothing
imported, with or without --apply); kept as prod has it for a run (pending, nothing
imported), then overwritten for a run, which the history says; the job changed in prod alone
is not carried. Then a plan shown is imported with --plan, which says so when run again, and
a plan shown before prod changed by hand is refused."""
A_PLAN_OVERTAKEN = (
    Step("create", ((), True)),
    Step("promote", (ROUTE, True, True, None, None, None)),
    Step("change", (0,)),
    Step("promote", (ROUTE, False, False, None, None, None)),
    Step("hotfix", (1,)),
    Step("kept", (True, True), json=True),
    Step("change", (0,)),
    Step("promote", (ROUTE, False, False, None, None, None), json=True),
    Step("hotfix", (0,)),
    Step("kept", (True, True)),
    Step("kept", (False, False), json=True),
    Step("promote", (ROUTE, True, True, None, None, None)),
    Step("history", (ROUTE,)),
)
"""A plan shown, then a job it does not carry changed in prod by hand: --plan imports it. The
next plan shown, then the job it carries changed in prod: its import fails (the history lists
it failed), no promotion waits any more, and promoting again finds the change (a problem)."""
