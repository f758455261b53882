"""Generated stories of Admin → Remotes for ``tests/console/test_generated_remotes.py``: a
project admin, a workspace admin who is no project admin, a developer and a viewer post the
remotes pages' forms — add (a good name, one taken, a blank or overlong one; a good endpoint
or one that is no URL; the right secret key or a wrong one; a DataArts workspace another
remote reaches already), *Edit* (a new secret key, right or wrong; an endpoint that is no URL;
nothing changed; a new access key without its secret key), *Test*, *Refresh* (a task, held:
the story runs it), *Remove* — on remotes there, gone, or removed meanwhile by another admin,
while a refresh of them is queued or not; now and then the queued refreshes are run.

What the pages promise (docs/console.md, Admin) is ``RemotesModel``: a value per remote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

WHO = ("admin", "admin", "admin", "admin", "wsadmin", "developer", "viewer")
"""Who posts: a project admin mostly; a workspace admin (no project admin), a developer, a
viewer of the workspace whose Admin → Remotes is posted."""
NAMES = ("a", "b", "a", "b", "", "long")
"""A remote's name as the story says it (prefixed per story; ``long``: past the limit)."""
ENDPOINTS = ("good", "good", "good", "ftp")
KEYS = ("right", "right", "wrong")
REACHES = ("one", "two", "one")
"""Which workspace of the DataArts stand-in the remote reaches."""
EDITS = ("secret_right", "secret_wrong", "endpoint_bad", "nothing", "access_key_only")
ACTIONS = ("test", "refresh", "refresh", "remove", "remove")


@dataclass(frozen=True)
class Step:
    """One thing done: a post of ``who`` (``act``: add, edit, test, refresh, remove), another
    admin's removal behind the page's back (``meanwhile``), or the queued refreshes run
    (``run``)."""

    act: str
    args: tuple[Any, ...] = ()
    who: str = "admin"

    def __repr__(self) -> str:
        return f"{self.act}{self.args!r}/{self.who}"


@dataclass
class Kept:
    """What the model says one remote is."""

    reach: str
    secret: str
    queued: bool = False


@dataclass
class RemotesModel:
    """The story's remotes as the pages promise them."""

    remotes: dict[str, Kept] = field(default_factory=dict)
    shadows: set[str] = field(default_factory=set)
    """The names of the shadow workspaces made: a removed remote's stays, taking its name."""

    def answer(self, step: Step) -> tuple[int, str]:
        """The status a post answers and what it changes (``''``: nothing)."""
        if step.who in ("developer", "viewer"):
            return 403, ""
        name = step.args[0]
        there = self.remotes.get(name)
        if step.who == "wsadmin":
            if step.act in ("add", "edit", "remove") or there is not None:
                return 403, ""  # add, edit, remove: project admins; test, refresh: a role there
            return 400, ""
        answer: tuple[int, str] = getattr(self, f"_{step.act}")(step, there)
        return answer

    def _add(self, step: Step, there: Kept | None) -> tuple[int, str]:
        name, endpoint, _, reach = step.args
        if name in ("", "long") or endpoint == "ftp" or name in self.shadows:
            return 400, ""
        if any(k.reach == reach for k in self.remotes.values()):
            return 400, ""  # another remote reaches that DataArts workspace
        return 200, "add"

    def _edit(self, step: Step, there: Kept | None) -> tuple[int, str]:
        change = step.args[1]
        if there is None or change in ("endpoint_bad", "nothing", "access_key_only"):
            return 400, ""
        return 200, "edit"

    def _test(self, step: Step, there: Kept | None) -> tuple[int, str]:
        return (400, "") if there is None else (200, "")

    def _refresh(self, step: Step, there: Kept | None) -> tuple[int, str]:
        if there is None or there.queued:
            return 400, ""
        return 303, "refresh"

    def _remove(self, step: Step, there: Kept | None) -> tuple[int, str]:
        if there is None or there.queued:
            return 400, ""
        return 200, "remove"

    def take(self, step: Step) -> None:
        """Record a change the post made."""
        name = step.args[0]
        if step.act == "add":
            self.remotes[name] = Kept(step.args[3], step.args[2])
            self.shadows.add(name)
        elif step.act == "edit":
            self.remotes[name].secret = step.args[1].removeprefix("secret_")
        elif step.act == "refresh":
            self.remotes[name].queued = True
        elif step.act == "remove":
            del self.remotes[name]


def _step(act: str, args: st.SearchStrategy[tuple[Any, ...]]) -> st.SearchStrategy[Step]:
    return st.builds(Step, st.just(act), args, st.sampled_from(WHO))


def remote_stories() -> st.SearchStrategy[tuple[Step, ...]]:
    """Stories of 1–10 steps."""
    names = st.sampled_from(NAMES)
    step = st.one_of(
        _step(
            "add",
            st.tuples(
                names,
                st.sampled_from(ENDPOINTS),
                st.sampled_from(KEYS),
                st.sampled_from(REACHES),
            ),
        ),
        _step("add", st.tuples(names, st.just("good"), st.just("right"), st.just("one"))),
        _step("edit", st.tuples(names, st.sampled_from(EDITS))),
        *(_step(action, st.tuples(names)) for action in ACTIONS),
        st.builds(Step, st.just("meanwhile"), st.tuples(names)),
        st.builds(Step, st.just("run")),
    )
    return st.lists(step, min_size=1, max_size=10).map(tuple)


def a_story_of_every_form() -> tuple[Step, ...]:
    """Each form once taken and once refused, a removal refused while a refresh is queued and
    one made by another admin meanwhile (a hand-written example)."""
    return (
        Step("add", ("a", "good", "right", "one"), "developer"),
        Step("add", ("a", "good", "right", "one")),
        Step("add", ("a", "good", "right", "two")),
        Step("add", ("b", "good", "wrong", "one")),
        Step("add", ("long", "ftp", "right", "two")),
        Step("add", ("b", "good", "wrong", "two")),
        Step("test", ("b",)),
        Step("edit", ("b", "nothing")),
        Step("edit", ("b", "secret_right"), "wsadmin"),
        Step("edit", ("b", "secret_right")),
        Step("refresh", ("a",)),
        Step("refresh", ("a",)),
        Step("remove", ("a",)),
        Step("remove", ("a",), "viewer"),
        Step("run"),
        Step("remove", ("a",)),
        Step("meanwhile", ("b",)),
        Step("edit", ("b", "secret_wrong")),
        Step("remove", ("b",), "wsadmin"),
        Step("refresh", ("b",)),
    )
