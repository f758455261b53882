"""Generated promotion stories for property tests of routes
(``tests/unit/services/routes/test_generated_promotions.py``): what a source workspace starts
with, then a drawn list of steps — edits in the source (jobs and scripts made, changed, renamed
and deleted, jobs using scripts and depending on other jobs), hand edits in the target (changed,
renamed, deleted, objects of its own), promotions with generated overrides of the route's
settings, and rollbacks of the newest promotion.

Names come from small pools so that steps collide: the source makes a job under the name of one
the target made on its own, renames a job to a name the target took. A step the workspace
refuses (a job deleted while another depends on it, a script deleted while a job uses it, a
name taken) is part of the story: it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from jobferry.errors import JobferryError
from jobferry.services.container import Services
from jobferry.services.context import Scope
from support.builders import editable
from support.import_stories import definition, job_document
from support.workspace_state import State

JOBS = ("ja", "jb", "jc", "jd")
SCRIPTS = ("sa", "sb", "sc")
SETTINGS = {
    "sameNamePolicy": ("AUTO", "OVERWRITE", "SKIP"),
    "onDrift": ("FAIL", "KEEP_TARGET", "TAKE_PACKAGE"),
    "propagateDeletes": (True, False),
    "mode": ("ATOMIC", "PER_OBJECT"),
    "scheduling": ("REFUSE", "PAUSE_AND_RESTORE"),
}
"""The route's settings a story draws (the route's own, and each promotion's overrides)."""
BY_HAND = ("edit", "own", "rename", "delete", "start")
"""What the target does by hand between promotions (a workspace of this server's)."""
KINDS = {"source": 4, "target": 2, "promote": 3, "rollback": 2, "select": 1}
"""How often each kind of step is drawn, against the others."""


@dataclass(frozen=True)
class Step:
    """One step of a story: ``side`` ("source", "target" or "route"), what it does (``act``)
    and its arguments."""

    side: str
    act: str
    args: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        return f"{self.side}.{self.act}{self.args!r}"


@dataclass(frozen=True)
class PromotionStory:
    """The route's settings, what the source holds before the first step, and the steps."""

    route: dict[str, Any]
    first: tuple[Step, ...]
    steps: tuple[Step, ...]

    def __repr__(self) -> str:
        return f"PromotionStory(route={self.route}, first={self.first}, steps={self.steps})"


def source_job(draw: st.DrawFn) -> Step:
    """A job made or changed in the source: its script, at most one upstream job, a look."""
    name = draw(st.sampled_from(JOBS))
    script = draw(st.sampled_from(SCRIPTS))
    upstream = draw(st.none() | st.sampled_from([j for j in JOBS if j != name]))
    return Step("source", "job", (name, script, upstream, draw(st.integers(0, 3))))


@st.composite
def steps(
    draw: st.DrawFn, by_hand: tuple[str, ...] = BY_HAND, kinds: dict[str, int] | None = None
) -> Step:
    """One step after the first: the source or the target edited (``by_hand``: what the
    target's step may be), a promotion (its overrides drawn, and whether planning again right
    after it is checked), a rollback, the route's selection edited (every job, or one
    folder's); each kind as often as ``kinds`` says (:data:`KINDS`)."""
    kind = draw(st.sampled_from([k for k, n in (kinds or KINDS).items() for _ in range(n)]))
    if kind == "promote":
        keys = draw(st.sets(st.sampled_from(sorted(SETTINGS)), max_size=2))
        overrides = {k: draw(st.sampled_from(SETTINGS[k])) for k in sorted(keys)}
        return Step("route", "promote", (overrides, draw(st.booleans())))
    if kind == "rollback":
        return Step("route", "rollback")
    if kind == "select":
        return Step("route", "select", (draw(st.sampled_from([None, "/ops", "/sales"])),))
    act = draw(st.sampled_from(["job", "job", "script", "rename", "delete"]))
    if kind == "target":
        act = draw(st.sampled_from(by_hand))
    if act == "job":
        return source_job(draw)
    if act == "script":
        return Step(kind, "script", (draw(st.sampled_from(SCRIPTS)), draw(st.integers(0, 3))))
    if act == "own":
        return Step(kind, "own", (draw(st.sampled_from(JOBS + SCRIPTS)),))
    if act in ("start", "stop", "describe"):
        return Step(kind, act, (draw(st.sampled_from(JOBS)),))
    if act == "refresh":
        return Step(kind, act)
    if act == "rename":
        old = draw(st.sampled_from(JOBS))
        return Step(kind, "rename", (old, draw(st.sampled_from([j for j in JOBS if j != old]))))
    return Step(kind, act, (draw(st.sampled_from(JOBS + SCRIPTS)),))


