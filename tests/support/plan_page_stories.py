"""Generated stories of a kept plan's objects and a task's subtasks, paged, for
``tests/api/test_generated_plan_pages.py``, and what docs/api.md ("Import") promises of them:
a source workspace holds drawn scripts and jobs (names holding each other, differing in case),
the target holds some of them as they are and some changed; the source's package is planned
into the target (``sameNamePolicy`` OVERWRITE) and imported.

- each object is planned ``CREATE`` (the target lacks it), ``UNCHANGED`` (the same) or
  ``OVERWRITE`` (changed); the plan lists what the import changes and every object with a
  problem first, then the ``UNCHANGED`` ones;
- ``…/plans/{plan_id}/objects?offset&limit&action&kind`` is a page of those objects in the
  plan's order, optionally of one action or kind, ``total`` counting them, ``limit`` 1–1,000
  (200), ``offset`` rows; walking from 0 reaches every object once;
- ``…/system-tasks/{task_id}/subtasks?offset&limit`` is a page of the task's subtasks in
  order, as the task lists them;
- a limit or offset out of its range is refused naming it (``DLF.3051``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from support.list_stories import BAD_OFFSETS, names
from support.release_stories import Step

ACTIONS = (None, None, "CREATE", "OVERWRITE", "UNCHANGED", "SKIP")
KINDS = (None, None, "job", "script")
BAD_LIMITS = (0, 1001, -1, "", "1.5", "1_0", "١", 10**20)
STATES = ("absent", "same", "changed")


@dataclass
class Planned:
    """The source's objects, by (kind, name), and what the target holds of each."""

    objects: dict[tuple[str, str], str] = field(default_factory=dict)

    def action(self, key: tuple[str, str]) -> str:
        return {"absent": "CREATE", "same": "UNCHANGED", "changed": "OVERWRITE"}[self.objects[key]]


@st.composite
def planned(draw: st.DrawFn) -> Planned:
    made = Planned()
    for kind in ("script", "job"):
        for name in draw(st.lists(names, min_size=kind == "script", max_size=7, unique=True)):
            made.objects[kind, name] = draw(st.sampled_from(STATES))
    return made


@st.composite
def page_steps(draw: st.DrawFn) -> Step:
    which = draw(st.sampled_from(("objects", "objects", "subtasks")))
    filters = {"action": draw(st.sampled_from(ACTIONS)), "kind": draw(st.sampled_from(KINDS))}
    chosen = {k: v for k, v in filters.items() if v is not None and which == "objects"}
    limit: object = draw(st.integers(1, 5) | st.sampled_from((1000, 200)))
    offset: object = draw(st.integers(0, 16))
    act = draw(st.sampled_from(("page", "walk", "walk", "refused")))
    if act == "refused":
        if draw(st.booleans()):
            limit = draw(st.sampled_from(BAD_LIMITS))
        else:
            offset = draw(st.sampled_from(BAD_OFFSETS))
    return Step(act, (which, chosen, limit, offset))


@st.composite
def plan_page_stories(draw: st.DrawFn) -> tuple[Planned, tuple[Step, ...]]:
    made = draw(planned())
    return made, tuple(draw(st.lists(page_steps(), min_size=1, max_size=8)))
