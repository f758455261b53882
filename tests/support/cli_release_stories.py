"""Generated stories of the command line's release commands
(``tests/cli/test_generated_release_commands.py``): an enterprise workspace whose two jobs
(and their scripts) were released first, a rule of 0 to 2 signed approvals, then drawn steps,
each a ``jobferry releases …`` command run by a drawn person (``support/console_release_model.py``'s
PEOPLE: the workspace's admin, a developer, two deployers, an operator, a viewer), told for a
person or with ``--json`` — the pending items packaged (naming the deployer, both deployers,
an admin, oneself, nobody), a package approved with a key, deployed (with ``--no-start`` or
not, ``--yes`` or not), deployed twice, planned again, cancelled (released or not), its
release rolled back (by its id or ``--last``), the rule changed, and the read commands
(``pending``, ``list``, ``show``, ``approvals``, ``ledger``) — between jobs submitted in
development and production jobs started or stopped by hand (signed calls). A step names a
package by a number, taken modulo the packages made so far.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from support.console_release_model import PEOPLE, SIGNERS

JOBS = ("ja", "jb")
"""The jobs of the story, released before it starts."""
APPROVERS: dict[str, tuple[str, ...]] = {
    "deployer": ("deployer",),
    "both": ("deployer", "second"),
    "admin": ("admin",),
    "self": ("self",),
    "none": (),
}
"""Whom a package names: the deployer, both deployers, the admin, its applicant, nobody."""
READS = ("pending", "list", "show", "approvals", "ledger")


@dataclass(frozen=True)
class Step:
    """One step: what it does, its arguments, and whether it asks for ``--json``."""

    act: str
    args: tuple[Any, ...]
    json: bool = False

    def __repr__(self) -> str:
        return f"Step({self.act!r}, {self.args!r}{', True' if self.json else ''})"


people = st.sampled_from(sorted(PEOPLE))
picks = st.integers(0, 5)
likely = st.sampled_from(["admin", "deployer", "deployer", "second"])
"""Who runs a deploy, a rollback or a plan most often: those who may."""


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of a story."""
    act = draw(
        st.sampled_from(
            ["submit"] * 3
            + ["create"] * 3
            + ["approve"] * 2
            + ["deploy"] * 4
            + ["cancel", "cancel", "plan", "rollback", "rollback", "rule", "toggle", "read"]
        )
    )
    json = draw(st.booleans())
    if act == "submit":
        return Step("submit", (draw(st.sampled_from(JOBS)),))
    if act == "toggle":
        return Step("toggle", (draw(st.sampled_from(JOBS)),))
    if act == "read":
        return Step(draw(st.sampled_from(READS)), (draw(picks), draw(people)), json)
    if act == "create":
        who = draw(st.sampled_from(["developer"] * 3 + ["admin", "deployer", "viewer"]))
        named = draw(st.sampled_from(["both", "both", "deployer", "deployer", "admin", "self"]))
        return Step("create", (who, named), json)
    if act == "approve":
        return Step("approve", (draw(picks), draw(st.sampled_from(SIGNERS))))
    if act == "rule":
        who = draw(st.sampled_from(["admin", "admin", "developer", "deployer"]))
        return Step("rule", (who, draw(st.integers(0, 2))), json)
    who = draw(st.one_of(likely, people))
    if act == "deploy":
        start, yes = draw(st.booleans()), draw(st.sampled_from([True] * 5 + [False]))
        return Step("deploy", (draw(picks), who, start, yes), json)
    if act == "rollback":
        return Step("rollback", (draw(st.one_of(st.none(), picks)), who), json)
    return Step(act, (draw(picks), who), json)


@st.composite
def release_command_stories(draw: st.DrawFn) -> tuple[int, tuple[Step, ...]]:
    """A rule of approvals (0 to 2) and 5 to 14 steps, the first a submit."""
    first = Step("submit", (draw(st.sampled_from(JOBS)),))
    drawn = draw(st.lists(steps(), min_size=4, max_size=13))
    return draw(st.sampled_from([0, 0, 1, 2])), (first, *drawn)


def a_whole_release() -> tuple[int, tuple[Step, ...]]:
    """ja submitted and packaged by the developer naming both deployers under a rule of one
    approval: the deploy refused unsigned, by the developer, unasked; approved by the
    deployer, deployed by the second deployer (told for a person, then with --json: nothing
    to do), cancelled after its release (refused), rolled back by an operator, deployed again
    (refused: rolled back), and ``--last`` rolls back the base release no more (the newest
    entry is a rollback)."""
    return 1, (
        Step("submit", ("ja",)),
        Step("create", ("developer", "both")),
        Step("deploy", (0, "deployer", True, True)),
        Step("approve", (0, "developer")),
        Step("approve", (0, "deployer")),
        Step("approvals", (0, "viewer"), True),
        Step("deploy", (0, "developer", True, True)),
        Step("deploy", (0, "second", True, False)),
        Step("deploy", (0, "second", True, True)),
        Step("deploy", (0, "second", True, True), True),
        Step("cancel", (0, "developer"), True),
        Step("show", (0, "viewer")),
        Step("ledger", (0, "viewer"), True),
        Step("rollback", (0, "operator")),
        Step("show", (0, "viewer"), True),
        Step("show", (0, "developer")),
        Step("deploy", (0, "second", True, True)),
        Step("rollback", (None, "deployer"), True),
        Step("list", (0, "viewer")),
    )


def a_changed_production() -> tuple[int, tuple[Step, ...]]:
    """Two packages of ja; the second released first: the first's deploy exits 3 until it is
    planned again; jb stopped by hand in production after its release started it, then the
    release of jb refuses its rollback until it is started again; a package cancelled and
    its items packaged anew."""
    return 0, (
        Step("submit", ("ja",)),
        Step("create", ("developer", "deployer")),
        Step("submit", ("ja",)),
        Step("create", ("admin", "both"), True),
        Step("deploy", (1, "second", False, True)),
        Step("deploy", (0, "deployer", True, True)),
        Step("deploy", (0, "deployer", True, True), True),
        Step("plan", (0, "viewer")),
        Step("plan", (0, "deployer"), True),
        Step("deploy", (0, "deployer", True, True)),
        Step("submit", ("jb",)),
        Step("create", ("developer", "deployer")),
        Step("cancel", (2, "viewer")),
        Step("cancel", (2, "operator"), True),
        Step("pending", (0, "developer")),
        Step("create", ("developer", "both")),
        Step("rule", ("deployer", 2)),
        Step("rule", ("admin", 1), True),
        Step("approve", (3, "second")),
        Step("deploy", (3, "admin", True, True)),
        Step("toggle", ("jb",)),
        Step("rollback", (None, "operator")),
        Step("toggle", ("jb",)),
        Step("rollback", (3, "viewer")),
        Step("rollback", (3, "operator"), True),
        Step("approvals", (3, "viewer")),
    )
