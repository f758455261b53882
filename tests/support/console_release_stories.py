"""Generated stories of the console's release pages
(``tests/console/test_generated_release_pages.py``): a rule of 0 to 2 signed approvals, then
drawn steps, each posted by a drawn person (``support/console_release_model.py``'s PEOPLE) —
a job submitted in development, the pending items packaged (with the approvers named drawn:
the deployer, both deployers, oneself, none), a package approved with a key, deployed (with a
startup mode), revoked or planned again, its release rolled back, production restored to it.
A step names a package by a number, taken modulo the packages made so far.
"""

from __future__ import annotations

from hypothesis import strategies as st

from support.console_release_model import PEOPLE, SIGNERS
from support.release_stories import Step

JOBS = ("ja", "jb")
"""The jobs of the story: both released first, then changed and released again."""
APPROVERS = {
    "deployer": ("deployer",),
    "both": ("deployer", "second"),
    "self": ("self",),
    "none": (),
}
"""Whom a package names: the deployer, both deployers, its applicant, nobody."""
PACKAGE_ACTS = ("deploy", "revoke", "replan", "rollback", "restore")
people = st.sampled_from(sorted(PEOPLE))
picks = st.integers(0, 5)
named = st.sampled_from(["both", "both", "both", "deployer", "deployer", "self", "none"])
"""Whom a package names, the approvers a rule may require most often."""
likely = st.sampled_from(["admin", "deployer", "deployer", "second"])
"""Who posts a deploy, a rollback or a restore most often: those who may."""


@st.composite
def steps(draw: st.DrawFn) -> Step:
    """One step of a story."""
    act = draw(
        st.sampled_from(
            ["submit"] * 3
            + ["package"] * 3
            + ["approve"] * 3
            + ["deploy"] * 3
            + ["revoke"]
            + ["replan", "rollback", "rollback", "restore", "restore", "last", "toggle", "forged"]
        )
    )
    if act == "submit":
        return Step("submit", (draw(st.sampled_from(JOBS)),))
    if act == "package":
        who = draw(st.sampled_from(["developer"] * 3 + ["admin", "deployer", "viewer"]))
        return Step("package", (who, draw(named)))
    if act == "approve":
        return Step("approve", (draw(picks), draw(st.sampled_from(SIGNERS))))
    if act == "forged":  # a form posted without the session's security token
        return Step("forged", (draw(picks), draw(st.sampled_from(PACKAGE_ACTS))))
    if act == "toggle":  # a production job started or stopped by hand
        return Step("toggle", (draw(picks),))
    who = draw(st.one_of(likely, people))
    if act == "last":  # the ledger page's Roll back the last release
        return Step("last", (who,))
    if act == "deploy":
        return Step("deploy", (draw(picks), who, draw(st.booleans())))
    if act == "restore":  # its plan applied by whoever posts Restore (a page left open)
        applier = draw(st.sampled_from([who, who, who, "developer", "viewer", "operator"]))
        return Step(act, (draw(picks), who, applier))
    return Step(act, (draw(picks), who))


@st.composite
def release_page_stories(draw: st.DrawFn) -> tuple[int, tuple[Step, ...]]:
    """A rule of approvals (0 to 2) and 5 to 16 steps, the first a submit."""
    first = Step("submit", (draw(st.sampled_from(JOBS)),))
    drawn = draw(st.lists(steps(), min_size=4, max_size=15))
    return draw(st.sampled_from([0, 0, 1, 2])), (first, *drawn)


def a_whole_release() -> tuple[int, tuple[Step, ...]]:
    """ja submitted, packaged by the developer naming both deployers, each approving, the
    operator and the developer refused a deploy, the second deployer deploying; jb released
    after it, the first release restored (its plan's Restore posted by the viewer first:
    refused), then the second rolled back (refused: the ledger's
    newest entry is the restore)."""
    return 2, (
        Step("submit", ("ja",)),
        Step("package", ("developer", "both")),
        Step("approve", (0, "deployer")),
        Step("approve", (0, "developer")),
        Step("deploy", (0, "operator", True)),
        Step("deploy", (0, "developer", True)),
        Step("approve", (0, "second")),
        Step("deploy", (0, "second", False)),
        Step("submit", ("jb",)),
        Step("package", ("admin", "both")),
        Step("approve", (1, "deployer")),
        Step("approve", (1, "second")),
        Step("deploy", (1, "deployer", True)),
        Step("restore", (0, "operator", "viewer")),
        Step("restore", (0, "operator", "operator")),
        Step("rollback", (1, "deployer")),
        Step("revoke", (1, "viewer")),
    )


def a_stale_approval() -> tuple[int, tuple[Step, ...]]:
    """Two packages of ja, the second released first: the first's deploy is refused, planned
    again its approval no longer counts, approved again it deploys; the release rolled back
    by an operator; the ledger page's *Roll back the last release* posted by the developer
    (refused: not theirs to do) and by a deployer (refused: the newest entry is a rollback)."""
    return 1, (
        Step("submit", ("ja",)),
        Step("package", ("developer", "deployer")),
        Step("approve", (0, "deployer")),
        Step("submit", ("ja",)),
        Step("package", ("developer", "both")),
        Step("approve", (1, "second")),
        Step("deploy", (1, "admin", True)),
        Step("deploy", (0, "deployer", True)),
        Step("replan", (0, "viewer")),
        Step("replan", (0, "deployer")),
        Step("deploy", (0, "deployer", True)),
        Step("approve", (0, "deployer")),
        Step("deploy", (0, "deployer", True)),
        Step("rollback", (0, "operator")),
        Step("rollback", (0, "operator")),
        Step("last", ("developer",)),
        Step("last", ("second",)),
    )


def a_job_started_by_hand() -> tuple[int, tuple[Step, ...]]:
    """ja started by hand in production after its release left it stopped: the ledger's *Roll
    back the last release* is refused at once, naming it (found by a 100-example run, seed
    61, when the stories expected the rollback's task to fail instead); stopped again, the
    release rolls back."""
    return 0, (
        Step("submit", ("ja",)),
        Step("toggle", (0,)),
        Step("last", ("admin",)),
        Step("toggle", (0,)),
        Step("last", ("admin",)),
    )
