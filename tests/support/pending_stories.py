"""Generated stories of ``list_factory_pending_items`` for
``tests/api/test_generated_pending_lists.py``, and the model of what docs/api.md ("Releases")
promises of it: in an enterprise workspace an admin and a developer create, submit again and
delete jobs and scripts whose names hold each other and differ in case; then pages of the
pending items are asked with drawn ``item_name``, ``task_type``, ``update_type`` and
``submit_user_name`` filters, limits and offsets (valid or not).

The promises: every submit keeps a pending item per object (a change submitted again before it
is packaged updates the object's item); an object added and deleted again before any release
has nothing to release, and its item goes; the list answers the items no package holds, newest
first, ``item_name`` a part of the name as written ("Names": case counts), ``task_type`` 1 a
job, 2 a script, ``update_type`` 1 add (what production never held); ``limit`` 1–100 (10),
``offset`` a page number in either offset mode; ``total`` every match; a limit or offset out
of range is refused naming it (``DLF.3051``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from hypothesis import strategies as st

from support.list_model import Model
from support.list_stories import BAD_LIMITS, BAD_OFFSETS, name_filters, names
from support.release_stories import Step

KINDS = ("job", "script")
USERS = ("admin", "developer")


@dataclass
class Item:
    kind: str
    name: str
    version: int
    user: str
    order: int


@dataclass
class Pending:
    """The workspace's objects and their pending items, by (kind, name)."""

    items: dict[tuple[str, str], Item] = field(default_factory=dict)
    clock: itertools.count[int] = field(default_factory=itertools.count)

    def submit(self, kind: str, name: str, user: str) -> None:
        held = self.items.get((kind, name))
        version = held.version + 1 if held else 1
        self.items[kind, name] = Item(kind, name, version, user, next(self.clock))

    def matches(self, filters: dict[str, str], users: dict[str, str]) -> list[Item]:
        """The items listed for ``filters`` (``users``: a role's user name), newest first."""
        found = [i for i in self.items.values() if _matches(i, filters, users)]
        return sorted(found, key=lambda i: -i.order)

    def as_model(self) -> Model:
        """The names, for drawing name filters."""
        return Model(scripts=sorted({name for _, name in self.items}))


def _matches(item: Item, filters: dict[str, str], users: dict[str, str]) -> bool:
    part = filters.get("item_name")
    if part and part not in item.name:
        return False
    if filters.get("task_type", str(KINDS.index(item.kind) + 1)) != str(KINDS.index(item.kind) + 1):
        return False
    if filters.get("update_type", "1") != "1":
        return False
    user = filters.get("submit_user_name")
    return user is None or user == users[item.user]


@st.composite
def seedings(draw: st.DrawFn) -> tuple[Pending, tuple[Step, ...]]:
    """The writes that seed a story (at most 20), and the model after them."""
    pending, done = Pending(), []
    for _ in range(draw(st.integers(1, 20))):
        kind, user = draw(st.sampled_from(KINDS)), draw(st.sampled_from(USERS))
        held = [n for k, n in pending.items if k == kind]
        act = draw(st.sampled_from(("create", "create", "update", "delete")))
        name = draw(names) if act == "create" or not held else draw(st.sampled_from(held))
        if name not in held:
            act = "create"
        elif act == "create":
            act = "update"  # a name it holds: submitted again
        if act == "delete":
            del pending.items[kind, name]
        else:
            pending.submit(kind, name, user)
        done.append(Step(act, (kind, name, user)))
    return pending, tuple(done)


@st.composite
def pending_queries(draw: st.DrawFn, pending: Pending) -> Step:
    chosen = {
        "item_name": draw(name_filters(pending.as_model())),
        "task_type": draw(st.sampled_from((None, None, "1", "2"))),
        "update_type": draw(st.sampled_from((None, None, None, "1", "2", "3"))),
        "submit_user_name": draw(st.sampled_from((None, None, None, *USERS, "nobody"))),
    }
    filters = {k: v for k, v in chosen.items() if v is not None}
    limit: object = draw(st.integers(1, 5) | st.integers(1, 100))
    offset: object = draw(st.integers(0, 6))
    act = draw(st.sampled_from(("page", "page", "walk", "refused")))
    if act == "refused":
        if draw(st.booleans()):
            limit = draw(st.sampled_from(BAD_LIMITS))
        else:
            offset = draw(st.sampled_from(BAD_OFFSETS))
    return Step(act, (filters, limit, offset))


@st.composite
def pending_stories(draw: st.DrawFn) -> tuple[Pending, tuple[Step, ...], tuple[Step, ...]]:
    pending, seeded = draw(seedings())
    asked = draw(st.lists(pending_queries(pending), min_size=1, max_size=8))
    return pending, seeded, tuple(asked)
