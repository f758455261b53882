"""Chains of a source's packages for property tests of rollbacks
(``tests/unit/services/importing/test_generated_rollbacks.py``, and into a remote,
``tests/unit/services/remotes/test_generated_push_chains.py``): two to four packages, each made
from the one before (``support/import_stories.py``'s second package, told again), each with
its import's options; what people do in the target between imports, as picks among what it
holds then; and interleavings of imports, rollbacks and people's acts."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from support.import_stories import POOLS, Obj, first_package, second_package
from support.planning import write_objects
from support.workspace_state import State


@dataclass(frozen=True)
class Step:
    """One package of the source's chain: its objects, what it dropped of the one before,
    whether it holds its kinds whole, and how it is imported."""

    objects: tuple[Obj, ...]
    dropped: tuple[Obj, ...]
    whole: bool
    options: dict[str, Any]

    def __repr__(self) -> str:
        held = " ".join(f"{o.kind}:{o.name}({o.uid})" for o in self.objects)
        gone = " ".join(f"{o.kind}:{o.name}({o.uid})" for o in self.dropped)
        return f"Step([{held}], dropped=[{gone}], whole={self.whole}, {self.options})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How hypothesis shows a failing chain: as :meth:`__repr__` (its definitions, printed
        whole, ran to hundreds of kB)."""
        printer.text(repr(self))

    def package(self, path: Path) -> Path:
        entries = [(o.kind, o.name, o.document) for o in self.objects]
        uids = {o.name: o.uid for o in self.objects}
        if self.whole:
            return write_objects(path, entries, uids=uids, inventory=tuple(POOLS))
        gone = tuple((o.kind, o.uid, o.name) for o in self.dropped)
        return write_objects(path, entries, uids=uids, deleted=gone)


@st.composite
def options(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "sameNamePolicy": draw(st.sampled_from(["OVERWRITE", "AUTO"])),
        "onDrift": draw(st.sampled_from(["FAIL", "KEEP_TARGET", "TAKE_PACKAGE"])),
        "scheduling": draw(st.sampled_from(["REFUSE", "PAUSE_AND_RESTORE"])),
        "propagateDeletes": draw(st.booleans()),
        "targetStatus": draw(st.sampled_from(["SUBMITTED", "SAVED"])),
    }


@st.composite
def chains(draw: st.DrawFn) -> tuple[Step, ...]:
    """Two to four packages of one source, each made from the one before."""
    objects = draw(first_package())
    steps = [Step(tuple(objects), (), False, draw(options()))]
    for generation in range(1, draw(st.integers(1, 3)) + 1):
        objects, dropped = draw(second_package(objects, generation))
        steps.append(Step(tuple(objects), tuple(dropped), draw(st.booleans()), draw(options())))
    return tuple(steps)


@dataclass(frozen=True)
class ByHand:
    """What people do in the target before an import, each a pick among what it holds then
    (by index, taken modulo; ``None``: not done): a job edited, a submitted job started or
    stopped, a stopped job renamed to a free name, a script touched, a script of their own
    made, a stopped job deleted (when nothing uses it)."""

    edit: int | None
    toggle: int | None
    rename: tuple[int, int] | None
    touch: int | None
    own: int | None
    delete: int | None = None


def picks() -> st.SearchStrategy[int | None]:
    return st.none() | st.integers(0, 7)


def by_hand() -> st.SearchStrategy[ByHand]:
    renames = st.none() | st.tuples(st.integers(0, 7), st.integers(0, 7))
    return st.builds(ByHand, picks(), picks(), renames, picks(), picks(), picks())


def pick(names: list[str], index: int | None) -> str | None:
    return names[index % len(names)] if names and index is not None else None


def changed(one: State, other: State) -> set[tuple[str, str]]:
    return {key for key in one.keys() | other.keys() if one.get(key) != other.get(key)}


def given_back(now: State, before: State, after: State) -> State:
    """``now`` with what changed between ``before`` and ``after`` (an import, a push) as it
    was before: what its rollback leaves."""
    wrote = changed(before, after)
    expected = {key: value for key, value in now.items() if key not in wrote}
    expected.update({key: before[key] for key in wrote if key in before})
    return expected


def changed_since(before: State, after: State, now: State) -> set[tuple[str, str]]:
    """What changed between ``before`` and ``after`` and is otherwise ``now``."""
    return {key for key in changed(before, after) if now.get(key) != after.get(key)}


Op = tuple[str, Any]
"""("import", index of the chain's package), ("rollback", index of an import that wrote) or
("by hand", what people do)."""


def ops() -> st.SearchStrategy[list[Op]]:
    one = st.one_of(
        st.tuples(st.just("import"), st.integers(0, 3)),
        st.tuples(st.just("rollback"), st.integers(0, 5)),
        st.tuples(st.just("by hand"), by_hand()),
    )
    return st.lists(one, min_size=2, max_size=9)


def pushable(step: Step) -> Step:
    """``step`` with each script and resource identified by its uid and its name: DataArts'
    public API renames only jobs, so a source's rename of one reaches a remote as a new
    object under the new name (``services/remotes/pushable.py``)."""

    def anew(objects: tuple[Obj, ...]) -> tuple[Obj, ...]:
        return tuple(o if o.kind == "job" else replace(o, uid=f"{o.uid}-{o.name}") for o in objects)

    return replace(step, objects=anew(step.objects), dropped=anew(step.dropped))