@st.composite
def promotion_stories(
    draw: st.DrawFn,
    max_steps: int = 6,
    by_hand: tuple[str, ...] = BY_HAND,
    fixed: dict[str, Any] | None = None,
    kinds: dict[str, int] | None = None,
    min_steps: int = 0,
) -> PromotionStory:
    """A route with drawn settings (but those ``fixed``, which only a promotion's overrides
    draw); a source of one or two scripts and one to three jobs; ``min_steps`` to
    ``max_steps`` steps
    (``by_hand``: what the target's steps may be; ``kinds``: how often each kind of step is
    drawn), ending with a promotion."""
    route = {k: draw(st.sampled_from(v)) for k, v in SETTINGS.items()} | (fixed or {})
    scripts = draw(st.permutations(SCRIPTS))[: draw(st.integers(1, 2))]
    first = [Step("source", "script", (name, 0)) for name in scripts]
    jobs = draw(st.permutations(JOBS))[: draw(st.integers(1, 3))]
    made: list[str] = []
    for name in jobs:
        upstream = draw(st.none() | st.sampled_from(made)) if made else None
        first.append(Step("source", "job", (name, draw(st.sampled_from(scripts)), upstream, 0)))
        made.append(name)
    drawn = draw(st.lists(steps(by_hand, kinds), min_size=min_steps, max_size=max_steps))
    last = Step("route", "promote", ({}, draw(st.booleans())))
    return PromotionStory(route, tuple(first), (*drawn, last))


def act(services: Services, scope: Scope, step: Step) -> bool:
    """Take a source's or target's ``step`` in the workspace of ``scope``; whether the
    workspace took it (a refusal changes nothing)."""
    try:
        _act(services, scope, step)
    except JobferryError:
        return False
    return True


def _act(services: Services, scope: Scope, step: Step) -> None:
    if step.act == "job":
        name, script, upstream, look = step.args
        doc = job_document(name, f"{script}", None, [upstream] if upstream else [], look)
        _put_job(services, scope, name, doc)
    elif step.act == "script":
        name, look = step.args
        _put_script(services, scope, name, definition("script", name, look))
    elif step.act == "rename":
        services.jobs.rename(scope, *step.args)
    elif step.act == "delete":
        (name,) = step.args
        if name in SCRIPTS:
            services.scripts.delete(scope, name)
        else:
            services.jobs.delete(scope, name)
    elif step.act == "start":
        services.jobs.start(scope, step.args[0])
    elif step.act == "edit":
        _edit(services, scope, step.args[0])
    elif step.act == "own":
        (name,) = step.args
        if name in SCRIPTS:
            services.scripts.create(scope, definition("script", name, 9))
        else:
            services.jobs.create(scope, job_document(name, "sa", None, [], 9))
    else:  # pragma: no cover - the generator makes no other step
        raise AssertionError(step)


def _put_job(services: Services, scope: Scope, name: str, doc: dict[str, Any]) -> None:
    try:
        services.jobs.show(scope, name)
    except JobferryError:
        services.jobs.create(scope, doc)
    else:
        services.jobs.update(scope, name, doc)


def _put_script(services: Services, scope: Scope, name: str, doc: dict[str, Any]) -> None:
    try:
        services.scripts.show(scope, name)
    except JobferryError:
        services.scripts.create(scope, doc)
    else:
        services.scripts.update(scope, name, doc)


def _edit(services: Services, scope: Scope, name: str) -> None:
    """A hand edit in the target: a job's description, a script's content."""
    if name in SCRIPTS:
        doc = dict(services.scripts.show(scope, name).document)
        services.scripts.update(scope, name, {**doc, "content": "select 'hand edit';"})
        return
    doc = editable(services.jobs.show(scope, name).document)
    services.jobs.update(scope, name, {**doc, "description": "hand edit"})


