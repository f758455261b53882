"""Generated stories of a route plan's Approvals page
(``tests/console/test_generated_approval_pages.py``): a route requiring 1 or 2 approvals of its
plans from approvers drawn among the target's members (``support/console_approval_model.py``'s
APPROVERS), promoted by the project admin or by ``dev`` (a developer of both workspaces), then
drawn steps, each by a drawn person: an approval posted from the page (signed over the plan the
page shows, over the plan an older page showed, with a key revoked or another person's; or
forged, without the session's security token), a key revoked or a new one registered, a
member's role in the target changed or taken away, the plan made again (the target changed
meanwhile, or not), the route's rule saved again (or lifted), *Import* pressed, the page read.
"""

from __future__ import annotations

from hypothesis import strategies as st

from support.console_approval_model import APPROVERS, PEOPLE
from support.release_stories import Step

RULES = (
    (1, ("ada",)),
    (1, ("ada", "bo")),
    (1, ("cy", "dev")),
    (2, ("ada", "bo")),
    (2, ("ada", "bo", "cy")),
    (2, ("bo", "cy", "dev")),
)
"""The rules a route is saved with: how many approvals, and whom it names."""
LIFTED = (0, ())
"""The rule lifted: the route saved again requiring no approvals (naming nobody)."""
HOW = ("page", "page", "page", "page", "stale", "revoked", "foreign", "forged")
"""How an approval is signed: over the plan the page shows (weighing four times), over the
plan an older page showed, with the signer's newest revoked key, with another person's key;
or posted without the session's security token (a forged form)."""
ROLES = ("none", "viewer", "developer", "developer")
"""What a member's role in the target becomes: none, viewer, developer (weighing twice)."""

people = st.sampled_from(PEOPLE)
members = st.sampled_from(APPROVERS)
importers = st.sampled_from(["admin", "admin", "dev", "ada", "cy"])
"""Who presses *Import*: the admin, developers, a viewer."""


@st.composite
def steps(draw: st.DrawFn, approvers: tuple[str, ...]) -> Step:
    """One step of a story (an approval posted most often by one of the ``approvers``)."""
    act = draw(
        st.sampled_from(
            ["approve"] * 6
            + ["import"] * 3
            + ["revoke", "revoke", "newkey", "role", "role", "rule", "view"]
            + ["replan"] * 3
        )
    )
    if act == "approve":
        signer = draw(st.sampled_from([*approvers, *approvers, *approvers, *PEOPLE]))
        return Step(act, (signer, draw(st.sampled_from(HOW))))
    if act == "import":
        return Step(act, (draw(importers),))
    if act in ("revoke", "newkey"):
        return Step(act, (draw(members),))
    if act == "role":
        return Step(act, (draw(members), draw(st.sampled_from(ROLES))))
    if act == "replan":
        who = draw(st.sampled_from(["admin", "admin", "dev", "ada", "cy"]))
        return Step(act, (who, draw(st.sampled_from([True, True, False]))))
    if act == "rule":
        return Step(act, draw(st.sampled_from([*RULES, LIFTED])))
    return Step(act, (draw(people),))


@st.composite
def approval_page_stories(
    draw: st.DrawFn,
) -> tuple[tuple[int, tuple[str, ...]], str, tuple[Step, ...]]:
    """A rule, who promotes the route (the admin or ``dev``), and 4 to 14 steps."""
    rule = draw(st.sampled_from(RULES))
    planner = draw(st.sampled_from(["admin", "admin", "dev"]))
    drawn = draw(st.lists(steps(rule[1]), min_size=4, max_size=14))
    return rule, planner, tuple(drawn)


def enough_then_import() -> tuple[tuple[int, tuple[str, ...]], str, tuple[Step, ...]]:
    """Two approvals required of ada and bo, planned by dev: Import pressed too early (and by
    a viewer), ada approving twice (the second replaces the first), bo's approval over a plan
    made again on a target that changed (refused: planned again), then over the plan as it is;
    the import, then Import pressed again and an approval posted after it (refused)."""
    return (
        (2, ("ada", "bo")),
        "dev",
        (
            Step("import", ("admin",)),
            Step("approve", ("ada", "page")),
            Step("approve", ("ada", "page")),
            Step("import", ("cy",)),
            Step("replan", ("admin", True)),
            Step("approve", ("bo", "stale")),
            Step("approve", ("ada", "page")),
            Step("approve", ("bo", "page")),
            Step("view", ("cy",)),
            Step("import", ("ada",)),
            Step("import", ("admin",)),
            Step("approve", ("bo", "page")),
            Step("view", ("bo",)),
        ),
    )


def approvals_that_stop_counting() -> tuple[tuple[int, tuple[str, ...]], str, tuple[Step, ...]]:
    """One approval of ada or bo required, planned by the admin: ada's approval counts until
    her key is revoked, her role taken away, the route saved naming bo alone; the admin's own
    approval refused; ada made viewer still counts; ada planning it again makes it hers."""
    return (
        (1, ("ada", "bo")),
        "admin",
        (
            Step("approve", ("admin", "page")),
            Step("approve", ("ada", "page")),
            Step("revoke", ("ada",)),
            Step("import", ("admin",)),
            Step("approve", ("ada", "revoked")),
            Step("newkey", ("ada",)),
            Step("approve", ("ada", "page")),
            Step("role", ("ada", "viewer")),
            Step("view", ("admin",)),
            Step("role", ("ada", "none")),
            Step("view", ("ada",)),
            Step("role", ("ada", "developer")),
            Step("rule", (1, ("bo", "cy", "dev"))),
            Step("rule", (1, ("ada", "bo"))),
            Step("replan", ("ada", False)),
            Step("approve", ("ada", "page")),
            Step("approve", ("bo", "page")),
            Step("import", ("dev",)),
        ),
    )