def identities(state: State) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
    """(kind, stable identifier) → (name, definition) of a state's jobs and scripts."""
    found = {}
    for (kind, name), held in state.items():
        if kind in ("job", "script"):
            found[(kind, str(held.get("uid") or held["id"]))] = (name, held["document"])
    return found


def changed(before: State, after: State) -> set[tuple[str, str]]:
    """(kind, stable identifier) of the source's objects made, changed or renamed between two
    states of it."""
    was, now = identities(before), identities(after)
    return {key for key, held in now.items() if was.get(key) != held}


def only_scripts_at_first() -> PromotionStory:
    """The source's only job is deleted before the first promotion: the route of every job
    said nothing changed, and its script never travelled (found by a 400-example run,
    seed 1)."""
    route = {"sameNamePolicy": "AUTO", "onDrift": "FAIL", "propagateDeletes": True}
    route.update(mode="ATOMIC", scheduling="REFUSE")
    first = (Step("source", "script", ("sa", 0)), Step("source", "job", ("ja", "sa", None, 0)))
    steps = (Step("source", "delete", ("ja",)), Step("route", "promote", ({}, False)))
    return PromotionStory(route, first, steps)


def made_ahead() -> PromotionStory:
    """The target makes its own job ja running script sa before the first promotion brings
    sa (and skips the source's ja, AUTO on a first import): rolling that promotion back was
    refused, ja said to "now use" the name the import made (found by a 300-example run,
    seed 7)."""
    route = {"sameNamePolicy": "AUTO", "onDrift": "FAIL", "propagateDeletes": True}
    route.update(mode="ATOMIC", scheduling="REFUSE")
    first = (Step("source", "script", ("sa", 0)), Step("source", "job", ("ja", "sa", None, 0)))
    steps = (Step("target", "own", ("ja",)), Step("route", "promote", ({}, False)))
    steps += (Step("route", "rollback"), Step("route", "promote", ({}, False)))
    return PromotionStory(route, first, steps)


def first_skipped_then_overwritten() -> PromotionStory:
    """The first promotion skips the target's own ja (AUTO, a first import); planning again
    right after it overwrites ja (intended: the ledger holds a row of the source now)."""
    story = made_ahead()
    return PromotionStory(
        story.route, story.first, (*story.steps[:1], Step("route", "promote", ({}, True)))
    )


def rolled_back_twice() -> PromotionStory:
    """Two promotions rolled back, newest first: the target is as before the first, with the
    tombstones of what both made."""
    route = {"sameNamePolicy": "AUTO", "onDrift": "FAIL", "propagateDeletes": True}
    route.update(mode="ATOMIC", scheduling="REFUSE")
    first = (Step("source", "script", ("sa", 0)), Step("source", "job", ("ja", "sa", None, 0)))
    steps = (Step("route", "promote", ({}, False)), Step("source", "script", ("sc", 0)))
    steps += (Step("route", "promote", ({}, False)), Step("route", "rollback"))
    steps += (Step("route", "rollback"), Step("route", "promote", ({}, False)))
    return PromotionStory(route, first, steps)


def deleted_and_failed() -> PromotionStory:
    """PER_OBJECT: the source deletes ja and makes another ja running a script it lacks; the
    promotion deletes the old ja and fails the new one. Its import ended FAILED though it
    deleted a job, so that deletion could not be rolled back (found by a 400-example run of
    ten steps, seed 32)."""
    route = {"sameNamePolicy": "AUTO", "onDrift": "FAIL", "propagateDeletes": True}
    route.update(mode="PER_OBJECT", scheduling="REFUSE")
    first = (Step("source", "script", ("sb", 0)), Step("source", "job", ("ja", "sb", None, 0)))
    steps = (Step("route", "promote", ({}, False)), Step("source", "delete", ("ja",)))
    steps += (Step("source", "job", ("ja", "sa", None, 0)), Step("route", "promote", ({}, False)))
    return PromotionStory(route, first, (*steps, Step("route", "rollback")))
